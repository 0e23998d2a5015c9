"""Prose claims after (25) and the closing section: c -> oo, m -> 0, Klein-Gordon, (26)-(27),
and the exponential segment lengths."""
from __future__ import annotations

import sympy as sp

from entwined.derive.calculus import latex
from entwined.derive.kac.system import F, derived_25, psi, reduce_on_solutions
from entwined.core import notation as N
from entwined.checks.compare import combine_numeric, missing
from entwined.checks.registry import checks
from entwined.core.verdicts import Outcome, Step, Verdict, from_residual
from entwined.numerics.convergence import nonrelativistic_study


@checks("25.schrodinger-limit")
def check_schrodinger_limit(claim, ctx):
    eq = derived_25()
    lim = sp.Eq(eq.lhs, sp.limit(eq.rhs, N.c, sp.oo))
    system = {"psi_m": sp.solve(lim, sp.Derivative(psi, N.t))[0]}
    conj_system = {"psi_m": sp.conjugate(system["psi_m"]).subs(sp.conjugate(psi), psi)
                   .replace(lambda e: isinstance(e, sp.conjugate), lambda e: e.args[0])}
    res = [sp.expand(reduce_on_solutions(l - r, system)) for l, r in claim.parsed]
    res_conj = [sp.expand(reduce_on_solutions(l - r, conj_system)) for l, r in claim.parsed]
    ok, ok_conj = all(r == 0 for r in res), all(r == 0 for r in res_conj)
    outcome = from_residual(ok, holds="the c -> oo limit of (25) is the free Schroedinger equation as printed",
                         fails="the limit is i dt psi = +(hbar/2m) dz^2 psi: the time-reversed "
                         "(conjugate) convention of (14)" + ("; conj(psi_-) obeys the standard form"
                                                           if ok_conj else ""),
                         correction_math=lim,
                         correction="I*Derivative(psi_m, t) = hbar/(2*m)*Derivative(psi_m, z, 2); "
                         "conj(psi_m) obeys I*hbar*dt = -hbar**2/(2m) dz**2",
                         correction_latex=rf"{latex(lim.lhs)} = {latex(lim.rhs)}",
                         evidence={"limit_equation": lim, "residual_psi": list(res),
                                   "residual_conjugate": list(res_conj)},
                         steps=[Step("c -> oo in (25)", rf"{latex(lim.lhs)} = {latex(lim.rhs)}")])
    if ctx.numerics:
        coefficient = _printed_coefficient(claim)
        num = nonrelativistic_study(quick=ctx.quick, printed_sign=coefficient)
        outcome.evidence["numeric"] = num
        outcome = combine_numeric(outcome, num)
    return outcome


def _printed_coefficient(claim) -> complex:
    """s in i psi_t = s (hbar/2m) psi_zz, read off the printed equation (standard form: s = -1)."""
    (lhs, rhs), = claim.parsed
    dt = sp.Derivative(psi, N.t)
    dzz = sp.Derivative(psi, (N.z, 2))
    ratio = sp.simplify((rhs.coeff(dzz) / (N.hbar / (2 * N.m))) / (lhs.coeff(dt) / sp.I))
    try:
        return complex(ratio)
    except TypeError:
        return complex("nan")


@checks("25.wave-limit")
def check_wave_limit(claim, ctx):
    eq = derived_25()
    times_m = sp.expand(N.m * (eq.lhs - eq.rhs))
    lim = sp.limit(times_m, N.m, 0)
    solved = sp.solve(lim, sp.Derivative(psi, (N.t, 2)))
    ok = len(solved) == 1 and all(l == sp.Derivative(psi, (N.t, 2)) and
                                  sp.simplify(r - solved[0]) == 0 for l, r in claim.parsed)
    return from_residual(ok, holds="m (25) at m -> 0 leaves dt^2 psi = c^2 dz^2 psi (then a = 0: no "
                         "scattering, as the paper notes)", fails="the m -> 0 limit is not the printed "
                         "wave equation", evidence={"limit": lim, "solved": list(solved)},
                         steps=[Step("m (25), m -> 0", latex(lim) + " = 0")])


