"""Expected charge densities of the entwined-pair process of Fig. 1, exactly, without sampling.

Same process and conventions as montecarlo.py (particle from the origin moving in +z, first step
certain; events at t >= epsilon with probability alpha at the particle's site, alternating
reversal, marker; forward path stopped at the first marker at or after t_R; return path through
the markers on the light cones; densities for t < steps, indexed at the tail of their link by the
direction they leave in; phi'_1, phi'_2 left envelope, phi'_3, phi'_4 right envelope), so that an
ensemble average of `montecarlo.sample` estimates `expected_densities(...)["mean"]`.

Decomposition.  Consecutive anchors (the origin, then the markers) bound closed light-cone
rectangles.  A rectangle anchored at (T, P) whose forward path leaves in direction d has a first
leg of a steps (ended by the reversal, at R = P + d a) and a second of b steps (ended by the
marker); the forward side goes d, then -d; the return side (charge -1) goes -d for b steps, then d
for a steps.  d alternates from one rectangle to the next, so each envelope alternates a forward
side (charge +1) and a return side (charge -1) and changes colour at every anchor.  Conditional on
its anchor, a rectangle's law is P(a, b) = f_d(P; a) g_d(P + d a; b) with
f_d(P; a) = prod_{l<a} (1 - alpha(P + d l)) alpha(P + d a), g the same along the second leg.  An
envelope is therefore a Markov chain once the width a of a return side is carried:

    forward side  F1(x)  first leg, moving e      event prob alpha(x') at its own new site x'
                  F2(x)  second leg, moving -e    event alpha(x') -> marker: colour flips, a
                                                  width a ~ f_{-e}(x'; a) is drawn -> R1(a)
    return side   R1(x, a) first leg, moving e    turns with prob alpha(x' - e a): the forward
                                                  path's second-leg event, on the opposite side
                                                  of the rectangle, a sites away
                  R2(x, r) second leg, moving -e, r links left (deterministic); r = 0 is the
                                                  top marker: colour flips -> F1

with e = -1 (left envelope, starting in R1 with charge -1: the return side of the first
rectangle) and e = +1 (right envelope, starting in F1 with charge +1).  The state space per time
level is (site) x {F1, F2} plus (site, a) x R1 plus (site, r) x R2, the colour being the sign of
the mass (it is the side type: +1 on F, -1 on R).  Left and right envelopes are computed
separately (expectations are linear, only each envelope's marginal law matters).

Why exact.  The width a of a return side is unbounded (the forward path may run far past t_R
before reversing), and R1's turn probability depends on a exactly.  For alpha periodic on the
integer sites with period p (ConstantAlpha: p = 1; CanonicalAlpha with an integral wavelength:
p = wavelength), widths that can still close the return side before the last level are kept
one by one and all larger ones are gathered into p classes by a mod p: a class's mass is a
geometric series, sum_n Q^n = 1 / (1 - Q) with Q the product of (1 - alpha) over one period,
and only the class matters for a side that cannot close in time.  Every expectation is then a
finite sum of products, evaluated in float64, exactly in Fraction arithmetic, or in mpmath; in
Fraction mode the densities are the exact rational expectations (alpha is taken as
alpha(z mod p) from one period, which for a float-valued callable differs from evaluating it
far away by rounding only; a callable that is not periodic within 1e-12 is refused).  For a
non-periodic alpha the widths are truncated at `truncation` and `tail_bound` (>= |error| of
every density; 0 when alpha = 1 somewhere on every far-enough path) is returned.  The tests
hold the DP equal, in Fraction arithmetic, to a plain enumeration of rectangles.

Cost.  Only the light-cone sublattice is stored (t + 1 sites at level t) and the leg lengths
that can still matter shrink as steps - t, so level t costs (t + 1)(2 (steps - t) + p + 2)
cells of O(1) work: about steps^3 / 3 + p steps^2 per envelope, O(steps^3) in all (twice that
with `occupation`), memory O(steps (steps + p)).  288 steps (the default continuum study's
largest) take about 0.5 s in float64 with the occupation; Fraction and mpmath are ~10^3 times
slower per cell (mpmath: 41 steps in ~1 s).

Precision.  At alpha ~ 1/2 the charge on a link is the difference of the probabilities that a
forward side and that a return side cross it, each O(1/sqrt t), while the difference is
O(2^(-t/2)) of them: float64 keeps about 16 - 0.15 t significant digits of a charge that does
cancel (constant alpha: 10^-6 relative at 72 steps, nothing left beyond ~110).  No state space
in which the colour is a sign can avoid this: the colour is the side type, and the two side
types have different corner laws once alpha depends on z.  `occupation=True` returns the
crossing probabilities and a rounding floor; use Fraction or mpmath where it matters.

Continuum limit (`continuum_study`).  Reading R1 is the process above, alpha taken at the
forward path's events as the paper's text says; reading R2 is each envelope generated as its
own persistent walk with alpha at its own corners (`envelope_walk`), which obeys (1)-(2) with
alpha(z) by construction.  Mechanism: a return side is the forward path's rectangle traced the
other way round, so its corners are decided by the forward path's events on the opposite,
parallel side of the rectangle: its first leg turns with alpha(x -+ a delta) (the forward
path's second-leg event, a whole width away) and its second leg's length is the forward
path's first leg, drawn with alpha at sites displaced by the other width.  Each such corner is
misweighted by alpha(x + a delta) - alpha(x) ~ a delta epsilon v'(z) = O(delta^3), so the
envelope's crossing statistics differ from those of (1) by a bias that vanishes as delta -> 0
(measured: |R1 - (1)| per unit crossing probability at t = T falls as delta^2.7-2.9 and is
linear in the amplitude).  But the charge field is what is left of the cancellation between
forward (+1) and return (-1) sides, 2^(-T/(2 epsilon)) of the crossing probability at
alpha ~ 1/2, the factor that the normalisation (sqrt 2)^(t/epsilon) of (12) restores; the bias
does not cancel (it has a definite sign relative to the side type), so after normalisation it
is amplified by the same 2^(T/(2 epsilon)) = 2^(D T / delta^2): the normalised discrepancy
grows faster than any power of 1/delta (0.4 at delta = 1/4, 1.6e39 at delta = 1/24, 288
steps), while R2 and constant alpha stay at rounding.  The paper's remark that the envelopes
"could equally well" be generated independently (R2) is exact only at constant alpha.
"""
from __future__ import annotations

