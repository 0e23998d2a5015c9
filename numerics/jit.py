"""Compiled kernels (numba): the lattice step loop and the per-path Monte Carlo of the process.

Why numba: NumPy needs several whole-array passes per lattice step and ~30 per Monte Carlo time
step (241-378 MiB per 50k-path chunk); a compiled loop does one pass, keeps a path in registers
and needs no C compiler at run time.  `cache=True` writes the machine code next to this file's
__pycache__, so the compile (a few seconds) is paid once per install, not once per run.

numba is a hard dependency: without it this module raises at import, with the way out, rather
than silently running a slower path.  The plain NumPy implementations (engines.Lattice.step,
montecarlo.sample_numpy) are the oracles the tests hold these kernels to:
- lattice: bit for bit (same operations in the same order; numba does not contract a*b + c into
  a fused multiply-add unless fastmath is asked for, and it is not);
- Monte Carlo: bit for bit too, because every tally is an integer (a charge of +-1 or a count)
  summed exactly, and the random numbers come from a counter-based generator: uniform(key, path,
  t) depends only on the run's key, the path's global index and the time, never on the order
  in which paths are visited, the chunking or the number of threads.

`CALLS` counts completed calls of each compiled kernel and `compiled(name)` says whether the
numba dispatcher holds machine code for it, so a test can prove the compiled code ran (and was
not, e.g., replaced by the interpreter under NUMBA_DISABLE_JIT).
"""
from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import threading
from collections import Counter

import numpy as np


def _numba_missing() -> bool:
    try:
        return importlib.util.find_spec("numba") is None
    except (ValueError, ImportError):       # a broken or blocked entry in sys.modules
        return True


NO_NUMBA = ("entwined needs numba for its lattice and Monte Carlo kernels (pip install "
            "'numba>=0.60'); it is listed in the package dependencies")
if _numba_missing():                # a hard dependency: say so at import, no silent fallback
    raise ImportError(NO_NUMBA)

# numba itself is imported on the first kernel call, not here: `import numba` costs ~0.4-0.7 s,
# which every command (--no-numerics, --help, the report) would otherwise pay at start-up, and
# a Ctrl-C in that window would land before the CLI can handle it.  Until then each kernel
# name is bound to a _Pending stand-in; _load() replaces them all with numba dispatchers (in
# definition order, so a kernel calling another finds the dispatcher when it is compiled).
_PENDING: dict = {}
_NUMBA = None
_LOADING = threading.Lock()


class _Pending:
    """A kernel not compiled yet: the first call loads numba, then forwards to the dispatcher."""

    def __init__(self, fn, options):
        self.py_func, self.options = fn, options

    def __call__(self, *args):
        _load()
        return globals()[self.py_func.__name__](*args)


def _kernel(**options):
    def register(fn):
        stand_in = _Pending(fn, dict(options, cache=True))
        _PENDING[fn.__name__] = stand_in
        return stand_in
    return register


def _load():
    """Import numba and bind every kernel name to its dispatcher (once, whichever thread calls
    first: `verify` samples the Monte Carlo in a background thread while the main thread may
    reach a lattice kernel)."""
    with _LOADING:
        return _load_once()


def _load_once():
    global _NUMBA
    if _NUMBA is not None:
        return _NUMBA
    try:
        # deferred on purpose (see above); importlib rather than an import statement because
        # the layering rule (tests/test_layers.py) keeps import statements at module level for
        # our own modules: numba is external and outside the layer contract
        numba = importlib.import_module("numba")
    except ImportError as err:
        raise ImportError(NO_NUMBA) from err
    for name, stand_in in _PENDING.items():
        globals()[name] = numba.njit(**stand_in.options)(stand_in.py_func)
    _NUMBA = numba
    return numba


CALLS: Counter = Counter()

# SplitMix64 (Steele, Lea & Flood 2014): the state advances by GAMMA, the output is a bijective
# mix of the state.  A path's stream is the segment starting at key + path * 2^32 * GAMMA, so
# paths never share a draw while t < 2^32.
GAMMA = np.uint64(0x9E3779B97F4A7C15)
MIX1 = np.uint64(0xBF58476D1CE4E5B9)
MIX2 = np.uint64(0x94D049BB133111EB)
PATH_STRIDE = np.uint64(1 << 32)
TO_UNIT = 2.0 ** -53


