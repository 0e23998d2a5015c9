"""The exact evaluator of the entwined-pair process (numerics/exact_process.py), validated three
ways: (a) at constant alpha its densities obey (1)-(2) to rounding (exactly in Fraction mode),
(b) with alpha(z) it agrees with the sampled process within 5 standard errors family-wise,
(c) each envelope generated as its own walk (reading R2) obeys (1)-(2) with alpha(z); plus an
independent enumeration of rectangles, precision modes against each other, and wrong
recurrences rejected by the exact route."""
import math
from fractions import Fraction

import numpy as np
import pytest

from entwined.checks.stochastic import montecarlo as mcc
from entwined.core import rules
from entwined.core.claims import load_claims
from entwined.core.errors import EntwinedError
from entwined.numerics import exact_process as ep
from entwined.numerics import montecarlo as mc
from tests.conftest import mutated

STEPS = mcc.STEPS                       # 24, the Monte Carlo checks' size
POTENTIAL = mcc.POTENTIAL               # CanonicalAlpha(3, 19, 0.4): period 19 on the sites
FLOAT_BOUND = 1e-12                     # relative to max |density| at the same level
COMPONENTS = mcc.COMPONENTS
SOURCES = mcc.SOURCES


def sites(steps):
    return np.arange(-steps, steps + 1)


def alpha_row(alpha, steps, shift=0, exact=False):
    a = np.broadcast_to(np.asarray(alpha(sites(steps) + shift), dtype=float), sites(steps).shape)
    return np.array([Fraction(float(x)) for x in a], dtype=object) if exact else a


def printed(claim_id, alpha_sites, steps, path=None):
    """(1) or (2) as printed, iterated from the process's point source (float64)."""
    pairs = load_claims(path).by_id()[claim_id].parsed
    rows = mc.recurrence_from_printed(pairs, alpha_sites)
    source = {(name, steps): v for (name, _), v in SOURCES[claim_id].items()}
    return mc.iterate_printed(rows, source, steps, 2 * steps + 1)


def relative_gap(result, exact, names):
    """max over levels of max |result - exact| / max |exact| at that level."""
    worst = 0.0
    for t, level in enumerate(exact):
        for name in names:
            got = np.asarray(result["mean"][ep.NAMES.index(name), t], dtype=float)
            scale = np.max(np.abs(level[name]))
            if scale > 0:
                worst = max(worst, float(np.max(np.abs(got - level[name])) / scale))
    return worst


class Walled:
    """Rational alpha repeating `values`, and 1 from |z| >= wall on: every leg is finite, so the
    process is a finite sum and can be enumerated."""

    def __init__(self, values, wall):
        self.values, self.wall = values, wall

    def scalar(self, x):
        return Fraction(1) if abs(x) >= self.wall else self.values[x % len(self.values)]

    def __call__(self, pos):
        pos = np.asarray(pos)
        out = np.empty(pos.shape, dtype=object)
        for i, x in np.ndenumerate(pos):
            out[i] = self.scalar(int(x))
        return out


class Periodic(Walled):
    period = 3

    def __init__(self):
        super().__init__([Fraction(1, 3), Fraction(1, 2), Fraction(1, 5)], wall=10**9)


def enumerate_rectangles(steps, alpha):
    """The process by brute force: anchors in time order, every (a, b) of every rectangle, its
    four sides tallied with their charges; independent of the DP's state space."""
    def legs(P, d):
        out, surv, a = [], Fraction(1), 0
        while surv:
            a += 1
            al = alpha(P + d * a)
            out.append((a, surv * al))
            surv *= 1 - al
        return out

    S = steps
    mean = np.array([Fraction(0)] * (4 * S * (2 * S + 1)), dtype=object).reshape(4, S, 2 * S + 1)
    comp = {("left", -1): 0, ("left", 1): 1, ("right", -1): 2, ("right", 1): 3}
    anchors = {(0, 0, 1): Fraction(1)}
    for T in range(S):
        for (T0, P, d), pa in sorted(anchors.items()):
            if T0 != T:
                continue
            for a, pr_a in legs(P, d):
                R = P + d * a
                for b, pr_b in legs(R, -d):
                    pr = pa * pr_a * pr_b
                    fwd, ret = ("right", "left") if d == 1 else ("left", "right")
                    links = [(fwd, T + i, P + d * i, d, 1) for i in range(a)]
                    links += [(fwd, T + a + j, R - d * j, -d, 1) for j in range(b)]
                    links += [(ret, T + j, P - d * j, -d, -1) for j in range(b)]
                    links += [(ret, T + b + i, P - d * b + d * i, d, -1) for i in range(a)]
                    for env, t, x, direction, q in links:
                        if t < S:
                            mean[comp[(env, direction)], t, x + S] += q * pr
                    top = (T + a + b, R - d * b, -d)
                    if top[0] < S:
                        anchors[top] = anchors.get(top, Fraction(0)) + pr
    return mean