import contextlib
import math
import time
from fractions import Fraction

import mpmath
import numpy as np

from entwined.core import rules
from entwined.core import notation as N
from entwined.core.errors import EntwinedError
from entwined.numerics import montecarlo as mc
from entwined.numerics.engines import Lattice
from entwined.numerics.usage import counted

PRECISIONS = ("float64", "fraction", "mpmath")
NAMES = ("phip1", "phip2", "phip3", "phip4")
ENVELOPES = {"left": (rules.LEFT, (0, 1)), "right": (rules.RIGHT, (2, 3))}


class _Arith:
    """The number type of one precision mode: float64 arrays, or object arrays of Fraction/mpf."""

    def __init__(self, precision: str, dps: int):
        if precision not in PRECISIONS:
            raise EntwinedError(f"precision must be one of {PRECISIONS}, got {precision!r}")
        self.precision, self.dps = precision, dps
        self.exact = precision != "float64"
        self.conv = {"float64": float, "fraction": Fraction, "mpmath": mpmath.mpf}[precision]

    def zeros(self, shape):
        if not self.exact:
            return np.zeros(shape)
        return np.full(shape, self.conv(0), dtype=object)

    def array(self, values):
        if not self.exact:
            return np.asarray(values, dtype=float)
        flat = [self.conv(v) for v in np.asarray(values, dtype=object).ravel()]
        return np.array(flat, dtype=object).reshape(np.shape(values))


def _working_precision(ar: _Arith):
    """mpmath's working precision for the exact modes only.  It is one setting for the whole
    process, and a float64 study may run in verify's background thread beside SymPy's evalf on
    the main thread, which must not see it change."""
    return mpmath.workdps(ar.dps) if ar.exact else contextlib.nullcontext()


def infer_period(alpha_of_z) -> int | None:
    """Period of alpha on the integer sites when it can be read off the callable, else None."""
    period = getattr(alpha_of_z, "period", None)
    if period is not None:
        return int(period)
    if isinstance(alpha_of_z, mc.ConstantAlpha):
        return 1
    if isinstance(alpha_of_z, mc.CanonicalAlpha) and float(alpha_of_z.wavelength).is_integer():
        return int(alpha_of_z.wavelength)
    return None


