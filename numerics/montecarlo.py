"""Monte Carlo of the entwined-pair process itself (Fig. 1), tallied on its two envelopes.

The process, as the paper describes it, with the conventions it leaves open decided here:
- the particle starts at the origin moving in +z (a fixed direction: averaging over both
  directions would cancel the charge field) and its first step is certain; stochastic events
  occur at lattice points from t = epsilon on, with probability alpha(z) at the particle's site;
- events alternate: direction reversal, marker, reversal, marker, ...; the forward path is
  stopped at the first marker at or after the return time t_R;
- the return path runs back in time through the markers on the light cones, so consecutive
  anchors (origin, markers) bound closed light-cone rectangles: forward on one pair of sides
  (charge +1), backward on the other (charge -1).  Densities are tallied only for t <= t_R,
  where every rectangle is complete, so the turnaround cannot bias the field;
- a density is indexed at the tail of its link, by the direction it leaves in: phi'_1(z, t)
  is the charge on the link from (z, t) to (z - delta, t + epsilon), phi'_2 on the link to
  (z + delta, t + epsilon); phi'_3, phi'_4 the same on the right envelope.  This is the
  indexing under which (1)-(2) hold as printed (a corner at z turns the charge arriving from
  z -+ delta into the link leaving z), and it puts alpha at the corner's own site, the "target
  site" convention of derive/; with head indexing the scattering sources would sit at
  z +- delta on the same side (tested in tests/test_montecarlo.py).

Sampling: path i's random numbers are jit.uniform(key(seed), i, t), a counter-based stream, so
a run is reproducible from its seed alone (any worker count, any chunking); the compiled
per-path kernel (jit.mc_chunk) does the work and the vectorised NumPy version here is its oracle.
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import sympy as sp
from entwined.core import notation as N
from entwined.core.errors import EntwinedError
from statistics import NormalDist
from entwined.numerics import jit
from entwined.numerics.kernels import lambdify

# Paths per call into the compiled kernel: about 0.2 s, so Python gets control (Ctrl-C, the
# check timeout) between calls.  The tallies are integers, so the split changes no bit.
KERNEL_CHUNK = 1 << 17
# The alpha table covers sites -reach..reach, reach = steps + TABLE_MARGIN to start with; a path
# that walks off it (possible after t_R, where only the closing marker is awaited) makes the
# chunk run again with a table four times wider, which changes nothing but the cost.
TABLE_MARGIN = 256
MAX_REACH = 1 << 26


def seed_key(seed) -> np.uint64:
    """The 64-bit key of the counter-based generator: the first word of NumPy's SeedSequence
    for `seed`, so nearby seeds give unrelated keys."""
    return np.random.SeedSequence(seed).generate_state(1, dtype=np.uint64)[0]


def uniforms(key, paths: np.ndarray, t: int) -> np.ndarray:
    """The t-th uniform of each path (vectorised twin of jit.uniform, same bits)."""
    with np.errstate(over="ignore"):
        x = np.uint64(key) + (paths.astype(np.uint64) * jit.PATH_STRIDE + np.uint64(t)) * jit.GAMMA
        x = (x ^ (x >> np.uint64(30))) * jit.MIX1
        x = (x ^ (x >> np.uint64(27))) * jit.MIX2
        x = x ^ (x >> np.uint64(31))
    return (x >> np.uint64(11)).astype(np.float64) * jit.TO_UNIT


def alpha_table(alpha_of_z, reach: int) -> np.ndarray:
    """alpha at the integer sites -reach..reach (index = site + reach), one vectorised call, so
    the kernel and the oracle read the same numbers."""
    sites = np.arange(-reach, reach + 1)
    a = np.broadcast_to(np.asarray(alpha_of_z(sites), dtype=float), sites.shape).copy()
    if not np.all(np.isfinite(a)) or np.any(a < 0) or np.any(a > 1):
        raise EntwinedError("alpha(z) must lie in [0, 1] at every site of the Monte Carlo")
    return a


def _tally_numpy(n_paths: int, steps: int, alpha_of_z, key, first_path: int = 0):
    """The NumPy oracle of one chunk: sums and sums of squares of the four densities, and the
    turn counts, vectorised over paths (~30 whole-array passes per time step).  Kept as the
    reference jit.mc_chunk is tested against bit for bit; the production path is sample()."""
    width = 2 * steps + 1
    reach = steps + TABLE_MARGIN
    table = alpha_table(alpha_of_z, reach)
    paths = np.arange(first_path, first_path + n_paths, dtype=np.uint64)
    # forward process until every path has a marker at or after t_R = steps
    pos = np.zeros(n_paths, dtype=np.int64)
    count = np.zeros(n_paths, dtype=np.int64)            # events so far
    direction = np.ones(n_paths, dtype=np.int64)
    event_times = []                                      # per time: event mask
    t = 0
    done = np.zeros(n_paths, dtype=bool)
    while True:
        # step t -> t + 1 happens with the current direction; events happen at times t >= 1
        pos = pos + direction
        t += 1
        if np.any(np.abs(pos[~done]) > reach):
            reach *= 4
            table = alpha_table(alpha_of_z, reach)
        a = table[np.clip(pos + reach, 0, 2 * reach)]     # finished paths: any value, unused
        ev = (uniforms(key, paths, t) < a) & ~done
        event_times.append(ev)
        count = count + ev
        reversal = ev & (count % 2 == 1)
        marker = ev & (count % 2 == 0)
        direction = np.where(reversal, -direction, direction)
        done |= marker & (t >= steps)
        if done.all():
            break
    E = np.array(event_times, dtype=bool).T               # (paths, horizon): event at time 1..H
    c = np.concatenate([np.zeros((n_paths, 1), dtype=np.int64), np.cumsum(E, axis=1)], axis=1)
    c = c[:, :steps]                                      # events at times <= s, for steps s < S
    k = c // 2                                            # rectangle index of step s
    d_k = np.where(k % 2 == 0, 1, -1)                     # first-leg direction of rectangle k
    # times of events: the j-th event (1-based) at time ev_time[:, j-1]
    idx = np.argsort(~E, axis=1, kind="stable")           # event columns first, in time order
    ev_time = idx + 1                                     # valid for j < n_ev
    jmax = ev_time.shape[1]

    def event_time(j):                                    # j: 0-based event number, per (path, s)
        j = np.minimum(j, jmax - 1)
        return np.take_along_axis(ev_time, j, axis=1)

    anchor = np.where(k == 0, 0, event_time(np.maximum(2 * k - 1, 0)))     # marker k at event 2k
    reversal_t = event_time(2 * k)                        # reversal of rectangle k: event 2k+1
    end_t = event_time(2 * k + 1)                         # marker closing rectangle k
    a_len = reversal_t - anchor
    b_len = end_t - reversal_t
    s = np.arange(steps)[None, :]
    tau = s - anchor
    # left side: return path if d_k = +1 (b legs first, moving -z), forward if d_k = -1
    first_left = np.where(d_k == 1, b_len, a_len)
    dir_left = np.where(tau < first_left, -1, 1)
    q_left = -d_k
    first_right = np.where(d_k == 1, a_len, b_len)
    dir_right = np.where(tau < first_right, 1, -1)
    q_right = d_k
    sums = np.zeros((4, steps, width))
    squares = np.zeros((4, steps, width))
    for dirs, q, (minus, plus) in ((dir_left, q_left, (0, 1)), (dir_right, q_right, (2, 3))):
        p_before = np.concatenate([np.zeros((n_paths, 1), dtype=np.int64),
                                   np.cumsum(dirs, axis=1)[:, :-1]], axis=1)
        tail = p_before + steps                           # site index the link leaves, at time s
        time = np.broadcast_to(s, tail.shape)
        for comp, sel in ((minus, dirs == -1), (plus, dirs == 1)):
            flat = (time[sel] * width + tail[sel])
            qv = q[sel].astype(float)
            tot = np.bincount(flat, weights=qv, minlength=steps * width)
            # each path crosses a link at most once, so sum of q^2 = number of crossings
            sq = np.bincount(flat, minlength=steps * width).astype(float)
            sums[comp] += tot.reshape(steps, width)
            squares[comp] += sq.reshape(steps, width)
    return sums, squares, _turn_counts(dir_left, dir_right)


def _turn_counts(dir_left, dir_right):
    """Corner statistics along the envelopes: turns and opportunities by direction of motion."""
    out = {}
    for name, dirs in (("left", dir_left), ("right", dir_right)):
        prev, nxt = dirs[:, :-1], dirs[:, 1:]
        for label, moving in (("moving +z", 1), ("moving -z", -1)):
            at = prev == moving
            out[f"{name} {label}"] = (int((at & (nxt != prev)).sum()), int(at.sum()))
    return out


TURN_KEYS = ("left moving +z", "left moving -z", "right moving +z", "right moving -z")


def _tally_kernel(n_paths: int, steps: int, alpha_of_z, key, first_path: int = 0,
                  workers: int | None = None):
    """jit.mc_block over the paths, KERNEL_CHUNK paths per round, each round split between
    `workers` threads (the kernel releases the GIL): (sums, squares, turns)."""
    if steps < 1:
        raise EntwinedError(f"the Monte Carlo needs at least one step, got {steps}")
    reach = steps + TABLE_MARGIN
    table = alpha_table(alpha_of_z, reach)
    workers = max(1, int(workers or default_workers()))
    width = 2 * steps + 1
    acc = [(np.zeros((4, steps, width), dtype=np.int64), np.zeros((4, steps, width), dtype=np.int64),
            np.zeros((4, 2), dtype=np.int64)) for _ in range(workers)]
    start = 0
    with ThreadPoolExecutor(workers) as pool:
        while start < n_paths:
            size = min(KERNEL_CHUNK * workers, n_paths - start)
            while True:
                bounds = [start + size * w // workers for w in range(workers + 1)]
                parts = [(np.zeros_like(a[0]), np.zeros_like(a[1]), np.zeros_like(a[2]))
                         for a in acc]
                lost = sum(pool.map(lambda w: jit.mc_block(
                    np.uint64(key), first_path + bounds[w], bounds[w + 1] - bounds[w], steps,
                    table, reach, *parts[w]), range(workers)))
                if lost == 0:
                    break
                reach *= 4                        # same draws, wider table: same result
                if reach > MAX_REACH:
                    raise EntwinedError("a Monte Carlo path ran beyond 2^26 sites without "
                                        "closing its rectangle; alpha(z) vanishes over a long "
                                        "stretch, so the process does not end")
                table = alpha_table(alpha_of_z, reach)
            jit.CALLS["mc_block"] += workers
            for a, p in zip(acc, parts):
                for x, y in zip(a, p):
                    x += y
            start += size
    sums = sum(a[0] for a in acc)
    counts = sum(a[1] for a in acc)
    turns = sum(a[2] for a in acc)
    return (sums.astype(float), counts.astype(float),
            {k: (int(turns[i, 0]), int(turns[i, 1])) for i, k in enumerate(TURN_KEYS)})


def default_workers() -> int:
    """Threads for the Monte Carlo: the CPUs this process may use, at most 8."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return max(1, min(8, cpus))


