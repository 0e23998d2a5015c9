"""Hostile input: a claims file and the command line are data, never code.

The contract these tests hold the tool to:
- formula text (claims' `equations` on either side, `order`, and `lattice --potential`) is read
  by a whitelist parser: code-execution attempts are refused with a one-line error and never
  run (the marker file they would create never appears), and resource bombs are refused by a
  limit the error names;
- a claims file that is malformed, mistyped, oversized or not a regular file is refused up front
  with a one-line error (exit 2);
- no text from a claims file reaches LaTeX unescaped;
- an output target that is not a regular file is refused (exit 2) and left as it was, and a
  failed run leaves a previous output byte-identical;
- the CLI never prints a traceback, and a refusal is exactly one `entwined: error:` line.

CLI cases cost a process start each (about a second, mostly importing SymPy), so they are
prepared up front and run in parallel by the module fixture `cli_runs`; each test then checks
its own run.  Parser and loader cases run in-process.
"""
from __future__ import annotations

import importlib
import json
import os
import re
import stat
import subprocess
import sys
import tomllib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Callable

import pytest

from entwined.cli import main as cli_main
from tests.conftest import dump_claims, BUNDLED, load_claims


def _module(*names):
    """The first of `names` that imports (the package layout is being reorganised)."""
    for name in names:
        try:
            return importlib.import_module(name)
        except ModuleNotFoundError:
            continue
    raise ModuleNotFoundError(names[0])


_errors = _module("entwined.errors", "entwined.core.errors")
ClaimError = _errors.ClaimError

CLI_TIMEOUT_S = 120       # a refusal takes about a second; a hang (FIFO, 10**10**10) is a failure


# ----------------------------------------------------------------------------- helpers
def assert_refused(proc, code=2):
    """Exit `code`, exactly one line on stderr starting 'entwined: error:', no traceback."""
    assert proc is not None, f"the run did not finish in {CLI_TIMEOUT_S} s"
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert proc.returncode == code, (proc.returncode, proc.stderr[-2000:])
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr[-2000:]
    assert lines[0].startswith("entwined: error:"), lines[0]


def assert_succeeded(proc):
    assert proc is not None, f"the run did not finish in {CLI_TIMEOUT_S} s"
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert proc.returncode == 0, (proc.returncode, proc.stderr[-2000:])


def assert_one_line(err: BaseException):
    msg = str(err).strip()
    assert msg and "\n" not in msg, msg
    assert "Traceback" not in msg


BUNDLED_ENTRIES = {e["id"]: e for e in tomllib.loads(BUNDLED)["claim"]}


def entry(cid: str, **changes) -> dict:
    """A bundled claim's fields with changes applied (a value of None removes the field)."""
    data = dict(BUNDLED_ENTRIES[cid])
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def mini(folder: Path, *entries, name="claims.toml") -> Path:
    """A small claims file whose checks need no other claim: (8) (one equation and an order)
    and (7) (two equations and an order) unless entries are given."""
    path = folder / name
    path.write_text(dump_claims(entries or (entry("8"), entry("7"))), encoding="utf-8")
    return path


def snapshot(folder: Path) -> dict:
    """Name -> (kind, size, bytes) of everything in a folder, to show that it was left as it
    was (the bytes of files up to 1 MB; a huge input is compared by size)."""
    out = {}
    for p in sorted(folder.rglob("*")):
        info = os.lstat(p)
        small = stat.S_ISREG(info.st_mode) and info.st_size <= 1 << 20
        out[str(p.relative_to(folder))] = (stat.S_IFMT(info.st_mode), info.st_size,
                                           p.read_bytes() if small else None)
    return out


def _kind(path: Path) -> int:
    return stat.S_IFMT(os.stat(path).st_mode)


# ----------------------------------------------------------------------------- CLI runs
@dataclass
class CliCase:
    """A prepared CLI run and the checks to make on its result (closures over the setup)."""

    args: list
    check: Callable
    cwd: Path | None = None
    memory_limit: int | None = None     # bytes of address space, for runs that read devices


# `python -m entwined.cli ARGS` under an address-space limit: a broken tool that read /dev/zero
# to the end would fail with MemoryError instead of exhausting the machine's memory.
_LIMITED_CLI = ("import resource, runpy, sys; n = int(sys.argv.pop(1)); "
                "resource.setrlimit(resource.RLIMIT_AS, (n, n)); "
                "runpy.run_module('entwined.cli', run_name='__main__', alter_sys=True)")


CLI_CASES: dict[str, Callable[[Path], CliCase]] = {}