def _site_values(alpha_of_z, sites: np.ndarray, ar: _Arith):
    raw = alpha_of_z(sites)
    if isinstance(raw, np.ndarray) and raw.dtype == object:
        vals = np.broadcast_to(raw, sites.shape)
    else:
        vals = np.broadcast_to(np.asarray(raw, dtype=float if not ar.exact else object), sites.shape)
    return vals


def _alpha_table(alpha_of_z, lo: int, hi: int, period, ar: _Arith):
    """alpha on the sites lo..hi (inclusive) in the mode's number type, and alpha as floats."""
    sites = np.arange(lo, hi + 1)
    direct = _site_values(alpha_of_z, sites, ar)
    if period is not None:
        base = _site_values(alpha_of_z, np.arange(period), ar)
        vals = base[np.mod(sites, period)]
        gap = np.max(np.abs(np.asarray(vals, dtype=float) - np.asarray(direct, dtype=float)))
        if gap > 1e-12:
            raise EntwinedError(f"alpha is not periodic with period {period} on the sites used "
                                f"(differs by {gap:.3g}); pass period=None to truncate instead")
    else:
        vals = direct
    as_float = np.asarray(vals, dtype=float)
    if np.any(as_float < 0) or np.any(as_float > 1) or not np.all(np.isfinite(as_float)):
        raise EntwinedError("alpha must lie in [0, 1] at every site")
    return ar.array(vals), as_float


def _shift(arr, e: int, ar: _Arith):
    """Move every link one step in direction e on the light-cone sublattice: at time t the
    sites are x_k = -t + 2k, k = 0..t, so a +z mover keeps k + 1 and a -z mover keeps k."""
    pad = ar.zeros(arr.shape[:-1] + (1,))
    return np.concatenate([pad, arr] if e == 1 else [arr, pad], axis=-1)


def _shift_full(arr, e: int, ar: _Arith):
    """Move every link one step in direction e on the full grid: out[..., i] = arr[..., i - e]."""
    out = ar.zeros(arr.shape)
    if e == 1:
        out[..., 1:] = arr[..., :-1]
    else:
        out[..., :-1] = arr[..., 1:]
    return out


def _widths(alpha_at, grid: np.ndarray, e: int, n_rows: int, period, ar: _Arith):
    """Width law of a return side anchored at each grid site: the forward path's first leg runs
    in -e, so w[a - 1, i] = prod_{l<a} (1 - alpha(x_i - e l)) alpha(x_i - e a), a = 1..n_rows;
    with a period also Q = prod over one period of (1 - alpha) (the class sums are w / (1 - Q));
    without one, the largest mass left beyond n_rows."""
    w = ar.zeros((n_rows, grid.size))
    surv = ar.array(np.ones(grid.size))
    for a in range(1, n_rows + 1):
        al = alpha_at(grid - e * a)
        w[a - 1] = surv * al
        surv = surv * (1 - al)
    if period is None:
        return w, None, float(np.max(np.asarray(surv, dtype=float)))
    q = ar.conv(1)
    for s in range(period):
        q = q * (1 - alpha_at(np.array([s]))[0])
    if float(q) >= 1.0:
        raise EntwinedError("alpha vanishes on a whole period: the process never reverses")
    return w, q, 0.0


