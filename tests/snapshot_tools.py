"""Regression snapshot of what every claim's check concluded, pinned as mathematics.

Per claim the snapshot (tests/snapshots/derived.json) pins:

- the verdict, the check status, the chain status (and its culprits) and the finding id;
- the correction as mathematics (`Outcome.correction_math`, component by component): a stored
  and a recomputed correction are the same when their difference simplifies to zero;
- the remainder: the printed order, the leading order found, the leading remainder term (where a
  check reports it) and the residual below the printed order;
- every other derived expression anywhere in the typed evidence (records, groups, table cells,
  derivation steps), and every yes/no or integer fact (numeric floats are measurements and are
  pinned through the refinement studies instead);
- the verdict under each reading of an unreadable glyph;
- each refinement study's last observed order (within ORDER_TOLERANCE), predicted order and
  pass/fail.

SymPy is stored as `srepr` text (exact: symbol assumptions survive a round trip) and compared as
mathematics, so a printing change in a SymPy release is not a difference.

`python -m tests.snapshot_tools` reruns the verifier, prints what changed (old -> new per claim
and item) and rewrites derived.json plus derived.txt (the same content in readable SymPy text for
reviewing diffs; never asserted).  `--check` only prints the differences (exit 1 if any).
"""
from __future__ import annotations

import argparse
import copy
import json
import math
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import sympy as sp

from entwined.core.claims import load_claims
from entwined.core.evidence import (DerivationStep, as_evidence, Expression, Expressions, Group,
                                    MonteCarloComparison, Readings, Record, RefinementStudy,
                                    Scalar, Table)
from entwined.run.pipeline import verify

HERE = Path(__file__).parent / "snapshots"
SNAPSHOT_FILE = HERE / "derived.json"
READABLE_FILE = HERE / "derived.txt"
FORMAT = 2

# The run the snapshot is taken from.  Numerics are on because some verdicts depend on them
# (a Monte Carlo or lattice study can withhold or decide a verdict) and the observed orders are
# pinned; quick refinement sequences give the same verdicts (tests/test_run_modes.py) in a
# fraction of the time.
SETTINGS = {"numerics": True, "quick": True}

# An observed order is log(e_{k-1}/e_k)/log(h_{k-1}/h_k) over the two finest refinements.  Kernel
# rewrites (NumPy vs compiled loops, a different summation order) move it by rounding only, far
# below 0.01; a real change in what the lattice converges to (a dropped term, a wrong scheme)
# moves a convergence order by at least about half a unit (usually a whole one: 2 -> 1, 1 -> 0).
# 0.15 absolute sits well between the two and also absorbs the sampling noise of the seeded
# Monte Carlo error-vs-paths slope (predicted 1/2).  The few studies that measure a divergence
# (orders like -64 where an error grows as 2^(T/delta^2)) are pinned to 2 % of their size.
ORDER_TOLERANCE = 0.15
ORDER_RELATIVE_TOLERANCE = 0.02

# Evidence names that make up the remainder pin (and are therefore not repeated elsewhere):
# compare_to_order (checks/compare.py) and the eight-step PDE check (checks/diffusive/eight_step.py).
PRINTED_ORDER = ("printed_order", "printed_power_of_delta")
LEADING_ORDER = ("leading_residual_weight", "remainder_leading_power_of_delta")
LEADING_TERM = "remainder_leading_term"
BELOW_PRINTED = "residual_below_printed_order"
REMAINDER_KEYS = {*PRINTED_ORDER, *LEADING_ORDER, LEADING_TERM, BELOW_PRINTED}


# --- SymPy as text ----------------------------------------------------------------------------

def math_text(value) -> str:
    return sp.srepr(value)


@lru_cache(maxsize=None)
def parse(text: str):
    """The SymPy object of a stored srepr text (None if it is not one)."""
    try:
        value = sp.parse_expr(text)
    except Exception:
        return None
    return value if isinstance(value, (sp.Basic, sp.MatrixBase)) else None


def readable(text) -> str:
    """A stored value as a reader wants to see it (SymPy's plain text for mathematics)."""
    if not isinstance(text, str):
        return json.dumps(text)
    value = parse(text)
    if value is None:
        return repr(text)
    if isinstance(value, sp.MatrixBase):
        return "Matrix(" + sp.sstr(value.tolist()) + ")"
    return sp.sstr(value)