def test_dp_equals_the_enumeration_of_rectangles_exactly():
    S = 10
    alpha = Walled([Fraction(1, 3), Fraction(1, 2), Fraction(3, 5), Fraction(1, 4), Fraction(2, 7)],
                   wall=6)
    res = ep.expected_densities(S, alpha, precision="fraction", period=None, truncation=4 * S)
    assert res["tail_bound"] == 0.0 and res["exact"] and res["precision"] == "fraction"
    brute = enumerate_rectangles(S, alpha.scalar)
    assert all(x == y for x, y in zip(brute.ravel(), res["mean"].ravel()))
    assert any(x != 0 for x in res["mean"][:, S - 1].ravel())


@pytest.mark.parametrize("alpha", mcc.ALPHAS)
def test_constant_alpha_obeys_the_printed_recurrences_to_rounding(alpha):
    """(a) float64: residual of the rules' table and distance to (1)-(2) iterated from the point
    source both below FLOAT_BOUND relative (measured <= 1.4e-14 at 24 steps)."""
    res = ep.expected_densities(STEPS, mc.ConstantAlpha(alpha))
    assert res["precision"] == "float64" and res["period"] == 1 and res["exact"]
    row = alpha_row(mc.ConstantAlpha(alpha), STEPS)
    assert ep.recurrence_residual(res["mean"], row)["max_rel"] < FLOAT_BOUND
    for claim_id in ("1", "2"):
        gap = relative_gap(res, printed(claim_id, row, STEPS), COMPONENTS[claim_id])
        assert gap < FLOAT_BOUND, (claim_id, gap)


def test_constant_alpha_obeys_the_recurrences_exactly_in_fraction_mode():
    """(a) exact: the residual is 0, not small (the width classes' geometric sums included)."""
    S = 12
    for alpha in (mc.ConstantAlpha(0.3), lambda pos: Fraction(2, 7)):
        res = ep.expected_densities(S, alpha, precision="fraction", period=1)
        row = np.array([Fraction(alpha(0))] * (2 * S + 1), dtype=object)
        out = ep.recurrence_residual(res["mean"], row)
        assert out["exactly_zero"] and out["max_abs"] == 0.0
        assert res["mean"][0, 0, S] == -1 and res["mean"][3, 0, S] == 1


def test_every_level_carries_zero_net_charge_exactly():
    """Each entwined path puts +1 and -1 on every level below t_R: the four densities sum to 0."""
    res = ep.expected_densities(12, POTENTIAL, precision="fraction")
    assert all(v == 0 for v in res["mean"].sum(axis=(0, 2)))


@pytest.fixture(scope="module")
def sampled_with_potential():
    return mc.sample(100_000, STEPS, POTENTIAL, seed=2002)


