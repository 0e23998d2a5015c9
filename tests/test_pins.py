"""The pins themselves are mutation-tested: each kind of pinned item is corrupted in a copy of the
snapshot, and the regression comparison (`snapshot_tools.compare`, the function
tests/test_regression.py uses) must then report a difference for exactly that item of exactly
that claim, and nothing else.  An equivalent rewrite of the mathematics, or an observed order
moved within the stated tolerance, must not be reported.

Corrupted: a verdict, a check status, a chain status, a finding, a correction (each component of
every stated correction; also the whole set replaced by text), a printed order, a leading
remainder order, a leading remainder term, a residual below the printed order, a derived
expression, a fact, a reading, an observed order, a predicted order and a pass/fail."""
import pytest
import sympy as sp

from tests.snapshot_tools import (ORDER_TOLERANCE, compare, corrupted, current, load, parse,
                                  report)

SNAPSHOT = load()
CLAIMS = SNAPSHOT["claims"]
VERDICTS = ("holds", "holds-with-correction", "fails", "unproven")
CHAIN = ("sound", "rests-on-correction", "rests-on-unproven", "rests-on-failure")


@pytest.fixture(scope="module")
def now():
    """The stored snapshot stands for the recomputed side: it is what a run reproduces while
    tests/test_regression.py passes, and it keeps these tests exact (and fast) even while the
    snapshot is stale.  test_corruption_fails_the_regression_against_a_live_run closes the loop
    with a real run."""
    return SNAPSHOT


@pytest.fixture(scope="module")
def baseline():
    return []


def caught(now, baseline, snap):
    return [(d.claim, d.item) for d in compare(snap, now) if d not in baseline]


def wrong_math(text: str) -> str:
    """Plausible but different mathematics: an extra term (on the right of an equation)."""
    value = parse(text)
    extra = sp.Symbol("z", real=True) + 1
    if isinstance(value, sp.Equality):
        return sp.srepr(sp.Eq(value.lhs, value.rhs + extra, evaluate=False))
    if isinstance(value, sp.MatrixBase):
        return sp.srepr(value + sp.ones(*value.shape))
    return sp.srepr(value + extra)


def other(value, choices):
    return next(c for c in choices if c != value)


def _setter(cid, *path, value):
    def change(snap):
        target = snap["claims"][cid]
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return change


# --- cases read from the snapshot --------------------------------------------------------------

CORRECTIONS = [(cid, key) for cid, e in sorted(CLAIMS.items()) for key in sorted(e["correction"] or {})]
REMAINDERS = [cid for cid, e in sorted(CLAIMS.items()) if e["remainder"]]
TERMS = [(cid, part, key) for cid in REMAINDERS for part in ("leading_term", "below_printed_order")
         for key in sorted(CLAIMS[cid]["remainder"].get(part) or {})]
EXPRESSIONS = [(cid, key) for cid, e in sorted(CLAIMS.items()) for key in sorted(e["expressions"])]
FACTS = [(cid, key) for cid, e in sorted(CLAIMS.items()) for key in sorted(e["facts"])]
READINGS = [(cid, key) for cid, e in sorted(CLAIMS.items()) for key in sorted(e["readings"])]
STUDIES = [(cid, key) for cid, e in sorted(CLAIMS.items()) for key in sorted(e["studies"])]
PART_LABEL = {"leading_term": "remainder: leading term",
              "below_printed_order": "remainder: below printed order"}


def test_the_snapshot_has_every_kind_of_pin():
    """Each kind below is present, so no corruption test is vacuous."""
    assert CORRECTIONS and REMAINDERS and EXPRESSIONS and FACTS and READINGS and STUDIES
    assert any(part == "leading_term" for _, part, _ in TERMS)
    assert any(e["finding"] for e in CLAIMS.values())
    assert {e["chain"] for e in CLAIMS.values()} > {"sound"}


@pytest.mark.parametrize("cid", sorted(CLAIMS))
def test_corrupted_verdict_is_caught(now, baseline, cid):
    snap = corrupted(SNAPSHOT, _setter(cid, "verdict", value=other(CLAIMS[cid]["verdict"], VERDICTS)))
    assert caught(now, baseline, snap) == [(cid, "verdict")]


@pytest.mark.parametrize("cid", sorted(CLAIMS))
def test_corrupted_chain_status_is_caught(now, baseline, cid):
    snap = corrupted(SNAPSHOT, _setter(cid, "chain", value=other(CLAIMS[cid]["chain"], CHAIN)))
    assert caught(now, baseline, snap) == [(cid, "chain status")]


