"""Checks of the prose claims after (14): conjugate envelopes, the conserved product, and the
sign of v."""
from __future__ import annotations

import numpy as np
import sympy as sp
from sympy.calculus.euler import euler_equations

from entwined.derive.calculus import latex
from entwined.derive.diffusive.prose import complex_residuals, heisenberg_acceleration
from entwined.core import notation as N
from entwined.checks.registry import checks
from entwined.core.evidence import Prose, Table
from entwined.core.verdicts import Outcome, Step, Verdict, from_residual
from entwined.numerics.convergence import invariants
from entwined.numerics.envelope_product import product_history
from entwined.checks.stochastic import montecarlo as mc_evidence

f = sp.Function("f")(N.z)


@checks("14.conjugates")
def check_conjugates(claim, ctx):
    H, res_l, res_r = complex_residuals()
    ok = res_l == 0 and res_r == 0
    return from_residual(ok, holds="psi_L = phi2 + i phi1 obeys i dt psi = H psi and psi_R = phi4 + "
                         "i phi3 obeys i dt psi = -H psi with H real, so conj(psi_L) solves psi_R's "
                         "equation: conjugate data stay conjugate",
                         fails="the two derived complex equations are not conjugates",
                         evidence={"H_f": H(f), "residual_left": res_l,
                                   "residual_right": res_r},
                         steps=[Step("H read off the derived generator", f"H f = {latex(H(f))}"),
                                Step("right envelope in complex form",
                                     r"i\partial_t(\phi_4 + i\phi_3) = -H(\phi_4 + i\phi_3)")])


def process_source() -> dict:
    """The charges the process puts on the four densities at its source (the first link of each
    envelope), as the Monte Carlo and the exact evaluator use them."""
    out = {}
    for per_claim in mc_evidence.SOURCES.values():
        for (name, _), value in per_claim.items():
            out[name] = value
    return out