def cli_case(name: str, setup: Callable[[Path], CliCase]) -> str:
    assert name not in CLI_CASES, name
    CLI_CASES[name] = setup
    return name


def _run(case: CliCase):
    if case.memory_limit:
        cmd = [sys.executable, "-c", _LIMITED_CLI, str(case.memory_limit), *case.args]
    else:
        cmd = [sys.executable, "-m", "entwined.cli", *case.args]
    try:
        return subprocess.run(cmd,
                              capture_output=True, text=True, cwd=case.cwd,
                              stdin=subprocess.DEVNULL, timeout=CLI_TIMEOUT_S,
                              env=dict(os.environ))
    except subprocess.TimeoutExpired:
        return None


@pytest.fixture(scope="module")
def cli_runs(request, tmp_path_factory):
    """Prepare every selected CLI case, run them in parallel, return name -> (case, process)."""
    wanted = sorted({item.callspec.params["case"] for item in request.session.items
                     if item.module is request.module and hasattr(item, "callspec")
                     and "case" in item.callspec.params})
    prepared = {}
    for name in wanted:
        folder = tmp_path_factory.mktemp(re.sub(r"[^A-Za-z0-9]+", "-", name)[:50])
        try:
            prepared[name] = CLI_CASES[name](folder)
        except (Exception, pytest.skip.Exception) as err:   # reported by that case alone
            prepared[name] = err
    workers = max(2, min(8, os.cpu_count() or 2))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {name: pool.submit(_run, case) for name, case in prepared.items()
                   if isinstance(case, CliCase)}
        return {name: (case, futures[name].result() if name in futures else None)
                for name, case in prepared.items()}


def check_cli(cli_runs, name):
    case, proc = cli_runs[name]
    if isinstance(case, BaseException):
        raise case
    case.check(proc)


# ----------------------------------------------------------------------------- baseline
def _baseline_verify(folder):
    """Exit 0; '--json -' writes JSON to stdout and no file named '-'."""
    def check(proc):
        assert_succeeded(proc)
        assert not (folder / "-").exists()
        assert json.loads(proc.stdout)
    return CliCase(["verify", "--claims", str(mini(folder)), "--no-numerics", "--quick",
                    "--json", "-"], check, cwd=folder)


def _baseline_report(folder):
    out = folder / "out.tex"

    def check(proc):
        assert_succeeded(proc)
        assert r"\documentclass" in out.read_text(encoding="utf-8")
    return CliCase(["report", "--claims", str(mini(folder)), "--tex-only", "--no-numerics",
                    "--quick", "-o", str(out)], check)


@pytest.mark.parametrize("case", [
    cli_case("baseline-verify", _baseline_verify),
    cli_case("baseline-report", _baseline_report),
])
def test_baseline_mini_claims_file_is_fine(cli_runs, case):
    """The small file the hostile cases are built on verifies (exit 0) and reports: the
    refusals below are caused by the hostile part alone."""
    check_cli(cli_runs, case)


# ----------------------------------------------------------------------------- formulas
# Each payload would create the marker file {m} (or reach Python internals) if it ever ran.
EXEC_PAYLOADS = {
    "str-import-system": "exp('__import__(\"os\").system(\"touch {m}\")')",
    "str-import-system-dq": "exp(\"__import__('os').system('touch {m}')\")",
    "bare-import-system": "__import__('os').system('touch {m}')",
    "fstring-exec": "f\"{__import__('os').system('touch {m}')}\"",
    "fstring-subclasses": "f\"{().__class__.__base__.__subclasses__()}\"",
    "tuple-class": "().__class__",
    "attr-on-symbol": "z.__class__.__base__.__subclasses__()",
    "attr-on-function": "exp.__globals__",
    "integer-class": "Integer.__class__",
    "listcomp": "[x for x in ()]",
    "listcomp-exec": "[__import__('os').system('touch {m}') for x in (1,)]",
    "genexp": "exp(x for x in (1,))",
    "lambda": "lambda: 0",
    "lambda-call": "(lambda: __import__('os').system('touch {m}'))()",
    "starred": "exp(*[1])",
    "starred-matrix": "Matrix([*[1]])",
    "keyword": "exp(x=1)",
    "keyword-evaluate": "exp(z, evaluate=False)",
    "getattr": "getattr(z, '__class__')",
    "eval": "eval('__import__(\"os\").system(\"touch {m}\")')",
    "exec": "exec('open(\"{m}\", \"w\")')",
    "open": "open('{m}', 'w')",
    "sympify": "sympify('__import__(\"os\").system(\"touch {m}\")')",
    "symbol-ctor": "Symbol('x')",
    "function-ctor": "Function('f')(z)",
    "builtins": "__builtins__",
    "dunder-name": "__import__",
    "dunder-fullwidth": "\uff3f\uff3fimport\uff3f\uff3f('os')",
    "string-in-matrix": "Matrix([['__import__(\"os\").system(\"touch {m}\")']])",
    "string-in-rational": "Rational('__import__(\"os\").system(\"touch {m}\")')",
    "string-in-derivative": "Derivative(z, (z, '1'))",
    "ifexp": "z if z else z",
    "walrus": "(y := 1)",
    "bytes": "b'x'",
    "subscript": "z.args[0]",
    "compare": "z < 1",
    "boolop": "z and z",
    "not": "not z",
    "call-non-callable": "z(1)",
    "call-constant": "pi(1)",
    "call-of-call": "exp(z)(z)",
    "dict": "{1: 2}",
    "none": "None",
    "ellipsis": "...",
}
# Sent through the CLI for `order` and `--potential` end to end: payloads that would run code,
# each way of getting at it at least once per field (a CLI run costs about a second of CPU, so
# the rest are covered in-process above, for every field).
CLI_EXEC_ORDER = ["str-import-system", "fstring-exec", "listcomp-exec", "lambda-call", "eval",
                  "open", "sympify", "string-in-matrix"]
