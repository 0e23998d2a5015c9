"""Command line: `entwined verify`, `mutate`, `lattice` and `report`.

Exit status (scripts and CI branch on it, so every path ends in exactly one of these; where
several apply, the earlier row of 2, 130, 3, 4, 1 wins):
  0    success: verify: every checked claim holds (with --expect FILE: nothing changed from
       FILE, whatever the findings); mutate: every mutant killed; report built; lattice run done
  1    verify / mutate completed with findings (a claim that does not hold, a surviving mutant)
  2    bad input or a failed run (a bad option value, an unknown --only id, a malformed or
       missing --expect FILE, ...); one line on stderr, `entwined: error: ...`
  3    the run completed but at least one check hit an internal error (reported `unproven`),
       or the tool itself crashed: one line `entwined: internal error: ...` (--debug shows the
       traceback)
  4    verify --expect FILE: the run completed and differs from FILE (a claim's verdict or
       check_status changed, or a claim was added or removed); one line per changed claim on
       stderr, e.g. `(13): expected holds, now fails`
  130  interrupted (Ctrl-C); no output was written and any previous output file is intact
Errors are one line, never a traceback unless --debug is given.  Output files are checked
before the work and replaced atomically after it (entwined/core/outputs.py).  Progress goes to
stderr (in place on a terminal, one line per tenth of the work in a log; none with --quiet).
"""
from __future__ import annotations

import argparse
import difflib
import inspect
import json
import math
import os
import shutil
import stat
import sys
import textwrap
import time
import traceback
from pathlib import Path

from entwined.core import store
from entwined.core.claims import load_claims
from entwined.core.errors import EntwinedError
from entwined.core.outputs import check_target, write_atomic
from entwined.numerics import simulate
from entwined.report.build import build_report
from entwined.run.mutate import run_mutation
from entwined.run.pipeline import verify
from entwined.run.serialize import (differences, expected_claims, mutation_to_json, plain,
                                    to_json, tool_version)

DEFAULT_REPORT = "out/entwined-report.pdf"
DEFAULT_TIMEOUT_S = 120.0
# stated in `lattice --help`; numerics/simulate.py enforces them (a test keeps both in step)
LATTICE_LIMITS = "at most 10000000 steps and sites*steps <= 2e9 site-updates"
EXIT_STATUSES = ("exit status: 0 success (with --expect: no change), 1 findings, 2 bad input or "
                 "failed run, 3 internal error in a check, 4 changed from --expect FILE, "
                 "130 interrupted, 141 output pipe closed by the reader")
LONG_LATTICE_WORK = 10**8         # site-updates from which `lattice` says on stderr that it runs
MIN_DETAIL_WIDTH = 40             # the verify table's detail column, however narrow the terminal
MAX_EXPECT_BYTES = 64 * 1024 * 1024


class _Formatter(argparse.HelpFormatter):
    """Every option's default in its help: '(default: X)' appended unless the help states it
    already; flags (default off) and options without a value by default say it in their help."""

    def _get_help_string(self, action):
        text = action.help or ""
        if ("%(default)" in text or "default:" in text or not action.option_strings
                or action.default in (None, False, argparse.SUPPRESS)):
            return text
        return text + " (default: %(default)s)"


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (as every other error of the tool)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def error(self, message):
        print(f"entwined: error: {message}; see 'entwined --help'", file=sys.stderr)
        raise SystemExit(2)