def _envelope(steps: int, e: int, alpha_at, period, n_trunc, scale, ar: _Arith, signed=True):
    """Charge on one envelope (signed=False: the occupation, every colour counted +1): rows
    (moving e, moving -e) per time level on the full grid of 2 steps + 1 sites.

    Width bookkeeping at level t, H = steps - t: a return side of width a >= H
    (or a leg-2 remainder r >= H) cannot close before the last level, so leg-2 remainders
    r >= H share one "far" slot, and (with a period) widths a >= H are kept as p classes, each
    represented by its smallest member a in [H, H + p - 1]; as H drops by one per level, the
    class of width H + p - 1 absorbs into width H - 1.  Without a period all n_trunc widths stay."""
    S = steps
    flip = -1 if signed else 1
    grid = np.arange(-S, S + 1)
    n_tab = S + period if period is not None else n_trunc
    w_raw, q, tail = _widths(alpha_at, grid, e, n_tab, period, ar)

    def horizon(t):
        return S - t

    def n_r1(h):
        return h + period - 1 if period is not None else n_trunc

    def injection(t, h):
        """Width law of return sides anchored at level t (rows: widths 1..n_r1(h))."""
        cols = np.arange(-t, t + 1, 2) + S
        inj = w_raw[:n_r1(h)][:, cols]
        if period is not None:
            inj[h - 1:] = inj[h - 1:] / (1 - q)
        return inj

    h = horizon(0)
    f1, f2 = ar.zeros(1), ar.zeros(1)
    r1, r2 = ar.zeros((n_r1(h), 1)), ar.zeros((h, 1))         # r2[h - 1]: the far slot
    if e == -1:                          # left envelope: return side of rectangle 0, charge -1
        r1 = (-1 if signed else 1) * injection(0, h)
    else:                                # right envelope: forward side of rectangle 0, charge +1
        f1[0] = ar.conv(1)
    out = ar.zeros((2, S, 2 * S + 1))
    cells = 0
    for t in range(S):
        cols = slice(S - t, S + t + 1, 2)
        out[0, t, cols] = f1 + r1.sum(axis=0)
        out[1, t, cols] = f2 + r2.sum(axis=0)
        cells += (t + 1) * (2 + r1.shape[0] + r2.shape[0])
        if t == S - 1:
            break
        h1 = horizon(t + 1)
        x_new = np.arange(-(t + 1), t + 2, 2)
        al = alpha_at(x_new)
        be = 1 - al
        s1, s2 = _shift(f1, e, ar), _shift(f2, -e, ar)
        q1, q2 = _shift(r1, e, ar), _shift(r2, -e, ar)
        widths = np.arange(1, r1.shape[0] + 1)
        turn = alpha_at(x_new[None, :] - e * widths[:, None])
        marker = s2 * al                                   # closes a forward side
        turned = q1 * turn                                 # left corner of a return side
        stay = q1 * (1 - turn)
        top = q2[0] if h > 1 else ar.zeros(t + 2)          # closes a return side
        f1 = s1 * be + flip * top
        f2 = s2 * be + s1 * al
        # leg 2: remainders r -> r - 1 (exact slots 1..h1 - 1), far stays far; turned widths
        r2_new = ar.zeros((h1, t + 2))
        r2_new[:h1 - 1] = q2[1:h1]
        r2_new[h1 - 1] = r2_new[h1 - 1] + q2[h - 1]
        n_exact = min(h1 - 1, turned.shape[0])
        r2_new[:n_exact] = r2_new[:n_exact] + turned[:n_exact]
        r2_new[h1 - 1] = r2_new[h1 - 1] + turned[n_exact:].sum(axis=0)
        # leg 1: widths stay; with a period the class of width h + p - 1 joins width h - 1
        if period is not None and h1 < h:
            stay[h - 2] = stay[h - 2] + stay[-1]
            stay = stay[:-1]
        r1 = stay + flip * marker[None, :] * injection(t + 1, h1)
        r2 = r2_new
        if scale != 1:
            f1, f2, r1, r2 = f1 * scale, f2 * scale, r1 * scale, r2 * scale
        h = h1
    return out, tail, cells


