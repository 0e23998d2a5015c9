"""The lattice model as operators: the rules of `entwined.core.rules` turned into recurrences, a
matrix of shift operators and the Taylor coefficients of the canonical-ensemble alpha, all
independent of any printed equation."""
from __future__ import annotations

from entwined.core.store import persistent

import sympy as sp

from entwined.core import notation as N

from entwined.core.rules import (LEFT, MINUS_Z, PLUS_Z, RIGHT, SOURCE_OFFSET, Envelope,  # noqa: F401
                            corner_handedness, reversal_probability, transition_table)


def recurrences(env: Envelope, alpha=N.alpha, beta=N.beta):
    """{target: right-hand side} of phi'_target(z, t + epsilon), built from the table."""
    out = {}
    for target, source, offset, wt, sign in transition_table(env):
        w = alpha if wt == N.alpha else beta
        term = sign * w * sp.Function(source)(N.z + offset * N.delta, N.t)
        out[target] = out.get(target, 0) + term
    return out


def operator_matrix(env: Envelope, alpha=N.alpha, beta=N.beta) -> sp.Matrix:
    """The same step as a matrix of shift operators (coefficients evaluated at the target site)."""
    shift = {+1: N.Ep, -1: N.Em}
    index = {name: i for i, name in enumerate(env.components)}
    M = sp.zeros(2, 2)
    for target, source, offset, wt, sign in transition_table(env):
        w = alpha if wt == N.alpha else beta
        M[index[target], index[source]] += sign * w * shift[offset]
    return M


@persistent
def alpha_taylor(n: int) -> tuple:
    """Taylor coefficients of alpha(x), x = v eps, by repeated differentiation (sp.series of the
    exponential form costs half a second; this costs milliseconds)."""
    x = sp.Symbol("x")
    expr, out = reversal_probability(x, 1), []
    for k in range(n):
        out.append(sp.Rational(expr.subs(x, 0)) / sp.factorial(k))
        expr = sp.diff(expr, x)
    return tuple(out)