def test_process_with_potential_agrees_with_the_monte_carlo(sampled_with_potential):
    """(b) max |MC - exact| / standard error over every live site of both envelopes below 5
    (measured 3.0 and 3.6), where the printed recurrence with alpha(z) is far off (z ~ 18)."""
    res = ep.expected_densities(STEPS, POTENTIAL)
    assert res["period"] == 19 and res["exact"]
    levels = ep.as_levels(res)
    for claim_id in ("1", "2"):
        out = mc.compare(sampled_with_potential, levels, COMPONENTS[claim_id], threshold=5.0)
        assert out["passes"] and out["sites"] > 500, out
        recurrence = printed(claim_id, alpha_row(POTENTIAL, STEPS), STEPS)
        wrong = mc.compare(sampled_with_potential, recurrence, COMPONENTS[claim_id], threshold=5.0)
        assert not wrong["passes"] and wrong["max_z"] > 10
    # the exact route sees the same: the process does not obey (1)-(2) with alpha(z)
    assert ep.recurrence_residual(res["mean"], alpha_row(POTENTIAL, STEPS))["max_rel"] > 0.1


def test_each_envelope_as_its_own_walk_obeys_the_recurrences_with_potential():
    """(c) reading R2, the colour carried as a state (P(+) - P(-)): exactly (1)-(2) in Fraction
    mode; in float64 below 1e-10 relative (the subtraction costs ~2^(t/2) ulp; measured 7e-16)."""
    S = 12
    walk = ep.envelope_walk(S, POTENTIAL, precision="fraction", colour="state")
    assert ep.recurrence_residual(walk["mean"], alpha_row(POTENTIAL, S, exact=True))["exactly_zero"]
    walk = ep.envelope_walk(STEPS, POTENTIAL, colour="state")
    row = alpha_row(POTENTIAL, STEPS)
    assert ep.recurrence_residual(walk["mean"], row)["max_rel"] < 1e-10
    for claim_id in ("1", "2"):
        assert relative_gap(walk, printed(claim_id, row, STEPS), COMPONENTS[claim_id]) < 1e-10
    signed = ep.envelope_walk(STEPS, POTENTIAL, colour="sign")
    assert np.max(np.abs(signed["mean"] - walk["mean"])) < 1e-15


def test_exact_and_mpmath_modes_equal_float64_within_rounding():
    S = 12
    fl = ep.expected_densities(S, POTENTIAL)
    fr = ep.expected_densities(S, POTENTIAL, precision="fraction")
    mp = ep.expected_densities(S, POTENTIAL, precision="mpmath", dps=40)
    assert (fl["precision"], fr["precision"], mp["precision"]) == ("float64", "fraction", "mpmath")
    assert isinstance(fr["mean"][0, 0, S], Fraction)
    exact = np.asarray(fr["mean"], dtype=float)
    for t in range(S):
        scale = np.max(np.abs(exact[:, t]))
        assert np.max(np.abs(fl["mean"][:, t] - exact[:, t])) <= 1e-14 * scale
        assert np.max(np.abs(np.asarray(mp["mean"][:, t], dtype=float) - exact[:, t])) <= 1e-15 * scale


def test_period_classes_equal_a_long_truncation():
    S = 10
    exact = ep.expected_densities(S, Periodic(), precision="fraction")
    assert exact["period"] == 3 and exact["tail_bound"] == 0.0
    trunc = ep.expected_densities(S, Periodic(), period=None, truncation=200)
    assert not trunc["exact"] and 0 < trunc["tail_bound"] < 1e-30
    gap = np.max(np.abs(np.asarray(exact["mean"], dtype=float) - trunc["mean"]))
    assert gap <= trunc["tail_bound"] + 1e-15


def test_a_flipped_colour_rule_is_rejected_by_the_exact_route(tmp_path):
    """The process at constant alpha against (1) with the scattering sign into phi'_2 flipped:
    exactly 0 residual for the true table, O(1) for the flipped one (float64 and Fraction)."""
    path = mutated(tmp_path, "= beta*phip2(z - delta, t) + alpha*phip1(z + delta, t)",
                   "= beta*phip2(z - delta, t) - alpha*phip1(z + delta, t)")
    res = ep.expected_densities(STEPS, mc.ConstantAlpha(0.3))
    row = alpha_row(mc.ConstantAlpha(0.3), STEPS)
    assert relative_gap(res, printed("1", row, STEPS, path), COMPONENTS["1"]) > 0.1
    flipped = [(tgt, src, off, wt, -sign if tgt != src and tgt == "phip2" else sign)
               for tgt, src, off, wt, sign in rules.transition_table(rules.LEFT)]
    S = 10
    exact = ep.expected_densities(S, mc.ConstantAlpha(0.3), precision="fraction")
    xrow = alpha_row(mc.ConstantAlpha(0.3), S, exact=True)
    assert ep.recurrence_residual(exact["mean"], xrow)["exactly_zero"]
    wrong = ep.recurrence_residual(exact["mean"], xrow, table={"left": flipped})
    assert wrong["max_rel"] > 0.1