def _timeout(text: str) -> float:
    """A positive, finite number of seconds (argparse turns the error into one line)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text!r}")
    return value


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="entwined", description=(
        "Verify the algebra of Ord & Mann, 'Entwined Pairs and Schroedinger's Equation' "
        "(quant-ph/0206095) against the lattice model, and write a PDF report."),
        epilog=EXIT_STATUSES)
    debug_help = "print a traceback for an internal error, instead of one line (default: off)"
    p.add_argument("--version", action="version", version=f"entwined {tool_version()}")
    p.add_argument("--debug", action="store_true", help=debug_help)
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    common = _Parser(add_help=False)
    # SUPPRESS: a subcommand's default must not undo `entwined --debug verify`
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help=debug_help)
    common.add_argument("--timeout", type=_timeout, default=DEFAULT_TIMEOUT_S, metavar="SECONDS",
                        help=f"time budget in seconds for each check; a check that runs "
                        f"out is reported unproven (default: {DEFAULT_TIMEOUT_S:g})")
    common.add_argument("--claims", metavar="FILE",
                        help="claims file (TOML) to verify instead of the bundled transcription "
                        "(default: the bundled transcription)")
    common.add_argument("--only", nargs="+", action="extend", metavar="ID",
                        help="check only these claim ids, e.g. --only 13 9-10 14.conjugates (the "
                        "first column of the verify table); the other claims stay loaded as "
                        "context (default: every claim)")
    common.add_argument("--quick", action="store_true",
                        help="shorter refinement sequences for the numeric checks (CI-sized; "
                        "default: off)")
    common.add_argument("--no-numerics", action="store_true",
                        help="symbolic checks only: no lattice studies or Monte Carlo (mutate: "
                        "no numeric kills; report: no lattice evidence; default: off)")
    common.add_argument("--no-cache", action="store_true",
                        help="derive everything in this run instead of reusing the claim-"
                        "independent derivations an earlier run of the same code kept on disk "
                        "(see ENTWINED_CACHE_DIR in the README; default: reuse them)")
    common.add_argument("-q", "--quiet", action="store_true",
                        help="no progress on stderr; errors and --expect differences are still "
                        "printed (default: off)")
    v = sub.add_parser("verify", parents=[common], help="check every claim; print a table",
                       description="Check every claim (or --only some) and print a table: "
                       "equation, provenance, verdict, detail.", epilog=EXIT_STATUSES)
    v.add_argument("--json", metavar="PATH", help="also write the result as JSON ('-' = stdout, "
                   "then no table; default: no JSON)")
    v.add_argument("--expect", metavar="FILE",
                   help="a previous 'verify --json' output: print one line per claim whose "
                   "verdict or check status differs from it (or that was added or removed) and "
                   "exit 4 if any does, 0 if none does (default: no comparison)")
    mu = sub.add_parser("mutate", parents=[common], help="mutate every claim; report the kill rate",
                        description="Mutate every printed claim as a transcription or print goes "
                        "wrong; the verifier must notice (kill) every non-equivalent mutant.",
                        epilog=EXIT_STATUSES)
    mu.add_argument("--json", metavar="PATH", help="write the full mutation result ('-' = "
                    "stdout, then no table; default: no JSON)")
    la = sub.add_parser("lattice", help="run the lattice model itself (Gaussian packet) and "
                        "compare with the continuum",
                        description=f"Run the lattice model itself; work is bounded: "
                        f"{LATTICE_LIMITS}, and the sites must fit in memory.")
    la.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=debug_help)
    la.add_argument("--section", choices=("diffusive", "kac"), default="diffusive",
                    help="which model: the diffusive scaling or the Kac (signal-velocity) one")
    la.add_argument("--delta", default="0.0625", help="space step (> 0)")
    la.add_argument("--sites", default="256", help="number of lattice sites (periodic)")
    la.add_argument("--steps", default="256", help="number of time steps (whole; diffusive: "
                    f"multiple of 8; {LATTICE_LIMITS})")
    la.add_argument("--D", default="0.5", help="diffusion constant of (3) (> 0)")
    la.add_argument("--epsilon", default=None, help="time step (> 0); sets D = delta^2/(2 eps) "
                    "in the diffusive section, c = delta/eps in the Kac section (default: "
                    "delta^2/(2 D), Kac: delta/c)")
    la.add_argument("--potential", default="0", help="v(z) as a formula in z, e.g. '2*cos(z)'")
    la.add_argument("--alpha", default=None, help="constant reversal probability in [0, 1] "
                    "instead of the canonical ensemble (5) (default: the canonical ensemble)")
    la.add_argument("--a", default="1", help="Kac section: inverse mean free time (> 0)")
    la.add_argument("--c", default="1", help="Kac section: signal velocity (> 0)")
    la.add_argument("--output", metavar="CSV", help="write z, phi1, phi2 at the final time "
                    "(default: no file)")
    r = sub.add_parser("report", parents=[common], help="build the PDF verification report",
                       description="Verify every claim (or --only some) and build the PDF "
                       "report with every step, verdict and piece of evidence.",
                       epilog=EXIT_STATUSES)
    r.add_argument("--mutation", action="store_true",
                   help="include the mutation-testing section (adds about half a minute; "
                   "default: off)")
    r.add_argument("-o", "--output", default=DEFAULT_REPORT, metavar="PATH",
                   help=f"where the PDF goes (default: {DEFAULT_REPORT})")
    r.add_argument("--tex-only", action="store_true", help="write the .tex source, skip LaTeX "
                   "(default: off)")
    return p


def _clock(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}" if seconds >= 3600 \
        else f"{seconds // 60}:{seconds % 60:02d}"


def _isatty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


class _Progress:
    """The `progress(i, n, claim)` callback of the pipeline and the mutation runner: a phase
    label, the claim, elapsed time and an ETA on stderr.  On a terminal one line is rewritten in
    place; in a log (stderr not a terminal) one line per claim when there are at most ten,
    otherwise one per tenth of the work, and a closing line per phase.  Silent when quiet.
    With forked workers (core/forked.py) i counts the claims finished by all processes, so a
    claim a worker checked is counted without a line of its own.
    A call with i == 0 after other calls starts the next phase (report: verify, then mutate)."""

    def __init__(self, phases, quiet=False):
        self.phases = list(phases) or ["run"]
        self.quiet = quiet
        self.stream = sys.stderr
        self.tty = _isatty(self.stream)
        self.phase = -1
        self.n = 0
        self.i = None               # index of the claim in progress, None between phases
        self.t0 = 0.0
        self.printed_tenth = -1
        self.width = 0              # of the line on the terminal that is still open

    @property
    def label(self) -> str:
        return self.phases[min(self.phase, len(self.phases) - 1)]

    def _write(self, text: str, final: bool) -> None:
        if self.tty:
            try:                                   # a line longer than the terminal would wrap
                columns = os.get_terminal_size(self.stream.fileno()).columns
            except (AttributeError, ValueError, OSError):
                columns = 0                        # unknown (0 also from a pty without a size)
            if columns:
                text = text[:max(20, columns - 1)]
            pad = max(0, self.width - len(text))
            self.stream.write("\r" + text + " " * pad + ("\n" if final else ""))
            self.width = 0 if final else len(text)
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def __call__(self, i, n, claim) -> None:
        if self.quiet:
            return
        if self.i is not None and i == 0:
            self.done()
        if self.i is None:
            self.phase += 1
            self.n, self.t0, self.printed_tenth = n, time.monotonic(), -1
        self.i = i
        tenth = 10 * i // n if n > 10 else i
        if not self.tty and tenth <= self.printed_tenth:
            return
        self.printed_tenth = tenth
        elapsed = time.monotonic() - self.t0
        eta = f"ETA {_clock(elapsed / i * (n - i))}" if i else "ETA --:--"
        # on a terminal the line of the last claim is ended at once: what the command prints
        # next (the report builder's 'wrote ...') must not land on it
        self._write(f"entwined: {self.label} [{i + 1:{len(str(n))}d}/{n}] {100 * i // n:3d}% "
                    f"({claim.id}); {_clock(elapsed)} elapsed, {eta}", final=i + 1 == n)

    def done(self) -> None:
        """The phase in progress finished (nothing when no phase is in progress)."""
        if self.quiet or self.i is None:
            return
        self._write(f"entwined: {self.label} done: {self.n} claims in "
                    f"{_clock(time.monotonic() - self.t0)}", final=True)
        self.i = None

    def close(self) -> None:
        """End an open terminal line (after an error or Ctrl-C), so what follows starts clean."""
        if self.tty and self.width:
            self.stream.write("\n")
            self.stream.flush()
            self.width = 0


def _wrap(text: str, width: int) -> list[str]:
    """Every word of `text`, in lines of at most `width` characters (a longer word, e.g. a
    formula, stands alone on its line rather than being cut)."""
    lines = []
    for paragraph in text.splitlines() or [""]:
        lines += textwrap.wrap(paragraph, width, break_long_words=False,
                               break_on_hyphens=False) or [""]
    return lines


def _table(run, columns: int | None = None) -> str:
    """equation, provenance, verdict, detail; a long detail continues on the next lines under
    the detail column, within the terminal width (at least MIN_DETAIL_WIDTH for the detail)."""
    rows = [("equation", "provenance", "verdict", "detail")]
    for r in run.results:
        rows.append((r.claim.id, r.claim.provenance, r.outcome.verdict.value, str(r.outcome.detail)))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    indent = sum(widths) + 2 * 3
    columns = columns or shutil.get_terminal_size((120, 24)).columns
    detail_width = max(MIN_DETAIL_WIDTH, columns - indent - 1)
    lines = []
    for row in rows:
        chunks = _wrap(row[3], detail_width)
        lines.append("  ".join(row[i].ljust(widths[i]) for i in range(3)) + "  " + chunks[0])
        lines += [" " * indent + chunk for chunk in chunks[1:]]
    lines.insert(1, "-" * min(max(columns - 1, indent + MIN_DETAIL_WIDTH),
                              max(len(x) for x in lines)))
    summary = {}
    for r in run.results:
        summary[r.outcome.verdict.value] = summary.get(r.outcome.verdict.value, 0) + 1
    lines.append("")
    lines.append(", ".join(f"{n} {k}" for k, n in summary.items()) +
                 f" ({len(run.results)} claims, {run.timings['verify']:.1f} s)")
    return "\n".join(lines)


def _mutation_table(result) -> str:
    lines = [f"{'equation':24s} {'mutants':>7s} {'killed':>6s} {'numeric':>8s}  equivalent"]
    for e in result["claims"]:
        num = f"{e['numeric_killed']}/{e['mutants']}" if "numeric_killed" in e else "-"
        lines.append(f"{e['equation']:24s} {e['mutants']:7d} {e['killed']:6d} {num:>8s}  "
                     f"{len(e['equivalent'])}")
    t = result["total"]
    lines.append("")
    for sec, v in result["by_section"].items():
        lines.append(f"{sec}: {v['killed']}/{v['mutants']} killed")
    numeric = (f"numeric checks alone: {result['numeric']['killed']}/"
               f"{result['numeric']['mutants']}" if result.get("options", {}).get("numeric_ids",
                                                                                  True)
               else "numeric checks: not run (--no-numerics)")
    lines.append(f"total: {t['killed']}/{t['mutants']} non-equivalent mutants killed "
                 f"({100 * (t['kill_rate'] or 0):.1f}%), {t['equivalent']} equivalent; {numeric}")
    return "\n".join(lines)


def _emit(json_path, data, table) -> None:
    """JSON on stdout for '-', otherwise the table on stdout and the JSON (if asked) in a file.
    The JSON is serialised before anything is printed, and only when it is asked for."""
    payload = json.dumps(plain(data), indent=2, allow_nan=False) if json_path else None
    if json_path == "-":
        print(payload)
        return
    print(table())
    if json_path:
        write_atomic(json_path, payload + "\n")


def _accepted(fn, **keywords) -> dict:
    """The keywords `fn` takes: the pipeline and the report builder gain keywords
    independently of this file, and an unknown keyword would crash every run."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return {}
    return {k: v for k, v in keywords.items() if k in params}


