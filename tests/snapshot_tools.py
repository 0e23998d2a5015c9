"""Regression snapshots of every derived result: stored as text, compared as mathematics.

`python -m tests.snapshot_tools` rewrites tests/snapshots/derived.json (the reference) and
derived.srepr.txt (a human-readable companion for diffs; never asserted)."""
from __future__ import annotations

import json
from pathlib import Path

import sympy as sp

from entwined.core.claims import NAMESPACE, load_claims
from entwined.run.pipeline import verify

HERE = Path(__file__).parent / "snapshots"
SKIP = {"numeric", "figures", "monte_carlo", "convergence_free", "convergence_potential",
        "lattice_norm", "lattice_table_a1_t2", "corner_rates", "error_vs_paths", "weights",
        "table", "conditions"}
LOCALS = {**NAMESPACE, "I": sp.I}


def parse(text):
    try:
        value = sp.sympify(text, locals=dict(LOCALS))
    except Exception:
        return None
    return value if isinstance(value, (sp.Basic, sp.MatrixBase)) else None


def expressions(evidence, prefix=""):
    """Every evidence string that reads as a SymPy expression, keyed by its path."""
    out = {}
    for key, value in evidence.items() if isinstance(evidence, dict) else enumerate(evidence):
        path = f"{prefix}{key}"
        if str(key) in SKIP:
            continue
        if isinstance(value, (dict, list)):
            out.update(expressions(value, path + "/"))
        elif isinstance(value, str) and parse(value) is not None:
            out[path] = value
    return out


def current() -> dict:
    run = verify(load_claims(), numerics=False)
    return {r.claim.id: {"verdict": r.outcome.verdict.value,
                         "correction": r.outcome.correction,
                         "expressions": expressions(r.outcome.evidence)} for r in run.results}


def same_math(a: str, b: str) -> bool:
    x, y = parse(a), parse(b)
    if x is None or y is None:
        return a == b
    if isinstance(x, sp.Equality) and isinstance(y, sp.Equality):
        return same_math(str(x.lhs - x.rhs), str(y.lhs - y.rhs))
    if isinstance(x, sp.Equality) or isinstance(y, sp.Equality) or isinstance(x, sp.logic.boolalg.Boolean):
        return x == y
    d = x - y
    if isinstance(d, sp.MatrixBase):
        return all(sp.expand(e) == 0 for e in d)
    return sp.expand(d) == 0 or sp.simplify(d) == 0


def update():
    snap = current()
    HERE.mkdir(exist_ok=True)
    (HERE / "derived.json").write_text(json.dumps(snap, indent=1, sort_keys=True) + "\n")
    lines = []
    for cid, entry in sorted(snap.items()):
        lines.append(f"== ({cid}) {entry['verdict']}")
        for key, text in sorted(entry["expressions"].items()):
            lines.append(f"{key}: {sp.srepr(parse(text))}")
    (HERE / "derived.srepr.txt").write_text("\n".join(lines) + "\n")
    print(f"wrote {HERE / 'derived.json'} ({sum(len(e['expressions']) for e in snap.values())} expressions)")


if __name__ == "__main__":
    update()
