"""The JSON form of a run: the one place results become plain data (numpy values made plain,
non-finite numbers null), so `verify --json`, `mutate --json` and the API agree."""
from __future__ import annotations

import math

import numpy as np

from entwined.core.verdicts import Verdict
from entwined.run.pipeline import Run
from entwined.run.provenance import environment


def plain(value):
    """JSON-safe data: numpy scalars and arrays become Python values, non-finite floats None."""

    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return plain(value.tolist())
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer, int)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return float(value) if math.isfinite(value) else None
    if value is None or isinstance(value, str):
        return value
    return str(value)


def to_json(run: Run) -> dict:
    return plain({
        "paper": "Ord & Mann, Entwined Pairs and Schroedinger's Equation, arXiv quant-ph/0206095",
        "claims_file": run.claims.path,
        "claims_sha256": run.claims.sha256,
        "environment": environment(),
        "timings_s": run.timings,
        "summary": {v.value: sum(r.outcome.verdict == v for r in run.results) for v in Verdict},
        "claims": [{
            "equation": r.claim.id,
            "title": r.claim.title,
            "section": r.claim.section,
            "provenance": r.claim.provenance,
            "printed": list(r.claim.equations) or r.claim.statement,
            "verdict": r.outcome.verdict.value,
            "check_status": r.status.value,
            "detail": r.outcome.detail,
            "correction": r.outcome.correction,
            "evidence": r.outcome.evidence,
            "seconds": round(r.seconds, 4),
        } for r in run.results],
    })