def _budget(fn, seconds) -> dict:
    """budget_s=seconds if `fn` takes it."""
    return _accepted(fn, budget_s=seconds)


def _internal_errors(ids) -> int:
    """Exit 3 when a check crashed: its claim is reported unproven, the run itself completed."""
    print(f"entwined: internal error: the check of {', '.join(f'({i})' for i in ids)} "
          "crashed and is reported unproven; rerun with --debug for details", file=sys.stderr)
    return 3


def _selection(ids, claims) -> set[str] | None:
    """The claim ids of --only (None: every claim); an id not in the claims file is bad input."""
    if ids is None:
        return None
    known = claims.by_id()
    selected = set()
    for text in ids:
        cid = text.strip().removeprefix("(").removesuffix(")")
        if cid not in known:
            close = difflib.get_close_matches(cid, list(known), n=3)
            hint = f"did you mean {' or '.join(f'({c})' for c in close)}? " if close else ""
            raise EntwinedError(f"--only: no claim with id {text!r} in {claims.path}; {hint}"
                                "the ids are the first column of 'entwined verify --no-numerics "
                                "--quick' (the id fields of the claims file)")
        selected.add(cid)
    return selected


def _load_expected(path: str) -> dict[str, dict]:
    """The claims of a previous `verify --json` output (--expect), read before the long work;
    a missing, special, oversized or malformed file is bad input (exit 2, one line)."""
    hint = "give the output of an earlier 'entwined verify --json FILE'"
    try:
        info = os.stat(path)
    except OSError as err:
        raise EntwinedError(f"--expect {path}: cannot read it ({err.strerror}); {hint}") from None
    if not stat.S_ISREG(info.st_mode):
        raise EntwinedError(f"--expect {path} is not a regular file; {hint}")
    if info.st_size > MAX_EXPECT_BYTES:
        raise EntwinedError(f"--expect {path} is larger than {MAX_EXPECT_BYTES >> 20} MB; {hint}")
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as err:
        raise EntwinedError(f"--expect {path}: cannot read it ({err.strerror}); {hint}") from None
    except UnicodeDecodeError:
        raise EntwinedError(f"--expect {path} is not UTF-8 text; {hint}") from None
    except json.JSONDecodeError as err:
        raise EntwinedError(f"--expect {path} is not JSON ({err.msg} at line {err.lineno} "
                            f"column {err.colno}); {hint}") from None
    except RecursionError:
        raise EntwinedError(f"--expect {path} is nested too deeply; {hint}") from None
    try:
        return expected_claims(data, f"--expect {path}")
    except ValueError as err:
        raise EntwinedError(str(err)) from None


