"""Memoisation by structural value, for work a run repeats on the same formulas.

Why: a claim's printed formula comes back for the symbolic and the numeric pass of mutation
testing, for every reading of its print and for every mutant of another claim that leaves it
alone.  SymPy objects are immutable and compare structurally (assumptions included), so a
result built from equal formulas can be shared; mutable containers (Matrix, dict, list) are
keyed by their contents."""
from __future__ import annotations

import functools
import threading
from concurrent.futures import Future

import sympy as sp


def hashable(obj):
    """A hashable stand-in of a value: matrices immutable, dicts and sequences as item tuples."""
    if isinstance(obj, sp.MatrixBase):
        return sp.ImmutableMatrix(obj)
    if isinstance(obj, dict):
        return ("dict", tuple((k, hashable(v)) for k, v in obj.items()))
    if isinstance(obj, (list, tuple)):
        return (type(obj).__name__, tuple(hashable(v) for v in obj))
    return obj


_MISSING = object()
_CACHES: list = []


def clear_all() -> None:
    """Empty every memoised function (benchmarks that time the work itself)."""
    for clear in _CACHES:
        clear()


def memoised(build=None, *, maxsize: int = 512):
    """Cache build(*args, **kwargs) by `hashable` of the arguments (oldest out past maxsize);
    an argument that cannot be hashed is built afresh.  Callers must not mutate a result."""
    if build is None:
        return lambda fn: memoised(fn, maxsize=maxsize)
    cache: dict = {}

    @functools.wraps(build)
    def wrapper(*args, **kwargs):
        key = (tuple(hashable(a) for a in args),
               tuple(sorted((k, hashable(v)) for k, v in kwargs.items())))
        try:
            value = cache.get(key, _MISSING)
        except TypeError:               # an input that cannot be hashed: build it afresh
            return build(*args, **kwargs)
        if value is _MISSING:
            value = cache[key] = build(*args, **kwargs)
            wrapper.misses += 1
            if len(cache) > maxsize:
                del cache[next(iter(cache))]
        else:
            wrapper.hits += 1
        return value
    wrapper.hits = wrapper.misses = 0
    wrapper.cache_clear = cache.clear
    _CACHES.append(cache.clear)
    return wrapper


def once(table: dict, lock: threading.Lock, key, compute):
    """compute() once per key of `table` (key -> Future), by whichever thread asks first; a
    second asker waits for it.  A failure is not kept: it reaches the asker, and the next
    asker computes again.  (verify's background thread and the checks share results so.)"""
    with lock:
        pending = table.get(key)
        mine = pending is None
        if mine:
            pending = table[key] = Future()
    if mine:
        try:
            pending.set_result(compute())
        except BaseException as err:
            with lock:
                table.pop(key, None)
            if not pending.done():     # an interrupt after the result was set
                pending.set_exception(err)
            raise
    return pending.result()
