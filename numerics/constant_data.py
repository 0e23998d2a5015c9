"""The Kac lattice (16) for constant data, where one step is a 2x2 matrix: phi'(T) exactly in
floating point, the reference the constant-data claims (19)-(20) are measured against."""
from __future__ import annotations

import numpy as np
from entwined.numerics.usage import counted


@counted
def lattice_constant_data(a: float, T: float, eps: float):
    """Iterate the recurrence (16) for constant data exactly in floating point: phi'(T)."""
    step = np.array([[1 - a * eps, -a * eps], [a * eps, 1 - a * eps]])
    return np.linalg.matrix_power(step, int(round(T / eps))) @ np.array([1.0, 0.0])
