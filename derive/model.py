"""The lattice model itself, from the paper's rules, independent of any printed equation.

The rules (section "Entwined pairs: a classical stochastic model", Figs. 2-3): a density moving
in -z (entering from the +z side) sits at z + delta one step earlier, one moving in +z at
z - delta.  It continues with probability beta or turns with probability alpha.  A turn from +z
to -z is a left-hand corner, the opposite turn a right-hand corner.  The left envelope changes
colour (charge sign) at its left-hand corners, the right envelope at its right-hand corners.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import sympy as sp

from entwined import notation as N

MINUS_Z, PLUS_Z = -1, +1          # direction of motion of a density component
SOURCE_OFFSET = {MINUS_Z: +1, PLUS_Z: -1}   # a -z mover came from z + delta, a +z mover from z - delta


@dataclass(frozen=True)
class Envelope:
    name: str
    components: tuple[str, str]   # (moving in -z, moving in +z), as in the paper's numbering
    sign_changing_corner: str     # "left" or "right"


LEFT = Envelope("left", ("phip1", "phip2"), "left")
RIGHT = Envelope("right", ("phip3", "phip4"), "right")


def corner_handedness(before: int, after: int) -> str:
    """+z -> -z is a left turn in the (z horizontal, t up) plane; -z -> +z a right turn."""
    return "left" if (before, after) == (PLUS_Z, MINUS_Z) else "right"


def transition_table(env: Envelope):
    """Rows (target, source, source offset in units of delta, weight, sign) of one time step."""
    rows = []
    directions = (MINUS_Z, PLUS_Z)
    for after, target in zip(directions, env.components):
        for before, source in zip(directions, env.components):
            if before == after:
                rows.append((target, source, SOURCE_OFFSET[before], N.beta, +1))
            else:
                sign = -1 if corner_handedness(before, after) == env.sign_changing_corner else +1
                rows.append((target, source, SOURCE_OFFSET[before], N.alpha, sign))
    return rows


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


def reversal_probability(v, eps):
    """Canonical ensemble: energy +v*eps to continue, -v*eps to reverse, Boltzmann weight exp(-E)."""
    w_reverse, w_continue = sp.exp(v * eps), sp.exp(-v * eps)
    return w_reverse / (w_reverse + w_continue)


@lru_cache(maxsize=None)
def alpha_taylor(n: int) -> tuple:
    """Taylor coefficients of alpha(x), x = v eps, by repeated differentiation (sp.series of the
    exponential form costs half a second; this costs milliseconds)."""
    x = sp.Symbol("x")
    expr, out = reversal_probability(x, 1), []
    for k in range(n):
        out.append(sp.Rational(expr.subs(x, 0)) / sp.factorial(k))
        expr = sp.diff(expr, x)
    return tuple(out)