CLI_EXEC_POTENTIAL = ["str-import-system", "bare-import-system", "fstring-exec", "lambda-call",
                      "getattr", "exec", "sympify", "string-in-rational"]

# Resource bombs: harmless as text, fatal as numbers or trees.  Each must be refused by a limit.
LIMIT_PAYLOADS = {
    "tower-10": "10**10**10",
    "tower-9": "9**9**9",
    "tower-2": "2**2**2**2**2**2",
    "symbol-power": "delta**(10**10)",
    "float-overflow": "1e999999",
    "long-integer": "1" * 5000,
    "long-formula": "+".join(["z"] * 50_000),
    "deep-parens": "(" * 500 + "z" + ")" * 500,
    "deep-calls": "exp(" * 300 + "z" + ")" * 300,
    "deep-unary": "-" * 5000 + "z",
    "derivative-order": "Derivative(phi1(z, t), (z, 10**6))",
    "big-matrix": "Matrix([" + ", ".join(["[" + ", ".join(["z"] * 100) + "]"] * 100) + "])",
}
assert len(LIMIT_PAYLOADS["long-formula"]) > 99_000


def payload(template: str, marker: Path) -> str:
    return template.replace("{m}", str(marker))


def claims_with_formula(folder: Path, field: str, text: str) -> Path:
    """Claim 8 (one equation) and claim 7 (with an order) with `text` put into `field`."""
    if field == "lhs":
        c8 = entry("8", equations=[f"{text} = 1 + epsilon*Dt"])
    elif field == "rhs":
        c8 = entry("8", equations=[f"Et = 1 + epsilon*Dt + 0*({text})"])
    else:
        c8 = entry("8")
    c7 = entry("7", order=text) if field == "order" else entry("7")
    return mini(folder, c8, c7)


def lattice_args(out: Path, potential: str) -> list:
    """A tiny lattice run; '--potential=TEXT' so that a formula starting with '-' is a value."""
    return ["lattice", "--steps", "8", "--sites", "16", "--output", str(out),
            f"--potential={potential}"]


def _refused_in_process(folder, field, text, capsys) -> str:
    """The one-line error refusing `text` in `field`: the loader's ClaimError for a claims
    file, the CLI's own main() (in this process, exit 2, one line) for --potential."""
    if field == "potential":
        out = folder / "profile.csv"
        status = cli_main(lattice_args(out, text))
        err = capsys.readouterr().err
        assert "Traceback" not in err
        assert status == 2, (status, err[-2000:])
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("entwined: error:"), err[-2000:]
        assert not out.exists()
        return lines[0]
    path = claims_with_formula(folder, field, text)
    with pytest.raises(ClaimError) as err:
        load_claims(path)
    assert_one_line(err.value)
    return str(err.value)


@pytest.mark.parametrize("field", ["lhs", "rhs", "order", "potential"])
@pytest.mark.parametrize("name", sorted(EXEC_PAYLOADS))
def test_formula_code_is_refused_in_process(tmp_path, capsys, field, name):
    marker = tmp_path / "MARKER"
    _refused_in_process(tmp_path, field, payload(EXEC_PAYLOADS[name], marker), capsys)
    assert not marker.exists()