def _is_zero(d) -> bool:
    if isinstance(d, sp.MatrixBase):
        return all(_is_zero(e) for e in d)
    if d == 0 or sp.expand(d) == 0:
        return True
    try:
        return sp.simplify(d) == 0
    except Exception:
        return False


@lru_cache(maxsize=None)
def same_math(a: str, b: str) -> bool:
    """Two stored texts are the same mathematics: their difference simplifies to zero (for
    equations: the difference of lhs - rhs); texts that are not mathematics must be equal."""
    if a == b:
        return True
    x, y = parse(a), parse(b)
    if x is None or y is None:
        return False
    if isinstance(x, sp.Equality) != isinstance(y, sp.Equality):
        return False
    if isinstance(x, sp.Equality):
        return _is_zero((x.lhs - x.rhs) - (y.lhs - y.rhs))
    if isinstance(x, sp.MatrixBase) or isinstance(y, sp.MatrixBase):
        if not (isinstance(x, sp.MatrixBase) and isinstance(y, sp.MatrixBase)) or x.shape != y.shape:
            return False
        return _is_zero(x - y)
    if isinstance(x, sp.logic.boolalg.Boolean) or isinstance(y, sp.logic.boolalg.Boolean):
        return x == y
    try:
        return _is_zero(x - y)
    except Exception:
        return x == y


def difference_text(a: str, b: str) -> str | None:
    """new - old, simplified, when it is short enough to help a reader."""
    x, y = parse(a), parse(b)
    if x is None or y is None or isinstance(x, (sp.Equality, sp.MatrixBase)) \
            or isinstance(y, (sp.Equality, sp.MatrixBase)):
        return None
    try:
        text = sp.sstr(sp.simplify(y - x))
    except Exception:
        return None
    return text if len(text) <= 200 else None


# --- typed evidence -> pinned data ---------------------------------------------------------

def _key(name, index) -> str:
    return str(index) if name is None else str(name)


def flatten_math(item, path="") -> dict[str, str]:
    """An Expression / Expressions item as {component path: srepr}."""
    if item is None:
        return {}
    if isinstance(item, Expression):
        return {path or "=": math_text(item.value)}
    if isinstance(item, Expressions):
        return {f"{path}{'/' if path else ''}{_key(n, i)}": math_text(v)
                for i, (n, v) in enumerate(item.items)}
    raise TypeError(f"not mathematics: {type(item).__name__}")


def walk(item, path, out):
    """Every pinned piece of one evidence item, recursively, into out[section][path]."""
    if isinstance(item, (Expression, Expressions)):
        out["expressions"].update(flatten_math(item, path))
    elif isinstance(item, Scalar):
        # yes/no facts, counts and missing values; floats are measurements (see module doc)
        if not isinstance(item.value, float):
            out["facts"][path] = item.value
    elif isinstance(item, Record):
        for k, v in item.items:
            walk(v, f"{path}/{k}", out)
    elif isinstance(item, Group):
        for i, v in enumerate(item.items):
            walk(v, f"{path}/{i}", out)
    elif isinstance(item, Table):
        for r, row in enumerate(item.rows):
            for column, cell in zip(item.columns, row):
                if isinstance(cell, (sp.Basic, sp.MatrixBase)):
                    out["expressions"][f"{path}/{r}/{column}"] = math_text(cell)
    elif isinstance(item, DerivationStep):
        for part in ("formula", "residual"):
            value = getattr(item, part)
            if isinstance(value, (sp.Basic, sp.MatrixBase)):
                out["expressions"][f"{path}/{part}"] = math_text(value)
    elif isinstance(item, RefinementStudy):
        out["studies"][path] = {"observed_order": item.last_order,
                                "predicted_order": item.predicted_order,
                                "passes": bool(item.passes)}
        if item.derived is not None:
            walk(item.derived, f"{path}/derived", out)
    elif isinstance(item, MonteCarloComparison):
        out["facts"][f"{path}/passes"] = bool(item.passes)
    elif isinstance(item, Readings):
        out["readings"].update({label: verdict for label, verdict in item.verdicts})
    # Text, Figure: prose and plots, not pinned


def _scalar(evidence, names):
    for name in names:
        if name in evidence and isinstance(evidence[name], Scalar):
            return evidence[name].value
    return None


