"""The `kernels` mark of checks.registry: verify checks the marked claims in the process that
loads numba and shares only the others with its forked workers, so a wrong mark would make a
worker import numba and load the kernels again (or, after an install, compile them a second
time).  Here every check of the bundled claims runs with numerics on (quick sizes: the same
code paths), each after every cache a check could take a result from has been emptied (the
Monte Carlo ensembles, the structural memos, the derivation store's memory and the numerics'
lru caches), and the compiled kernels it ran are counted (numerics/jit.CALLS)."""
from __future__ import annotations

import sys

import pytest

from entwined.checks import registry
from entwined.checks.stochastic import montecarlo as mc_evidence
from entwined.core import memo, store
from entwined.core.claims import load_claims
from entwined.numerics import jit
from entwined.run.guard import Status, run_check


def _forget_everything():
    mc_evidence._SAMPLES.clear()
    memo.clear_all()
    store.forget()
    for name, module in list(sys.modules.items()):
        if name.startswith("entwined.numerics"):
            for value in vars(module).values():
                if callable(getattr(value, "cache_clear", None)):
                    value.cache_clear()


@pytest.fixture
def fresh_ensembles(monkeypatch):
    monkeypatch.setattr(mc_evidence, "_SAMPLES", {})


def test_a_check_runs_compiled_kernels_exactly_when_it_is_marked(fresh_ensembles):
    claims = load_claims()
    checks = registry.load_all()
    by_id = claims.by_id()
    ran, marked = set(), registry.kernel_ids()
    for claim in claims.claims:
        if claim.is_main or claim.id not in checks:
            continue
        _forget_everything()
        before = sum(jit.CALLS.values())
        ctx = registry.Context(claims=by_id, numerics=True, quick=True)
        guarded = run_check(checks[claim.id], claim, ctx, None)
        assert guarded.status == Status.RAN, claim.id
        if sum(jit.CALLS.values()) > before:
            ran.add(claim.id)
    assert ran == marked
    assert {"13", "5.stochastic-potential", "1"} <= ran          # lattice, both Monte Carlos