def _compare(expected, data, only, path, quiet) -> int:
    """--expect: one line per changed claim on stderr; 4 when anything changed, else 0.  With
    --only, the claims of FILE outside the run (neither selected nor checked) are not compared."""
    current = {c["equation"]: c for c in data.get("claims", [])}
    if only is not None:
        expected = {cid: entry for cid, entry in expected.items()
                    if cid in only or cid in current}
    lines = differences(expected, current)
    for line in lines:
        print(line, file=sys.stderr)
    if not quiet:
        print(f"entwined: {len(lines)} of {len(set(expected) | set(current))} claims changed "
              f"from {path}" if lines else
              f"entwined: no change from {path} ({len(current)} claims)", file=sys.stderr)
    return 4 if lines else 0


def _verify(args, claims, only, expected, progress) -> int:
    run = verify(claims, numerics=not args.no_numerics, quick=args.quick, progress=progress,
                 only=only, **_budget(verify, args.timeout))
    progress.done()
    # the JSON form costs a few tenths of a second: built only for --json or --expect
    data = to_json(run) if (args.json or expected is not None) else None
    _emit(args.json, data, lambda: _table(run))
    status = 0 if run.all_hold else 1
    if expected is not None:
        status = _compare(expected, data, only, args.expect, args.quiet)
    if getattr(run, "internal_errors", []):
        return _internal_errors(run.internal_errors)
    return status


