import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

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
