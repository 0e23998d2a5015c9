"""Which function checks which claim id.  A claim with no check is reported `unproven`."""
from __future__ import annotations

import importlib
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Callable

from entwined.core.claims import Claim
from entwined.core.memo import once
from entwined.core.verdicts import Outcome

CHECKS: dict[str, Callable[[Claim, "Context"], Outcome]] = {}
MODULES = (
    "entwined.checks.stochastic.recurrences",
    "entwined.checks.stochastic.potential",
    "entwined.checks.diffusive.expansions",
    "entwined.checks.diffusive.pauli",
    "entwined.checks.diffusive.eight_step",
    "entwined.checks.diffusive.prose",
    "entwined.checks.kac.first_order",
    "entwined.checks.kac.dirac",
    "entwined.checks.kac.limits",
)


@dataclass
class Context:
    """What a check may use besides its own claim: the other printed claims and shared results."""

    claims: dict[str, Claim]
    numerics: bool = True
    quick: bool = False
    _memo: dict[str, Future] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def memo(self, key: str, compute: Callable[[], Any]):
        """compute() once per run and key, by whichever thread asks first (a check, or the
        background thread of `prefetches`); a second asker waits.  A failure is not kept: it
        reaches the asker, and the next asker computes again."""
        return once(self._memo, self._lock, key, compute)


NUMERIC: set[str] = set()      # claims whose check holds the printed form against lattice numbers
KERNELS: set[str] = set()      # claims whose check runs a compiled (numba) kernel itself


def checks(*ids: str, numeric: bool = False, kernels: bool = False):
    """Register a check for claim ids; `numeric` declares that it also evaluates the printed
    form on the lattice (mutation testing then asks whether the numbers alone notice a mutant);
    `kernels` that, with numerics on, it runs a compiled kernel (the lattice engine or the
    Monte Carlo): verify checks those claims in the process that loads numba, so that a forked
    worker never has to import numba or load (or, after an install, compile) the kernels.
    A test holds the mark to what the checks do."""
    def register(fn):
        for cid in ids:
            if cid in CHECKS:
                raise RuntimeError(f"two checks registered for claim {cid}")
            CHECKS[cid] = fn
            if numeric:
                NUMERIC.add(cid)
            if kernels:
                KERNELS.add(cid)
        return fn
    return register


PREFETCH: list = []            # (claim ids, fn(ctx)): claim-independent numerics worth starting early


def prefetches(*ids: str):
    """Register fn(ctx), which computes (and memoises, thread-safely) numerics that the checks
    of these claims will ask for and that depend on no printed claim.  A run with numerics may
    start it in a background thread and check these claims last; results are unchanged."""
    def register(fn):
        PREFETCH.append((frozenset(ids), fn))
        return fn
    return register


def kernel_ids() -> frozenset[str]:
    load_all()
    return frozenset(KERNELS)


def numeric_ids() -> tuple[str, ...]:
    load_all()
    return tuple(sorted(NUMERIC))


def load_all() -> dict:
    for name in MODULES:
        importlib.import_module(name)
    return CHECKS
