import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

# The suite derives everything itself: a derivation cache of its own (shared by the in-process
# runs and the CLI subprocesses of this session), never the user's ~/.cache/entwined or key.
TEST_CACHE = os.environ["ENTWINED_CACHE_DIR"] = tempfile.mkdtemp(prefix="entwined-test-cache-")
os.environ["XDG_CONFIG_HOME"] = os.path.join(TEST_CACHE, "config")     # its signing key too


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(TEST_CACHE, ignore_errors=True)

from entwined.core.claims import default_claims_path, load_claims
from entwined.run.pipeline import verify

BUNDLED = default_claims_path().read_text(encoding="utf-8")


def mutated(tmp_path: Path, old: str, new: str, name="claims.toml") -> Path:
    """A copy of the bundled claims with one exact text replaced (the replacement must apply)."""
    assert BUNDLED.count(old) == 1, f"mutation anchor not unique: {old!r}"
    path = tmp_path / name
    path.write_text(BUNDLED.replace(old, new), encoding="utf-8")
    return path


def verdicts(path=None, ids=None, numerics=False, quick=True):
    """Run the verifier in-process on the given claim ids only (other claims stay as context)."""
    run = verify(load_claims(path), numerics=numerics, quick=quick,
                 only=set(ids) if ids is not None else None)
    return {r.claim.id: r.outcome for r in run.results}


def run_cli(*args, env=None, cwd=None):
    full_env = dict(os.environ, **(env or {}))
    return subprocess.run([sys.executable, "-m", "entwined.cli", *args], capture_output=True,
                          text=True, env=full_env, cwd=cwd, stdin=subprocess.DEVNULL, timeout=600)


def tex_available() -> bool:
    return bool(shutil.which("latexmk") and shutil.which("pdflatex") and shutil.which("pdftotext"))


@pytest.fixture
def require_tex():
    if not tex_available():
        if os.environ.get("ENTWINED_REQUIRE_TEX"):
            pytest.fail("TeX is required here (ENTWINED_REQUIRE_TEX) but latexmk/pdflatex/"
                        "pdftotext are missing")
        pytest.skip("needs latexmk, pdflatex and pdftotext")


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        # a JSON string is a valid TOML basic string, except that TOML wants DEL escaped too
        return json.dumps(value).replace("\x7f", "\\u007f")
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {_toml_value(v)}"
                               for k, v in value.items()) + "}"
    raise TypeError(type(value))


def dump_claims(entries) -> str:
    """A claims file in the flat [[claim]] schema."""
    out = []
    ids = {item.get("id") for item in entries if isinstance(item, dict)}
    for item in entries:
        out.append("[[claim]]")
        if isinstance(item, dict):     # premises outside a reduced file are not part of it
            item = {k: ([u for u in v if u in ids] if k in ("uses", "ignores")
                        and isinstance(v, list) else v) for k, v in item.items()}
        out.extend(f"{key} = {_toml_value(value)}" for key, value in item.items())
        out.append("")
    return "\n".join(out)


@pytest.fixture
def forks(monkeypatch) -> list:
    """The pids of the workers os.fork starts in this test (core/forked.py), as they start."""
    started, real_fork = [], os.fork

    def counted_fork():
        pid = real_fork()
        if pid:
            started.append(pid)
        return pid
    monkeypatch.setattr(os, "fork", counted_fork)
    return started
