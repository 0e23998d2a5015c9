"""Equations (18)-as-Dirac, (21)-(25): the complex combinations, the coupled psi system, the
elimination of psi_plus, and a = m c^2 / hbar."""
from __future__ import annotations

import sympy as sp
from sympy.core.function import AppliedUndef

from entwined.derive.calculus import latex
from entwined.derive.diffusive.eight_step import printed_generator
from entwined.derive.kac.system import (COMPTON, F, generator_matrices, lattice_system, psi_system,
                               reduce_on_solutions, rescaled)
from entwined.core import notation as N
from entwined.checks.compare import (compared_step, derived_step, combine_numeric, missing,
                                     printed_premise_system)
from entwined.checks.registry import checks
from entwined.core.evidence import Prose
from entwined.core.verdicts import Outcome, Step, Verdict, from_residual
from entwined.numerics.consistency import kac_psi_one_step, kac_second_order


@checks("18.dirac")
def check_dirac_form(claim, ctx):
    printed = ctx.claims.get("18")
    if printed is None:
        return missing("18")
    A, B = generator_matrices(printed.parsed)
    # i dt phi = (-i c alpha_D dz + a beta_D) phi
    alpha_d, beta_d = sp.simplify(-A / N.c), sp.simplify(sp.I * B / N.a)
    conds = {
        "alpha^2 = 1": sp.simplify(alpha_d**2 - sp.eye(2)) == sp.zeros(2, 2),
        "beta^2 = 1": sp.simplify(beta_d**2 - sp.eye(2)) == sp.zeros(2, 2),
        "anticommute": sp.simplify(alpha_d * beta_d + beta_d * alpha_d) == sp.zeros(2, 2),
        "hermitian": alpha_d == alpha_d.H and beta_d == beta_d.H,
        "real generator": all(x.is_real is not False and not x.has(sp.I) for x in list(A) + list(B)),
    }
    ok = all(conds.values())
    return from_residual(ok, holds="printed (18) is i dt phi = (-i c alpha dz + a beta) phi with "
                         "Hermitian, anticommuting alpha, beta (alpha^2 = beta^2 = 1) and a real "
                         "generator; it holds for exp(a t) phi' (see (18))",
                         fails="printed (18) is not of Dirac form: " + ", ".join(
                             k for k, v in conds.items() if not v),
                         evidence={"alpha_D": alpha_d, "beta_D": beta_d,
                                   "conditions": conds},
                         steps=[Step("Dirac matrices read off (18)", rf"\alpha_D = {latex(alpha_d)},\ "
                                     rf"\beta_D = {latex(beta_d)}")])


PSI_FIELDS = {"psi_p", "psi_m"}


def _psi_defs(ctx):
    """{psi_p: ..., psi_m: ...} from the printed (21), or None when it is not that: each
    left-hand side must be psi_pm(z, t) itself, and each right-hand side a pointwise map of
    phi'_1, phi'_2 with t and a (what the change of variables and the lattice can evaluate)."""
    printed = ctx.claims.get("21")
    if printed is None:
        return None
    defs = {}
    for lhs, rhs in printed.parsed:
        name = getattr(getattr(lhs, "func", None), "__name__", None)
        if name not in PSI_FIELDS or lhs != F(name):
            return None
        fields = {f.func.__name__ for f in rhs.atoms(AppliedUndef)}
        if fields - {"phip1", "phip2"} or rhs.has(sp.Derivative) or \
                rhs.free_symbols - {N.z, N.t, N.a}:
            return None
        defs[name] = rhs
    return defs if set(defs) == PSI_FIELDS else None


def NOT_A_DEFINITION() -> Outcome:
    return Outcome(Verdict.UNPROVEN, "(21) must define psi_p(z, t) and psi_m(z, t) as an "
                   "invertible pointwise map of phi'_1, phi'_2 (with t and a); as given it cannot "
                   "be used as the change of variables")