@checks("14.product-conserved", kernels=True)
def check_product(claim, ctx):
    """Conservation is checked on the dynamics; 'positive' on the data the process gives: both
    envelopes from its one source, with their own charges (not conjugate data assumed)."""
    H, res_l, res_r = complex_residuals()
    u, w = sp.Function("u")(N.z), sp.Function("w")(N.z)
    density_rate = sp.expand(u * (sp.I * H(w)) + (-sp.I * H(u)) * w)
    eqs = euler_equations(density_rate, [u, w], N.z)
    euler = [sp.expand(e.lhs - e.rhs) if isinstance(e, sp.Eq) else sp.S.Zero for e in eqs]
    conserved = res_l == 0 and res_r == 0 and all(e == 0 for e in euler)
    # the value at t = 0 from the process's source: sum_z psi_L psi_R with psi_L = phi_2 + i phi_1,
    # psi_R = phi_4 + i phi_3 (a point source: one site)
    src = {k: sp.nsimplify(v) for k, v in process_source().items()}
    value = sp.expand((src.get("phip2", 0) + sp.I * src.get("phip1", 0))
                      * (src.get("phip4", 0) + sp.I * src.get("phip3", 0)))
    positive = bool(value.is_positive)
    evidence = {"rate_of_density": density_rate, "Euler operator of the rate (zero: a total derivative)": list(euler),
                "product_at_source": value}
    steps = [Step("rate of change of the product density",
                  r"\partial_t(\psi_L\psi_R) = " + latex(density_rate.subs(
                      {u: sp.Symbol(r"\psi_L"), w: sp.Symbol(r"\psi_R")}))),
             Step("the product at the process's source (psi_L from phi'_1, phi'_2; psi_R from "
                  "phi'_3, phi'_4, with the source's charges)", r"\sum_z \psi_L\psi_R = " + latex(value))]
    transient = ""
    if ctx.numerics:
        lattice = invariants(quick=ctx.quick)
        conserved = (conserved and lattice["v = 0"]["conserved_to_rounding"]
                     and lattice["with potential"]["passes"])
        evidence["lattice_norm"] = lattice
        z = np.arange(-128, 129)
        history = {label: product_history(process_source(), alpha, 16) for label, alpha in (
            ("v = 0", np.full(z.size, 0.5)),
            ("with potential", 0.5 * (1 + np.tanh(2.0 * np.cos(2 * np.pi * z / 40.0) * 0.02))))}
        worst_real = max(float(np.max(np.abs(h.real) / np.abs(h))) for h in history.values())
        evidence["product_from_source"] = Table(
            ("potential", "t / (8 epsilon)", "Re sum psi_L psi_R", "Im sum psi_L psi_R"),
            tuple((label, b, h[b].real, h[b].imag) for label, h in history.items()
                  for b in (0, 1, 2, 4, 8, 16)))
        evidence["largest_real_part_relative"] = worst_real
        free = history["v = 0"]
        transient = Prose.of("; on the lattice, from the point source (not smooth), its modulus "
                             f"goes from {abs(free[0]):.2f} to {abs(free[1]):.2f} in the first "
                             f"eight steps as the non-smooth part of the data decays, then changes "
                             f"by {abs(abs(free[-1]) - abs(free[1])) / abs(free[1]):.0%} over "
                             f"{8 * (len(free) - 2)} more steps; conservation is a statement about "
                             "smooth solutions, checked on smooth data above")
        # the lattice must keep the phase the source gives: the same at every block
        phase = complex(value) / abs(complex(value))
        kept = all(np.max(np.abs(h / np.abs(h) - phase)) < 1e-12 for h in history.values())
        if not kept:
            return Outcome(Verdict.UNPROVEN, "the lattice does not keep the phase of the product "
                           "the process's source gives (symbolic and lattice disagree)", evidence,
                           steps=steps)
    if not conserved:
        return from_residual(False, holds="", fails="d/dt of the product is not a total derivative, "
                             "or the lattice does not conserve it", evidence=evidence, steps=steps)
    if positive:
        return from_residual(True, holds="d/dt (psi_L psi_R) is a total z-derivative, and with the "
                             "process's data the constant is positive", fails="", evidence=evidence,
                             steps=steps)
    return from_residual(
        False, holds="",
        fails=Prose.of("the integral is time-independent (its density's rate is a total "
                       "z-derivative), but for the envelopes of the process's source it starts at ",
                       value, ", not a positive number",
                       (" and stays purely imaginary at every block on the lattice (psi_R = -i "
                        "conj psi_L is kept by the dynamics)") if ctx.numerics else
                       " (numerics off: that the phase is kept is not checked here)",
                       "; it is positive only for conjugate data psi_R = conj psi_L, which the "
                       "process does not give", transient),
        correction="sum psi_L psi_R = -I * sum |psi_L|**2 for the process's source (constant)",
        correction_latex=r"\int \psi_L\psi_R\,dz = " + latex(value) + r"\int |\psi_L|^2\,dz",
        correction_math=sp.Eq(sp.Symbol("product"), value * sp.Symbol("norm_L")),
        evidence=evidence, steps=steps)


@checks("14.potential-sign")
def check_potential_sign(claim, ctx):
    """Heisenberg acceleration of z for the derived H: z'' = -[H, [H, z]]."""
    acc, kappa = heisenberg_acceleration()
    ok = (not kappa.has(N.z)) and bool(kappa.is_positive)
    zpp = sp.Derivative(sp.Function("z")(N.t), (N.t, 2))
    return from_residual(ok, holds=Prose.of("acceleration ", sp.Eq(zpp, acc), ": pushed down the "
                                            "gradient of v, away from maxima and towards minima"),
                         fails=Prose.of("acceleration ", sp.Eq(zpp, acc), " does not push away "
                                        "from maxima of v"),
                         evidence={"acceleration": acc, "kappa": kappa},
                         steps=[Step("Heisenberg acceleration for the derived H",
                                     r"\ddot z = -[H,[H,z]] = " + latex(acc))])
