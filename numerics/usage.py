"""A tally of lattice and Monte Carlo work, so a test can assert that `--no-numerics` really runs
none (a flag that silently still computes is a flag that lies)."""
from __future__ import annotations

from collections import Counter
from functools import wraps

CALLS: Counter = Counter()


def counted(fn):
    """Count each call of a lattice, Monte Carlo or study entry point under its name."""
    @wraps(fn)
    def wrapper(*args, **kwargs):
        CALLS[fn.__qualname__] += 1
        return fn(*args, **kwargs)
    return wrapper