@checks("21")
def check_psi_definition(claim, ctx):
    if _psi_defs(ctx) is None:
        return NOT_A_DEFINITION()
    p, m = (rhs for _, rhs in claim.parsed)
    f1, f2 = F("phip1"), F("phip2")
    J = sp.Matrix([[sp.diff(p, f1), sp.diff(p, f2)], [sp.diff(m, f1), sp.diff(m, f2)]])
    det = sp.simplify(J.det())
    ok = bool(det != 0 and not det.is_zero)
    chain = {}
    if ok:      # (21) is the change of variables that turns (18) into (22)-(23)
        try:
            norm = derived_psi(ctx, True)
        except ValueError:
            norm, ok = None, False
        for cid in ("22", "23"):
            printed = ctx.claims.get(cid)
            if printed is None or norm is None:
                continue
            res = [sp.expand(reduce_on_solutions(l - r, norm)) for l, r in printed.parsed]
            chain[cid] = list(res)
            ok = ok and all(r == 0 for r in res)
    return from_residual(ok, holds=Prose.of("an invertible change of variables (determinant ", det,
                                            ") that turns the system of ", sp.exp(N.a * N.t),
                                            " phi' into the printed (22)-(23)"),
                         fails="with these combinations the lattice system does not become the "
                         "printed (22)-(23)" if det != 0 else "the combinations are not invertible",
                         evidence={"jacobian_determinant": det, "(22), (23) from the lattice system through (21), residuals": chain},
                         steps=[Step("Jacobian of (psi_+, psi_-) w.r.t. (phi'_1, phi'_2)", latex(J))])


def derived_psi(ctx, normalised: bool):
    """The lattice's psi system through the printed (21); None when (21) is missing, not a
    definition of psi_pm, or not an invertible change of variables."""
    defs = _psi_defs(ctx)
    if defs is None:
        return None
    system = lattice_system()
    if normalised:
        system = rescaled(system, N.a)
    try:
        return ctx.memo(f"psi:{normalised}", lambda: psi_system(system, defs))
    except ValueError:          # (21) not invertible: the psi system does not exist
        return None


def _psi_equation_check(claim, ctx):
    """(22)-(23) from their premises as printed: (18) rewritten in the variables (21).  The
    lattice's own system (with the damping (18) omits), with and without exp(a t), is evidence
    on the chain."""
    defs = _psi_defs(ctx)
    system18 = printed_premise_system(ctx, "18")
    if defs is None:
        return missing("21") if "21" not in ctx.claims else NOT_A_DEFINITION()
    if system18 is None:
        return missing("18")
    try:
        from_printed = ctx.memo("psi:printed18", lambda: psi_system(system18, defs))
    except ValueError as exc:
        return Outcome(Verdict.UNPROVEN, f"(21) does not turn the printed (18) into a psi system: {exc}")
    res_printed = [sp.expand(reduce_on_solutions(l - r, from_printed)) for l, r in claim.parsed]
    step_ok = all(r == 0 for r in res_printed)
    printed_eqs = [sp.Eq(sp.Derivative(F(n), N.t), g) for n, g in from_printed.items()]
    raw, norm = derived_psi(ctx, False), derived_psi(ctx, True)
    if raw is None or norm is None:
        return NOT_A_DEFINITION()
    res_raw = [sp.expand(reduce_on_solutions(l - r, raw)) for l, r in claim.parsed]
    res_norm = [sp.expand(reduce_on_solutions(l - r, norm)) for l, r in claim.parsed]
    ok, ok_norm = all(r == 0 for r in res_raw), all(r == 0 for r in res_norm)
    raw_eqs = [sp.Eq(sp.Derivative(F(n), N.t), g) for n, g in raw.items()]
    norm_eqs = [sp.Eq(sp.Derivative(F(n), N.t), g) for n, g in norm.items()]
    steps = [derived_step("the printed (18) in the variables (21):", formula=printed_eqs,
                          uses=("18", "21"), check="change of variables (21), exact"),
             compared_step("the printed system minus that one, residual:", residual=res_printed,
                           check="time derivatives eliminated"),
             derived_step("the lattice's own system (with its damping) in the variables (21):",
                          formula=raw_eqs, uses=("16", "21"), check="change of variables (21), exact"),
             derived_step("the same for ", sp.exp(N.a * N.t) * F("phip1"), " and ",
                          sp.exp(N.a * N.t) * F("phip2"), " (the damping removed): ", formula=norm_eqs, uses=("18", "21"),
                          check="change of variables (21), exact"),
             compared_step("the printed system minus the one of the lattice densities: ", residual=res_raw, check="time derivatives eliminated"),
             compared_step("the printed system minus the one of the damping-free densities: ",
                           residual=res_norm, check="time derivatives eliminated")]
    outcome = from_residual(
        step_ok, holds="follows from the printed (18) through (21)",
        fails="does not follow from the printed (18) through (21)",
        correction_math=printed_eqs,
        correction="; ".join(f"d/dt {n} = {g}" for n, g in from_printed.items()),
        evidence={"residual_from_printed_18": list(res_printed),
                  "residual_against_lattice": list(res_raw),
                  "residual_against_lattice_without_damping": list(res_norm),
                  "printed form holds for exp(a t) phi'": ok_norm}, steps=steps)
    if not ok:
        outcome.detail += ("; against the lattice itself it holds only when (21) is built from "
                           "exp(a t) phi' (the damping (18) omits, carried through)" if ok_norm else
                           "; it differs from the psi system of the lattice itself")
    if ctx.numerics:
        outcome = _psi_numeric(claim, ctx, outcome, raw)
    return outcome