# ---------------------------------------------------------------- lattice -------------------

@_kernel(inline="always")
def _site(u0, u1, j, al, x0, x1, s0, s1, scale, use_scale):
    """The recurrence at site j from its incoming values x0 (from j + 1) and x1 (from j - 1)."""
    be = 1.0 - al
    n0 = be * x0 + (s0 * al) * x1
    n1 = be * x1 + (s1 * al) * x0
    if use_scale:
        n0 *= scale
        n1 *= scale
    u0[j] = n0
    u1[j] = n1


@_kernel(inline="always")
def _sweep(u0, u1, a, lo, hi, left1, right0, s0, s1, scale, use_scale):
    """One step in place on sites lo..hi-1 of (u0, u1).  left1 is u1 at lo - 1 and right0 is u0
    at hi before the step (the caller supplies boundary or halo values).  Ascending j: the old
    u0[j + 1] is still in the array, the old u1[j - 1] is carried in a register; the last site
    takes right0 instead of u0[hi]."""
    prev1 = left1
    for j in range(lo, hi - 1):
        x1 = prev1
        prev1 = u1[j]
        _site(u0, u1, j, a[j], u0[j + 1], x1, s0, s1, scale, use_scale)
    _site(u0, u1, hi - 1, a[hi - 1], right0, prev1, s0, s1, scale, use_scale)


@_kernel()
def lattice_inplace(u0, u1, a, s0, s1, scale, periodic, steps):
    """`steps` steps of the recurrence in place (the whole lattice per pass: for lattices that
    sit in cache)."""
    n = u0.shape[0]
    use_scale = scale != 1.0
    for _ in range(steps):
        left1 = u1[n - 1] if periodic else 0.0
        right0 = u0[0] if periodic else 0.0
        _sweep(u0, u1, a, 0, n, left1, right0, s0, s1, scale, use_scale)


@_kernel()
def lattice_blocked(u0, u1, a, s0, s1, scale, periodic, steps, depth, tile):
    """`steps` steps with temporal blocking, in place: tiles of `tile` sites are copied with a
    halo of `depth` sites each side into a small buffer, advanced `depth` steps there (the valid
    region shrinks by one site per side per step) and written back, so memory is crossed once
    per `depth` steps instead of once per step.  The halo a tile needs on its left was
    overwritten by the previous tile; it is saved before the write-back.  The arithmetic of
    every site is the same as lattice_inplace's, so the bits are too."""
    n = u0.shape[0]
    depth = max(1, min(depth, n))               # the halos are at most the lattice
    tile = max(1, tile)
    use_scale = scale != 1.0
    m = tile + 2 * depth
    b0 = np.empty(m)
    b1 = np.empty(m)
    ba = np.empty(m)
    head0 = np.empty(depth)
    head1 = np.empty(depth)
    left0 = np.empty(depth)
    left1 = np.empty(depth)
    done = 0
    while done < steps:
        k = min(depth, steps - done)
        for i in range(k):                       # old values of the first and last k sites
            head0[i] = u0[i]
            head1[i] = u1[i]
            if periodic:
                left0[i] = u0[n - k + i]
                left1[i] = u1[n - k + i]
            else:
                left0[i] = 0.0
                left1[i] = 0.0
        start = 0
        while start < n:
            stop = min(start + tile, n)
            w = stop - start
            # buffer position p <-> global site start - k + p
            for p in range(k):
                b0[p] = left0[p]
                b1[p] = left1[p]
                g = start - k + p
                ba[p] = a[g % n] if (periodic or g >= 0) else 0.0
            for p in range(w):
                b0[k + p] = u0[start + p]
                b1[k + p] = u1[start + p]
                ba[k + p] = a[start + p]
            for p in range(k):
                g = stop + p
                if g < n:
                    b0[k + w + p] = u0[g]
                    b1[k + w + p] = u1[g]
                elif periodic:
                    b0[k + w + p] = head0[g - n]
                    b1[k + w + p] = head1[g - n]
                else:
                    b0[k + w + p] = 0.0
                    b1[k + w + p] = 0.0
                ba[k + w + p] = a[g % n] if (periodic or g < n) else 0.0
            # save the old values of this tile's last k sites: the next tile's left halo
            for p in range(k):
                left0[p] = b0[w + p]
                left1[p] = b1[w + p]
            total = w + 2 * k
            for level in range(1, k + 1):
                lo, hi = level, total - level
                if not periodic:                 # sites outside the domain stay zero
                    lo = max(lo, k - start)
                    hi = min(hi, k + n - start)
                if hi > lo:              # on views starting at lo: a loop start that moves
                    # per level kept LLVM from vectorising the sweep (measured 4x slower)
                    _sweep(b0[lo:hi], b1[lo:hi], ba[lo:hi], 0, hi - lo, b1[lo - 1], b0[hi],
                           s0, s1, scale, use_scale)
            for p in range(w):
                u0[start + p] = b0[k + p]
                u1[start + p] = b1[k + p]
            start = stop
        done += k


