"""The product of the two envelopes' complex forms, summed over the lattice, from one source.

The prose after (14) says that psi_L = phi_2 + i phi_1 and psi_R = phi_4 + i phi_3 multiply to
a density whose integral is a time-independent positive constant.  Conservation is a property
of the dynamics; the value, and whether it is positive, is a property of the data.  Here the data
are the process's own: both envelopes start at one site with the charges the process gives them
(passed in by the caller), and each is iterated with its own recurrence, (1) or (2), normalised
by (sqrt 2)^(t/epsilon) as in (12).  Returned: sum_z psi_L psi_R after every block of eight
steps, as complex numbers, with and without a potential.
"""
from __future__ import annotations

import numpy as np

from entwined.core import rules
from entwined.numerics.engines import Lattice, step_normaliser
from entwined.numerics.usage import counted


@counted
def product_history(source: dict, alpha_sites: np.ndarray, blocks: int) -> np.ndarray:
    """sum_z (phi_2 + i phi_1)(phi_4 + i phi_3) at t = 0, 8, ..., 8 blocks steps.

    source: {"phip1": value, ...} at the middle site of alpha_sites (a point source; the sites
    must be wide enough that nothing reaches an edge: 2 * 8 * blocks + 1 at least)."""
    width = alpha_sites.size
    if width < 16 * blocks + 1:
        raise ValueError(f"{width} sites are too few for {8 * blocks} steps from the middle")
    mid = width // 2
    left = np.zeros((2, width))
    right = np.zeros((2, width))
    for name, value in source.items():
        target = {"phip1": (left, 0), "phip2": (left, 1), "phip3": (right, 0), "phip4": (right, 1)}[name]
        target[0][target[1], mid] = value
    lat_l = Lattice(alpha_sites, env=rules.LEFT, periodic=False)
    lat_r = Lattice(alpha_sites, env=rules.RIGHT, periodic=False)
    scale = step_normaliser(rules.LEFT)
    out = []
    for b in range(blocks + 1):
        psi_l = left[1] + 1j * left[0]
        psi_r = right[1] + 1j * right[0]
        out.append(complex(np.sum(psi_l * psi_r)))
        if b < blocks:
            left = lat_l.run(left, 8, scale=scale)
            right = lat_r.run(right, 8, scale=scale)
    return np.array(out)
