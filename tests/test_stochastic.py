import sympy as sp

from entwined.core import notation as N
from entwined.derive import model
from entwined.core.verdicts import Verdict
from tests.conftest import mutated, verdicts
from tests.snapshot_tools import correction_matches

z, t, d = N.z, N.t, N.delta


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
    # the correction is (1) as the rules generate it, i.e. the printed (1) before the flip
    p1, p2 = sp.Function("phip1"), sp.Function("phip2")
    assert out["1"].verdict == Verdict.CORRECTED
    assert correction_matches(out["1"], {
        "phip1": N.beta * p1(z + d, t) - N.alpha * p2(z - d, t),
        "phip2": N.beta * p2(z - d, t) + N.alpha * p1(z + d, t)})


def test_swapped_shift_is_caught(tmp_path):
    path = mutated(tmp_path, "phip4(z, t + epsilon) = beta*phip4(z - delta, t)",
                   "phip4(z, t + epsilon) = beta*phip4(z + delta, t)")
    out = verdicts(path, ids={"2"})["2"]
    p3, p4 = sp.Function("phip3"), sp.Function("phip4")
    assert out.verdict == Verdict.CORRECTED
    assert correction_matches(out, {"phip3": N.beta * p3(z + d, t) + N.alpha * p4(z - d, t),
                                    "phip4": N.beta * p4(z - d, t) - N.alpha * p3(z + d, t)})
