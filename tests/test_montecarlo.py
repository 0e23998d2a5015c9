"""The entwined-path process itself, sampled: its envelope averages obey (1)-(2) as printed."""
import numpy as np
import pytest

from entwined.checks.stochastic import montecarlo as mcc
from entwined.checks.registry import Context
from entwined.core.claims import load_claims
from entwined.numerics import jit, montecarlo as mc
from tests.conftest import mutated

STEPS = 16


@pytest.fixture(scope="module")
def ensemble():
    return mc.sample(120_000, STEPS, mc.ConstantAlpha(0.3), seed=11, workers=1)


def _exact(pairs, source, alpha=0.3, steps=STEPS):
    width = 2 * steps + 1
    rows = mc.recurrence_from_printed(pairs, np.full(width, alpha))
    return mc.iterate_printed(rows, source, steps, width)


def test_process_matches_printed_recurrences(ensemble):
    claims = load_claims().by_id()
    left = mc.compare(ensemble, _exact(claims["1"].parsed, {("phip1", STEPS): -1.0}),
                      {"phip1": 0, "phip2": 1})
    right = mc.compare(ensemble, _exact(claims["2"].parsed, {("phip4", STEPS): 1.0}),
                       {"phip3": 2, "phip4": 3})
    assert left["passes"] and right["passes"]


def test_flipped_scattering_sign_is_rejected_by_the_process(ensemble, tmp_path):
    path = mutated(tmp_path, "= beta*phip2(z - delta, t) + alpha*phip1(z + delta, t)",
                   "= beta*phip2(z - delta, t) - alpha*phip1(z + delta, t)")
    wrong = load_claims(path).by_id()["1"].parsed
    out = mc.compare(ensemble, _exact(wrong, {("phip1", STEPS): -1.0}), {"phip1": 0, "phip2": 1})
    assert not out["passes"] and out["max_z"] > 20


def test_head_indexing_does_not_give_the_printed_recurrence(ensemble):
    """Re-index the same samples at the head of each link: (1) as printed then fails."""
    head = dict(ensemble)
    mean = np.zeros_like(ensemble["mean"])
    se = np.zeros_like(ensemble["stderr"])
    mean[0, 1:, :-1] = ensemble["mean"][0, :-1, 1:]      # link leaving z in -z enters z - 1
    mean[1, 1:, 1:] = ensemble["mean"][1, :-1, :-1]
    se[0, 1:, :-1] = ensemble["stderr"][0, :-1, 1:]
    se[1, 1:, 1:] = ensemble["stderr"][1, :-1, :-1]
    head.update(mean=mean[:, 1:], stderr=se[:, 1:], steps=STEPS - 1)
    claims = load_claims().by_id()
    exact = _exact(claims["1"].parsed, {("phip1", STEPS - 1): -1.0}, steps=STEPS - 1)
    pad = [{k: np.pad(v, 1) for k, v in e.items()} for e in exact]
    out = mc.compare(head, pad, {"phip1": 0, "phip2": 1})
    assert not out["passes"]


def test_statistical_error_shrinks_as_inverse_root_n():
    ctx = Context(claims=load_claims().by_id(), numerics=True, quick=True)
    scaling = mcc.error_scaling(ctx)
    assert scaling["passes"], scaling


def test_sampling_is_reproducible_and_parallel_equals_serial(monkeypatch):
    a = mc.sample(20_000, 8, mc.ConstantAlpha(0.4), seed=5, workers=1, chunk=5_000)
    b = mc.sample(20_000, 8, mc.ConstantAlpha(0.4), seed=5, workers=2, chunk=5_000)
    monkeypatch.setattr(mc, "KERNEL_CHUNK", 777)        # many rounds, uneven thread shares
    c = mc.sample(20_000, 8, mc.ConstantAlpha(0.4), seed=5, workers=3)
    assert np.array_equal(a["mean"], b["mean"]) and np.array_equal(a["mean"], c["mean"])
    assert a["turns"] == b["turns"] == c["turns"]


def _mc_kernel_ran(before):
    if not jit.compiled("mc_block"):
        pytest.skip("numba did not compile mc_block (NUMBA_DISABLE_JIT set?): nothing to compare")
    assert jit.CALLS["mc_block"] > before, "the compiled kernel never ran"