def remainder(evidence) -> dict | None:
    if not REMAINDER_KEYS & set(evidence):
        return None
    out = {"printed_order": _scalar(evidence, PRINTED_ORDER),
           "leading_order": _scalar(evidence, LEADING_ORDER)}
    if LEADING_TERM in evidence:
        out["leading_term"] = flatten_math(evidence[LEADING_TERM])
    if BELOW_PRINTED in evidence:
        out["below_printed_order"] = flatten_math(evidence[BELOW_PRINTED])
    return out


def entry(run, result) -> dict:
    cid, outcome = result.claim.id, result.outcome
    chain = run.chain.get(cid)
    pinned = {"expressions": {}, "facts": {}, "readings": {}, "studies": {}}
    for name, item in outcome.evidence.items():
        if name not in REMAINDER_KEYS:
            walk(item, name, pinned)
    correction = flatten_math(outcome.correction_math) or None
    out = {
        "verdict": outcome.verdict.value,
        "check_status": result.status.value,
        "chain": None if chain is None else chain.status,
        "chain_culprits": None if chain is None else sorted(chain.culprits),
        "finding": run.finding_of(cid),
        "correction": correction,
        # the text is compared only when a check states a correction without its mathematics
        "correction_text": None if correction or outcome.correction is None
        else str(outcome.correction),
        "remainder": remainder(outcome.evidence),
    }
    out.update(pinned)
    return out


@lru_cache(maxsize=4)
def _current(numerics: bool, quick: bool) -> str:
    run = verify(load_claims(), numerics=numerics, quick=quick)
    snap = {"format": FORMAT, "settings": {"numerics": numerics, "quick": quick},
            "claims": {r.claim.id: entry(run, r) for r in run.results}}
    crashed = {r.claim.id: str(r.outcome.detail) for r in run.results
               if r.status.value in ("error", "timeout")}
    if crashed:                 # never written to a snapshot (see update)
        snap["crashed"] = crashed
    return json.dumps(snap, sort_keys=True)


def current(settings: dict | None = None) -> dict:
    """The snapshot of a fresh run (computed once per process and setting; a fresh copy each
    call, so a caller may change it)."""
    s = {**SETTINGS, **(settings or {})}
    return json.loads(_current(bool(s["numerics"]), bool(s["quick"])))


def load(path: Path = SNAPSHOT_FILE) -> dict:
    return json.loads(path.read_text())


# --- comparison -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Difference:
    claim: str          # claim id ("*" for the snapshot as a whole)
    item: str           # what is pinned, e.g. "verdict", "correction[phip1]", "study numeric: observed order"
    old: Any
    new: Any
    note: str = ""
    math: bool = False  # old and new are stored SymPy texts

    def render(self) -> str:
        old = "(absent)" if self.old is _ABSENT else _show(self.old, self.math)
        new = "(absent)" if self.new is _ABSENT else _show(self.new, self.math)
        text = f"({self.claim}) {self.item}:\n    old: {old}\n    new: {new}"
        return text + (f"\n    {self.note}" if self.note else "")


class _Absent:
    def __repr__(self):
        return "(absent)"


_ABSENT = _Absent()


def _show(value, is_math: bool) -> str:
    if is_math and isinstance(value, dict):
        text = "; ".join(f"[{k}] {readable(v)}" for k, v in sorted(value.items()))
    elif is_math:
        text = readable(value)
    elif isinstance(value, str):
        text = value
    else:
        text = json.dumps(value, sort_keys=True)
    return text if len(text) <= 600 else text[:600] + " ..."


def order_close(old, new) -> bool:
    if old is None or new is None:
        return old is None and new is None
    if not (math.isfinite(old) and math.isfinite(new)):
        return old == new
    return abs(new - old) <= max(ORDER_TOLERANCE, ORDER_RELATIVE_TOLERANCE * abs(old))


def _math_items(cid, label, old: dict | None, new: dict | None) -> list[Difference]:
    """Component-wise comparison of {path: srepr} maps as mathematics."""
    if old is None or new is None:
        if (old is None) != (new is None):
            return [Difference(cid, label, _ABSENT if old is None else old,
                               _ABSENT if new is None else new, "", True)]
        return []
    out = []
    for key in sorted(set(old) | set(new)):
        name = f"{label}[{key}]" if label.startswith(("correction", "remainder")) \
            else f"{label} {key}"
        if key not in new:
            out.append(Difference(cid, name, old[key], _ABSENT, "no longer reported", True))
        elif key not in old:
            out.append(Difference(cid, name, _ABSENT, new[key], "newly reported", True))
        elif not same_math(old[key], new[key]):
            d = difference_text(old[key], new[key])
            out.append(Difference(cid, name, old[key], new[key],
                                  f"new - old = {d}" if d else "not the same mathematics", True))
    return out


