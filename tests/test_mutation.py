"""The verifier can say no: mutants of printed claims are killed."""
from entwined.core.claims import load_claims
from entwined.run.mutate import mutants_of, run_mutation


def test_mutant_kinds_are_generated():
    kinds = {k for k, _ in mutants_of("phip1(z, t + epsilon) = beta*phip1(z + delta, t) - alpha*phip2(z - delta, t)")}
    assert {"sign flip", "coefficient doubled", "shift swapped"} <= kinds
    assert "factor i dropped" in {k for k, _ in mutants_of("I*Derivative(psi_m(z, t), t) = c*psi_m(z, t)")}


def test_every_non_equivalent_mutant_is_killed_on_sample_claims():
    result = run_mutation(load_claims(), only={"1", "13", "17", "25.klein-gordon"})
    assert result["total"]["mutants"] > 20
    assert result["total"]["killed"] == result["total"]["mutants"]
    by_id = {e["equation"]: e for e in result["claims"]}
    assert by_id["13"]["numeric_killed"] == by_id["13"]["mutants"]
    # (17): mutations inside the printed O(eps^2) are recognised as equivalent, with the reason
    assert all("O(epsilon**2)" in r["reason"] for r in by_id["17"]["equivalent"])


def test_same_outcome_with_one_process_and_with_forked_workers(monkeypatch, forks):
    """The claims are shared with forked workers (core/forked.py): every mutant's outcome, and
    the order of the claims, must not depend on it."""
    only = {"3", "11.rotation", "13", "18", "25.klein-gordon"}
    calls = []
    monkeypatch.setenv("ENTWINED_WORKERS", "2")         # first: no cache warmed by the other
    shared = run_mutation(load_claims(), only=only,
                          progress=lambda i, n, claim: calls.append((i, n)))
    assert forks, "no worker was forked"
    assert calls[0][0] == 0 and calls[-1] == (len(only) - 1, len(only))   # display opens, closes
    monkeypatch.setenv("ENTWINED_WORKERS", "1")
    alone = run_mutation(load_claims(), only=only)
    assert [e["equation"] for e in shared["claims"]] == [e["equation"] for e in alone["claims"]]
    assert shared == alone
    assert alone["total"]["mutants"] > 20