def _order_exec(name, folder):
    marker = folder / "MARKER"
    path = claims_with_formula(folder, "order", payload(EXEC_PAYLOADS[name], marker))
    out = folder / "result.json"

    def check(proc):
        assert_refused(proc)
        assert re.search(r"(claim |\()7\b", proc.stderr), proc.stderr   # names the claim
        assert not marker.exists() and not out.exists()
    return CliCase(["verify", "--claims", str(path), "--no-numerics", "--quick",
                    "--json", str(out)], check)


def _potential_exec(name, folder):
    marker = folder / "MARKER"
    out = folder / "profile.csv"

    def check(proc):
        assert_refused(proc)
        assert "--potential" in proc.stderr
        assert not marker.exists() and not out.exists()
    return CliCase(lattice_args(out, payload(EXEC_PAYLOADS[name], marker)), check)


def _equation_exec(field, name, folder):
    marker = folder / "MARKER"
    path = claims_with_formula(folder, field, payload(EXEC_PAYLOADS[name], marker))
    out = folder / "out.tex"

    def check(proc):
        assert_refused(proc)
        assert not marker.exists() and not out.exists()
    return CliCase(["report", "--claims", str(path), "--tex-only", "--no-numerics", "--quick",
                    "-o", str(out)], check)


@pytest.mark.parametrize("case", [cli_case(f"order-{n}", partial(_order_exec, n))
                                  for n in CLI_EXEC_ORDER])
def test_order_code_is_refused_by_cli(cli_runs, case):
    check_cli(cli_runs, case)


@pytest.mark.parametrize("case", [cli_case(f"potential-{n}", partial(_potential_exec, n))
                                  for n in CLI_EXEC_POTENTIAL])
def test_potential_code_is_refused_by_cli(cli_runs, case):
    check_cli(cli_runs, case)


@pytest.mark.parametrize("case", [
    cli_case("equation-lhs-str-import-system", partial(_equation_exec, "lhs", "str-import-system")),
    cli_case("equation-rhs-fstring-exec", partial(_equation_exec, "rhs", "fstring-exec")),
])
def test_equation_code_is_refused_by_cli(cli_runs, case):
    check_cli(cli_runs, case)


@pytest.mark.parametrize("field", ["lhs", "rhs", "order", "potential"])
@pytest.mark.parametrize("name", sorted(LIMIT_PAYLOADS))
def test_formula_bomb_is_refused_by_a_named_limit(tmp_path, capsys, field, name):
    msg = _refused_in_process(tmp_path, field, LIMIT_PAYLOADS[name], capsys)
    assert "limit" in msg.lower(), msg


def _potential_bomb(name, folder):
    out = folder / "profile.csv"

    def check(proc):
        assert_refused(proc)
        assert "limit" in proc.stderr.lower() and not out.exists()
    return CliCase(lattice_args(out, LIMIT_PAYLOADS[name]), check)


def _equation_bomb(name, folder):
    path = claims_with_formula(folder, "rhs", LIMIT_PAYLOADS[name])

    def check(proc):
        assert_refused(proc)
        assert "limit" in proc.stderr.lower()
    return CliCase(["verify", "--claims", str(path), "--no-numerics", "--quick"], check)


@pytest.mark.parametrize("case", [
    *(cli_case(f"potential-bomb-{n}", partial(_potential_bomb, n))
      for n in ("tower-10", "deep-parens")),
    *(cli_case(f"equation-bomb-{n}", partial(_equation_bomb, n)) for n in ("tower-9",)),
])
def test_formula_bomb_is_refused_by_cli(cli_runs, case):
    check_cli(cli_runs, case)


@pytest.mark.parametrize("formula", [
    "Symbol('\\\\input{/etc/passwd}')",
    "Symbol(r'\\input{/etc/passwd}')",
    "Function('\\\\input{/etc/passwd}')(z)",
    "Dummy('\\\\write18{x}')",
    "symbols('\\\\input{/etc/passwd}')",
    "var('\\\\input{/etc/passwd}')",
    "S('\\\\input{/etc/passwd}')",
    "input",
    "passwd(z)",
    "Matrix([['\\\\input{/etc/passwd}']])",
])
def test_formula_cannot_make_a_symbol(tmp_path, formula):
    """A name in a formula can only be one of the notation's: no Symbol from user text."""
    for field in ("lhs", "rhs", "order"):
        with pytest.raises(ClaimError) as err:
            load_claims(claims_with_formula(tmp_path, field, formula))
        assert_one_line(err.value)


