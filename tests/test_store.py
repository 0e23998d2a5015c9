"""The on-disk cache of claim-independent derivations (entwined.core.store): a reused result is
the result the code computes, a changed source starts a new cache, and nothing is unpickled
from a place others can write to."""
from __future__ import annotations

import builtins
import importlib
import json
import os
import pickle
import sys

import pytest
import sympy as sp

from conftest import run_cli, verdicts
from entwined.core import store
from entwined.derive import model
from entwined.derive.kac import system


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    """A private, empty cache and signing key for one test; memory caches dropped before and
    after."""
    where = tmp_path / "cache"
    monkeypatch.setenv("ENTWINED_CACHE_DIR", str(where))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delitem(store._state, "key", raising=False)
    monkeypatch.setitem(store._state, "enabled", True)
    monkeypatch.setitem(store._counts, "unsafe_dir", False)
    store.forget()
    yield where
    store.forget()


def _entries(where):
    return sorted(where.rglob("*.pickle"))


def _counts():
    return store._counts["loaded"], store._counts["computed"]


def test_a_reused_derivation_is_the_computed_one(cache_dir):
    loaded0, computed0 = _counts()
    first = system.klein_gordon_substitution()
    assert _counts() == (loaded0, computed0 + 1)
    assert len(_entries(cache_dir)) == 1
    store.forget()
    again = system.klein_gordon_substitution()
    assert _counts() == (loaded0 + 1, computed0 + 1)
    w, transformed, good, target, residuals = again
    assert sp.expand(transformed - first[1]) == 0 and set(good) == set(first[2])
    # what the check relies on, from the reused object: each residual vanishes
    assert all(sp.simplify(r) == 0 for r in residuals)


def test_a_corrupt_entry_is_derived_again(cache_dir):
    expected = model.alpha_taylor(4)
    (entry,) = _entries(cache_dir)
    entry.write_bytes(b"not a pickle")
    store.forget()
    loaded0, computed0 = _counts()
    assert model.alpha_taylor(4) == expected
    assert _counts() == (loaded0, computed0 + 1)
    store.forget()
    assert model.alpha_taylor(4) == expected            # rewritten whole: now it loads
    assert _counts() == (loaded0 + 1, computed0 + 1)


@pytest.mark.parametrize("what", ["directory", "entry"])
def test_nothing_is_read_from_a_place_others_can_write(cache_dir, what):
    model.alpha_taylor(5)
    (entry,) = _entries(cache_dir)
    # a planted entry: if it were unpickled, the value would be this
    entry.write_bytes(pickle.dumps(("planted",)))
    os.chmod(entry if what == "entry" else entry.parent, 0o777 if what == "directory" else 0o666)
    store.forget()
    loaded0, computed0 = _counts()
    assert model.alpha_taylor(5) != ("planted",)
    assert _counts()[0] == loaded0 and _counts()[1] == computed0 + 1
    if what == "directory":
        assert store.stats()["refused_unsafe_directory"]


def test_off_derives_everything_and_writes_nothing(cache_dir, monkeypatch):
    monkeypatch.setitem(store._state, "enabled", False)
    computed0 = _counts()[1]
    model.alpha_taylor(3)
    store.forget()
    model.alpha_taylor(3)
    assert _counts()[1] == computed0 + 2 and _entries(cache_dir) == []


def test_a_changed_source_starts_a_new_cache(tmp_path, monkeypatch):
    pkg = tmp_path / "derivepkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "algebra.py").write_text("X = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.import_module("derivepkg.algebra")
    try:
        before = store.code_digest("derivepkg")
        (pkg / "algebra.py").write_text("X = 2\n")
        store.code_digest.cache_clear()
        assert store.code_digest("derivepkg") != before
    finally:
        store.code_digest.cache_clear()
        sys.modules.pop("derivepkg.algebra", None)
        sys.modules.pop("derivepkg", None)


def test_arguments_are_keyed_by_their_whole_form():
    x = sp.Symbol("x")
    assert store.stable_text((x,)) != store.stable_text((sp.Symbol("x", positive=True),))
    assert store.stable_text((model.LEFT,)) != store.stable_text((model.RIGHT,))
    assert store.stable_text((object(),)) is None      # no stable form: never looked up on disk


def test_verdicts_and_derivations_are_the_same_when_reused(cache_dir):
    ids = ["13", "21", "22", "25.klein-gordon", "11.rotation", "5", "5.reversals-favoured",
           "14.potential-sign", "20", "25.schrodinger-limit", "25.wave-limit",
           "27.exponential-segments"]
    fresh = verdicts(ids=ids)
    assert _entries(cache_dir), "the run kept its derivations"
    store.forget()
    loaded0 = _counts()[0]
    reused = verdicts(ids=ids)
    assert _counts()[0] > loaded0
    for cid in ids:
        assert reused[cid].verdict == fresh[cid].verdict
        assert reused[cid].correction_math == fresh[cid].correction_math
        assert json.dumps(store_free(reused[cid]), sort_keys=True, default=str) == \
            json.dumps(store_free(fresh[cid]), sort_keys=True, default=str)


def store_free(outcome):
    from entwined.core.evidence import to_json
    return {k: to_json(v) for k, v in outcome.evidence.items()}


def test_cli_no_cache_is_recorded(tmp_path):
    out = run_cli("verify", "--only", "3", "--no-numerics", "--no-cache", "--quiet", "--json", "-",
                  env={"ENTWINED_CACHE_DIR": str(tmp_path / "c")})
    assert out.returncode in (0, 1), out.stderr
    cache = json.loads(out.stdout)["environment"]["derivation_cache"]
    assert cache["enabled"] is False and cache["loaded"] == 0 and cache["computed"] > 0
    assert not (tmp_path / "c").exists()


class _Planted:
    """What an attacker would put in a cache: unpickling it runs code."""

    def __reduce__(self):
        return (exec, ("import builtins; builtins._entwined_planted = True",))


@pytest.mark.parametrize("signed_by", ["nobody", "another key"])
def test_an_entry_this_user_did_not_write_is_never_unpickled(cache_dir, monkeypatch, signed_by):
    """A user-owned, private entry (as a git checkout, a tarball or a restored CI cache makes
    it) is refused unless this user's key signed it."""
    expected = model.alpha_taylor(4)
    (entry,) = _entries(cache_dir)
    payload = pickle.dumps(_Planted())
    if signed_by == "nobody":
        entry.write_bytes(payload)
    else:
        entry.write_bytes(store._signature(b"k" * 32, "x", payload) + payload)
    os.chmod(entry, 0o600)
    store.forget()
    loaded0, computed0 = _counts()
    assert model.alpha_taylor(4) == expected
    assert not hasattr(builtins, "_entwined_planted")
    assert _counts() == (loaded0, computed0 + 1)


def test_a_new_key_disowns_the_old_entries(cache_dir, monkeypatch):
    model.alpha_taylor(6)
    store.key_path().unlink()
    monkeypatch.delitem(store._state, "key")
    store.forget()
    loaded0, computed0 = _counts()
    model.alpha_taylor(6)
    assert _counts() == (loaded0, computed0 + 1)
    assert store.key_path().stat().st_mode & 0o777 == 0o600


def test_the_cache_works_under_a_group_writable_umask(cache_dir):
    old = os.umask(0o002)
    try:
        store.forget()
        model.alpha_taylor(7)
    finally:
        os.umask(old)
    assert not store.stats()["refused_unsafe_directory"]
    assert cache_dir.stat().st_mode & 0o777 == 0o700 and _entries(cache_dir)
