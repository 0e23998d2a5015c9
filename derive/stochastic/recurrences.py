"""Equations (1)-(2): the envelope recurrences generated from the signed transition table."""
from __future__ import annotations

import sympy as sp

from derive import model
from derive.calculus import latex
from derive.registry import checks
from entwined import notation as N
from entwined.verdicts import Outcome, Step, Verdict, from_residual


def compare_recurrences(claim, env):
    derived = model.recurrences(env)
    residuals, steps = {}, []
    for target, source, offset, wt, sign in model.transition_table(env):
        steps.append(Step(f"rule: {source} -> {target}, shift {offset:+d} delta, weight "
                          f"{'+' if sign > 0 else '-'}{wt}", ""))
    steps = [Step("Transition table: " + "; ".join(s.caption.removeprefix("rule: ")
                                                     for s in steps), "")]
    printed_targets = set()
    for lhs, rhs in claim.parsed:
        target = getattr(getattr(lhs, "func", None), "__name__", str(lhs))
        printed_targets.add(target)
        if target not in derived or lhs != sp.Function(target)(N.z, N.t + N.epsilon):
            residuals[str(lhs)] = "left-hand side is not one of " + ", ".join(
                f"{name}(z, t + epsilon)" for name in derived)
            continue
        res = sp.expand(rhs - derived[target])
        residuals[target] = str(res)
        lhs_tex = latex(sp.Function(target)(lhs.args[0], lhs.args[1]))
        steps.append(Step(f"derived from the table for {target}",
                          f"{lhs_tex} = {latex(derived[target])}"))
    missing = sorted(set(derived) - printed_targets)
    ok = all(r == "0" for r in residuals.values()) and not missing
    correction = None
    if not ok:
        correction = "; ".join(f"{t}(z, t + epsilon) = {derived[t]}" for t in derived)
    evidence = {"residuals": residuals, "missing": missing,
                "table": [[tg, src, off, str(wt), sg]
                          for tg, src, off, wt, sg in model.transition_table(env)]}
    return from_residual(ok, holds="recurrences follow from the corner and colour rules",
                         fails="printed recurrence differs from the one the rules generate",
                         correction=correction,
                         correction_latex=None if ok else ", ".join(
                             f"{latex(sp.Function(t)(sp.Symbol('z'), sp.Symbol('t') + sp.Symbol('epsilon')))} = {latex(r)}"
                             for t, r in derived.items()),
                         evidence=evidence, steps=steps)


@checks("1")
def check_left(claim, ctx):
    return compare_recurrences(claim, model.LEFT)


@checks("2")
def check_right(claim, ctx):
    return compare_recurrences(claim, model.RIGHT)


@checks("1-2.block-diagonal")
def check_block_diagonal(claim, ctx):
    """Read the coupling off the printed (1) and (2): no equation of one envelope names the other."""
    groups = {"1": {"phip1", "phip2"}, "2": {"phip3", "phip4"}}
    cross = []
    for cid, own in groups.items():
        printed = ctx.claims.get(cid)
        if printed is None:
            return Outcome(Verdict.UNPROVEN, f"claim ({cid}) is missing from the claims file")
        for lhs, rhs in printed.parsed:
            names = {f.func.__name__ for f in (lhs - rhs).atoms(sp.core.function.AppliedUndef)}
            cross += [f"({cid}) uses {n}" for n in sorted(names - own)]
    return from_residual(not cross, holds="(1) involves only phi'_1, phi'_2 and (2) only "
                         "phi'_3, phi'_4", fails="the printed systems couple the envelopes: "
                         + "; ".join(cross), evidence={"cross_couplings": cross})


@checks("1-2.corner-probability")
def check_corner_probability(claim, ctx):
    """Printed (1)-(2) weight every scattering term by alpha; the path process itself is not sampled."""
    weights = []
    for cid in ("1", "2"):
        printed = ctx.claims.get(cid)
        for lhs, rhs in (printed.parsed if printed else ()):
            for term in sp.Add.make_args(sp.expand(rhs)):
                fn = [f for f in term.atoms(sp.core.function.AppliedUndef)]
                if fn and fn[0].func != lhs.func:
                    weights.append(str(sp.Abs(term / fn[0])))
    consistent = bool(weights) and all(w == "alpha" for w in weights)
    return Outcome(Verdict.UNPROVEN,
                   "a property of the path process: needs sampling of entwined paths; printed "
                   f"(1)-(2) {'are' if consistent else 'are NOT'} consistent with it",
                   {"scattering_weights": weights, "consistent_with_printed": consistent})
