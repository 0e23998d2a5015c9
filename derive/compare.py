"""Shared comparison of a printed formula with a derived one, returning structured evidence."""
from __future__ import annotations

import sympy as sp

from derive.calculus import (apply_operators, as_vector, latex, lowest_weight, truncate,
                             weighted_series)
from entwined import notation as N
from entwined.verdicts import Outcome, from_residual


def vector_fields(names):
    return sp.Matrix([sp.Function(n)(N.z, N.t) for n in names])


def jets_of(side, operand, weights, order):
    """A printed side (operator, matrix or plain expression) as weighted jets, one per component."""
    if side.has(*(N.Ep, N.Em, N.Et, N.Dz, N.Dt)) or isinstance(side, sp.MatrixBase):
        if isinstance(side, sp.MatrixBase) and side.shape == (2, 2):
            side = side * operand
        elif not isinstance(side, sp.MatrixBase) and operand.shape[0] == 1:
            side = side * operand[0]
    if all(c.is_polynomial(*weights) for c in as_vector(side)):   # no series needed: truncate
        return [truncate(apply_operators(c, order), weights, order) for c in as_vector(side)]
    return [weighted_series(apply_operators(c, order), weights, order) for c in as_vector(side)]


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
    evidence = {"printed_order": order, "weights": {str(k): v for k, v in weights.items()},
                "residual_below_printed_order": [str(b) for b in below],
                "leading_residual_weight": min(finite) if finite else None,
                **(extra or {})}
    detail_ok = (f"{what} agrees through weight {order - 1}; first difference at weight "
                 f"{evidence['leading_residual_weight']}" if finite else
                 f"{what} agrees exactly at the truncation used")
    if not ok and correction_latex is None:
        correction_latex = r",\quad ".join(latex(d) for d in derived if d != 0)
        correction = "; ".join(str(d) for d in derived)
    return from_residual(ok, holds=detail_ok,
                         fails=f"{what} differs below the printed order: "
                         + "; ".join(str(b) for b in below if b != 0)[:200],
                         correction=correction, correction_latex=correction_latex,
                         evidence=evidence, steps=list(steps))


def claim_order(claim, weights) -> int:
    """The printed remainder O(order) as a weight; no printed order means an exact identity."""
    if claim.order_expr is None:
        return 10**6
    return lowest_weight(claim.order_expr, weights)


def missing(claim_id) -> Outcome:
    from entwined.verdicts import Verdict
    return Outcome(Verdict.UNPROVEN, f"claim ({claim_id}) is missing from the claims file, "
                   "so this comparison could not be made")
