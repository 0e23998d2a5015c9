"""Command line: `entwined verify`, `mutate`, `lattice` and `report`.

Exit status (scripts and CI branch on it, so every path ends in exactly one of these):
  0    success: verify: every checked claim holds; mutate: every mutant killed; report built;
       lattice run done
  1    verify / mutate completed with findings (a claim that does not hold, a surviving mutant)
  2    bad input or a failed run; one line on stderr, `entwined: error: ...`
  3    the run completed but at least one check hit an internal error (reported `unproven`),
       or the tool itself crashed: one line `entwined: internal error: ...` (--debug shows the
       traceback)
  130  interrupted (Ctrl-C); no output was written and any previous output file is intact
Errors are one line, never a traceback unless --debug is given.  Output files are checked
before the work and replaced atomically after it (entwined/core/outputs.py).
"""
from __future__ import annotations

import argparse
import inspect
import json
import math
import sys
import traceback

from entwined.core.claims import load_claims
from entwined.core.errors import EntwinedError
from entwined.core.outputs import check_target, write_atomic
from entwined.numerics import simulate
from entwined.report.build import build_report
from entwined.run.mutate import run_mutation
from entwined.run.pipeline import verify
from entwined.run.serialize import plain, to_json

DEFAULT_REPORT = "out/entwined-report.pdf"
DEFAULT_TIMEOUT_S = 120.0
# stated in `lattice --help`; numerics/simulate.py enforces them (a test keeps both in step)
LATTICE_LIMITS = "at most 10000000 steps and sites*steps <= 2e9 site-updates"


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (as every other error of the tool)."""

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
        epilog="exit status: 0 success, 1 findings, 2 bad input or failed run, 3 internal "
        "error in a check, 130 interrupted")
    debug_help = "print a traceback for an internal error (instead of one line)"
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
                        help="claims file (TOML) to verify instead of the bundled transcription")
    common.add_argument("--quick", action="store_true",
                        help="shorter refinement sequences for the numeric checks (CI-sized)")
    common.add_argument("--no-numerics", action="store_true",
                        help="symbolic checks only (the report then shows no lattice evidence)")
    v = sub.add_parser("verify", parents=[common], help="check every claim; print a table")
    v.add_argument("--json", metavar="PATH", help="also write the result as JSON ('-' = stdout)")
    mu = sub.add_parser("mutate", parents=[common], help="mutate every claim; report the kill rate")
    mu.add_argument("--json", metavar="PATH", help="write the full mutation result ('-' = stdout)")
    la = sub.add_parser("lattice", help="run the lattice model itself (Gaussian packet) and "
                        "compare with the continuum",
                        description=f"Run the lattice model itself; work is bounded: "
                        f"{LATTICE_LIMITS}, and the sites must fit in memory.")
    la.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=debug_help)
    la.add_argument("--section", choices=("diffusive", "kac"), default="diffusive")
    la.add_argument("--delta", default="0.0625", help="space step (> 0)")
    la.add_argument("--sites", default="256", help="number of lattice sites (periodic)")
    la.add_argument("--steps", default="256", help="number of time steps (whole; diffusive: "
                    f"multiple of 8; {LATTICE_LIMITS})")
    la.add_argument("--D", default="0.5", help="diffusion constant of (3) (> 0)")
    la.add_argument("--epsilon", default=None, help="time step (> 0); sets D = delta^2/(2 eps) "
                    "in the diffusive section, c = delta/eps in the Kac section")
    la.add_argument("--potential", default="0", help="v(z) as a formula in z, e.g. '2*cos(z)'")
    la.add_argument("--alpha", default=None, help="constant reversal probability in [0, 1] "
                    "instead of the canonical ensemble (5)")
    la.add_argument("--a", default="1", help="Kac section: inverse mean free time (> 0)")
    la.add_argument("--c", default="1", help="Kac section: signal velocity (> 0)")
    la.add_argument("--output", metavar="CSV", help="write z, phi1, phi2 at the final time")
    r = sub.add_parser("report", parents=[common], help="build the PDF verification report")
    r.add_argument("--mutation", action="store_true",
                   help="include the mutation-testing section (adds about half a minute)")
    r.add_argument("-o", "--output", default=DEFAULT_REPORT, metavar="PATH",
                   help=f"where the PDF goes (default: {DEFAULT_REPORT})")
    r.add_argument("--tex-only", action="store_true", help="write the .tex source, skip LaTeX")
    return p


def _progress(i, n, claim):
    if sys.stderr.isatty():
        print(f"\r[{i + 1:2d}/{n}] checking ({claim.id})".ljust(48), end="", file=sys.stderr,
              flush=True)
        if i + 1 == n:
            print(file=sys.stderr)


def _table(run) -> str:
    rows = [("equation", "provenance", "verdict", "detail")]
    for r in run.results:
        rows.append((r.claim.id, r.claim.provenance, r.outcome.verdict.value,
                     r.outcome.detail.splitlines()[0][:100]))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = ["  ".join(row[i].ljust(widths[i]) for i in range(3)) + "  " + row[3] for row in rows]
    lines.insert(1, "-" * min(160, max(len(x) for x in lines)))
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
    lines.append(f"total: {t['killed']}/{t['mutants']} non-equivalent mutants killed "
                 f"({100 * (t['kill_rate'] or 0):.1f}%), {t['equivalent']} equivalent; numeric "
                 f"checks alone: {result['numeric']['killed']}/{result['numeric']['mutants']}")
    return "\n".join(lines)


def _emit(json_path, data, table) -> None:
    """JSON on stdout for '-', otherwise the table on stdout and the JSON (if asked) in a file."""
    payload = json.dumps(plain(data), indent=2, allow_nan=False)
    if json_path == "-":
        print(payload)
        return
    print(table())
    if json_path:
        write_atomic(json_path, payload + "\n")


def _budget(fn, seconds) -> dict:
    """budget_s=seconds if `fn` takes it: the pipeline and the mutation runner gain the keyword
    independently of this file, and an unknown keyword would crash every run."""
    try:
        accepts = "budget_s" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        accepts = False
    return {"budget_s": seconds} if accepts else {}


def _internal_errors(ids) -> int:
    """Exit 3 when a check crashed: its claim is reported unproven, the run itself completed."""
    print(f"entwined: internal error: the check of {', '.join(f'({i})' for i in ids)} "
          "crashed and is reported unproven; rerun with --debug for details", file=sys.stderr)
    return 3


def _run(args) -> int:
    if args.command == "lattice":
        if args.output:
            check_target(args.output)       # fail on a bad path before the work, touching nothing
        summary = simulate.run(args)
        profile = summary.pop("profile")
        for key, value in summary.items():
            print(f"{key}: {value}")
        if args.output:
            write_atomic(args.output, simulate.csv_text(profile))
            print(f"wrote {args.output}")
        return 0

    if args.command in ("verify", "mutate") and args.json and args.json != "-":
        check_target(args.json)             # fail on a bad path before the long work

    claims = load_claims(args.claims)
    if args.command == "verify":
        run = verify(claims, numerics=not args.no_numerics, quick=args.quick, progress=_progress,
                     **_budget(verify, args.timeout))
        _emit(args.json, to_json(run), lambda: _table(run))
        if getattr(run, "internal_errors", []):
            return _internal_errors(run.internal_errors)
        return 0 if run.all_hold else 1
    if args.command == "mutate":
        result = run_mutation(claims, progress=_progress, **_budget(run_mutation, args.timeout))
        _emit(args.json, result, lambda: _mutation_table(result))
        if result["total"].get("errors"):
            print("entwined: internal error: some mutant checks crashed (total errors: "
                  f"{result['total']['errors']}); rerun with --debug for details", file=sys.stderr)
            return 3
        return 0 if result["total"]["killed"] == result["total"]["mutants"] else 1
    return build_report(claims, args.output, tex_only=args.tex_only,
                        numerics=not args.no_numerics, quick=args.quick, progress=_progress,
                        command="entwined " + " ".join(sys.argv[1:]), mutation=args.mutation,
                        budget_s=args.timeout)


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
    except Exception as err:                # a bug, not bad input: say so in one line
        if getattr(args, "debug", False):
            traceback.print_exc()
        else:
            first = (str(err).strip().splitlines() or [""])[0][:200]
            what = f"{type(err).__name__}: {first}" if first else type(err).__name__
            print(f"entwined: internal error: {what}; rerun with --debug for a traceback",
                  file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
