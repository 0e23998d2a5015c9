"""The signal-velocity section (15)-(27): derived system, findings, and mutants caught."""
import numpy as np
import sympy as sp

from entwined.derive.kac.system import constant_data_limit
from entwined.numerics.constant_data import lattice_constant_data
from entwined.derive.kac.system import F, lattice_system
from entwined.core import notation as N
from entwined.core.verdicts import Verdict
from tests.conftest import mutated, verdicts


def test_lattice_system_has_damping():
    s = lattice_system()
    f1, f2 = F("phip1"), F("phip2")
    assert sp.expand(s["phip1"] - (N.c * f1.diff(N.z) - N.a * f1 - N.a * f2)) == 0
    assert sp.expand(s["phip2"] - (-N.c * f2.diff(N.z) + N.a * f1 - N.a * f2)) == 0


def test_constant_data_limit_matches_exact_iteration():
    *_, limit = constant_data_limit()
    f = sp.lambdify(N.t, limit.xreplace({N.A: 1, N.a: 1.0}), "numpy")
    errs = [np.max(np.abs(np.ravel(f(2.0)) - lattice_constant_data(1.0, 2.0, e))) for e in (0.01, 0.005)]
    assert errs[1] < errs[0] and 1.7 < errs[0] / errs[1] < 2.3     # first order in epsilon


def test_section_verdicts():
    out = verdicts(ids={"15", "16", "17", "18", "18.dirac", "19", "20", "21", "22", "23", "24",
                        "25", "25.schrodinger-limit", "25.wave-limit", "25.klein-gordon", "26",
                        "27", "27.exponential-segments"})
    holds = {"15", "16", "18.dirac", "21", "24", "25", "25.wave-limit", "26", "27",
             "27.exponential-segments",        # in the units with c = 1 its 1/a implies
             "19", "20", "22", "23"}           # follow from the printed (18); chain carries it
    for cid, o in out.items():
        expected = Verdict.HOLDS if cid in holds else Verdict.CORRECTED
        assert o.verdict == expected, (cid, o.detail)
    assert out["18"].evidence["printed form holds for exp(a t) phi'"].value is True
    assert out["25.klein-gordon"].evidence["klein_gordon_for"].values == (-N.m * N.c**2 / N.hbar,)


def test_corrected_forms_hold(tmp_path):
    path = mutated(tmp_path, '"Derivative(phip1(z, t), t) = c*Derivative(phip1(z, t), z) - a*phip2(z, t)"',
                   '"Derivative(phip1(z, t), t) = c*Derivative(phip1(z, t), z) - a*phip2(z, t) - a*phip1(z, t)"')
    path.write_text(path.read_text().replace(
        '"Derivative(phip2(z, t), t) = -c*Derivative(phip2(z, t), z) + a*phip1(z, t)"',
        '"Derivative(phip2(z, t), t) = -c*Derivative(phip2(z, t), z) + a*phip1(z, t) - a*phip2(z, t)"'))
    assert verdicts(path, ids={"18"})["18"].verdict == Verdict.HOLDS
    path2 = mutated(tmp_path, '\nequations = ["psi_m(z, t) = exp(I*m*c**2*t/hbar)*chi(z, t)"]',
                    '\nequations = ["psi_m(z, t) = exp(-I*m*c**2*t/hbar)*chi(z, t)"]', name="kg.toml")
    assert verdicts(path2, ids={"25.klein-gordon"})["25.klein-gordon"].verdict == Verdict.HOLDS


def test_wrong_signs_are_caught(tmp_path):
    path = mutated(tmp_path, '"Derivative(psi_m(z, t), t) = c*Derivative(psi_p(z, t), z) - 2*I*a*psi_m(z, t)"',
                   '"Derivative(psi_m(z, t), t) = c*Derivative(psi_p(z, t), z) + 2*I*a*psi_m(z, t)"')
    out = verdicts(path, ids={"23"})["23"]
    assert out.evidence["printed form holds for exp(a t) phi'"].value is False
    path = mutated(tmp_path, '"I*Derivative(psi_m(z, t), t) = hbar/(2*m)*',
                   '"I*Derivative(psi_m(z, t), t) = -hbar/(2*m)*', name="m25.toml")
    out = verdicts(path, ids={"25"})["25"]
    # (25) is checked on solutions of the psi system; the check derives no replacement form, so
    # a wrong sign is a plain failure with no correction
    assert out.verdict == Verdict.FAILS and out.correction_math is None and out.correction is None
    path = mutated(tmp_path, '"(delta/epsilon)*delta = 2*D"', '"(delta/epsilon)*delta = D"', name="m27.toml")
    out = verdicts(path, ids={"27"})["27"]
    assert out.verdict == Verdict.FAILS and out.correction_math is None and out.correction is None


def test_diffusive_prose_claims_hold_and_potential_sign_matters():
    out = verdicts(ids={"14.conjugates", "14.product-conserved", "14.potential-sign"})
    assert out["14.conjugates"].verdict == Verdict.HOLDS
    assert out["14.potential-sign"].verdict == Verdict.HOLDS
    # conserved, but from the process's one source the constant is -i times a positive number
    product = out["14.product-conserved"]
    assert product.verdict == Verdict.CORRECTED
    assert product.evidence["product_at_source"].value == -sp.I
    assert product.evidence["Euler operator of the rate (zero: a total derivative)"].items == ()
    assert out["14.potential-sign"].evidence["acceleration"].value == -2 * N.D * sp.Derivative(N.v(N.z), N.z)
