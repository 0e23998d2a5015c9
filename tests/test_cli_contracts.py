"""CLI and output contracts (issue "Architecture ... CLI and output contracts"): --only, --version,
defaults in every --help, mutate honours --quick/--no-numerics, the verify table wraps, progress
on stderr (silent with --quiet), versioned JSON validated against the shipped JSON Schemas, and
--expect (0 unchanged, 4 changed, 2 bad file)."""
import argparse
import inspect
import io
import json
import re
import time
import tomllib
from importlib import metadata
from pathlib import Path
from types import SimpleNamespace

import jsonschema
import pytest

import entwined.cli as cli
from entwined.cli import main
from entwined.core.claims import PROVENANCE, load_claims
from entwined.core.verdicts import Verdict
from entwined.report.build import build_report
from entwined.run import mutate as mutate_module
from entwined.run.guard import Status
from entwined.run.serialize import (COMPARED_KEYS, SCHEMA_VERSION, differences, expected_claims,
                                    schema_path)
from tests.conftest import BUNDLED, run_cli

ROOT = Path(__file__).resolve().parent.parent
FAST = ("--no-numerics", "--quick")
SOME = ("1", "5.reversals-favoured", "17")     # holds, prose (holds), holds-with-correction


def one_line(proc, status, *needles):
    """The documented status, exactly one line on stderr, never a traceback."""
    assert proc.returncode == status, (proc.returncode, proc.stderr[-2000:])
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr[-2000:]
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def validator(kind):
    schema = json.loads(schema_path(kind).read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def assert_valid(kind, data):
    errors = sorted(validator(kind).iter_errors(data), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]


def strict_json(text):
    def refuse(token):
        raise ValueError(f"non-standard JSON constant {token}")
    return json.loads(text, parse_constant=refuse)


@pytest.fixture(scope="module")
def some_json():
    """`verify --json -` on a few claims (one of them prose), symbolic only."""
    proc = run_cli("verify", *FAST, "--only", *SOME, "--json", "-")
    assert proc.returncode == 1, proc.stderr[-2000:]        # (17) holds only with a correction
    return strict_json(proc.stdout)


# ------------------------------------------------------------------- --version, --help defaults
def test_version():
    proc = run_cli("--version")
    assert proc.returncode == 0 and proc.stderr == ""
    assert proc.stdout.strip() == f"entwined {metadata.version('entwined')}"


def _parsers():
    parser = cli._parser()
    subs = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {"entwined": parser, **subs.choices}


def test_every_help_shows_the_defaults():
    for name, parser in _parsers().items():
        formatter = parser._get_formatter()
        for action in parser._actions:
            if not action.option_strings or isinstance(
                    action, (argparse._HelpAction, argparse._VersionAction)):
                continue
            text = formatter._get_help_string(action)
            assert "default" in text, (name, action.option_strings, text)
        if name != "entwined":
            assert "exit status" in parser.format_help() or name == "lattice", name
    helps = {cmd: " ".join(run_cli(cmd, "--help").stdout.split())      # argparse wraps lines
             for cmd in ("verify", "report", "lattice")}
    assert "(default: 120)" in helps["verify"] and "(default: every claim)" in helps["verify"]
    assert "(default: out/entwined-report.pdf)" in helps["report"]
    assert "(default: 0.0625)" in helps["lattice"] and "(default: diffusive)" in helps["lattice"]


def test_exit_4_is_documented():
    assert re.search(r"^\s+4\s+verify --expect", cli.__doc__, re.M)
    assert "4 changed from --expect" in cli.EXIT_STATUSES
    assert "4 changed" in " ".join(run_cli("--help").stdout.split())


# ------------------------------------------------------------------------------------- --only
def test_only_restricts_the_check(some_json):
    assert [c["equation"] for c in some_json["claims"]] == list(SOME)
    assert sum(some_json["summary"].values()) == 3


def test_only_keeps_the_other_claims_as_context():
    """(26) is checked against the scaling (3): with --only 26, (3) is context, not checked."""
    proc = run_cli("verify", *FAST, "--only", "26", "--json", "-", "--quiet")
    data = strict_json(proc.stdout)
    assert [c["equation"] for c in data["claims"]] == ["26"]
    assert data["claims"][0]["verdict"] == "holds" and proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("command", ["verify", "mutate", "report"])
def test_unknown_only_id_is_one_line_exit_2(command, tmp_path):
    out = ["-o", str(tmp_path / "r.pdf"), "--tex-only"] if command == "report" else []
    proc = run_cli(command, *FAST, "--only", "1", "99", *out)
    one_line(proc, 2, "entwined: error:", "'99'", "entwined verify")
    assert proc.stdout == ""
    assert not any(tmp_path.iterdir())
    line = one_line(run_cli(command, *FAST, "--only", "13x", *out), 2, "'13x'")
    assert "did you mean (13)" in line


def test_report_only(tmp_path):
    """--only on report: passed on to the report builder where it takes a selection; until
    then refused in one line before any work."""
    tex = tmp_path / "r.tex"
    proc = run_cli("report", *FAST, "--tex-only", "--only", "13", "-o", str(tmp_path / "r.pdf"),
                   "--quiet")
    if "only" in inspect.signature(build_report).parameters:
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert tex.exists()
    else:
        one_line(proc, 2, "--only")
        assert not tex.exists()


def test_parenthesised_ids_are_accepted():
    proc = run_cli("verify", *FAST, "--only", "(1)", "--json", "-", "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert [c["equation"] for c in strict_json(proc.stdout)["claims"]] == ["1"]


# ---------------------------------------------------------------- mutate --quick/--no-numerics
def test_mutate_passes_quick_numerics_and_only(monkeypatch, capsys):
    seen = []

    def fake(claims, **kwargs):
        seen.append(kwargs)
        return {"options": {"quick": kwargs.get("quick"), "numeric_ids": [], "only": None},
                "claims": [], "by_section": {},
                "total": {"mutants": 0, "killed": 0, "survived": 0, "kill_rate": None,
                          "equivalent": 0, "errors": 0, "timeouts": 0},
                "numeric": {"mutants": 0, "killed": 0}}
    monkeypatch.setattr(cli, "run_mutation", fake)
    assert main(["mutate", "--no-numerics", "--quick", "--only", "13", "--quiet"]) == 0
    assert seen[-1]["numeric_ids"] == () and seen[-1]["quick"] is True
    assert seen[-1]["only"] == {"13"}
    assert main(["mutate", "--quiet"]) == 0
    assert "numeric_ids" not in seen[-1] and seen[-1]["quick"] is False
    assert seen[-1]["only"] is None
    capsys.readouterr()


def test_run_mutation_builds_its_contexts_with_quick(monkeypatch):
    made = []
    real = mutate_module.Context

    def recording(**kwargs):
        made.append((kwargs["numerics"], kwargs["quick"]))
        return real(**kwargs)
    monkeypatch.setattr(mutate_module, "Context", recording)
    claims = load_claims()
    for quick in (True, False):
        made.clear()
        result = mutate_module.run_mutation(claims, only={"3"}, numeric_ids=(), quick=quick)
        assert made and {q for _, q in made} == {quick}
        assert result["options"] == {"quick": quick, "numeric_ids": [], "only": ["3"]}


def test_mutate_json_is_versioned_and_valid():
    proc = run_cli("mutate", "--only", "1", "17", *FAST, "--json", "-")
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = strict_json(proc.stdout)
    assert list(data)[0] == "schema_version" and data["schema_version"] == SCHEMA_VERSION
    assert_valid("mutate", data)
    assert [e["equation"] for e in data["claims"]] == ["1", "17"]
    assert data["options"] == {"quick": True, "numeric_ids": [], "only": ["1", "17"]}
    assert not any("numeric_killed" in e for e in data["claims"])    # --no-numerics honoured
    assert data["numeric"] == {"mutants": 0, "killed": 0}


def test_mutate_table_says_numerics_were_off():
    proc = run_cli("mutate", "--only", "3", *FAST, "--quiet")
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    assert "numeric checks: not run (--no-numerics)" in proc.stdout


# ------------------------------------------------------------------------------ table wrapping
def _fake_run(details):
    results = [SimpleNamespace(claim=SimpleNamespace(id=cid, provenance="legible"),
                               outcome=SimpleNamespace(verdict=Verdict.HOLDS, detail=detail))
               for cid, detail in details.items()]
    return SimpleNamespace(results=results, timings={"verify": 1.0})


def _details_from_table(table: str) -> dict[str, str]:
    lines = table.splitlines()
    indent = lines[0].index("detail")
    out, current = {}, None
    for line in lines[2:]:
        if not line.strip():
            break
        if line[:indent].strip():
            current = line.split()[0]
            out[current] = line[indent:]
        else:
            assert line[:indent] == " " * indent, line     # aligned under the detail column
            out[current] += " " + line[indent:]
    return out


def test_table_wraps_long_details_and_keeps_every_word():
    long_word = "Derivative(phip2(z,t),z)*" * 4          # 100 characters, no space
    details = {"1": "short", "13": " ".join(f"word{i}" for i in range(60)),
               "27.exponential-segments": f"before {long_word} after holds-with-correction x"}
    for columns in (60, 80, 120, 200):
        table = cli._table(_fake_run(details), columns=columns)
        back = _details_from_table(table)
        assert {k: v.split() for k, v in back.items()} == \
            {k: v.split() for k, v in details.items()}
        indent = table.splitlines()[0].index("detail")
        width = max(cli.MIN_DETAIL_WIDTH, columns - indent - 1)
        for line in table.splitlines()[2:]:
            assert len(line) <= indent + width or long_word in line, (columns, line)
        assert long_word in table                          # a formula is never cut
    assert len(cli._table(_fake_run(details), columns=80).splitlines()) > 6


def test_verify_table_from_the_cli_has_every_word(tmp_path):
    out = tmp_path / "v.json"
    proc = run_cli("verify", *FAST, "--only", "1", "17", "27.exponential-segments", "14.conjugates",
                   "--json", str(out), "--quiet", env={"COLUMNS": "80"})
    assert proc.returncode == 1, proc.stderr
    shown = _details_from_table(proc.stdout)
    details = {c["equation"]: c["detail"] for c in json.loads(out.read_text())["claims"]}
    assert {k: v.split() for k, v in shown.items()} == {k: v.split() for k, v in details.items()}
    assert any(len(d) > 80 for d in details.values())


# ------------------------------------------------------------------------ progress and --quiet
def test_quiet_gives_empty_stderr():
    proc = run_cli("verify", *FAST, "--only", *SOME, "--quiet")
    assert proc.returncode == 1 and proc.stderr == ""
    assert list(_details_from_table(proc.stdout)) == list(SOME)


def test_progress_in_a_log_is_lines_with_phase_and_eta():
    proc = run_cli("verify", *FAST, "--only", *SOME)
    lines = proc.stderr.splitlines()
    assert "\r" not in proc.stderr
    # one line per claim this process starts (few claims; a forked worker checks others,
    # core/forked.py), the last one [n/n], then a closing one
    assert 3 <= len(lines) <= len(SOME) + 1
    assert all(line.startswith("entwined: verify ") for line in lines)
    assert "[1/3]" in lines[0] and "[3/3]" in lines[-2]
    assert "ETA" in lines[1] and "elapsed" in lines[1]
    assert re.match(r"entwined: verify done: 3 claims in \d+:\d\d$", lines[-1])


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def _claims(n):
    return [SimpleNamespace(id=str(i)) for i in range(n)]


def test_progress_on_a_terminal_rewrites_one_line(monkeypatch):
    stream = _Terminal()
    monkeypatch.setattr(cli.sys, "stderr", stream)
    progress = cli._Progress(["verify"])
    for i, claim in enumerate(_claims(5)):
        progress(i, 5, claim)
    progress.done()
    text = stream.getvalue()
    assert text.count("\r") == 6 and text.endswith("\n")
    # the last claim's line is ended at once (so later output starts clean), then the summary
    assert text.count("\n") == 2 and "\n" not in text.split("verify [5/5]")[0]
    assert "verify [5/5]" in text and "ETA" in text and "done: 5 claims" in text


def test_progress_in_a_log_prints_about_every_tenth_and_names_the_phases(monkeypatch):
    stream = io.StringIO()
    monkeypatch.setattr(cli.sys, "stderr", stream)
    progress = cli._Progress(["verify", "mutate"])
    for i, claim in enumerate(_claims(41)):
        progress(i, 41, claim)
    for i, claim in enumerate(_claims(32)):
        progress(i, 32, claim)
    progress.done()
    lines = stream.getvalue().splitlines()
    verify_lines = [x for x in lines if x.startswith("entwined: verify")]
    mutate_lines = [x for x in lines if x.startswith("entwined: mutate")]
    assert 10 <= len(verify_lines) <= 12 and 10 <= len(mutate_lines) <= 12
    assert verify_lines[-1].startswith("entwined: verify done: 41 claims")
    assert mutate_lines[-1].startswith("entwined: mutate done: 32 claims")
    assert lines.index(verify_lines[-1]) < lines.index(mutate_lines[0])


def test_quiet_progress_and_the_end_of_an_interrupted_line(monkeypatch):
    stream = _Terminal()
    monkeypatch.setattr(cli.sys, "stderr", stream)
    quiet = cli._Progress(["verify"], quiet=True)
    quiet(0, 3, _claims(1)[0])
    quiet.done()
    quiet.close()
    assert stream.getvalue() == ""
    progress = cli._Progress(["verify"])
    progress(0, 3, _claims(1)[0])
    progress.close()                                        # an error or Ctrl-C mid-run
    assert stream.getvalue().endswith("\n")


# ------------------------------------------------------------------------------ JSON schema
def test_verify_json_is_versioned_and_valid(some_json):
    assert list(some_json)[0] == "schema_version" and some_json["schema_version"] == SCHEMA_VERSION
    assert_valid("verify", some_json)
    by_id = {c["equation"]: c for c in some_json["claims"]}
    prose = by_id["5.reversals-favoured"]
    assert prose["printed"] == [] and prose["statement"]
    assert by_id["1"]["printed"] and by_id["1"]["statement"] is None


def test_full_verify_json_is_valid():
    proc = run_cli("verify", "--no-numerics", "--json", "-")
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    data = strict_json(proc.stdout)
    assert_valid("verify", data)
    assert len(data["claims"]) == len(load_claims().claims)
    assert all(isinstance(c["printed"], list) for c in data["claims"])
    assert any(c["printed"] == [] and c["statement"] for c in data["claims"])


def test_schema_rejects_what_it_should(some_json):
    bad = json.loads(json.dumps(some_json))
    bad["claims"][0]["printed"] = "a = b"
    bad["claims"][1]["verdict"] = "probably"
    bad["claims"][2]["check_status"] = "crashed"
    del bad["schema_version"]
    messages = {"/".join(map(str, e.path)) for e in validator("verify").iter_errors(bad)}
    assert {"claims/0/printed", "claims/1/verdict", "claims/2/check_status"} <= messages
    assert any(e.validator == "required" for e in validator("verify").iter_errors(bad))


def test_schema_enums_match_the_code():
    schema = json.loads(schema_path("verify").read_text())
    assert schema["$defs"]["verdict"]["enum"] == [v.value for v in Verdict]
    assert schema["$defs"]["check_status"]["enum"] == [s.value for s in Status]
    assert schema["$defs"]["claim"]["properties"]["provenance"]["enum"] == list(PROVENANCE)
    mutate = json.loads(schema_path("mutate").read_text())
    assert mutate["$defs"]["verdict"]["enum"] == [v.value for v in Verdict]


def test_schema_files_are_package_data():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert "entwined.schema" in config["packages"]
    assert "*.schema.json" in config["package-data"]["entwined.schema"]
    for kind in ("verify", "mutate"):
        path = ROOT / "entwined" / "schema" / f"{kind}.schema.json"
        assert path.is_file() and schema_path(kind).is_file()


# ----------------------------------------------------------------------------------- --expect
@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    path = tmp_path_factory.mktemp("expect") / "baseline.json"
    proc = run_cli("verify", *FAST, "--only", *SOME, "--json", str(path), "--quiet")
    assert proc.returncode == 1, proc.stderr          # the paper's known finding in (17)
    return path


def _edited(baseline, tmp_path, edit):
    data = json.loads(baseline.read_text())
    edit(data)
    path = tmp_path / "expected.json"
    path.write_text(json.dumps(data))
    return path


def test_expect_unchanged_is_exit_0_despite_findings(baseline):
    proc = run_cli("verify", *FAST, "--only", *SOME, "--expect", str(baseline))
    assert proc.returncode == 0, proc.stderr
    assert "expected" not in proc.stderr and "no change from" in proc.stderr.splitlines()[-1]
    proc = run_cli("verify", *FAST, "--only", *SOME, "--expect", str(baseline), "--quiet")
    assert proc.returncode == 0 and proc.stderr == ""


def test_expect_changed_verdict_is_exit_4_one_line_per_claim(baseline, tmp_path):
    def edit(data):
        next(c for c in data["claims"] if c["equation"] == "1")["verdict"] = "fails"
    path = _edited(baseline, tmp_path, edit)
    proc = run_cli("verify", *FAST, "--only", *SOME, "--expect", str(path), "--quiet")
    assert proc.returncode == 4 and "Traceback" not in proc.stderr
    assert proc.stderr.splitlines() == ["(1): expected fails, now holds"]
    proc = run_cli("verify", *FAST, "--only", *SOME, "--expect", str(path))
    assert proc.returncode == 4
    assert "(1): expected fails, now holds" in proc.stderr.splitlines()
    assert "1 of 3 claims changed" in proc.stderr.splitlines()[-1]


def test_expect_added_claim_and_status_change(baseline, tmp_path):
    def edit(data):
        data["claims"] = [c for c in data["claims"] if c["equation"] != "17"]
        data["claims"][0]["check_status"] = "timeout"
    path = _edited(baseline, tmp_path, edit)
    proc = run_cli("verify", *FAST, "--only", *SOME, "--expect", str(path), "--quiet")
    assert proc.returncode == 4
    assert proc.stderr.splitlines() == [
        "(1): check_status expected timeout, now ran",
        "(17): not in the expected file, now holds-with-correction"]


def test_expect_removed_claim(baseline, tmp_path):
    """A claim in FILE that the run no longer has (here: the claims file lost it) is a change."""
    claims = tmp_path / "claims.toml"
    text = BUNDLED
    start = text.index('[[claim]]\nid = "5.reversals-favoured"')
    claims.write_text(text[:start] + text[text.index("[[claim]]", start + 9):], encoding="utf-8")
    proc = run_cli("verify", *FAST, "--claims", str(claims), "--only", "1", "17",
                   "--expect", str(baseline), "--quiet")
    assert proc.returncode == 0, proc.stderr          # --only: only (1) and (17) are compared
    data = json.loads(baseline.read_text())
    data["claims"].append(dict(data["claims"][0], equation="99"))
    expected = tmp_path / "expected.json"
    expected.write_text(json.dumps(data))
    proc = run_cli("verify", *FAST, "--claims", str(claims), "--expect", str(expected),
                   "--quiet", "--json", str(tmp_path / "now.json"))
    lines = proc.stderr.splitlines()
    assert proc.returncode == 4 and "Traceback" not in proc.stderr
    assert "(5.reversals-favoured): expected holds, now not in the run" in lines
    assert "(99): expected holds, now not in the run" in lines
    assert all(line.startswith("(") for line in lines)   # one line per changed claim


def test_expect_with_only_compares_the_selected_claims(baseline):
    proc = run_cli("verify", *FAST, "--only", "1", "--expect", str(baseline), "--quiet")
    assert proc.returncode == 0 and proc.stderr == ""


def test_expect_reads_a_file_from_before_schema_2(baseline, tmp_path):
    def edit(data):
        del data["schema_version"]
        for c in data["claims"]:
            c["printed"] = c["printed"] or c["statement"]
            del c["statement"]
    path = _edited(baseline, tmp_path, edit)
    proc = run_cli("verify", *FAST, "--only", *SOME, "--expect", str(path), "--quiet")
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("name,content,needle", [
    ("missing.json", None, "No such file"),
    ("bad.json", "{not json", "not JSON"),
    ("list.json", "[1, 2]", "no list 'claims'"),
    ("noverdict.json", '{"claims": [{"equation": "1"}]}', "entry 1"),
    ("twice.json", '{"claims": [{"equation": "1", "verdict": "holds"},'
     ' {"equation": "1", "verdict": "holds"}]}', "twice"),
    ("future.json", '{"schema_version": "3.0", "claims": []}', "schema_version"),
    ("latin1.json", b"\xff\xfe{", "UTF-8"),
])
def test_bad_expect_file_is_one_line_exit_2_before_the_run(tmp_path, name, content, needle):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    out = tmp_path / "out.json"
    t0 = time.monotonic()
    proc = run_cli("verify", *FAST, "--expect", str(path), "--json", str(out))
    one_line(proc, 2, "entwined: error: --expect", needle)
    assert proc.stdout == "" and not out.exists() and time.monotonic() - t0 < 20


def test_expect_directory_is_refused(tmp_path):
    one_line(run_cli("verify", *FAST, "--expect", str(tmp_path)), 2, "not a regular file")


def test_differences_compare_later_fields_when_both_have_them():
    assert {"verdict", "check_status", "finding", "chain"} <= set(COMPARED_KEYS)
    old = {"13": {"verdict": "holds", "finding": "F1", "chain": "ok"},
           "14": {"verdict": "holds", "finding": "F2"}}
    new = {"13": {"verdict": "holds", "finding": "F3", "chain": "ok"},
           "14": {"verdict": "holds"}}                    # a field only on one side: not compared
    assert differences(old, new) == ["(13): finding expected F1, now F3"]
    assert differences(old, old) == []
    assert expected_claims({"claims": [{"equation": "1", "verdict": "holds"}]}, "x") == \
        {"1": {"equation": "1", "verdict": "holds"}}


class _Crashed:
    all_hold = False
    internal_errors = ["9-10"]


def test_internal_error_wins_over_a_change(monkeypatch, capsys, tmp_path):
    expected = tmp_path / "e.json"
    expected.write_text(json.dumps({"claims": [{"equation": "9-10", "verdict": "holds"}]}))
    monkeypatch.setattr(cli, "verify", lambda claims, **kw: _Crashed())
    monkeypatch.setattr(cli, "to_json", lambda run: {"claims": [
        {"equation": "9-10", "verdict": "unproven", "check_status": "error"}]})
    assert main(["verify", "--no-numerics", "--json", "-", "--expect", str(expected),
                 "--quiet"]) == 3
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "(9-10): expected holds, now unproven" and "internal error" in err[1]


def test_closed_pipe_ends_quietly():
    """`entwined verify | head`: the reader leaves before the table is written; no internal
    error and no traceback, exit 141 (128 + SIGPIPE, as the shell reports for `yes | head`)."""
    import subprocess
    import sys
    proc = subprocess.Popen([sys.executable, "-m", "entwined.cli", "verify", "--no-numerics",
                             "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()                       # the reader is gone before anything is written
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=300) == 141, err
    assert "internal error" not in err and "Traceback" not in err