# ----------------------------------------------------------------------------- LaTeX
TEX_PAYLOADS = {
    "input": r"\input{/etc/passwd}",
    "write18": r"\immediate\write18{touch {m}}",
    "dollar": r"ZQ$\input{/etc/passwd}$ZQ",
    "percent": "ZQ%ZQ",
    "caret-hex": r"ZQ^^5cinput{/etc/passwd}ZQ",
    "catcode": r"ZQ\catcode`\~=0 ~input{/etc/passwd}ZQ",
    "brace": r"ZQ}\input{/etc/passwd}{ZQ",
    "end-document": r"ZQ\end{document}\input{/etc/passwd}ZQ",
    "def": r"ZQ\def\x{\input{/etc/passwd}}\xZQ",
    "hash-amp": "ZQ#1&ZQ_~|<>ZQ",
    "newline": "ZQ\n\\input{/etc/passwd}\nZQ",
}


def _tex_text(name: str, marker: Path) -> str:
    return payload(TEX_PAYLOADS[name], marker)


def _comment(text: str) -> str:
    """As an equation comment: a comment runs to the end of its line, and '=' splits an
    equation, so neither may appear in it."""
    return text.replace("\n", " ").replace("=", ":")


def injected_claims(folder: Path, texts: list[str], name="claims.toml") -> Path:
    """Every text field carries the payloads: title, statement, ocr, note and id, and a comment
    after an equation and an order (the parser ignores it; a report might print the source)."""
    allt = " ".join(texts)
    entries = [
        entry("8", title=allt, note=allt, equations=[f"Et = 1 + epsilon*Dt # {_comment(allt)}"]),
        entry("6", title=allt, ocr=allt, note=allt),
        entry("7", order=f"delta**3 # {_comment(allt)}"),
    ]
    for i, text in enumerate(texts):
        entries.append({
            "id": f"x{i} {text.replace(chr(10), ' ')}", "section": "diffusive-scaling",
            "title": text, "provenance": "partly legible", "statement": text, "ocr": text,
            "note": text, "order": f"delta**3 # {_comment(text)}",
            "equations": [f"phi1(z, t) = phi1(z, t) + 0*z # {_comment(text)}",
                          f"Matrix([[z]])**2 = Matrix([[z**2]]) # {_comment(text)}"]})
    return mini(folder, *entries, name=name)


def _raw_sequences(text: str) -> list[str]:
    """The parts of a payload that must not reach the .tex as they are."""
    out = [text] if any(ch in text for ch in "\\$%^}{#&_~") else []
    out += [s for s in (r"\input{", r"\write18", r"\catcode", r"\end{document}\input",
                        r"\def\x", "^^5c", "$\\input") if s in text]
    return out


def _latex_all(folder):
    marker = folder / "MARKER"
    path = injected_claims(folder, [_tex_text(n, marker) for n in sorted(TEX_PAYLOADS)])
    out = folder / "out.tex"

    def check(proc):
        assert_succeeded(proc)
        assert not marker.exists()
    return CliCase(["report", "--claims", str(path), "--tex-only", "--no-numerics", "--quick",
                    "-o", str(out)], check)


LATEX_ALL = cli_case("latex-all-fields", _latex_all)


def _report_tex(cli_runs) -> tuple[str, Path]:
    check_cli(cli_runs, LATEX_ALL)
    case, _ = cli_runs[LATEX_ALL]
    folder = Path(case.args[case.args.index("-o") + 1]).parent
    return (folder / "out.tex").read_text(encoding="utf-8"), folder / "MARKER"


@pytest.mark.parametrize("case", [LATEX_ALL])
@pytest.mark.parametrize("name", sorted(TEX_PAYLOADS))
def test_text_fields_reach_latex_escaped(cli_runs, case, name):
    tex, marker = _report_tex(cli_runs)
    text = _tex_text(name, marker)
    for raw in _raw_sequences(text):
        assert raw not in tex, f"{raw!r} reached the LaTeX source unescaped"
    assert not marker.exists()


@pytest.mark.parametrize("case", [LATEX_ALL])
def test_injected_text_is_still_shown(cli_runs, case):
    """Escaped, not dropped: the literal text is in the report (in some escaped form)."""
    tex, _ = _report_tex(cli_runs)
    assert r"\input{/etc/passwd}" not in tex
    assert "etc/passwd" in tex and "ZQ" in tex


def _latex_paths(folder):
    """The report quotes the command line and the claims file's name: paths are text too."""
    deep = folder / "\\input{" / "etc" / "passwd}"
    deep.mkdir(parents=True)
    path = mini(deep, name="c%$#.toml")
    out = deep / "out.tex"

    def check(proc):
        assert_succeeded(proc)
        tex = out.read_text(encoding="utf-8")
        assert r"\input{/etc/passwd}" not in tex and "c%$#.toml" not in tex
    return CliCase(["report", "--claims", str(path), "--tex-only", "--no-numerics", "--quick",
                    "-o", str(out)], check)


