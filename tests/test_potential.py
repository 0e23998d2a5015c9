"""(5.stochastic-potential) and A2: the verdict comes from the measured continuum trend of the
exact evaluator, and the chain carries it to the main claim."""
import math

import pytest

import entwined
from entwined.checks.stochastic import potential
from entwined.core.claims import load_claims
from entwined.core.evidence import Readings, RefinementStudy
from entwined.core.verdicts import Verdict


@pytest.fixture(scope="module")
def run():
    return entwined.verify(load_claims(), only={"5.stochastic-potential", "A2"}, quick=True)


def test_process_with_potential_fails_in_the_continuum_limit(run):
    out = run["5.stochastic-potential"].outcome
    assert out.verdict == Verdict.FAILS
    r1 = out.evidence["continuum_R1"]
    assert isinstance(r1, RefinementStudy) and len(r1.h) >= 4 and not r1.passes
    # the discrepancy relative to the signal grows at every refinement ...
    assert all(b > a for a, b in zip(r1.error, r1.error[1:]))
    # ... as 2^(D T / delta^2): the measured rate approaches D T ln 2 from below
    rate = out.evidence["continuum_R1_rate"].value
    predicted = out.evidence["continuum_R1_rate_predicted"].value
    assert predicted == pytest.approx(0.5 * 0.5 * math.log(2))
    assert 0.85 * predicted < rate <= 1.01 * predicted
    # the floor column shows R1 is far above float64 rounding at every delta
    rows = out.evidence["continuum_table"].rows
    assert all(row[2] > 100 * row[4] for row in rows[1:])


def test_the_other_reading_and_the_control_hold(run):
    out = run["5.stochastic-potential"].outcome
    assert out.evidence["continuum_R2"].passes and out.evidence["continuum_control"].passes
    readings = out.evidence.first(Readings).as_dict()
    assert readings[potential.R1] == "fails" and readings[potential.R2] == "holds"


def test_a2_fails_from_its_chain_and_names_the_reading_that_would_hold(run):
    a2 = run["A2"]
    assert a2.verdict == Verdict.FAILS
    assert "5.stochastic-potential" in run.chain["A2"].culprits
    assert run.finding_of("5.stochastic-potential") == "potential-process"
    assert isinstance(a2.outcome.evidence["5.stochastic-potential/continuum_R1"], RefinementStudy)
    assert potential.R2 in str(a2.outcome.detail)


def _with_r1(monkeypatch, discrepancy):
    """The check run on the real study with R1's discrepancies replaced (floors made tiny, so
    every point is resolved): the verdict must follow the data, not a label."""
    real = potential.ep.continuum_study

    def fake(*args, **kw):
        study = real(*args, **kw)
        r1 = study["readings"]["R1"]
        r1["discrepancy"] = [discrepancy(h) for h in r1["h"]]
        r1["floor"] = [1e-30] * len(r1["h"])
        return study

    monkeypatch.setattr(potential.ep, "continuum_study", fake)
    return entwined.verify(load_claims(), only={"5.stochastic-potential"}, quick=True)


@pytest.mark.parametrize("discrepancy, expected", [
    (lambda h: 2.0 ** (0.25 / h**2), Verdict.FAILS),        # grows
    (lambda h: 1.0, Verdict.UNPROVEN),                        # bounded
    (lambda h: 10 * h**2, Verdict.HOLDS)])                    # vanishes
def test_verdict_is_computed_from_the_trend(monkeypatch, discrepancy, expected):
    """The sampled route still disagrees at finite size, which a vanishing trend allows."""
    run = _with_r1(monkeypatch, discrepancy)
    assert run["5.stochastic-potential"].verdict == expected


def test_routes_that_contradict_each_other_are_unproven(monkeypatch):
    """R1 at rounding (no discrepancy) while the sample disagrees: unproven, never a verdict."""
    out = _with_r1(monkeypatch, lambda h: 0.0)["5.stochastic-potential"].outcome
    assert out.verdict == Verdict.UNPROVEN and "disagree" in str(out.detail)


def test_points_float64_does_not_resolve_are_left_out_and_named(run):
    """The control at delta = 1/16 has a rounding floor far above the signal: it is not counted
    (neither as passing nor failing) and the evidence says so."""
    out = run["5.stochastic-potential"].outcome
    control = out.evidence["continuum_control"]
    assert 1 / 16 not in control.h and len(control.h) >= 2 and control.passes
    assert "constant at delta = 1/16" in str(out.evidence["continuum_not_resolved"])
    assert len(out.evidence["continuum_R1"].h) == 4       # every R1 point is resolved