def _plain_items(cid, label, old: dict, new: dict) -> list[Difference]:
    out = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key, _ABSENT), new.get(key, _ABSENT)
        if a is _ABSENT or b is _ABSENT or a != b or type(a) is not type(b):
            out.append(Difference(cid, f"{label} {key}", a, b))
    return out


SCALAR_ITEMS = ("verdict", "check_status", "chain", "chain_culprits", "finding", "correction_text")
ITEM_NAMES = {"check_status": "check status", "chain": "chain status",
              "chain_culprits": "chain culprits", "correction_text": "correction (text)"}


def compare_claim(cid: str, old: dict, new: dict) -> list[Difference]:
    """What differs between a stored and a recomputed entry for one claim."""
    out = []
    for key in SCALAR_ITEMS:
        if old.get(key) != new.get(key):
            out.append(Difference(cid, ITEM_NAMES.get(key, key), old.get(key), new.get(key)))
    out += _math_items(cid, "correction", old.get("correction"), new.get("correction"))
    r_old, r_new = old.get("remainder"), new.get("remainder")
    if (r_old is None) != (r_new is None):
        out.append(Difference(cid, "remainder", _ABSENT if r_old is None else r_old,
                              _ABSENT if r_new is None else r_new))
    elif r_old is not None:
        for key, label in (("printed_order", "remainder: printed order"),
                           ("leading_order", "remainder: leading order")):
            if r_old.get(key) != r_new.get(key):
                out.append(Difference(cid, label, r_old.get(key), r_new.get(key)))
        out += _math_items(cid, "remainder: leading term", r_old.get("leading_term"),
                           r_new.get("leading_term"))
        out += _math_items(cid, "remainder: below printed order",
                           r_old.get("below_printed_order"), r_new.get("below_printed_order"))
    out += _math_items(cid, "expression", old.get("expressions", {}), new.get("expressions", {}))
    out += _plain_items(cid, "fact", old.get("facts", {}), new.get("facts", {}))
    out += _plain_items(cid, "reading", old.get("readings", {}), new.get("readings", {}))
    s_old, s_new = old.get("studies", {}), new.get("studies", {})
    for path in sorted(set(s_old) | set(s_new)):
        a, b = s_old.get(path), s_new.get(path)
        if a is None or b is None:
            out.append(Difference(cid, f"study {path}", _ABSENT if a is None else a,
                                  _ABSENT if b is None else b))
            continue
        if not order_close(a["observed_order"], b["observed_order"]):
            out.append(Difference(cid, f"study {path}: observed order", a["observed_order"],
                                  b["observed_order"], f"tolerance +-{ORDER_TOLERANCE} "
                                  f"(or {ORDER_RELATIVE_TOLERANCE:.0%} of a divergence rate)"))
        for key, label in (("predicted_order", "predicted order"), ("passes", "passes")):
            if a[key] != b[key]:
                out.append(Difference(cid, f"study {path}: {label}", a[key], b[key]))
    return out


def compare(old: dict, new: dict) -> list[Difference]:
    """Every difference between two snapshots (stored, recomputed); [] when nothing changed."""
    out = []
    if old.get("settings") != new.get("settings"):
        out.append(Difference("*", "settings", old.get("settings"), new.get("settings"),
                              "the snapshot was taken with other run settings"))
    c_old, c_new = old.get("claims", {}), new.get("claims", {})
    for cid in sorted(set(c_old) | set(c_new)):
        if cid not in c_new:
            out.append(Difference(cid, "claim", c_old[cid]["verdict"], _ABSENT, "no longer checked"))
        elif cid not in c_old:
            out.append(Difference(cid, "claim", _ABSENT, c_new[cid]["verdict"], "newly checked"))
        else:
            out += compare_claim(cid, c_old[cid], c_new[cid])
    return out


def report(differences: list[Difference]) -> str:
    if not differences:
        return "no differences"
    by_claim = {}
    for d in differences:
        by_claim.setdefault(d.claim, []).append(d)
    lines = [f"{len(differences)} difference(s) in {len(by_claim)} claim(s):"]
    for d in differences:
        lines.append(d.render())
    return "\n".join(lines)