@counted
def expected_densities(steps: int, alpha_of_z, precision: str = "float64", period="auto",
                       truncation: int | None = None, dps: int = 50, scale=1,
                       occupation: bool = False) -> dict:
    """The exact ensemble averages of phi'_1..phi'_4 of the process (no sampling).

    precision: "float64" (numpy), "fraction" (exact rationals) or "mpmath" (dps digits).
    period: alpha's period on the integer sites ("auto": read off the callable; None: truncate
    the widths at `truncation` and report `tail_bound`, a bound on |error| of every density).
    scale multiplies every time step (the normaliser of (12)).  occupation: also return the
    probability that each envelope link is crossed at all (the same DP with every colour +1),
    and from it `rounding_floor`, an estimate of float64's absolute error per link: the charge
    is the small difference of forward-side and return-side probabilities (a factor about
    2^(t/2) at alpha ~ 1/2), so float64 keeps ~16 - 0.15 t digits of it.
    Returns mean[4, steps, 2 steps + 1] as montecarlo.sample does, in the mode's number type,
    with the mode, the period used, whether the result is exact (no truncated tail) and cost."""
    if int(steps) != steps or steps < 1:
        raise EntwinedError(f"steps must be a positive integer, got {steps}")
    ar = _Arith(precision, dps)
    if period == "auto":
        period = infer_period(alpha_of_z)
    if period is not None and (int(period) != period or period < 1):
        raise EntwinedError(f"period must be a positive integer or None, got {period!r}")
    t0 = time.perf_counter()
    with _working_precision(ar):
        if period is None:
            n_trunc = int(truncation or _default_truncation(alpha_of_z, steps))
            if n_trunc < steps:
                raise EntwinedError(f"truncation {n_trunc} must be at least steps = {steps}")
            reach = steps + n_trunc
        else:
            period, n_trunc = int(period), None
            reach = 2 * steps + period
        table, _ = _alpha_table(alpha_of_z, -reach, reach, period, ar)

        def alpha_at(sites):
            return table[np.asarray(sites) + reach]

        scale = ar.conv(scale) if ar.exact else float(scale)
        out = {"mean": ar.zeros((4, steps, 2 * steps + 1))}
        if occupation:
            out["occupation"] = ar.zeros((4, steps, 2 * steps + 1))
        tails, cells = [], 0
        for key, signed in (("mean", True), ("occupation", False)):
            if key not in out:
                continue
            for name, e in (("left", -1), ("right", 1)):
                env_out, tail, c = _envelope(steps, e, alpha_at, period, n_trunc, scale, ar, signed)
                first, second = ENVELOPES[name][1]      # components (moving -z, moving +z)
                rows = (env_out[0], env_out[1]) if e == -1 else (env_out[1], env_out[0])
                out[key][first], out[key][second] = rows
                tails.append(tail)
                cells += c
    tail_bound = steps * max(tails)
    result = {"mean": out["mean"], "steps": steps, "precision": precision, "period": period,
              "truncation": n_trunc, "tail_bound": tail_bound, "exact": tail_bound == 0.0,
              "cell_updates": cells, "seconds": time.perf_counter() - t0}
    if occupation:
        occ = np.abs(np.asarray(out["occupation"], dtype=float))
        result["occupation"] = out["occupation"]
        levels = np.arange(1, steps + 1)[None, :, None]
        unit = 2.0**-53 if precision == "float64" else 10.0**-(dps if precision == "mpmath" else 10**9)
        result["rounding_floor"] = 4 * unit * levels * occ
    return result


def _default_truncation(alpha_of_z, steps: int) -> int:
    """Widths kept when alpha has no period: enough that the dropped mass is below 1e-20."""
    sites = np.arange(-40 * steps, 40 * steps + 1)
    amin = float(np.min(np.broadcast_to(np.asarray(alpha_of_z(sites), dtype=float), sites.shape)))
    if amin <= 0:
        return 20 * steps
    return steps + min(20 * steps, math.ceil(math.log(1e-20) / math.log1p(-amin)))


@counted
def envelope_walk(steps: int, alpha_of_z, precision: str = "float64", colour: str = "state",
                  dps: int = 50, scale=1) -> dict:
    """Reading R2: each envelope generated as its own persistent walk, alpha at its own corners.

    The walker starts at the origin (left: moving -z, charge -1; right: moving +z, charge +1),
    turns with probability alpha at the site it arrives at, and changes colour at its
    sign-changing corners (rules.corner_handedness against Envelope.sign_changing_corner: left
    envelope at left-hand corners).  colour="state" carries the probability of each
    (direction, colour) and returns P(+) - P(-): an independent route to (1)-(2), exact in
    Fraction mode, but in float64 the final subtraction loses ~0.15 t digits (the difference is
    ~2^(-t/2) of the probabilities); colour="sign" carries P(+) - P(-) itself, which is possible
    here because no transition depends on the colour (what the continuum study uses)."""
    if colour not in ("state", "sign"):
        raise EntwinedError(f"colour must be 'state' or 'sign', got {colour!r}")
    ar = _Arith(precision, dps)
    width = 2 * steps + 1
    mean = ar.zeros((4, steps, width))
    with _working_precision(ar):
        al, _ = _alpha_table(alpha_of_z, -steps, steps, None, ar)
        be = 1 - al
        scale = ar.conv(scale) if ar.exact else float(scale)
        for name, start_dir, charge in (("left", rules.MINUS_Z, -1), ("right", rules.PLUS_Z, 1)):
            env, comps = ENVELOPES[name]
            colours = (1, -1) if colour == "state" else (1,)
            # p[(direction, colour)]: probability (colour "state") or signed mass ("sign")
            p = {(d, c): ar.zeros(width) for d in (rules.MINUS_Z, rules.PLUS_Z) for c in colours}
            if colour == "state":
                p[(start_dir, charge)][steps] = ar.conv(1)
            else:
                p[(start_dir, 1)][steps] = ar.conv(charge)
            for t in range(steps):
                for d, comp in zip((rules.MINUS_Z, rules.PLUS_Z), comps):
                    mean[comp, t] = sum((c * p[(d, c)] for c in colours), ar.zeros(width))
                if t == steps - 1:
                    break
                new = {k: ar.zeros(width) for k in p}
                for (d, c), mass in p.items():
                    moved = _shift_full(mass, d, ar)
                    new[(d, c)] = new[(d, c)] + moved * be
                    flips = rules.corner_handedness(d, -d) == env.sign_changing_corner
                    if colour == "state":
                        new[(-d, -c if flips else c)] = new[(-d, -c if flips else c)] + moved * al
                    else:
                        new[(-d, c)] = new[(-d, c)] + (-1 if flips else 1) * moved * al
                p = {k: v * scale for k, v in new.items()} if scale != 1 else new
    return {"mean": mean, "steps": steps, "precision": precision, "colour": colour}


