"""Checks of (4)-(8): the printed operator form of (1), the canonical-ensemble probabilities and
the Taylor expansions of the shift operators, each held against the model's exact expression."""
from __future__ import annotations

import sympy as sp

from entwined.derive import model
from entwined.derive.calculus import latex, weighted_series
from entwined.derive.compare import jets_of, vector_fields
from entwined.derive.diffusive.expansions import (alpha_series, exact_shifts, model_alpha,
                                                  model_alpha_tanh, reversal_shape)
from entwined.core import notation as N
from entwined.checks.compare import compare_to_order
from entwined.checks.registry import checks
from entwined.core.verdicts import Outcome, Step, Verdict, from_residual


@checks("4")
def check_matrix_form(claim, ctx):
    """Apply the printed operator matrix exactly and compare with the table's recurrences (1)."""
    derived = model.recurrences(model.LEFT)
    (lhs, rhs), = claim.parsed
    try:
        left = [exact_shifts(c) for c in lhs]
        right = [exact_shifts(c) for c in rhs]
    except (ValueError, TypeError) as err:
        return Outcome(Verdict.FAILS, f"printed form is not a shift-operator system: {err}")
    targets = [sp.Function(n)(N.z, N.t + N.epsilon) for n in model.LEFT.components]
    res_lhs = [sp.expand(l - t) for l, t in zip(left, targets)]
    res_rhs = [sp.expand(r - derived[n]) for r, n in zip(right, model.LEFT.components)]
    ok = len(left) == 2 and all(r == 0 for r in res_lhs + res_rhs)
    M = model.operator_matrix(model.LEFT)
    return from_residual(
        ok, holds="the printed matrix applied to Phi' reproduces the recurrences (1) exactly",
        fails="the printed matrix does not reproduce the recurrences (1)",
        correction=f"Et*Phi' = {M}*Phi'", correction_math=M, correction_latex=f"E_t \\Phi' = {latex(M)}\\,\\Phi'",
        evidence={"residual_lhs": list(res_lhs),
                  "residual_rhs": list(res_rhs)},
        steps=[Step("operator matrix from the transition table", latex(M))])


@checks("5")
def check_canonical_probability(claim, ctx):
    alpha = model_alpha()
    residuals = []
    for lhs, rhs in claim.parsed:
        target = {N.alpha: alpha, N.beta: 1 - alpha}.get(lhs)
        if target is None:
            residuals.append(f"unexpected left-hand side {lhs}")
            continue
        residuals.append(sp.simplify(rhs.xreplace({N.alpha: alpha}) - target))
    ok = all(r == 0 for r in residuals) and len(residuals) == 2
    return from_residual(
        ok, holds="Boltzmann weights exp(-E) with E = +v eps (continue), -v eps (reverse)",
        fails="printed probabilities are not the canonical-ensemble ones",
        correction=f"alpha = {alpha}; beta = 1 - alpha",
        correction_math=sp.Eq(N.alpha, alpha),
        correction_latex=f"\\alpha = {latex(alpha)},\\ \\beta = 1 - \\alpha",
        evidence={"residuals": list(residuals)},
        steps=[Step("reversal probability from the ensemble", f"\\alpha = {latex(alpha)} = "
                    f"{latex(model_alpha_tanh())}")])


@checks("5.reversals-favoured")
def check_reversals_favoured(claim, ctx):
    slope, increasing, lim_hi, lim_lo = reversal_shape()
    ok = increasing and lim_hi == 1 and lim_lo == 0
    return from_residual(
        ok, holds="alpha(v eps) increases monotonically from 0 (v -> -oo) to 1 (v -> +oo)",
        fails="alpha is not increasing in v with the printed ensemble",
        evidence={"d alpha / dx, x = v epsilon": slope, "increasing": increasing,
                  "alpha as x -> +oo": lim_hi, "alpha as x -> -oo": lim_lo},
        steps=[Step("slope of the reversal probability in x = v eps",
                    f"\\frac{{d\\alpha}}{{dx}} = {latex(slope)} > 0")])


@checks("6")
def check_probability_expansion(claim, ctx):
    weights = {N.epsilon: 1}
    order = 4
    derived_alpha = alpha_series(weights, order)
    model_of = {N.alpha: derived_alpha, N.beta: sp.expand(1 - derived_alpha)}
    printed = [weighted_series(r, weights, order) for _, r in claim.parsed]
    derived = [model_of.get(l, sp.nan) for l, _ in claim.parsed]
    return compare_to_order(claim, printed, derived, weights, what="expansion of (5)",
                            extra={"model_series_alpha": derived_alpha},
                            steps=[Step("series of the exact alpha", f"\\alpha = "
                                        f"{latex(derived_alpha)} + O(\\varepsilon^{{5}})")])


def _shift_check(claim, op_exact, weights):
    f = vector_fields(["phip1"])
    order = 4
    printed, derived, steps = [], [], []
    for lhs, rhs in claim.parsed:
        if lhs not in op_exact:
            return Outcome(Verdict.FAILS, f"left-hand side {lhs} is not one of "
                           + ", ".join(map(str, op_exact)))
        printed += jets_of(rhs, f, weights, order)
        derived += jets_of(lhs, f, weights, order)   # the operator itself, as its exact jet
        steps.append(Step(f"exact action of {lhs} (Taylor's theorem)",
                          f"{latex(lhs)}\\,\\phi'_1 = {latex(derived[-1])} + \\dots"))
    return compare_to_order(claim, printed, derived, weights, what="the truncated series",
                            steps=steps)


@checks("7")
def check_space_shifts(claim, ctx):
    return _shift_check(claim, (N.Ep, N.Em), {N.delta: 1})


@checks("8")
def check_time_shift(claim, ctx):
    return _shift_check(claim, (N.Et,), {N.epsilon: 1})