def test_alpha_at_the_wrong_site_is_rejected_by_the_exact_route():
    """alpha shifted by one site (z - delta or z + delta instead of the target z): the R2 walk,
    which obeys (1) exactly, leaves a residual ~0.4 relative; so does the process (which obeys
    neither: 0.21 with the right site, 0.40-0.54 with a shifted one)."""
    S = 12
    walk = ep.envelope_walk(S, POTENTIAL, precision="fraction")
    for shift in (-1, 1):
        out = ep.recurrence_residual(walk["mean"], alpha_row(POTENTIAL, S, shift, exact=True))
        assert not out["exactly_zero"] and out["max_rel"] > 0.1
        shifted = printed("1", alpha_row(POTENTIAL, S, shift), S)
        assert relative_gap(walk, shifted, ["phip1", "phip2"]) > 0.1
    res = ep.expected_densities(STEPS, POTENTIAL)
    right = ep.recurrence_residual(res["mean"], alpha_row(POTENTIAL, STEPS))["max_rel"]
    for shift in (-1, 1):
        wrong = ep.recurrence_residual(res["mean"], alpha_row(POTENTIAL, STEPS, shift))
        assert wrong["max_rel"] > right


def test_continuum_study_small():
    """A reduced study (three deltas, two amplitudes): the process's normalised discrepancy
    grows, its bias per unit crossing probability shrinks (~delta^3) linearly in the amplitude,
    R2 and constant alpha at rounding."""
    out = ep.continuum_study(math.sqrt(2), ep.PotentialAlpha, inverse_deltas=(4, 8, 12),
                             amplitudes=(1.0, 2.0))
    r1, r2, const = (out["readings"][k] for k in ("R1", "R2", "constant"))
    assert out["largest_steps"] == 72 and r1["steps"] == [8, 32, 72]
    assert r1["trend"] == "grows" and r1["fitted_slope"] < -0.5
    assert r1["discrepancy"][-1] > 1e6 * r1["discrepancy"][0]
    assert all(d > 1e6 * f for d, f in zip(r1["discrepancy"], r1["floor"]))
    assert r1["bias_slope"] > 2 and r1["bias"][-1] < r1["bias"][0]
    assert r2["trend"] == "at rounding" and max(r2["discrepancy"]) < 1e-12
    assert const["trend"] == "at rounding" and max(const["bias"]) < 1e-14
    amp = out["amplitude_dependence"]
    assert abs(amp["fitted_exponent"] - 1) < 0.1 and abs(amp["bias_exponent"] - 1) < 0.1


def test_trend_labels_follow_the_rule():
    h = [0.4, 0.2, 0.1, 0.05]
    assert ep.trend(h, [1e-1, 5e-2, 2.5e-2, 1.25e-2]) == (pytest.approx(1.0), "vanishes")
    assert ep.trend(h, [1.0, 4.0, 16.0, 64.0])[1] == "grows"
    assert ep.trend(h, [1.0, 1.1, 0.9, 1.0])[1] == "bounded"


def test_bad_arguments_are_refused():
    with pytest.raises(EntwinedError, match="precision"):
        ep.expected_densities(4, mc.ConstantAlpha(0.3), precision="float32")
    with pytest.raises(EntwinedError, match="not periodic"):
        ep.expected_densities(6, POTENTIAL, period=7)
    with pytest.raises(EntwinedError, match="never reverses"):
        ep.expected_densities(4, mc.ConstantAlpha(0.0))
    with pytest.raises(EntwinedError, match=r"\[0, 1\]"):
        ep.expected_densities(4, mc.ConstantAlpha(1.5))
    assert ep.infer_period(mc.CanonicalAlpha(1.0, 7.5, 0.1)) is None