def as_levels(result: dict) -> list:
    """The densities as iterate_printed returns them: one {name: row} per time level."""
    return [{n: result["mean"][k, t] for k, n in enumerate(NAMES)} for t in range(result["steps"])]


def recurrence_residual(mean, alpha_sites, table=None) -> dict:
    """How far densities are from the one-step recurrences (1)-(2) built from the transition
    table of core.rules (alpha at the target site, beta = 1 - alpha).

    mean: [4, steps, width] (float or exact objects); alpha_sites: alpha per site of the row.
    table: {envelope name: rows} to test another rule (e.g. a flipped colour).  Returns the
    largest |residual| and the largest residual relative to max |density| at the same level
    (the densities decay as 2^(-t/2), so a global scale would hide late levels)."""
    alpha_sites = np.asarray(alpha_sites, dtype=object if mean.dtype == object else float)
    steps, width = mean.shape[1], mean.shape[2]
    worst_abs, worst_rel = 0.0, 0.0
    exact_zero = True
    for name, (env, comps) in ENVELOPES.items():
        rows = (table or {}).get(name) or rules.transition_table(env)
        index = {n: comps[k] for k, n in enumerate(env.components)}
        for t in range(steps - 1):
            for target in env.components:
                pred = np.zeros(width, dtype=mean.dtype) if mean.dtype != object else \
                    np.array([0] * width, dtype=object)
                for tgt, source, offset, wt, sign in rows:
                    if tgt != target:
                        continue
                    coeff = alpha_sites if wt == N.alpha else 1 - alpha_sites
                    src = mean[index[source], t]
                    shifted = np.zeros(width, dtype=mean.dtype) if mean.dtype != object else \
                        np.array([0] * width, dtype=object)
                    if offset > 0:
                        shifted[:width - offset] = src[offset:]
                    else:
                        shifted[-offset:] = src[:width + offset]
                    pred = pred + sign * coeff * shifted
                res = mean[index[target], t + 1] - pred
                if any(r != 0 for r in res):
                    exact_zero = False
                mag = float(np.max(np.abs(np.asarray(mean[index[target], t + 1], dtype=float))))
                r = float(np.max(np.abs(np.asarray(res, dtype=float))))
                worst_abs = max(worst_abs, r)
                if mag > 0:
                    worst_rel = max(worst_rel, r / mag)
    return {"max_abs": worst_abs, "max_rel": worst_rel, "exactly_zero": exact_zero}


class PotentialAlpha:
    """alpha of (5) on the integer sites for a potential v(z) (numpy callable, physical z = j
    delta): e^{v eps} / (e^{v eps} + e^{-v eps}) = (1 + tanh(v eps)) / 2.  Picklable when v is;
    `period` (sites) is passed through for the exact width classes."""

    def __init__(self, v, delta: float, epsilon: float, period: int | None = None):
        self.v, self.delta, self.epsilon, self.period = v, delta, epsilon, period

    def __call__(self, pos):
        x = self.v(np.asarray(pos) * self.delta) * self.epsilon
        return 0.5 * (1 + np.tanh(x))