# -------------------------------------------------------------- Monte Carlo -----------------

@_kernel(inline="always")
def uniform(key, path, t):
    """The t-th uniform in [0, 1) of a path: SplitMix64 output, 53 bits."""
    x = key + (path * PATH_STRIDE + np.uint64(t)) * GAMMA
    x = (x ^ (x >> np.uint64(30))) * MIX1
    x = (x ^ (x >> np.uint64(27))) * MIX2
    x = x ^ (x >> np.uint64(31))
    return np.float64(np.int64(x >> np.uint64(11))) * TO_UNIT    # int64: one instruction


PACK = np.int64(1 << 32)       # a tally cell holds (crossings with q = +1) * 2^32 + (with q = -1)
FLUSH = 1 << 20                # paths between unpackings: no half overflows (< 2^32 each)


@_kernel(inline="always")
def _leg(tally, turns, env_slot, comp, q, dr, s0, s1, p, steps, prev):
    """Tally the straight leg s0 <= s < s1 moving in dr from tail position p; returns the new
    position.  tally is the flat packed (4, steps, 2 steps + 1) array: one read-modify-write
    per link for both the charge and the crossing count, and small enough for L1.  Turns: each
    s > 0 is one opportunity for the direction held at s - 1."""
    if s1 <= s0:
        return p
    if s0 > 0:
        slot = env_slot + (0 if prev == 1 else 1)
        turns[slot, 1] += 1
        if dr != prev:
            turns[slot, 0] += 1
    turns[env_slot + (0 if dr == 1 else 1), 1] += s1 - s0 - 1
    width = 2 * steps + 1
    idx = (comp * steps + s0) * width + p + steps
    inc = PACK if q == 1 else np.int64(1)
    for _ in range(s1 - s0):
        tally[idx] += inc
        idx += width + dr
    return p + (s1 - s0) * dr


@_kernel(inline="always")
def _forward(key, path, steps, alpha, offset, ev):
    """The forward path: event times into ev (ev[j] = time of event j + 1), until the first
    marker at or after t_R = steps; False when it left the tabulated alpha (the caller widens
    the table and repeats the chunk).  Events alternate reversal, marker, ...; the loop is
    branch-free in the event (a coin flip: unpredictable)."""
    pos = 0
    d = 1
    t = 0
    n_ev = 0
    size = alpha.shape[0]
    while True:
        pos += d
        t += 1
        i = pos + offset
        if i < 0 or i >= size:
            return False
        e = np.int64(uniform(key, path, t) < alpha[i])
        ev[n_ev] = t             # kept only if this is an event (n_ev moves past it)
        n_ev += e
        flip = e & n_ev          # an event that makes the count odd is a reversal
        d -= 2 * d * flip
        if e & (1 - flip) & np.int64(t >= steps):      # a marker at or after t_R
            return True


@_kernel(inline="always")
def _forward_constant(key, path, steps, a, size, offset, ev):
    """_forward when every entry of the table is `a`: the same draws, comparisons and events
    (so the same bits), but the event no longer waits for a load whose address depends on the
    previous step's direction, so successive steps overlap (about twice as fast).  The walk
    off the table is still reported, exactly as _forward reports it.  A separate loop on
    purpose: one loop choosing `alpha[0] if constant else alpha[i]` measured 95-160 ns per
    path slower at constant alpha (the load stays on the chain), the same bits either way."""
    pos = 0
    d = 1
    t = 0
    n_ev = 0
    while True:
        pos += d
        t += 1
        i = pos + offset
        if i < 0 or i >= size:
            return False
        e = np.int64(uniform(key, path, t) < a)
        ev[n_ev] = t
        n_ev += e
        flip = e & n_ev
        d -= 2 * d * flip
        if e & (1 - flip) & np.int64(t >= steps):
            return True


