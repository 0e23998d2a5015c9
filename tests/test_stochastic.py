from entwined.derive import model
from entwined.core.verdicts import Verdict
from tests.conftest import mutated, verdicts


def test_rules_generate_printed_recurrences():
    out = verdicts(ids={"1", "2", "1-2.block-diagonal"})
    assert all(o.verdict == Verdict.HOLDS for o in out.values())
    assert out["1"].evidence["residuals"].items == (("phip1", 0), ("phip2", 0))


def test_colour_rule_gives_opposite_signs_on_the_two_envelopes():
    left = {(t, s): sg for t, s, _, w, sg in model.transition_table(model.LEFT) if t != s}
    right = {(t, s): sg for t, s, _, w, sg in model.transition_table(model.RIGHT) if t != s}
    assert left == {("phip1", "phip2"): -1, ("phip2", "phip1"): +1}
    assert right == {("phip3", "phip4"): +1, ("phip4", "phip3"): -1}


def test_flipped_scattering_sign_is_caught(tmp_path):
    path = mutated(tmp_path, "= beta*phip1(z + delta, t) - alpha*phip2(z - delta, t)",
                   "= beta*phip1(z + delta, t) + alpha*phip2(z - delta, t)")
    out = verdicts(path, ids={"1"})
    assert out["1"].verdict != Verdict.HOLDS
    assert out["1"].correction


def test_swapped_shift_is_caught(tmp_path):
    path = mutated(tmp_path, "phip4(z, t + epsilon) = beta*phip4(z - delta, t)",
                   "phip4(z, t + epsilon) = beta*phip4(z + delta, t)")
    assert verdicts(path, ids={"2"})["2"].verdict != Verdict.HOLDS