@pytest.mark.parametrize("case", [cli_case("latex-paths", _latex_paths)])
def test_paths_reach_latex_escaped(cli_runs, case):
    check_cli(cli_runs, case)


def test_pdf_does_not_include_system_files(tmp_path, require_tex):
    marker = tmp_path / "MARKER"
    path = injected_claims(tmp_path, [_tex_text(n, marker) for n in sorted(TEX_PAYLOADS)])
    out = tmp_path / "report.pdf"
    proc = subprocess.run([sys.executable, "-m", "entwined.cli", "report", "--claims", str(path),
                           "--no-numerics", "--quick", "-o", str(out)], capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, timeout=900)
    assert_succeeded(proc)
    pdf_text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True,
                              check=True).stdout
    assert "root:x:0:0" not in pdf_text
    for line in Path("/etc/passwd").read_text(errors="replace").splitlines():
        if line.count(":") >= 5:
            assert line not in pdf_text
    assert "passwd" in pdf_text          # the text is there, literally
    assert not marker.exists()


# ----------------------------------------------------------------------------- claims files
def _base() -> list[dict]:
    return [entry("8"), entry("7")]


MALFORMED = {
    "toml-syntax": lambda: dump_claims(_base()) + "\n[[claim]\n",
    "toml-unterminated-string": lambda: '[[claim]]\nid = "3\n',
    "not-utf8": lambda: b"[[claim]]\nid = \"\xff\xfe\"\n",
    "binary-garbage": lambda: bytes(range(256)) * 4,
    "empty": lambda: "",
    "no-claims": lambda: 'title = "x"\n',
    "claim-is-table": lambda: dump_claims(_base()[:1]).replace("[[claim]]", "[claim]", 1),
    "claim-is-string": lambda: 'claim = "x"\n',
    "claim-is-list-of-strings": lambda: 'claim = ["x", "y"]\n',
    "id-int": lambda: dump_claims([entry("8", id=8)]),
    "id-float": lambda: dump_claims([entry("8", id=8.5)]),
    "title-bool": lambda: dump_claims([entry("8", title=True)]),
    "provenance-list": lambda: dump_claims([entry("8", provenance=["legible"])]),
    "section-unknown": lambda: dump_claims([entry("8", section="secret-section")]),
    "section-int": lambda: dump_claims([entry("8", section=1)]),
    "equations-string": lambda: dump_claims([entry("8", equations="Et = 1 + epsilon*Dt")]),
    "equations-with-table": lambda: dump_claims(
        [entry("8", equations=["Et = 1 + epsilon*Dt", {"x": "y"}])]),
    "equations-with-int": lambda: dump_claims([entry("8", equations=["z = z", 1])]),
    "equations-nested-list": lambda: dump_claims([entry("8", equations=[["z = z"]])]),
    "equations-table": lambda: dump_claims([entry("8", equations={"a": "z = z"})]),
    "statement-list": lambda: dump_claims([entry("8", statement=["a", "b"])]),
    "order-int": lambda: dump_claims([entry("7", order=3)]),
    "ocr-date": lambda: dump_claims([entry("6", ocr=None)]) + "ocr = 1979-05-27\n",
    "note-table": lambda: dump_claims([entry("8", note={"a": "b"})]),
    "unknown-field": lambda: dump_claims([entry("8", evil="x")]),
    "unknown-field-dunder": lambda: dump_claims([entry("8", __class__="x")]),
    "duplicate-id": lambda: dump_claims([entry("8"), entry("7", id="8")]),
    "missing-id": lambda: dump_claims([entry("8", id=None)]),
    "missing-equations-and-statement": lambda: dump_claims([entry("8", equations=None)]),
    "two-equals": lambda: dump_claims([entry("8", equations=["z = z = z"])]),
    "no-equals": lambda: dump_claims([entry("8", equations=["z"])]),
    "nul-in-formula": lambda: dump_claims([entry("8", equations=["z = z\x00 + 1"])]),
    "order-not-a-power": lambda: dump_claims([entry("7", order="exp(delta)")]),
    "deeply-nested-array": lambda: '[[claim]]\nid = "8"\nequations = ' + "[" * 100_000
    + "]" * 100_000 + "\n",
    "deeply-nested-table": lambda: '[[claim]]\nid = "8"\nnote = ' + "{a = " * 100_000
    + "1" + "}" * 100_000 + "\n",
}