# --- writing --------------------------------------------------------------------------------

def _readable_listing(snap: dict) -> str:
    lines = [f"# {SNAPSHOT_FILE.name} in readable form (generated; never asserted); "
             f"settings {json.dumps(snap['settings'], sort_keys=True)}"]
    for cid, e in sorted(snap["claims"].items()):
        lines.append(f"== ({cid}) {e['verdict']}; chain {e['chain']}; finding {e['finding']}")
        for key, text in sorted((e["correction"] or {}).items()):
            lines.append(f"correction[{key}]: {readable(text)}")
        if e["correction_text"]:
            lines.append(f"correction (text): {e['correction_text']}")
        r = e["remainder"]
        if r:
            lines.append(f"remainder: printed order {r['printed_order']}, "
                         f"leading order {r['leading_order']}")
            for part in ("leading_term", "below_printed_order"):
                for key, text in sorted((r.get(part) or {}).items()):
                    lines.append(f"remainder {part}[{key}]: {readable(text)}")
        for key, text in sorted(e["expressions"].items()):
            lines.append(f"{key}: {readable(text)}")
        for key, value in sorted(e["facts"].items()):
            lines.append(f"{key}: {json.dumps(value)}")
        for key, value in sorted(e["readings"].items()):
            lines.append(f"reading {key}: {value}")
        for key, s in sorted(e["studies"].items()):
            lines.append(f"study {key}: observed order {s['observed_order']}, predicted "
                         f"{s['predicted_order']}, passes {s['passes']}")
    return "\n".join(lines) + "\n"


def _round_trip_problems(snap: dict) -> list[str]:
    """Stored texts that do not parse back to mathematics (they would compare as text only)."""
    bad = []

    def texts(e):
        yield from (e["correction"] or {}).items()
        yield from e["expressions"].items()
        for part in ("leading_term", "below_printed_order"):
            yield from ((e["remainder"] or {}).get(part) or {}).items()

    for cid, e in snap["claims"].items():
        bad += [f"({cid}) {k}" for k, t in texts(e) if parse(t) is None]
    return bad


def update(check_only: bool = False) -> int:
    new = current()
    old = load() if SNAPSHOT_FILE.exists() else None
    differences = compare(old, new) if old is not None else []
    print(report(differences) if old is not None else "no previous snapshot")
    for problem in _round_trip_problems(new):
        print(f"warning: {problem} does not parse back as SymPy; it is compared as text",
              file=sys.stderr)
    if check_only:
        return 1 if differences else 0
    if new.get("crashed"):
        for cid, detail in sorted(new["crashed"].items()):
            print(f"({cid}) crashed or timed out: {detail}", file=sys.stderr)
        print("not written: a crash is not a result to pin; fix it or rerun", file=sys.stderr)
        return 2
    HERE.mkdir(exist_ok=True)
    SNAPSHOT_FILE.write_text(json.dumps(new, indent=1, sort_keys=True) + "\n")
    READABLE_FILE.write_text(_readable_listing(new))
    n_math = sum(len(e["expressions"]) + len(e["correction"] or {}) for e in new["claims"].values())
    n_studies = sum(len(e["studies"]) for e in new["claims"].values())
    print(f"wrote {SNAPSHOT_FILE} ({len(new['claims'])} claims, {n_math} expressions, "
          f"{n_studies} refinement studies) and {READABLE_FILE.name}")
    return 0


def correction_matches(outcome, expected) -> bool:
    """The outcome's correction (`correction_math`) is the expected mathematics: the same
    components (a dict of named right-hand sides, a list, or one expression / equation), each
    difference simplifying to zero."""
    got = flatten_math(outcome.correction_math)
    want = flatten_math(as_evidence(expected))
    return set(got) == set(want) and all(same_math(got[k], want[k]) for k in got)


def corrupted(snapshot: dict, change) -> dict:
    """A deep copy of a snapshot with `change(copy)` applied (for the pin tests)."""
    snap = copy.deepcopy(snapshot)
    change(snap)
    return snap


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m tests.snapshot_tools",
                                     description="rewrite the regression snapshot and show what changed")
    parser.add_argument("--check", action="store_true",
                        help="only print the differences; exit 1 if there are any")
    sys.exit(update(parser.parse_args().check))
