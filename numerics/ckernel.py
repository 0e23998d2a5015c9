"""Former home of the run-time-compiled C loop, now only the two names other layers still use.

The C source, its build with the system compiler and the silent NumPy fallback are gone: the
lattice loop is the numba kernel of numerics/jit.py (a hard dependency).  `status()` (read by
entwined/run/provenance.py) and `run()` / `CHUNK_WORK` (used by tests/test_outputs.py) forward
to it so those callers keep working until they import entwined.numerics.jit / engines directly;
then this file can be deleted.
"""
from __future__ import annotations

import numpy as np

from entwined.numerics import engines, jit

CHUNK_WORK = engines.CHUNK_WORK      # site-updates per compiled call (the Ctrl-C latency)


def status() -> str:
    return "compiled " + jit.status()


def run(u: np.ndarray, alpha: np.ndarray, signs: tuple[int, int], steps: int, periodic: bool,
        scale: float) -> np.ndarray:
    """Iterate on a copy of u by the compiled kernel, in calls of about CHUNK_WORK
    site-updates (read at call time, so it can be changed; the bits do not depend on it)."""
    return engines.compiled_run(u, alpha, signs, steps, periodic, scale, chunk_work=CHUNK_WORK)