@pytest.mark.parametrize("alpha", [mc.ConstantAlpha(0.3), mc.CanonicalAlpha(3.0, 19.0, 0.4),
                                   mc.ConstantAlpha(0.9)], ids=["const", "potential", "high"])
def test_compiled_kernel_gives_the_numpy_oracles_bits(alpha):
    """Every tally is an integer sum and both draw from the same counter-based stream, so the
    kernel must reproduce the vectorised NumPy oracle exactly: means, errors and turn counts."""
    before = jit.CALLS["mc_block"]
    fast = mc.sample(6_000, 12, alpha, seed=3, workers=2)
    _mc_kernel_ran(before)
    slow = mc.sample_numpy(6_000, 12, alpha, seed=3, chunk=2_500)
    assert np.array_equal(fast["mean"], slow["mean"]) and np.array_equal(fast["stderr"], slow["stderr"])
    assert fast["turns"] == slow["turns"]
    assert np.any(fast["mean"] != 0)


def test_paths_that_walk_off_the_alpha_table_are_repeated_not_lost(monkeypatch):
    """With a table of 2 sites past t_R most paths leave it; the chunk is rerun with a wider
    table and the result is the one a wide table gives at once."""
    wide = mc.sample(3_000, 10, mc.ConstantAlpha(0.05), seed=9)
    monkeypatch.setattr(mc, "TABLE_MARGIN", 2)
    calls = []
    real = mc.alpha_table
    monkeypatch.setattr(mc, "alpha_table", lambda f, reach: calls.append(reach) or real(f, reach))
    narrow = mc.sample(3_000, 10, mc.ConstantAlpha(0.05), seed=9)
    assert len(calls) > 1 and np.array_equal(wide["mean"], narrow["mean"])
    assert wide["turns"] == narrow["turns"]


def test_counter_based_uniforms_are_the_same_bits_in_numpy_and_numba():
    key = mc.seed_key(2002)
    paths = np.array([0, 1, 2, 12345, 2**40], dtype=np.uint64)
    for t in (1, 7, 2**31):
        vec = mc.uniforms(key, paths, t)
        assert [jit.uniform(np.uint64(key), np.uint64(p), t) for p in paths] == vec.tolist()
    big = mc.uniforms(key, np.arange(200_000, dtype=np.uint64), 3)
    assert 0 <= big.min() and big.max() < 1 and abs(big.mean() - 0.5) < 0.003
    # neighbouring paths and times are uncorrelated
    assert abs(np.corrcoef(big[:-1], big[1:])[0, 1]) < 0.01
    other = mc.uniforms(key, np.arange(200_000, dtype=np.uint64), 4)
    assert abs(np.corrcoef(big, other)[0, 1]) < 0.01


def test_result_depends_on_the_seed():
    a = mc.sample(5_000, 8, mc.ConstantAlpha(0.4), seed=5)
    b = mc.sample(5_000, 8, mc.ConstantAlpha(0.4), seed=6)
    assert not np.array_equal(a["mean"], b["mean"])


def test_kernel_releases_the_gil_so_worker_threads_can_overlap():
    """While one thread is inside the compiled kernel, Python code in another keeps running
    (with the GIL held for the whole call it could not run at all, and workers would only
    take turns)."""
    import threading
    import time
    table = mc.alpha_table(mc.ConstantAlpha(0.5), 300)
    width = 2 * 32 + 1
    arrays = (np.zeros((4, 32, width), np.int64), np.zeros((4, 32, width), np.int64),
              np.zeros((4, 2), np.int64))
    jit.mc_block(np.uint64(1), 0, 10, 32, table, 300, *arrays)       # compiled before timing
    worker = threading.Thread(target=jit.mc_block,
                              args=(np.uint64(1), 0, 600_000, 32, table, 300, *arrays))
    stamps = [time.perf_counter()]
    worker.start()
    while worker.is_alive():
        stamps.append(time.perf_counter())
    worker.join()
    gaps = np.diff(stamps)
    # holding the GIL, the kernel would stop this loop for (nearly) its whole run
    assert arrays[1].sum() > 0 and gaps.max() < 0.5 * (stamps[-1] - stamps[0])
