"""Printed and derived formulas brought to one canonical form (weighted Taylor jets), so that
the checks can compare them term by term."""
from __future__ import annotations

import sympy as sp

from entwined.derive.calculus import apply_operators, as_vector, truncate, weighted_series
from entwined.core import notation as N
from entwined.core.memo import memoised


def vector_fields(names):
    return sp.Matrix([sp.Function(n)(N.z, N.t) for n in names])


def jets_of(side, operand, weights, order):
    """A printed side (operator, matrix or plain expression) as weighted jets, one per component.
    Built once per (side, operand, weights, order): a fresh list each call."""
    return list(_jets_of(side, operand, weights, order))


@memoised
def _jets_of(side, operand, weights, order):
    if side.has(*(N.Ep, N.Em, N.Et, N.Dz, N.Dt)) or isinstance(side, sp.MatrixBase):
        if isinstance(side, sp.MatrixBase) and side.shape == (2, 2):
            side = side * operand
        elif not isinstance(side, sp.MatrixBase) and operand.shape[0] == 1:
            side = side * operand[0]
    if all(c.is_polynomial(*weights) for c in as_vector(side)):   # no series needed: truncate
        return tuple(truncate(apply_operators(c, order), weights, order) for c in as_vector(side))
    return tuple(weighted_series(apply_operators(c, order), weights, order) for c in as_vector(side))


