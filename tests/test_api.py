"""The Python API a notebook uses: the README's example runs, results display, compare, hash."""
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import entwined
from tests.conftest import tex_available

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def test_readme_example_runs():
    block = re.search(r"```python\n(.*?)```", README, re.S).group(1)
    namespace = {}
    exec(compile(block, "README.md", "exec"), namespace)
    run = namespace["run"]
    assert run["13"].verdict is entwined.Verdict.HOLDS
    assert {r.claim.id for r in run.results} == {"13", "14.conjugates"}


def test_version_is_the_installed_one():
    from importlib import metadata
    assert entwined.__version__ == metadata.version("entwined")


def test_results_compare_and_hash_by_content():
    claims = entwined.load_claims()
    a = entwined.verify(claims, only={"3", "7"}, numerics=False)
    b = entwined.verify(claims, only={"3", "7"}, numerics=False)
    assert a["3"] == b["3"] and hash(a["3"]) == hash(b["3"])
    assert a["3"] != a["7"]
    assert len({*a.results, *b.results}) == 2
    assert claims.by_id()["3"] == entwined.load_claims().by_id()["3"]
    assert len({c for c in claims.claims}) == len(claims.claims)


def test_html_escapes_claim_text(tmp_path):
    claims = entwined.load_claims()
    html = entwined.verify(claims, only={"3"}, numerics=False)._repr_html_()
    assert "<table>" in html and "<script" not in html


@pytest.mark.tex
def test_repr_latex_is_valid_latex(tmp_path, require_tex):
    claims = entwined.load_claims()
    body = "\n\n".join(c._repr_latex_() for c in claims.claims)
    doc = ("\\documentclass{article}\\usepackage{amsmath}\\begin{document}\n" + body
           + "\n\\end{document}\n")
    (tmp_path / "c.tex").write_text(doc)
    proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error",
                           "-no-shell-escape", "c.tex"], cwd=tmp_path, capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, timeout=120)
    assert proc.returncode == 0, proc.stdout[-2000:]
