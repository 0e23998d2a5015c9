"""CLI contract (JSON fields, exit codes) and the PDF report (needs TeX)."""
import json
import os
import subprocess

import pytest

from tests.conftest import mutated, run_cli

FIELDS = {"equation", "provenance", "verdict", "detail", "correction", "evidence"}


def test_verify_json_stdout_and_exit_code():
    proc = run_cli("verify", "--json", "-", "--quick")
    assert proc.returncode == 1, proc.stderr        # the paper has findings
    def strict(token):
        raise ValueError(f"non-standard JSON constant {token}")
    data = json.loads(proc.stdout, parse_constant=strict)
    assert len(data["claims"]) >= 40
    for c in data["claims"]:
        assert FIELDS <= set(c)
        assert c["verdict"] in {"holds", "holds-with-correction", "fails", "unproven"}
    by_id = {c["equation"]: c for c in data["claims"]}
    assert by_id["9-10"]["verdict"] == "holds" and by_id["9-10"]["evidence"]["numeric"]["passes"]


def test_flipped_sign_in_10_changes_verdict_from_cli(tmp_path):
    path = mutated(tmp_path, "(syt + sx*delta*Dz + syt*delta**2*Dz**2/2)",
                   "(syt - sx*delta*Dz + syt*delta**2*Dz**2/2)")
    proc = run_cli("verify", "--claims", str(path), "--json", "-", "--quick")
    by_id = {c["equation"]: c for c in json.loads(proc.stdout)["claims"]}
    assert by_id["9-10"]["verdict"] != "holds"


def test_unwritable_json_path_exit_2(tmp_path):
    target = tmp_path / "ro"
    target.mkdir()
    target.chmod(0o500)
    try:
        if os.access(target, os.W_OK):
            pytest.skip("running as a user who can write anywhere")
        proc = run_cli("verify", "--no-numerics", "--json", str(target / "x.json"))
        assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
    finally:
        target.chmod(0o700)


def test_json_into_directory_exit_2(tmp_path):
    proc = run_cli("verify", "--no-numerics", "--json", str(tmp_path))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_report_pdf_contains_every_claim(tmp_path, require_tex):
    pdf = tmp_path / "r.pdf"
    proc = run_cli("report", "--quick", "-o", str(pdf))
    assert proc.returncode == 0, proc.stderr
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True).stdout
    from entwined.core.claims import load_claims
    for claim in load_claims().claims:
        assert f"({claim.id})" in text
    assert "Findings" in text and "holds-with-correction" in text


def test_reproducible_pdf(tmp_path, require_tex):
    env = {"SOURCE_DATE_EPOCH": "1700000000"}
    out, builds = tmp_path / "r.pdf", []
    for _ in range(2):       # same command twice, so the recorded command line is identical
        proc = run_cli("report", "--no-numerics", "-o", str(out), env=env)
        assert proc.returncode == 0, proc.stderr
        builds.append(out.read_bytes())
        out.unlink()
    assert builds[0] == builds[1]


def test_hostile_claim_text_renders_literally(tmp_path, require_tex):
    hostile = r"Evil _ % # & ~ ^ \ { } \input{/etc/hostname} $x$"
    path = mutated(tmp_path, 'title = "Kac scaling"', 'title = ' + json.dumps(hostile))
    pdf = tmp_path / "h.pdf"
    proc = run_cli("report", "--no-numerics", "--claims", str(path), "-o", str(pdf))
    assert proc.returncode == 0, proc.stderr
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert r"\input{/etc/hostname}" in text.replace("\n", " ")
    hostname = open("/etc/hostname").read().strip()
    assert not hostname or text.count(hostname) == 0


def test_no_tex_writes_tex_and_exits_nonzero(tmp_path):
    env = {"PATH": "/nonexistent"}
    import sys
    proc = subprocess.run([sys.executable, "-m", "entwined.cli", "report", "--no-numerics", "-o",
                           str(tmp_path / "r.pdf")], capture_output=True, text=True,
                          env=dict(os.environ, **env), stdin=subprocess.DEVNULL)
    assert proc.returncode == 2
    assert (tmp_path / "r.tex").exists() and not (tmp_path / "r.pdf").exists()
    assert "apt-get install" in proc.stderr


def test_latex_error_is_reported_in_one_line_and_no_pdf_left(tmp_path, require_tex, monkeypatch):
    """A template that LaTeX rejects: the user sees the log line; no PDF is moved into place."""
    from entwined.core.errors import EntwinedError
    from entwined.report.build import compile_pdf
    out = tmp_path / "bad.pdf"
    with pytest.raises(EntwinedError) as err:
        compile_pdf("\\documentclass{article}\\begin{document}\\undefinedmacro\\end{document}", out)
    assert "Undefined control sequence" in str(err.value) and "\n" not in str(err.value)
    assert not out.exists() and not list(tmp_path.iterdir())