@checks("25.klein-gordon")
def check_klein_gordon(claim, ctx):
    (lhs, rhs), = claim.parsed
    chi = F("chi")
    exponent = sp.simplify(sp.log(sp.simplify(rhs / chi)), inverse=True)
    omega_printed = sp.simplify(sp.expand(exponent / (sp.I * N.t)))
    w = sp.Symbol("w", real=True)
    eq = derived_25()
    sub = sp.exp(sp.I * w * N.t) * chi
    transformed = sp.expand(sp.simplify(((eq.lhs - eq.rhs).subs(psi, sub).doit()) / sp.exp(sp.I * w * N.t)))
    first_order = transformed.coeff(sp.Derivative(chi, N.t))
    good = sp.solve(first_order, w)
    kg = lambda om: sp.expand(sp.simplify(transformed.subs(w, om) * (2 * N.m / N.hbar)))
    target = sp.Derivative(chi, N.t, 2) / N.c**2 - sp.Derivative(chi, N.z, 2) + (N.m * N.c / N.hbar)**2 * chi
    works = [om for om in good if sp.simplify(kg(om) - target) == 0]
    ok = any(sp.simplify(omega_printed - om) == 0 for om in works)
    return from_residual(
        ok, holds="with the printed exponent (25) becomes the Klein-Gordon equation",
        fails=f"the printed exponent gives omega = {omega_printed}; the first-order term cancels only "
              f"for omega = {works[0] if works else good}",
        correction_math=sp.Eq(sp.Symbol("omega"), works[0]) if works else None, correction=(
            "psi_m = exp(-I*m*c**2*t/hbar)*chi" if works else None),
        correction_latex=(r"\psi_- = e^{-i m c^2 t/\hbar}\chi\ \Rightarrow\ " + latex(target) + " = 0")
        if works else None,
        evidence={"omega_printed": omega_printed, "omega_that_cancels_first_order": list(good),
                  "klein_gordon_for": list(works)},
        steps=[Step("(25) with psi = exp(i w t) chi", latex(transformed) + " = 0"),
               Step("first-order term vanishes for", "w = " + latex(good))])


def _from_scaling(claim, ctx):
    printed3 = ctx.claims.get("3")
    if printed3 is None:
        return missing("3")
    (l3, r3), = printed3.parsed
    eps = sp.solve(sp.Eq(l3, r3), N.epsilon)
    if len(eps) != 1:
        return from_residual(False, holds="", fails="the scaling (3) does not determine epsilon",
                             evidence={"epsilon_from_3": list(eps)})
    res = [sp.simplify((l - r).subs(N.epsilon, eps[0])) for l, r in claim.parsed]
    # "follows from (3)" needs (3): an equation that holds without it says nothing about it
    needs_3 = [sp.simplify(l - r) != 0 for l, r in claim.parsed]
    if not all(needs_3):
        return Outcome(Verdict.UNPROVEN, "the equation holds without the scaling (3), so it "
                       "cannot show what (3) implies", {"holds_without_3": needs_3})
    ok = all(r == 0 for r in res)
    return from_residual(ok, holds="follows from (3) with epsilon = delta^2/(2D)",
                         fails="does not follow from the scaling (3)",
                         evidence={"epsilon_from_3": list(eps), "residuals": list(res)})


checks("26", "27")(_from_scaling)


@checks("27.exponential-segments")
def check_segments(claim, ctx):
    s = sp.Symbol("s", positive=True)
    survival = sp.limit((1 - N.a * N.epsilon)**(s / N.epsilon), N.epsilon, 0)
    density = -sp.diff(survival, s)
    mean_time = sp.integrate(s * density, (s, 0, sp.oo))
    mean_length = sp.simplify(N.c * mean_time)
    exponential = sp.simplify(survival - sp.exp(-N.a * s)) == 0
    ok = exponential and sp.simplify(mean_length - 1 / N.a) == 0
    return from_residual(ok, holds="exponential segments with mean length 1/a",
                         fails=f"segments are exponential in time with mean {mean_time}; their "
                               f"length in z has mean {mean_length} (= hbar/(m c), the Compton length, "
                               "for a = m c^2/hbar), not 1/a" if exponential else
                               "segment durations are not exponential",
                         correction="mean duration 1/a, mean length c/a",
                         correction_math={"mean_duration": mean_time, "mean_length": mean_length},
                         correction_latex=r"\langle \tau\rangle = 1/a,\quad \langle \ell\rangle = c/a",
                         evidence={"survival": survival, "mean_duration": mean_time,
                                   "mean_length": mean_length},
                         steps=[Step("no corner for time s", r"(1-a\varepsilon)^{s/\varepsilon} \to " + latex(survival)),
                                Step("mean duration and length", rf"\langle\tau\rangle = {latex(mean_time)},\ "
                                     rf"\langle\ell\rangle = c\langle\tau\rangle = {latex(mean_length)}")])