def _result(sums, squares, turns, n_paths, steps) -> dict:
    mean = sums / n_paths
    var = np.maximum(squares / n_paths - mean**2, 0.0)
    return {"mean": mean, "stderr": np.sqrt(var / n_paths), "n_paths": n_paths, "steps": steps,
            "turns": turns}


def sample(n_paths: int, steps: int, alpha_of_z, seed: int = 2002, workers: int | None = None,
           chunk: int = 50_000) -> dict:
    """Ensemble means and standard errors of the four densities from n_paths entwined paths,
    by the compiled per-path kernel on `workers` threads (default: the usable CPUs, at most 8).

    The result depends on the seed only: path i draws from its own counter-based stream and
    the tallies are exact integer sums, so worker count and chunk size change no bit.  `chunk`
    is kept for callers of the old NumPy sampler and has no effect on the result."""
    del chunk
    sums, squares, turns = _tally_kernel(n_paths, steps, alpha_of_z, seed_key(seed), 0, workers)
    return _result(sums, squares, turns, n_paths, steps)


def sample_numpy(n_paths: int, steps: int, alpha_of_z, seed: int = 2002,
                 chunk: int = 50_000) -> dict:
    """The same ensemble as sample() by the vectorised NumPy oracle (the test reference, and
    the bench's "before"): identical bits for any chunk size."""
    key = seed_key(seed)
    sums = squares = 0.0
    turns = {k: (0, 0) for k in TURN_KEYS}
    for first in range(0, n_paths, chunk):
        s, q, tr = _tally_numpy(min(chunk, n_paths - first), steps, alpha_of_z, key, first)
        sums, squares = sums + s, squares + q
        turns = {k: (turns[k][0] + tr[k][0], turns[k][1] + tr[k][1]) for k in TURN_KEYS}
    return _result(sums, squares, turns, n_paths, steps)