@pytest.mark.parametrize("cid", sorted(CLAIMS))
def test_corrupted_finding_is_caught(now, baseline, cid):
    finding = CLAIMS[cid]["finding"]
    snap = corrupted(SNAPSHOT, _setter(cid, "finding", value=other(finding, ("damping", "shift-17"))))
    assert caught(now, baseline, snap) == [(cid, "finding")]


def test_dropped_finding_and_check_status_are_caught(now, baseline):
    cid = next(c for c, e in sorted(CLAIMS.items()) if e["finding"])
    assert caught(now, baseline, corrupted(SNAPSHOT, _setter(cid, "finding", value=None))) == \
        [(cid, "finding")]
    assert caught(now, baseline, corrupted(SNAPSHOT, _setter(cid, "check_status", value="error"))) \
        == [(cid, "check status")]


@pytest.mark.parametrize("cid,key", CORRECTIONS)
def test_corrupted_correction_is_caught(now, baseline, cid, key):
    wrong = wrong_math(CLAIMS[cid]["correction"][key])
    snap = corrupted(SNAPSHOT, _setter(cid, "correction", key, value=wrong))
    assert caught(now, baseline, snap) == [(cid, f"correction[{key}]")]


def test_every_correction_replaced_by_text_is_caught(now, baseline):
    """The issue's reproduction: all stored corrections 'COMPLETELY WRONG' used to stay green."""
    def change(snap):
        for cid, key in CORRECTIONS:
            snap["claims"][cid]["correction"][key] = "COMPLETELY WRONG"
    assert sorted(caught(now, baseline, corrupted(SNAPSHOT, change))) == \
        sorted((cid, f"correction[{key}]") for cid, key in CORRECTIONS)


def test_correction_added_to_a_holding_claim_is_caught(now, baseline):
    cid = next(c for c, e in sorted(CLAIMS.items()) if e["verdict"] == "holds" and not e["correction"])
    snap = corrupted(SNAPSHOT, _setter(cid, "correction", value={"=": sp.srepr(sp.Integer(1))}))
    assert caught(now, baseline, snap) == [(cid, "correction")]


def test_equivalent_rewrite_of_a_correction_is_not_a_difference(now, baseline):
    """Stored as different text, same mathematics: not a change."""
    cid, key = CORRECTIONS[0]
    value = parse(CLAIMS[cid]["correction"][key])
    s = sp.Symbol("s_rewrite")
    if isinstance(value, sp.Equality):        # the same equation with both sides moved over
        rewritten = sp.Eq(value.lhs - value.rhs + s, s, evaluate=False)
    else:
        rewritten = sp.Mul(sp.expand(value * (s + 1)), 1 / (s + 1), evaluate=False)
    assert sp.srepr(rewritten) != CLAIMS[cid]["correction"][key]
    snap = corrupted(SNAPSHOT, _setter(cid, "correction", key, value=sp.srepr(rewritten)))
    assert caught(now, baseline, snap) == []


@pytest.mark.parametrize("cid", REMAINDERS)
@pytest.mark.parametrize("which,label", [("printed_order", "remainder: printed order"),
                                         ("leading_order", "remainder: leading order")])
def test_corrupted_order_is_caught(now, baseline, cid, which, label):
    old = CLAIMS[cid]["remainder"][which]
    snap = corrupted(SNAPSHOT, _setter(cid, "remainder", which, value=1 if old is None else old + 1))
    assert caught(now, baseline, snap) == [(cid, label)]


@pytest.mark.parametrize("cid,part,key", TERMS)
def test_corrupted_remainder_term_is_caught(now, baseline, cid, part, key):
    wrong = wrong_math(CLAIMS[cid]["remainder"][part][key])
    snap = corrupted(SNAPSHOT, _setter(cid, "remainder", part, key, value=wrong))
    assert caught(now, baseline, snap) == [(cid, f"{PART_LABEL[part]}[{key}]")]


def test_remainder_term_with_a_flipped_sign_is_caught(now, baseline):
    """A subtler corruption than an extra term: one sign in the leading remainder term of (13)."""
    text = CLAIMS["13"]["remainder"]["leading_term"]["phi1"]
    value = parse(text)
    v_term = next(t for t in value.args if t.has(sp.Function("v")) and t.has(sp.Derivative))
    wrong = sp.srepr(value - 2 * v_term)
    snap = corrupted(SNAPSHOT, _setter("13", "remainder", "leading_term", "phi1", value=wrong))
    assert caught(now, baseline, snap) == [("13", "remainder: leading term[phi1]")]


