"""Flags keep their promises: --no-numerics runs no lattice or Monte Carlo work at all, and
--quick (shorter refinement sequences) never changes a verdict."""
import entwined
from entwined.numerics.usage import CALLS


def test_no_numerics_makes_no_lattice_or_monte_carlo_call():
    CALLS.clear()
    run = entwined.verify(entwined.load_claims(), numerics=False)
    assert len(run.results) == len(entwined.load_claims().claims)
    assert dict(CALLS) == {}


def test_the_counter_sees_numeric_work():
    CALLS.clear()
    entwined.verify(entwined.load_claims(), only={"20"}, numerics=True, quick=True)
    assert CALLS["lattice_constant_data"] > 0


def test_quick_and_full_agree_on_every_verdict():
    claims = entwined.load_claims()
    quick = entwined.verify(claims, quick=True)
    full = entwined.verify(claims, quick=False)
    assert {r.claim.id: r.verdict for r in quick.results} == \
        {r.claim.id: r.verdict for r in full.results}