def _write(path: Path, content) -> Path:
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_claims_file_is_one_line_error(tmp_path, name):
    path = _write(tmp_path / "claims.toml", MALFORMED[name]())
    with pytest.raises(ClaimError) as err:
        load_claims(path)
    assert_one_line(err.value)


def _malformed_cli(name, folder):
    path = _write(folder / "claims.toml", MALFORMED[name]())
    return CliCase(["verify", "--claims", str(path), "--no-numerics", "--quick"], assert_refused)


@pytest.mark.parametrize("case", [
    cli_case(f"malformed-{n}", partial(_malformed_cli, n))
    for n in ("toml-syntax", "equations-with-table", "deeply-nested-array")])
def test_malformed_claims_file_by_cli(cli_runs, case):
    check_cli(cli_runs, case)


def _oversized(folder: Path) -> Path:
    """Valid TOML, just over 10 MB (a comment pads it)."""
    path = folder / "big.toml"
    head = dump_claims(_base())
    path.write_text(head + "#" + "x" * (10 * 1024 * 1024 - len(head) + 10) + "\n",
                    encoding="utf-8")
    return path


def _sparse(folder: Path) -> Path:
    """A file that claims to be 64 GB (sparse): refused by its size, never read."""
    path = folder / "sparse.toml"
    with open(path, "wb") as fh:
        fh.truncate(64 << 30)
    return path


def _fifo(folder: Path, name="claims.fifo") -> Path:
    path = folder / name
    os.mkfifo(path)
    return path


def _symlink_zero(folder: Path) -> Path:
    path = folder / "zero.toml"
    path.symlink_to("/dev/zero")
    return path


def _directory(folder: Path) -> Path:
    path = folder / "claims.d"
    path.mkdir()
    mini(path)
    return path


SPECIAL_CLAIMS = {
    "dev-zero": lambda folder: Path("/dev/zero"),
    "symlink-to-dev-zero": _symlink_zero,
    "fifo": _fifo,
    "directory": _directory,
    "oversized": _oversized,
    "sparse-huge": _sparse,
}


# In-process only where a broken loader could neither hang nor exhaust memory; devices, FIFOs
# and a sparse 64 GB file go through the CLI (timeout, memory limit) below.  (/dev/urandom is
# left out: it is a character device like /dev/zero.)
@pytest.mark.parametrize("name", ["directory", "oversized"])
def test_nonregular_or_oversized_claims_file_in_process(tmp_path, name):
    path = SPECIAL_CLAIMS[name](tmp_path)
    with pytest.raises(ClaimError) as err:
        load_claims(path)
    assert_one_line(err.value)
    if name == "oversized":
        assert "10 MB" in str(err.value) or "limit" in str(err.value)


def _special_claims_cli(name, folder):
    path = SPECIAL_CLAIMS[name](folder)
    out = folder / "result.json"
    out.write_text('{"previous": true}\n')
    before = snapshot(folder)

    def check(proc):
        assert_refused(proc)
        assert snapshot(folder) == before        # the previous output byte-identical
        if name in ("oversized", "sparse-huge"):
            assert "10 MB" in proc.stderr or "limit" in proc.stderr
    return CliCase(["verify", "--claims", str(path), "--no-numerics", "--quick",
                    "--json", str(out)], check, memory_limit=4 << 30)


@pytest.mark.parametrize("case", [cli_case(f"claims-{n}", partial(_special_claims_cli, n))
                                  for n in ("dev-zero", "symlink-to-dev-zero", "fifo",
                                            "directory", "sparse-huge")])
def test_nonregular_or_oversized_claims_file_by_cli(cli_runs, case):
    check_cli(cli_runs, case)


# ----------------------------------------------------------------------------- outputs
def _private_null(folder: Path) -> Path:
    """A null character device to write to.  As root a private one (mknod 1,3) stands in for
    /dev/null: a broken tool that replaced its target, or wrote 'null.tex' beside it, must not
    be able to touch the system's own /dev.  (Not root: the real /dev/null, which it could not
    replace anyway.)"""
    if os.geteuid() != 0:
        return Path("/dev/null")
    (folder / "dev").mkdir(exist_ok=True)
    path = folder / "dev" / "null"
    if not path.exists():
        try:
            os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))
        except OSError as err:
            pytest.skip(f"cannot make a private null device as root ({err.strerror})")
    return path


def _char_device(folder: Path) -> Path:
    path = _private_null(folder)
    if path == Path("/dev/null"):
        return path
    out = folder / "out.tex"
    os.rename(path, out)
    (folder / "dev").rmdir()
    return out