@_kernel(inline="always")
def _envelopes(steps, ev, tally, turns):
    """Add one path's envelope charges (event times in ev) to the tallies.

    Same process, conventions and indexing as montecarlo._tally_numpy (see montecarlo.py):
    rectangle k runs from marker k (time anchor; the origin for k = 0) to marker k + 1 (end)
    with its reversal in between (a = reversal - anchor, b = end - reversal); its first leg
    runs in d_k = (-1)^k.  On the left envelope the rectangle is the leg moving -z (length b if
    d_k = 1, else a) then the leg moving +z, with charge -d_k; on the right the leg moving +z
    (length a if d_k = 1, else b) then -z, with charge d_k.  So both envelopes are straight
    legs, tallied by _leg without a branch per time step."""
    pl = 0
    pr = 0
    prev_l = 0
    prev_r = 0
    k = 0
    anchor = 0
    while anchor < steps:
        rev_t = ev[2 * k]
        end_t = ev[2 * k + 1]
        dk = 1 if k % 2 == 0 else -1
        a_len = rev_t - anchor
        b_len = end_t - rev_t
        stop = min(end_t, steps)
        mid_l = min(anchor + (b_len if dk == 1 else a_len), stop)
        pl = _leg(tally, turns, 0, 0, -dk, -1, anchor, mid_l, pl, steps, prev_l)
        if mid_l > anchor:
            prev_l = -1
        pl = _leg(tally, turns, 0, 1, -dk, 1, mid_l, stop, pl, steps, prev_l)
        if stop > mid_l:
            prev_l = 1
        mid_r = min(anchor + (a_len if dk == 1 else b_len), stop)
        pr = _leg(tally, turns, 2, 3, dk, 1, anchor, mid_r, pr, steps, prev_r)
        if mid_r > anchor:
            prev_r = 1
        pr = _leg(tally, turns, 2, 2, dk, -1, mid_r, stop, pr, steps, prev_r)
        if stop > mid_r:
            prev_r = -1
        anchor = end_t
        k += 1


@_kernel(nogil=True)
def mc_block(key, first_path, n_paths, steps, alpha, offset, sums, counts, turns):
    """Add the tallies of paths first_path .. first_path + n_paths - 1 into sums, counts
    (int64, shape (4, steps, 2 steps + 1)) and turns (int64 (4, 2): turns, opportunities for
    left +z, left -z, right +z, right -z).  Integer tallies sum exactly, so how the paths are
    split between calls and threads changes no bit.  Runs without the GIL (one call per
    worker thread).  Returns the number of paths that left the alpha table."""
    ev = np.empty(steps + 2, dtype=np.int64)
    flat_sums = sums.reshape(-1)
    flat_counts = counts.reshape(-1)
    tally = np.zeros(flat_sums.shape[0], dtype=np.int64)
    low = PACK - 1
    lost = 0
    size = alpha.shape[0]
    constant = size > 0
    for j in range(size):
        if alpha[j] != alpha[0]:
            constant = False
    for i in range(n_paths):
        path = np.uint64(first_path + i)
        if constant:
            inside = _forward_constant(key, path, steps, alpha[0], size, offset, ev)
        else:
            inside = _forward(key, path, steps, alpha, offset, ev)
        if inside:
            _envelopes(steps, ev, tally, turns)
        else:
            lost += 1
        if (i + 1) % FLUSH == 0 or i == n_paths - 1:
            for j in range(tally.shape[0]):
                plus = tally[j] >> 32
                minus = tally[j] & low
                flat_sums[j] += plus - minus
                flat_counts[j] += plus + minus
                tally[j] = 0
    return lost


# ------------------------------------------------------------------ status ------------------

def compiled(name: str) -> bool:
    """True when the kernel `name` is a numba dispatcher holding machine code (it ran at least
    once, compiled, in this process or was loaded from the on-disk cache and used)."""
    if _NUMBA is None:
        return False
    fn = globals()[name]
    return isinstance(fn, _NUMBA.core.registry.CPUDispatcher) and bool(fn.signatures)


def status() -> str:
    """What runs the loops (read without importing numba: provenance asks for it every run)."""
    return f"numba {importlib.metadata.version('numba')} kernels (cache=True)"
