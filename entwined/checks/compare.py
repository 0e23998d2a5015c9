"""What every check shares: a printed formula compared with a derived one to the printed order,
and the rule by which lattice evidence confirms or withholds a symbolic verdict."""
from __future__ import annotations

import sympy as sp

from entwined.derive.calculus import latex, lowest_weight, text, truncate
from entwined.derive.diffusive.eight_step import printed_generator
from entwined.core.evidence import DerivationStep, Prose, RefinementStudy, StepStatus, as_evidence
from entwined.core.verdicts import Outcome, Verdict, from_residual


def combine_numeric(outcome: Outcome, num) -> Outcome:
    """A symbolic verdict stands only if the lattice agrees with it: the printed form must
    converge at its order exactly when it holds, and a stated correction must converge.
    `num` is the refinement study (typed here if a numeric module returned plain data); it is
    stored as the claim's `numeric` evidence."""
    num = as_evidence(num)
    if not isinstance(num, RefinementStudy):
        raise TypeError(f"lattice evidence must be a refinement study, not {type(num).__name__}")
    outcome.evidence["numeric"] = num
    agrees = num.passes == (outcome.verdict == Verdict.HOLDS)
    if outcome.verdict == Verdict.CORRECTED and num.derived is not None:
        agrees = agrees and num.derived.passes
    order = num.last_order
    predicted = "n/a" if num.predicted_order is None else f"{num.predicted_order:g}"
    observed = "n/a" if order is None else f"{order:.2f}"
    tail = f"; lattice check: observed order {observed} vs printed {predicted}"
    if agrees:
        outcome.detail += tail
        return outcome
    outcome.verdict = Verdict.UNPROVEN
    outcome.detail = "symbolic and lattice checks disagree" + tail
    return outcome


def compare_to_order(claim, printed, derived, weights, *, what: str, extra=None,
                     steps=(), correction_latex=None, correction=None):
    """printed/derived: lists of component expressions (already jets).  Holds when every term of
    weight below the printed order cancels; the true leading order of the difference is evidence."""
    order = claim_order(claim, weights)
    residuals = [sp.expand(p - d) for p, d in zip(printed, derived)]
    below = [truncate(r, weights, order - 1) for r in residuals]
    ok = len(printed) == len(derived) and all(b == 0 for b in below)
    leading = [lowest_weight(r, weights) for r in residuals]
    finite = [w for w in leading if w is not None]
    # the leading term itself: the part of each residual at the lowest weight that occurs
    lead_w = min(finite) if finite else None
    lead_terms = [sp.expand(truncate(r, weights, lead_w) - truncate(r, weights, lead_w - 1))
                  if lead_w is not None else sp.S.Zero for r in residuals]
    evidence = {"printed_order": order, "weights": {str(k): v for k, v in weights.items()},
                "residual_below_printed_order": list(below),
                "leading_residual_weight": lead_w,
                "leading_residual_term": lead_terms,
                **(extra or {})}
    detail_ok = (f"{what} agrees through weight {order - 1}; first difference at weight "
                 f"{evidence['leading_residual_weight']}" if finite else
                 f"{what} agrees exactly at the truncation used")
    if not ok and correction_latex is None:
        correction_latex = r",\quad ".join(latex(d) for d in derived if d != 0)
        correction = "; ".join(text(d) for d in derived)
    return from_residual(ok, holds=detail_ok,
                         fails=Prose.of(f"{what} differs below the printed order: ",
                                        *[b for b in below if b != 0][:4]),
                         correction=correction, correction_latex=correction_latex,
                         correction_math=list(derived),
                         evidence=evidence, steps=list(steps))


def claim_order(claim, weights) -> int:
    """The printed remainder O(order) as a weight; no printed order means an exact identity."""
    if claim.order_expr is None:
        return 10**6
    return lowest_weight(claim.order_expr, weights)


def printed_premise_system(ctx, cid: str):
    """{field: d/dt field} of a printed premise, or None when it is missing or not a first-order
    system in t.  A step is judged against what its premise says, not against the model: where
    the premise itself is wrong, the chain status says so."""
    premise = ctx.claims.get(cid)
    return printed_generator(premise) if premise is not None else None


def missing(claim_id) -> Outcome:
    return Outcome(Verdict.UNPROVEN, f"claim ({claim_id}) is missing from the claims file, "
                   "so this comparison could not be made")


def listed(items, separator=", ") -> list:
    """Prose parts for several formulas, separated (Prose.of(*listed(eqs)))."""
    out = []
    for i, item in enumerate(items):
        if i:
            out.append(separator)
        out.append(item)
    return out


def derived_step(*parts, formula=None, uses=(), check="") -> DerivationStep:
    """A statement computed from the model (not compared with anything): proved symbolically by
    the computation named in `check`."""
    return DerivationStep(Prose.of(*parts), formula=formula, status=StepStatus.PROVED,
                          check=check, uses=tuple(uses))


def compared_step(*parts, residual, formula=None, uses=(), check="") -> DerivationStep:
    """A statement that holds when `residual` (an expression, a list or a matrix) vanishes:
    proved if it is exactly zero, does not hold if it is not, unchecked if it is None."""
    if residual is None:
        status = StepStatus.UNCHECKED
    else:
        values = list(residual) if isinstance(residual, (list, tuple, sp.MatrixBase)) else [residual]
        status = StepStatus.PROVED if all(sp.expand(v) == 0 for v in values) else StepStatus.FAILED
    if formula is None and residual is not None:
        formula = list(residual) if isinstance(residual, (list, tuple, sp.MatrixBase)) else residual
    return DerivationStep(Prose.of(*parts), formula=formula, status=status, check=check,
                          residual=residual, uses=tuple(uses))