def _target_dir(folder: Path) -> Path:
    path = folder / "out.d"
    path.mkdir()
    (path / "keep.txt").write_text("keep\n")
    return path


def _target_symlink_dev_null(folder: Path) -> Path:
    path = folder / "out.tex"
    path.symlink_to(_private_null(folder))
    return path


TARGETS = {"char-device": _char_device, "fifo": partial(_fifo, name="out.tex"),
           "directory": _target_dir, "symlink-to-dev-null": _target_symlink_dev_null}


def _special_target(command, target, folder):
    (folder / "in").mkdir()
    claims = mini(folder / "in")
    work = folder / "work"
    work.mkdir()
    out = TARGETS[target](work)
    kind_before = _kind(out)
    before = snapshot(work)
    if command in ("verify", "mutate"):
        args = [command, "--claims", str(claims), "--no-numerics", "--quick", "--json", str(out)]
    elif command == "report":
        args = ["report", "--claims", str(claims), "--no-numerics", "--quick", "--tex-only",
                "-o", str(out)]
    else:
        args = ["lattice", "--steps", "8", "--sites", "16", "--output", str(out)]

    def check(proc):
        assert_refused(proc)
        assert _kind(out) == kind_before
        assert snapshot(work) == before
    return CliCase(args, check)


def _json_dev_null(folder):
    """`--json /dev/null` (a private null device when running as root, see _private_null)."""
    claims = mini(folder)
    target = _private_null(folder)
    before = snapshot(folder)

    def check(proc):
        assert_refused(proc)
        assert stat.S_ISCHR(os.stat(target).st_mode)
        assert snapshot(folder) == before
    return CliCase(["verify", "--claims", str(claims), "--no-numerics", "--quick",
                    "--json", str(target)], check)


OUTPUT_CASES = [cli_case("verify-json-dev-null", _json_dev_null)] + [
    cli_case(f"{command}-to-{target}", partial(_special_target, command, target))
    for command, targets in (("verify", ("fifo", "directory", "symlink-to-dev-null")),
                             ("report", ("char-device", "fifo", "directory")),
                             ("lattice", ("char-device", "fifo")),
                             ("mutate", ("fifo",)))
    for target in targets]


@pytest.mark.parametrize("case", OUTPUT_CASES)
def test_special_output_target_is_refused_and_left(cli_runs, case):
    check_cli(cli_runs, case)


def _intact_json(folder):
    out = folder / "result.json"
    out.write_text('{"previous": true}\n')
    marker = folder / "MARKER"
    path = claims_with_formula(folder, "rhs",
                               payload(EXEC_PAYLOADS["str-import-system"], marker))
    before = snapshot(folder)

    def check(proc):
        assert_refused(proc)
        assert snapshot(folder) == before      # byte-identical, no temporary left behind
        assert not marker.exists()
    return CliCase(["verify", "--claims", str(path), "--no-numerics", "--quick",
                    "--json", str(out)], check)


def _intact_tex(folder):
    out = folder / "report.tex"
    out.write_text("% previous report\n")
    path = _write(folder / "claims.toml", MALFORMED["equations-with-table"]())
    before = snapshot(folder)

    def check(proc):
        assert_refused(proc)
        assert snapshot(folder) == before
    return CliCase(["report", "--claims", str(path), "--tex-only", "--no-numerics", "--quick",
                    "-o", str(out)], check)


def _intact_csv(folder):
    out = folder / "profile.csv"
    out.write_text("z,phi1,phi2\nprevious\n")
    marker = folder / "MARKER"
    before = snapshot(folder)

    def check(proc):
        assert_refused(proc)
        assert snapshot(folder) == before
        assert not marker.exists()
    return CliCase(lattice_args(out, payload(EXEC_PAYLOADS["fstring-exec"], marker)), check)


def _intact_json_after_bomb(folder):
    out = folder / "result.json"
    out.write_text('{"previous": true}\n')
    path = claims_with_formula(folder, "order", LIMIT_PAYLOADS["tower-10"])
    before = snapshot(folder)

    def check(proc):
        assert_refused(proc)
        assert snapshot(folder) == before
    return CliCase(["verify", "--claims", str(path), "--no-numerics", "--quick",
                    "--json", str(out)], check)


@pytest.mark.parametrize("case", [
    cli_case("intact-json-after-code", _intact_json),
    cli_case("intact-tex-after-bad-type", _intact_tex),
    cli_case("intact-csv-after-bad-potential", _intact_csv),
    cli_case("intact-json-after-bomb", _intact_json_after_bomb),
])
def test_previous_output_intact_after_failed_run(cli_runs, case):
    check_cli(cli_runs, case)