class ConstantAlpha:
    """alpha independent of z (picklable, for the worker processes)."""

    def __init__(self, alpha: float):
        self.alpha = float(alpha)

    def __call__(self, pos):
        return self.alpha


class CanonicalAlpha:
    """alpha(z) of (5) with v(z) = amplitude cos(2 pi z / wavelength) in lattice units."""

    def __init__(self, amplitude: float, wavelength: float, epsilon: float):
        self.amplitude, self.wavelength, self.epsilon = amplitude, wavelength, epsilon

    def __call__(self, pos):
        v = self.amplitude * np.cos(2 * np.pi * np.asarray(pos) / self.wavelength)
        return 0.5 * (1 + np.tanh(v * self.epsilon))


def recurrence_from_printed(pairs, alpha_sites: np.ndarray):
    """The printed recurrence as numeric stencil rows {target: [(source, offset, coeff[site])]}.

    Coefficients may be any expression in alpha and beta (a mutant may double one); alpha is
    taken at the target site.  Returns None when the printed form is not a one-step recurrence."""
    rows = {}
    for lhs, rhs in pairs:
        if not (hasattr(lhs, "func") and lhs.args == (N.z, N.t + N.epsilon)):
            return None
        for term in sp.Add.make_args(sp.expand(rhs)):
            fields = [f for f in term.atoms(sp.core.function.AppliedUndef) if f.func != N.v]
            if len(fields) != 1 or fields[0].args[1] != N.t:
                return None
            offset = sp.simplify((fields[0].args[0] - N.z) / N.delta)
            if not offset.is_integer:
                return None
            weight = (term / fields[0]).xreplace({N.beta: 1 - N.alpha})
            if weight.free_symbols - {N.alpha} or weight.has(sp.Derivative) or weight.atoms(
                    sp.core.function.AppliedUndef):
                return None          # a weight the lattice cannot evaluate: not a recurrence
            coeff = lambdify(N.alpha, weight, "numpy")
            c = np.broadcast_to(np.asarray(coeff(alpha_sites), dtype=float), alpha_sites.shape)
            rows.setdefault(lhs.func.__name__, []).append((fields[0].func.__name__, int(offset), c))
    return rows


