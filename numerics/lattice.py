"""The lattice model applied to smooth data: the exact map the continuum forms must reproduce."""
from __future__ import annotations

import functools

import numpy as np
import sympy as sp

from entwined.core import rules as model
from entwined.core import notation as N
from entwined.numerics.usage import counted
from entwined.numerics.kernels import lambdify


@functools.lru_cache(maxsize=256)
def probabilities(potential, eps):
    """alpha(z), beta(z) of the canonical ensemble (5) for a concrete potential, as numpy callables.
    Cached by (potential, eps): the studies ask for the same few pairs many times."""
    a = lambdify(N.z, model.reversal_probability(potential, eps), "numpy")
    return (lambda zz: np.broadcast_to(a(zz), np.shape(zz)),
            lambda zz: 1 - np.broadcast_to(a(zz), np.shape(zz)))


@counted
def one_step_on_functions(env, fields_np, alpha_fn, beta_fn, zz, delta):
    """One step of the table's recurrence evaluated at points zz, fields given as callables."""
    index = {n: i for i, n in enumerate(env.components)}
    out = np.zeros((2, len(zz)))
    for target, source, offset, wt, sign in model.transition_table(env):
        w = alpha_fn(zz) if wt == N.alpha else beta_fn(zz)
        out[index[target]] += sign * w * fields_np[index[source]](zz + offset * delta)
    return out