class Cosine:
    """v(z) = amplitude cos(2 pi z / wavelength); wavelength None: v = amplitude everywhere."""

    def __init__(self, amplitude: float, wavelength: float | None):
        self.amplitude, self.wavelength = amplitude, wavelength

    def __call__(self, z):
        z = np.asarray(z, dtype=float)
        if self.wavelength is None:
            return np.full(z.shape, self.amplitude)
        return self.amplitude * np.cos(2 * np.pi * z / self.wavelength)


def _fitted_slope(xs, ys) -> float | None:
    pts = [(math.log(x), math.log(y)) for x, y in zip(xs, ys) if y > 0]
    if len(pts) < 2:
        return None
    mx = sum(p[0] for p in pts) / len(pts)
    my = sum(p[1] for p in pts) / len(pts)
    sxx = sum((p[0] - mx) ** 2 for p in pts)
    return sum((p[0] - mx) * (p[1] - my) for p in pts) / sxx if sxx else None


def trend(h, values) -> tuple[float | None, str]:
    """Least-squares slope of log(value) on log(h) over all points, and its label: "vanishes"
    (slope > 0.5 and the last value below the first), "grows" (slope < -0.5), else "bounded"."""
    slope = _fitted_slope(h, values)
    if slope is not None and slope > 0.5 and values[-1] < values[0]:
        return slope, "vanishes"
    if slope is not None and slope < -0.5:
        return slope, "grows"
    return slope, "bounded"


def _reference(steps: int, alpha_sites: np.ndarray, normaliser: float) -> np.ndarray:
    """(1)-(2) iterated with engines.Lattice from the process's point source, to level steps."""
    width = alpha_sites.size
    origin = width // 2
    out = np.zeros((4, width))
    for name, start in (("left", (0, -1.0)), ("right", (1, 1.0))):
        env, comps = ENVELOPES[name]
        u = np.zeros((2, width))
        u[start[0], origin] = start[1]
        lat = Lattice(alpha_sites, env=env, periodic=False)
        out[list(comps)] = lat.run(u, steps, scale=normaliser)
    return out