def _psi_numeric(claim, ctx, outcome, raw):
    """Lambdified printed and derived psi-system kernels against one exact lattice step."""
    defs = _psi_defs(ctx)
    printed = printed_generator(claim)
    if printed is None or defs is None:
        return outcome
    allowed = {N.z, N.t, N.a, N.c}
    if any(g.free_symbols - allowed or {f.func.__name__ for f in g.atoms(AppliedUndef)}
           - {"psi_p", "psi_m", "v"} for g in printed.values()):
        outcome.evidence["lattice_one_step"] = ("not run: the printed system has terms the "
                                                "lattice step cannot evaluate")
        return outcome
    num = kac_psi_one_step(printed, defs, normalise=False, quick=ctx.quick)
    num["derived"] = kac_psi_one_step({k: raw[k] for k in printed}, defs, normalise=False,
                                      quick=ctx.quick)
    num["printed_with_exp_at_phi"] = kac_psi_one_step(printed, defs, normalise=True, quick=ctx.quick)
    # about the chain, not the step: one exact step of the lattice itself against the printed
    # system (without and with exp(a t)) and against the lattice's own psi system
    outcome.evidence["lattice_one_step"] = num
    return outcome


checks("22", "23", numeric=True)(_psi_equation_check)


def _on_normalised_solutions(claim, ctx, subs=None, what=""):
    norm = derived_psi(ctx, True)
    if norm is None:
        return missing("21") if "21" not in ctx.claims else NOT_A_DEFINITION()
    res = [sp.simplify(reduce_on_solutions(
        (l - r).xreplace(subs or {}), {k: g.xreplace(subs or {}) for k, g in norm.items()}))
        for l, r in claim.parsed]
    ok = all(r == 0 for r in res)
    return from_residual(ok, holds=f"{what} holds on every solution of the psi system of exp(a t) phi'",
                         fails=f"{what} is not satisfied by solutions of the psi system",
                         evidence={"residual_on_solutions": list(res)},
                         steps=[compared_step(f"{what}: the printed equation on solutions of "
                                              "(22)-(23) for the damping-free densities (time "
                                              "derivatives eliminated), residual ", residual=res, uses=("22", "23"),
                                              check="repeated elimination of t-derivatives, simplified")])


@checks("24")
def check_24(claim, ctx):
    return _on_normalised_solutions(claim, ctx, what="eliminating psi_+")


@checks("25", numeric=True)
def check_25(claim, ctx):
    outcome = _on_normalised_solutions(claim, ctx, subs=COMPTON, what="with a = m c^2/hbar, (25)")
    defs = _psi_defs(ctx)
    if ctx.numerics and defs is not None and len(claim.parsed) == 1:
        num = kac_second_order(claim.parsed[0], defs, quick=ctx.quick)
        outcome.evidence["numeric"] = num
        outcome = combine_numeric(outcome, num)
    return outcome