def _mutate(args, claims, only, progress) -> int:
    options = {"quick": args.quick, "only": only}
    if args.no_numerics:
        options["numeric_ids"] = ()
    result = run_mutation(claims, progress=progress, **options,
                          **_budget(run_mutation, args.timeout))
    progress.done()
    mutated = {e["equation"] for e in result["claims"]}
    idle = sorted((only or set()) - mutated)
    if idle and not args.quiet:
        print(f"entwined: note: nothing to mutate in {', '.join(f'({i})' for i in idle)} (no "
              "printed equation, or no check)", file=sys.stderr)
    _emit(args.json, mutation_to_json(result, claims), lambda: _mutation_table(result))
    if result["total"].get("errors"):
        print("entwined: internal error: some mutant checks crashed (total errors: "
              f"{result['total']['errors']}); rerun with --debug for details", file=sys.stderr)
        return 3
    return 0 if result["total"]["killed"] == result["total"]["mutants"] else 1


def _report(args, claims, only, progress) -> int:
    selection = {}
    if only is not None:
        selection = _accepted(build_report, only=only)
        if not selection:
            raise EntwinedError("report --only is not supported by this version of the report "
                                "builder; build the whole report, or use 'entwined verify "
                                "--only ...'")
    status = build_report(claims, args.output, tex_only=args.tex_only,
                          numerics=not args.no_numerics, quick=args.quick, progress=progress,
                          command="entwined " + " ".join(sys.argv[1:]), mutation=args.mutation,
                          budget_s=args.timeout, **selection)
    return status        # no closing progress line: its time would include LaTeX


