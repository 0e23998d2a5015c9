"""Regression tests on derivations: per claim the verdict, check status, chain status, finding,
the correction as mathematics, the remainder (orders and leading term), every derived expression,
every yes/no fact, the verdict per reading and each refinement study's observed order must stay
as pinned in tests/snapshots/derived.json.  Mathematics is compared by simplifying differences,
so a printing change in a SymPy release is not a failure.  After a deliberate change, rerun
`python -m tests.snapshot_tools`: it prints what changed (old -> new) and rewrites the snapshot.

tests/test_pins.py corrupts each kind of pin and checks that `compare` catches it."""
import pytest

from tests.snapshot_tools import SETTINGS, compare_claim, current, load, report, same_math

SNAPSHOT = load()


@pytest.fixture(scope="module")
def now():
    return current(SNAPSHOT["settings"])


def test_snapshot_taken_with_the_standard_settings():
    assert SNAPSHOT["settings"] == SETTINGS


def test_every_claim_is_still_checked(now):
    assert set(now["claims"]) == set(SNAPSHOT["claims"])


@pytest.mark.parametrize("cid", sorted(SNAPSHOT["claims"]))
def test_claim_unchanged(now, cid):
    differences = compare_claim(cid, SNAPSHOT["claims"][cid], now["claims"][cid])
    assert not differences, (report(differences) + "\n(if this change is intended, rerun "
                             "`python -m tests.snapshot_tools`)")


def test_same_math_compares_mathematics_not_text():
    import sympy as sp
    from entwined.core import notation as N
    phi2 = sp.Function("phi2")(N.z, N.t)
    plus = sp.srepr(N.D * phi2.diff(N.z, 2) + N.v(N.z) * phi2)
    minus = sp.srepr(N.D * phi2.diff(N.z, 2) - N.v(N.z) * phi2)
    assert not same_math(plus, minus)
    assert same_math(sp.srepr((N.delta + 1) ** 2), sp.srepr(N.delta**2 + 2 * N.delta + 1))
    assert same_math(sp.srepr(sp.Eq(N.D, N.delta**2 / (2 * N.epsilon))),
                     sp.srepr(sp.Eq(N.D - N.delta**2 / (2 * N.epsilon), 0)))
    assert not same_math("COMPLETELY WRONG", sp.srepr(N.D))
