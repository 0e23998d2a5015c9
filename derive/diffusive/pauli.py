"""The one-step operator behind (9)-(11) and the normalisation between (11) and (12): its series
in the Pauli basis, its leading finite rotation, and the growth factor the normalisation removes."""
from __future__ import annotations

import sympy as sp

from functools import lru_cache

from entwined.derive import model
from entwined.derive.calculus import DIFFUSIVE
from entwined.derive.diffusive.expansions import alpha_series
from entwined.core import notation as N


def model_one_step_series(order):
    """The same with alpha replaced by its series to the given weight (a scalar series: cheap)."""
    alpha = alpha_series(DIFFUSIVE, order)
    return model.operator_matrix(model.LEFT).xreplace({N.alpha: alpha, N.beta: 1 - alpha})


def leading_rotation(env=model.LEFT) -> sp.Matrix:
    """The delta- and epsilon-independent part of one step: alpha = beta = 1/2, no shift."""
    half = sp.Rational(1, 2)
    return model.operator_matrix(env, half, half).xreplace({N.Ep: 1, N.Em: 1})


@lru_cache(maxsize=None)
def step_growth(env=model.LEFT):
    """Modulus of the leading one-step eigenvalues; its inverse is the per-step normaliser."""
    moduli = {sp.simplify(sp.Abs(lam)) for lam in leading_rotation(env).eigenvals()}
    (rho,) = moduli
    return rho


