"""The entwined-path process itself, sampled: its envelope averages obey (1)-(2) as printed."""
import numpy as np
import pytest

from entwined.checks.stochastic import montecarlo as mcc
from entwined.checks.registry import Context
from entwined.core.claims import load_claims
from entwined.numerics import montecarlo as mc
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


def test_sampling_is_reproducible_and_parallel_equals_serial():
    a = mc.sample(20_000, 8, mc.ConstantAlpha(0.4), seed=5, workers=1, chunk=5_000)
    b = mc.sample(20_000, 8, mc.ConstantAlpha(0.4), seed=5, workers=2, chunk=5_000)
    assert np.array_equal(a["mean"], b["mean"])