def iterate_printed(rows, initial: dict, steps: int, width: int):
    """Iterate a printed recurrence on a finite lattice (zero outside), from t = 0."""
    names = sorted(set(rows) | {s for r in rows.values() for s, _, _ in r})
    u = {n: np.zeros(width) for n in names}
    for (name, site), value in initial.items():
        u[name][site] = value
    out = [{n: u[n].copy() for n in names}]
    for _ in range(steps - 1):
        new = {n: np.zeros(width) for n in names}
        for target, terms in rows.items():
            for source, offset, c in terms:
                shifted = np.zeros(width)
                if offset >= 0:
                    shifted[:width - offset] = u[source][offset:]
                else:
                    shifted[-offset:] = u[source][:width + offset]
                new[target] += c * shifted
        u = new
        out.append({n: u[n].copy() for n in names})
    return out


def compare(result: dict, exact: list, components: dict, threshold: float | None = None) -> dict:
    """max |MC - exact| / standard error over every site and time with data, and where."""
    worst, where, n_sites = 0.0, None, 0
    for name, comp in components.items():
        for t in range(result["steps"]):
            mc, se = result["mean"][comp, t], result["stderr"][comp, t]
            ex = exact[t][name]
            # at rarely crossed links the sample variance is unreliable (no crossing gives 0);
            # the crossing probability is at least |mean| under the hypothesis, so its variance
            # is at least |ex| - ex^2; one path's worth, 1/N, is the resolution anyway
            n = result["n_paths"]
            se = np.maximum(np.maximum(se, np.sqrt(np.maximum(np.abs(ex) - ex**2, 0.0) / n)), 1.0 / n)
            live = (se > 1.0 / result["n_paths"]) | (np.abs(ex) > 0) | (mc != 0)
            n_sites += int(live.sum())
            z = np.abs(mc - ex)[live] / se[live]
            if z.size and z.max() > worst:
                worst, where = float(z.max()), [name, t]
    if threshold is None:        # two-sided, family-wise 0.1 % over all sites (Bonferroni)
        threshold = NormalDist().inv_cdf(1 - 0.0005 / max(n_sites, 1))
    return {"max_z": worst, "where": where, "threshold": threshold, "sites": n_sites,
            "passes": worst < threshold}
