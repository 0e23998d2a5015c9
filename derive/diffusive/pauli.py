"""The one-step operator behind (9)-(11) and the normalisation between (11) and (12): its series
in the Pauli basis, its leading finite rotation, and the growth factor the normalisation removes."""
from __future__ import annotations

import sympy as sp

from functools import lru_cache

from entwined.derive import model
from entwined.derive.calculus import DIFFUSIVE
from entwined.derive.compare import jets_of, vector_fields
from entwined.derive.diffusive.expansions import alpha_series
from entwined.core import notation as N
from entwined.core.store import persistent


def model_one_step_series(order):
    """The same with alpha replaced by its series to the given weight (a scalar series: cheap)."""
    alpha = alpha_series(DIFFUSIVE, order)
    return model.operator_matrix(model.LEFT).xreplace({N.alpha: alpha, N.beta: 1 - alpha})


@persistent
def model_one_step_jets(order) -> tuple:
    """One exact step of the model applied to (phi'_1, phi'_2), as weighted jets through
    `order`: what (9) and (11) are compared with, the same for every reading and mutant."""
    fields = vector_fields(model.LEFT.components)
    return tuple(jets_of(model_one_step_series(order), fields, DIFFUSIVE, order))


def leading_rotation(env=model.LEFT) -> sp.Matrix:
    """The delta- and epsilon-independent part of one step: alpha = beta = 1/2, no shift."""
    half = sp.Rational(1, 2)
    return model.operator_matrix(env, half, half).xreplace({N.Ep: 1, N.Em: 1})


@persistent
def rotation_eighth_power():
    """I + sigma_ytilde (twice the leading rotation), its eighth power and the factors k with
    (k (I + sigma_ytilde))^8 = I: what the finite rotation of (11) is checked against."""
    k = sp.Symbol("k", positive=True)
    R = leading_rotation() * 2
    power = sp.simplify(R**8)
    ks = tuple(sp.solve(sp.Eq(k**8 * power[0, 0], 1), k))
    return sp.ImmutableMatrix(R), sp.ImmutableMatrix(power), ks       # shared: never mutated


@lru_cache(maxsize=None)
def step_growth(env=model.LEFT):
    """Modulus of the leading one-step eigenvalues; its inverse is the per-step normaliser."""
    moduli = {sp.simplify(sp.Abs(lam)) for lam in leading_rotation(env).eigenvals()}
    (rho,) = moduli
    return rho


