"""The lattice model's rules as data, shared by the derivations and the numerics.

The rules (section "Entwined pairs: a classical stochastic model", Figs. 2-3): a density moving
in -z (entering from the +z side) sits at z + delta one step earlier, one moving in +z at
z - delta.  It continues with probability beta or turns with probability alpha.  A turn from +z
to -z is a left-hand corner, the opposite turn a right-hand corner.  The left envelope changes
colour (charge sign) at its left-hand corners, the right envelope at its right-hand corners.

These rules live in the core so that `derive` (which turns them into operators and series) and
`numerics` (which iterates them) read one definition and never each other.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from entwined.core import notation as N

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


def scattering_signs(env: Envelope) -> tuple[int, int]:
    """(sign of the scattering into component 0, sign into component 1) from the table."""
    out = {}
    for target, source, offset, wt, sign in transition_table(env):
        if target != source:
            out[env.components.index(target)] = sign
    return out[0], out[1]


def reversal_probability(v, eps):
    """Canonical ensemble: energy +v*eps to continue, -v*eps to reverse, Boltzmann weight exp(-E)."""
    w_reverse, w_continue = sp.exp(v * eps), sp.exp(-v * eps)
    return w_reverse / (w_reverse + w_continue)
