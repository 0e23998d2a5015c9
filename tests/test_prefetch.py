"""The Monte Carlo ensembles prepared in a background thread (checks.registry.prefetches): the
same numbers and verdicts as computed on demand, in file order, each ensemble sampled once, and
a failure there reaches the check that needs the ensemble instead of vanishing."""
from __future__ import annotations

import threading

import numpy as np
import pytest

from entwined.checks import registry
from entwined.checks.stochastic import montecarlo as mc_evidence
from entwined.core import forked
from entwined.core.claims import load_claims
from entwined.core.evidence import to_json
from entwined.numerics import montecarlo as mc
from entwined.run.pipeline import verify

IDS = {"1", "2", "1-2.corner-probability", "3"}


def _evidence(run):
    return [(r.claim.id, r.outcome.verdict, {k: to_json(v) for k, v in r.outcome.evidence.items()})
            for r in run.results]


@pytest.fixture
def fresh_ensembles(monkeypatch):
    monkeypatch.setattr(mc_evidence, "_SAMPLES", {})


def test_prefetched_run_equals_the_run_on_demand(fresh_ensembles, monkeypatch):
    claims = load_claims()
    real, samplers = mc.sample, []

    def recorded(*args, **kwargs):
        samplers.append(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(mc, "sample", recorded)
    with_prefetch = verify(claims, quick=True, only=IDS)
    assert "entwined-prefetch" in samplers                  # the thread did the sampling
    assert not [t for t in threading.enumerate() if t.name == "entwined-prefetch"]
    monkeypatch.setattr(mc_evidence, "_SAMPLES", {})
    monkeypatch.setattr("entwined.run.pipeline.PREFETCH", [])
    samplers.clear()
    on_demand = verify(claims, quick=True, only=IDS)
    assert samplers and set(samplers) == {threading.main_thread().name}
    assert _evidence(with_prefetch) == _evidence(on_demand)
    file_order = [c.id for c in claims.claims if c.id in IDS]
    assert [r.claim.id for r in with_prefetch.results] == file_order


def test_an_ensemble_is_sampled_once_whoever_asks(fresh_ensembles, monkeypatch):
    calls, gate = [], threading.Event()
    real = mc.sample

    def slow(*args, **kwargs):
        calls.append(args[0])
        gate.wait(5)
        return real(*args, **kwargs)

    monkeypatch.setattr(mc, "sample", slow)
    out = []
    askers = [threading.Thread(target=lambda: out.append(
        mc_evidence._ensemble(("k", 2000), 2000, mc.ConstantAlpha(0.3), 11))) for _ in range(3)]
    for t in askers:
        t.start()
    gate.set()
    for t in askers:
        t.join(10)
    assert calls == [2000] and len(out) == 3
    assert all(np.array_equal(o["mean"], out[0]["mean"]) for o in out)


def test_a_failed_ensemble_is_not_kept(fresh_ensembles, monkeypatch):
    real, attempts = mc.sample, []

    def once_broken(*args, **kwargs):
        attempts.append(1)
        if len(attempts) == 1:
            raise MemoryError("no room for the tallies")
        return real(*args, **kwargs)

    monkeypatch.setattr(mc, "sample", once_broken)
    with pytest.raises(MemoryError):
        mc_evidence._ensemble(("k", 1000), 1000, mc.ConstantAlpha(0.3), 5)
    result = mc_evidence._ensemble(("k", 1000), 1000, mc.ConstantAlpha(0.3), 5)
    assert len(attempts) == 2 and result["n_paths"] == 1000


def test_a_run_memo_computes_once_across_threads_and_forgets_failures():
    ctx = registry.Context(claims={})
    calls, gate = [], threading.Event()

    def compute():
        calls.append(1)
        gate.wait(5)
        return object()

    out = []
    askers = [threading.Thread(target=lambda: out.append(ctx.memo("k", compute)))
              for _ in range(3)]
    for t in askers:
        t.start()
    gate.set()
    for t in askers:
        t.join(10)
    assert len(calls) == 1 and len(out) == 3 and all(o is out[0] for o in out)

    def broken():
        raise ValueError("singular")
    with pytest.raises(ValueError):
        ctx.memo("bad", broken)
    assert ctx.memo("bad", lambda: 7) == 7


def test_forked_verify_equals_one_process(fresh_ensembles, monkeypatch, forks):
    """verify shares the claims that wait for no background numerics with a forked worker
    (core/forked.py) and checks the waiting ones here: every outcome, status and verdict of
    the chain is what one process gives, and the progress display opens and closes."""
    ids = IDS | {"11", "12", "13", "25.klein-gordon"}        # 12's detail is kept unevaluated
    calls = []
    monkeypatch.setenv("ENTWINED_WORKERS", "2")
    shared = verify(load_claims(), quick=True, only=ids,
                    progress=lambda i, n, claim: calls.append((i, n)))
    assert forks and calls[0][0] == 0 and calls[-1] == (len(ids) - 1, len(ids))
    monkeypatch.setenv("ENTWINED_WORKERS", "1")
    monkeypatch.setattr(mc_evidence, "_SAMPLES", {})
    alone = verify(load_claims(), quick=True, only=ids)

    def said(run):
        return [(r.claim.id, forked.structural_digest((r.outcome, r.status))) for r in run.results]
    assert said(shared) == said(alone)
    assert shared.chain == alone.chain and shared.findings == alone.findings