def _discrepancy(level, ref: np.ndarray, steps: int, occupation=None, floor=None) -> dict:
    """max |difference| / max |signal| on the sublattice the source reaches, per envelope; with
    the occupation, also max |difference| / max occupation (the bias per unit of probability)
    and the rounding floor relative to the signal."""
    width = ref.shape[1]
    live = (np.arange(width) - width // 2 + steps) % 2 == 0
    out = {}
    level = np.asarray(level, dtype=float)
    for name, (_, comps) in ENVELOPES.items():
        c = list(comps)
        sig = np.max(np.abs(ref[c][:, live]))
        diff = np.max(np.abs(level[c] - ref[c])[:, live])
        out[name] = float(diff / sig)
        if occupation is not None:
            occ = np.asarray(occupation, dtype=float)[c][:, live]
            out[name + "_bias"] = float(diff / np.max(np.abs(occ)))
            out[name + "_floor"] = float(np.max(floor[c][:, live]) / sig)
    out["both"] = max(out["left"], out["right"])
    if occupation is not None:
        out["bias"] = max(out["left_bias"], out["right_bias"])
        out["floor"] = max(out["left_floor"], out["right_floor"])
    return out


@counted
def continuum_study(normaliser: float, alpha_builder, *, D: float = 0.5, T: float = 0.5,
                    wavelength: float = 2.0, amplitude: float = 4.0,
                    inverse_deltas=(4, 8, 12, 16, 20, 24), amplitudes=(1.0, 2.0, 4.0),
                    control_precision: str = "float64") -> dict:
    """Process (R1) against (1)-(2) with alpha(z), under diffusive scaling, as delta -> 0.

    normaliser: the per-step factor of (12) (sqrt 2); alpha_builder(v, delta, epsilon, period)
    returns alpha on the integer sites for a physical potential v(z) (e.g. PotentialAlpha: (5)).
    For delta = 1/m: epsilon = delta^2 / (2 D), n = T / epsilon steps (a multiple of 8, as (12)
    asks), v(z) = amplitude cos(2 pi z / wavelength), wavelength / delta sites (an integer: the
    period of the exact width classes).  At t = T the process's normalised densities and (1)-(2)
    iterated with engines.Lattice from the same point source are compared: max |difference| /
    max |signal| over the sublattice the source reaches, both envelopes.  Readings: "R1" the
    process (alpha at the forward path's events), "R2" each envelope as its own walk
    (`envelope_walk`), "constant" the process with v = amplitude everywhere (control).  For R1
    and the control also: "bias" = max |difference| / max occupation (the uncancelled part per
    unit of crossing probability, before it is divided by the exponentially small signal) and
    "floor" = float64's rounding estimate relative to the signal; a reading whose every value
    lies below its floor is labelled "at rounding" (the rule's own label kept as rule_trend).
    Then R1 at the finest delta for each of `amplitudes`.  control_precision="mpmath" computes
    the control with 30 + 0.16 n digits (about 10 s for n = 72: deltas 1/4, 1/8, 1/12)."""
    keys = ("h", "steps", "discrepancy", "left", "right", "bias", "floor")
    readings = {k: {key: [] for key in keys} for k in ("R1", "R2", "constant")}
    plan = []
    for m in inverse_deltas:
        delta = 1.0 / m
        eps = delta**2 / (2 * D)
        n = round(T / eps)
        sites_per_wave = wavelength / delta
        if abs(n - T / eps) > 1e-9 or n % 8 or abs(sites_per_wave - round(sites_per_wave)) > 1e-9:
            raise EntwinedError(f"delta = 1/{m}: T/epsilon = {T / eps:g} must be a multiple of 8 "
                                f"and wavelength/delta = {sites_per_wave:g} an integer")
        plan.append((delta, eps, n, round(sites_per_wave)))

    def process(alpha, n, per, precision="float64"):
        sites = np.arange(-n, n + 1)
        a = np.broadcast_to(np.asarray(alpha(sites), dtype=float), sites.shape)
        ref = _reference(n, a, normaliser)
        dps = 30 + math.ceil(0.16 * n)
        proc = expected_densities(n + 1, alpha, precision=precision, period=per, dps=dps,
                                  scale=normaliser, occupation=True)
        # rounding of the evaluator (mpmath: 10^-dps) plus the float64 reference's own, ~n ulp
        floor = proc["rounding_floor"][:, n, 1:-1] + 4 * 2.0**-53 * (n + 1) * np.max(np.abs(ref))
        d = _discrepancy(proc["mean"][:, n, 1:-1], ref, n, proc["occupation"][:, n, 1:-1], floor)
        return d, ref, proc

    seconds = []
    for delta, eps, n, per in plan:
        alpha = alpha_builder(Cosine(amplitude, wavelength), delta, eps, per)
        d1, ref, proc = process(alpha, n, per)
        seconds.append(proc["seconds"])
        walk = envelope_walk(n + 1, alpha, colour="sign", scale=normaliser)
        d2 = _discrepancy(walk["mean"][:, n, 1:-1], ref, n)
        d2.update(bias=None, floor=None)
        const = alpha_builder(Cosine(amplitude, None), delta, eps, 1)
        dc, _, _ = process(const, n, 1, control_precision)
        for key, d in (("R1", d1), ("R2", d2), ("constant", dc)):
            r = readings[key]
            r["h"].append(delta)
            r["steps"].append(n)
            r["discrepancy"].append(d["both"])
            for k in ("left", "right", "bias", "floor"):
                r[k].append(d[k])
    for key, r in readings.items():
        r["fitted_slope"], r["rule_trend"] = trend(r["h"], r["discrepancy"])
        if key == "R2":
            r["at_rounding"] = max(r["discrepancy"]) < 1e-12
        else:
            r["at_rounding"] = all(d <= f for d, f in zip(r["discrepancy"], r["floor"]))
            r["bias_slope"] = _fitted_slope(r["h"], r["bias"])
        r["trend"] = "at rounding" if r["at_rounding"] else r["rule_trend"]
    delta, eps, n, per = plan[-1]
    amp_disc, amp_bias = [], []
    for a in amplitudes:
        d, _, _ = process(alpha_builder(Cosine(a, wavelength), delta, eps, per), n, per)
        amp_disc.append(d["both"])
        amp_bias.append(d["bias"])
    return {"readings": readings,
            "amplitude_dependence": {"amplitude": list(amplitudes), "h": delta, "steps": n,
                                     "discrepancy": amp_disc, "bias": amp_bias,
                                     "fitted_exponent": _fitted_slope(amplitudes, amp_disc),
                                     "bias_exponent": _fitted_slope(amplitudes, amp_bias)},
            "D": D, "T": T, "wavelength": wavelength, "amplitude": amplitude,
            "largest_steps": max(p[2] for p in plan), "process_seconds": seconds,
            "normaliser": normaliser}