@pytest.mark.parametrize("cid,key", EXPRESSIONS)
def test_corrupted_expression_is_caught(now, baseline, cid, key):
    wrong = wrong_math(CLAIMS[cid]["expressions"][key])
    snap = corrupted(SNAPSHOT, _setter(cid, "expressions", key, value=wrong))
    assert caught(now, baseline, snap) == [(cid, f"expression {key}")]


@pytest.mark.parametrize("cid,key", FACTS)
def test_corrupted_fact_is_caught(now, baseline, cid, key):
    old = CLAIMS[cid]["facts"][key]
    new = (not old) if isinstance(old, bool) else (1 if old is None else old + 1)
    snap = corrupted(SNAPSHOT, _setter(cid, "facts", key, value=new))
    assert caught(now, baseline, snap) == [(cid, f"fact {key}")]


@pytest.mark.parametrize("cid,key", READINGS)
def test_corrupted_reading_is_caught(now, baseline, cid, key):
    snap = corrupted(SNAPSHOT, _setter(cid, "readings", key,
                                       value=other(CLAIMS[cid]["readings"][key], VERDICTS)))
    assert caught(now, baseline, snap) == [(cid, f"reading {key}")]


@pytest.mark.parametrize("cid,key", STUDIES)
def test_corrupted_observed_order_is_caught(now, baseline, cid, key):
    old = CLAIMS[cid]["studies"][key]["observed_order"]
    shift = max(2 * ORDER_TOLERANCE, 0.05 * abs(old or 0))
    snap = corrupted(SNAPSHOT, _setter(cid, "studies", key, "observed_order",
                                       value=1.0 if old is None else old + shift))
    assert caught(now, baseline, snap) == [(cid, f"study {key}: observed order")]


@pytest.mark.parametrize("cid,key", STUDIES)
def test_observed_order_within_tolerance_is_not_a_difference(now, baseline, cid, key):
    old = CLAIMS[cid]["studies"][key]["observed_order"]
    if old is None:
        pytest.skip("no observed order (errors at rounding level); None is pinned exactly")
    snap = corrupted(SNAPSHOT, _setter(cid, "studies", key, "observed_order",
                                       value=old + ORDER_TOLERANCE / 2))
    assert caught(now, baseline, snap) == []


def test_corrupted_predicted_order_and_pass_are_caught(now, baseline):
    cid, key = next((c, k) for c, k in STUDIES if CLAIMS[c]["studies"][k]["predicted_order"])
    study = CLAIMS[cid]["studies"][key]
    snap = corrupted(SNAPSHOT, _setter(cid, "studies", key, "predicted_order",
                                       value=study["predicted_order"] + 1))
    assert caught(now, baseline, snap) == [(cid, f"study {key}: predicted order")]
    snap = corrupted(SNAPSHOT, _setter(cid, "studies", key, "passes", value=not study["passes"]))
    assert caught(now, baseline, snap) == [(cid, f"study {key}: passes")]


def test_the_report_names_claim_item_old_and_new(now, baseline):
    snap = corrupted(SNAPSHOT, _setter("17", "verdict", value="fails"))
    text = report([d for d in compare(snap, now) if d not in baseline])
    assert "(17) verdict:" in text and "old: fails" in text and "new: holds-with-correction" in text


def test_corruption_fails_the_regression_against_a_live_run():
    """End to end: the comparison test_regression makes (stored copy vs a fresh run) reports
    exactly the corrupted items, on top of whatever already differs."""
    live = current(SNAPSHOT["settings"])
    already = compare(SNAPSHOT, live)
    stale = {d.claim for d in already}
    cid = next(c for c, e in sorted(CLAIMS.items())
               if c not in stale and e["correction"] and e["finding"] and e["studies"])
    e = CLAIMS[cid]
    key, study = sorted(e["correction"])[0], sorted(e["studies"])[0]

    def change(snap):
        c = snap["claims"][cid]
        c["verdict"] = other(e["verdict"], VERDICTS)
        c["chain"] = other(e["chain"], CHAIN)
        c["finding"] = None
        c["correction"][key] = wrong_math(e["correction"][key])
        c["studies"][study]["observed_order"] = (e["studies"][study]["observed_order"] or 0) + 1
    found = [(d.claim, d.item) for d in compare(corrupted(SNAPSHOT, change), live) if d not in already]
    assert sorted(found) == sorted([(cid, "verdict"), (cid, "chain status"), (cid, "finding"),
                                    (cid, f"correction[{key}]"),
                                    (cid, f"study {study}: observed order")]), report(already)