def _run(args) -> int:
    if args.command == "lattice":
        if args.output:
            check_target(args.output)       # fail on a bad path before the work, touching nothing
        def started(sites, steps):          # inputs all valid; a long run says it has begun
            if sites * steps >= LONG_LATTICE_WORK:
                print(f"entwined: lattice: {steps} steps on {sites} sites "
                      f"({sites * steps:.2g} site-updates) ...", file=sys.stderr, flush=True)
        summary = simulate.run(args, started)
        profile = summary.pop("profile")
        for key, value in summary.items():
            print(f"{key}: {value}")
        if args.output:
            write_atomic(args.output, simulate.csv_text(profile))
            print(f"wrote {args.output}")
        return 0

    if getattr(args, "no_cache", False):
        store.disable()
    # every input and output is checked before the long work
    if args.command in ("verify", "mutate") and args.json and args.json != "-":
        check_target(args.json)
    expected = _load_expected(args.expect) if getattr(args, "expect", None) else None
    claims = load_claims(args.claims)
    only = _selection(args.only, claims)
    phases = {"verify": ["verify"], "mutate": ["mutate"],
              "report": ["verify", "mutate"] if args.command == "report" and args.mutation
              else ["verify"]}[args.command]
    progress = _Progress(phases, quiet=args.quiet)
    try:
        if args.command == "verify":
            return _verify(args, claims, only, expected, progress)
        if args.command == "mutate":
            return _mutate(args, claims, only, progress)
        return _report(args, claims, only, progress)
    finally:
        progress.close()


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except EntwinedError as err:
        print(f"entwined: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("entwined: interrupted; no output was written", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader went away (`entwined verify | head`): not an error of ours, so no message;
        # the output was not delivered, so not 0 either: 141 = 128 + SIGPIPE, as `yes | head`.
        # stdout goes to devnull so the interpreter's final flush does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as err:                # a bug, not bad input: say so in one line
        if getattr(args, "debug", False):
            traceback.print_exc()
        else:
            first = (str(err).strip().splitlines() or [""])[0][:200]
            what = f"{type(err).__name__}: {first}" if first else type(err).__name__
            print(f"entwined: internal error: {what}; rerun with --debug for a traceback",
                  file=sys.stderr)
        return 3


def run() -> None:
    """The console entry point: main(), its output flushed, then exit without the interpreter's
    teardown.  A run leaves SymPy's caches and the derivations holding about a million objects;
    freeing them one by one at exit cost 0.7-0.8 s of every `entwined verify` and changes
    nothing a user can see (every output file is closed and renamed inside main)."""
    code = main()
    try:
        sys.stdout.flush()
    except BrokenPipeError:             # as in main: the reader went away
        code = 141
    except OSError as err:              # e.g. a full disk behind `--json -`: the run failed
        print(f"entwined: error: could not write the output ({err.strerror or err}); free "
              "space or write to a file with --json FILE", file=sys.stderr)
        code = 2
    try:
        sys.stderr.flush()
    except OSError:
        pass
    os._exit(code)


if __name__ == "__main__":
    run()
