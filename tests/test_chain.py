"""The paper as a chain: step verdicts stay, chain status follows the premises; cycles are
refused; an unreadable glyph gives a reading-dependent verdict; one root cause, one finding."""
import pytest
import sympy as sp

import entwined
from entwined.core.claims import load_claims
from entwined.core.errors import ClaimError
from entwined.core import notation as N
from entwined.core.verdicts import Verdict
from tests.conftest import mutated
from tests.snapshot_tools import correction_matches


def test_a_failing_premise_turns_the_chain_but_not_the_step(tmp_path):
    base = entwined.verify(load_claims(), only={"1", "15", "16", "17", "18"}, numerics=False)
    assert base["16"].verdict == Verdict.HOLDS and base.chain["17"].status == "sound"
    # break (16): its dependants' chain status changes, their step verdicts do not
    path = mutated(tmp_path, '"phip1(z, t + epsilon) = (1 - a*epsilon)*phip1(z + delta, t)',
                   '"phip1(z, t + epsilon) = (1 + a*epsilon)*phip1(z + delta, t)')
    run = entwined.verify(load_claims(path), only={"1", "15", "16", "17", "18"}, numerics=False)
    # the step verdict of (16) names what holds instead: the printed (16), damping 1 - a*epsilon
    assert run["16"].verdict == Verdict.CORRECTED
    p1, p2 = sp.Function("phip1"), sp.Function("phip2")
    ae = N.a * N.epsilon
    assert correction_matches(run["16"].outcome, {
        "phip1": (1 - ae) * p1(N.z + N.delta, N.t) - ae * p2(N.z - N.delta, N.t),
        "phip2": ae * p1(N.z + N.delta, N.t) + (1 - ae) * p2(N.z - N.delta, N.t)})
    assert run["17"].verdict == base["17"].verdict and run["18"].verdict == base["18"].verdict
    assert run.chain["17"].status == "rests-on-correction" and "16" in run.chain["17"].culprits


def test_cycle_in_uses_is_one_line_error(tmp_path):
    path = mutated(tmp_path, 'uses = ["1", "15"]', 'uses = ["1", "15", "17"]')
    with pytest.raises(ClaimError, match="cycle") as err:
        load_claims(path)
    assert "\n" not in str(err.value)


def test_unknown_premise_is_refused(tmp_path):
    path = mutated(tmp_path, 'uses = ["1", "15"]', 'uses = ["1", "nope"]')
    with pytest.raises(ClaimError, match="unknown claim 'nope'"):
        load_claims(path)


def test_reading_dependent_verdict():
    run = entwined.verify(load_claims(), only={"11.rotation"}, numerics=False)
    readings = run["11.rotation"].outcome.evidence["readings"].as_dict()
    assert readings["k = 1/sqrt(2)"] == "holds" and readings["k = 1/2"] == "holds-with-correction"
    assert run.finding_of("11.rotation") == "rotation-factor"


def test_damping_omission_is_one_finding_over_18_to_23():
    """The omission is a verdict at (18) only; (19)-(23) follow from (18) as printed, so their
    step holds and their chain rests on (18): one slip, counted once."""
    run = entwined.verify(load_claims(), numerics=False)
    damping = [f for f in run.findings if f.id == "damping"]
    assert len(damping) == 1 and damping[0].kind == "omission"
    assert damping[0].claims == ("18",)
    assert set(damping[0].unaffected) == {"19", "20", "22", "23"}
    for cid in ("19", "20", "22", "23"):
        assert run[cid].verdict == Verdict.HOLDS
        assert run.chain[cid].status == "rests-on-correction" and "18" in run.chain[cid].culprits
        assert run[cid].outcome.evidence["against_the_lattice_itself" if cid == "19" else
                                         "residual_against_lattice" if cid in ("22", "23")
                                         else "residual_against_lattice"] is not None
    main = {r.claim.id: r.verdict for r in run.results if r.claim.is_main}
    assert set(main) == {"A1", "A2", "A3", "A4"}
    assert main["A3"] == Verdict.CORRECTED      # (18) holds only for exp(a t) phi'
