"""Equations (1)-(2): the envelope recurrences generated from the signed transition table."""
from __future__ import annotations

import sympy as sp

from entwined.derive import model
from entwined.derive.calculus import latex
from entwined.core import notation as N
from entwined.checks.registry import checks
from entwined.checks.stochastic import montecarlo as mc_evidence
from entwined.core.evidence import Figure, Prose, Record, Series, Table
from entwined.core.verdicts import Outcome, Step, Verdict, from_residual


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
        residuals[target] = sp.expand(rhs - derived[target])
        lhs_tex = latex(sp.Function(target)(lhs.args[0], lhs.args[1]))
        steps.append(Step(f"derived from the table for {target}",
                          f"{lhs_tex} = {latex(derived[target])}"))
    missing = sorted(set(derived) - printed_targets)
    ok = all(r == 0 for r in residuals.values()) and not missing
    correction = None
    if not ok:
        correction = "; ".join(f"{t}(z, t + epsilon) = {derived[t]}" for t in derived)
    evidence = {"residuals": residuals, "missing": missing,
                "table": Table(("target", "source", "shift (delta)", "weight"), tuple(
                    (tg, src, off, sg * wt) for tg, src, off, wt, sg in model.transition_table(env)))}
    return from_residual(ok, holds="recurrences follow from the corner and colour rules",
                         fails="printed recurrence differs from the one the rules generate",
                         correction=correction, correction_math=dict(derived),
                         correction_latex=None if ok else ", ".join(
                             f"{latex(sp.Function(t)(sp.Symbol('z'), sp.Symbol('t') + sp.Symbol('epsilon')))} = {latex(r)}"
                             for t, r in derived.items()),
                         evidence=evidence, steps=steps)


def with_monte_carlo(outcome, claim, ctx):
    """The sampled entwined-path process must reproduce the printed recurrence exactly when it
    holds (and reject it when it does not)."""
    if not ctx.numerics:
        return outcome
    num = mc_evidence.against_printed_all_alphas(claim.id, claim.parsed, ctx)
    prof = num.pop("profile", None)
    outcome.evidence["monte_carlo"] = num
    if prof:
        density = sp.Function(prof["component"])(N.z, N.t)
        outcome.evidence["figures"] = [{
            "title": Prose.of(density, " at ", sp.Eq(N.t, prof["t"] * N.epsilon),
                              f": ensemble average of {num['n_paths']} entwined paths and the "
                              "printed recurrence (", sp.Eq(N.alpha, sp.nsimplify(mc_evidence.ALPHA)),
                              ")"),
            "xlabel": N.z / N.delta, "ylabel": density, "log": False, "marks": True,
            "series": [{"name": "Monte Carlo", "coords": list(zip(prof["z"], prof["monte_carlo"]))},
                       {"name": "recurrence", "coords": list(zip(prof["z"], prof["recurrence"]))},
                       {"name": "recurrence - 2 s.e.", "coords": list(zip(prof["z"], prof["band_low"]))},
                       {"name": "recurrence + 2 s.e.", "coords": list(zip(prof["z"], prof["band_high"]))}]}]
    exact = mc_evidence.exact_against_printed(claim.id, claim.parsed)
    outcome.evidence["exact_process"] = Record(tuple(
        (k, v) for k, v in exact.items() if k != "by_alpha"))
    holds = outcome.verdict == Verdict.HOLDS
    agrees = num["passes"] == holds and exact["passes"] == holds
    gap = exact["max_relative_gap"]
    worst = [r.get("max_z") for r in num.get("by_alpha", {}).values()]
    if not num.get("by_alpha") or any(z is None for z in worst):
        tail = ("; the printed form is not a one-step recurrence the process (sampled or exact) "
                "can be iterated against")
    else:
        tail = (f"; exact expected densities of the process: largest relative gap {gap:.1e} "
                f"(bound {mc_evidence.EXACT_BOUND:.0e})"
                f"; Monte Carlo of the path process at alpha = "
                f"{', '.join(num.get('by_alpha', {}))}: largest standard score "
                f"{num.get('max_z', float('nan')):.2f} (threshold {num.get('threshold', float('nan')):.2f})")
    if agrees:
        outcome.detail += tail
    else:
        outcome.verdict = Verdict.UNPROVEN
        outcome.detail = "the rules and the sampled process disagree" + tail
    return outcome


@checks("1", numeric=True, kernels=True)
def check_left(claim, ctx):
    return with_monte_carlo(compare_recurrences(claim, model.LEFT), claim, ctx)


@checks("2", numeric=True, kernels=True)
def check_right(claim, ctx):
    return with_monte_carlo(compare_recurrences(claim, model.RIGHT), claim, ctx)


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


@checks("1-2.corner-probability", kernels=True)
def check_corner_probability(claim, ctx):
    """Turn rates along the sampled envelopes, by direction of motion (left- and right-hand)."""
    if ctx.numerics:
        stats = mc_evidence.corner_statistics(ctx)
        scaling = mc_evidence.error_scaling(ctx)
        worst = max(abs(v["standard_score"]) for v in stats.values())
        exact = mc_evidence.exact_corner_check()
        ok = worst < 4.0 and scaling["passes"] and exact["passes"]
        rates = Table(("envelope and direction", "corners", "opportunities", "rate",
                       "standard score"),
                      tuple((k, v["turns"], v["opportunities"], v["rate"], v["standard_score"])
                            for k, v in stats.items()))
        return from_residual(
            ok, holds=f"on both envelopes both corner hands occur at rate alpha = {mc_evidence.ALPHA} "
                      f"(largest standard score {worst:.2f}); the ensemble error shrinks as "
                      f"N^-{scaling['fitted_slope']:.2f}; exactly, the process's expected "
                      f"densities equal those of a walk turning with probability alpha at every "
                      f"corner, both hands (difference 0 in rational arithmetic over "
                      f"{mc_evidence.EXACT_LEVELS} levels)",
            fails=f"corner rates differ from alpha (largest standard score {worst:.2f}) or the "
                  f"ensemble error does not shrink as N^-1/2",
            evidence={"corner_rates": rates, "error_vs_paths": scaling,
                      "exact process against the walk": Record(tuple(
                          (k, v) for k, v in exact.items() if k != "by_alpha")),
                      "figures": [Figure("RMS deviation of the ensemble average from (1) against "
                                         "the number of paths", "paths N", "RMS deviation",
                                         (Series("Monte Carlo", tuple(map(float, scaling["n_paths"])),
                                                 tuple(scaling["error"])),),
                                         log=True, marks=True, reference_slope=-0.5)]})
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
