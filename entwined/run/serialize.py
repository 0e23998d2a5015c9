"""The JSON form of a run: the one place results become plain data (numpy values made plain,
non-finite numbers null), so `verify --json`, `mutate --json` and the API agree.

Both forms carry `schema_version` first and are described by JSON Schema files shipped with the
package (`entwined/schema/verify.schema.json`, `mutate.schema.json`).  A minor version adds
fields (a reader of 2.0 can read 2.x); a major version changes or removes them."""
from __future__ import annotations

import math
from importlib import metadata, resources

import numpy as np

from entwined.core.evidence import DerivationStep, to_json as evidence_json
from entwined.core.verdicts import Verdict
from entwined.run.pipeline import Run
from entwined.run.provenance import environment

SCHEMA_VERSION = "2.1"
PAPER = "Ord & Mann, Entwined Pairs and Schroedinger's Equation, arXiv quant-ph/0206095"
# What `verify --expect` compares per claim id, each key only where both files have it (so a
# field added later, e.g. a finding id or a chain status, is compared once both runs carry it).
COMPARED_KEYS = ("verdict", "check_status", "finding", "chain")


def tool_version() -> str:
    try:
        return metadata.version("entwined")
    except metadata.PackageNotFoundError:   # a source tree that is not installed
        return "0+unknown"


def schema_path(kind: str):
    """The JSON Schema of `verify --json` (kind 'verify') or `mutate --json` ('mutate')."""
    return resources.files("entwined") / "schema" / f"{kind}.schema.json"


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


def _header(claims) -> dict:
    return {"schema_version": SCHEMA_VERSION, "entwined_version": tool_version(),
            "paper": PAPER, "claims_file": claims.path, "claims_sha256": claims.sha256,
            "environment": environment()}


def to_json(run: Run) -> dict:
    """`printed` is always a list of equations (empty for a prose claim, whose text is in
    `statement`; `statement` is null for a claim without prose)."""
    return plain({
        **_header(run.claims),
        "timings_s": run.timings,
        "summary": {v.value: sum(r.outcome.verdict == v for r in run.results) for v in Verdict},
        "findings_by_kind": {k: sum(f.kind == k for f in run.findings)
                             for k in sorted({f.kind for f in run.findings})},
        "main_claims": [{"id": r.claim.id, "title": r.claim.title, "verdict": r.verdict.value,
                         "detail": str(r.outcome.detail)}
                        for r in run.results if r.claim.is_main],
        "findings": [{"id": f.id, "kind": f.kind, "title": f.title, "statement": f.statement,
                      "claims": list(f.claims), "unaffected": list(f.unaffected),
                      "rests_on_reconstruction": list(f.reconstructed)}
                     for f in run.findings],
        "claims": [{
            "equation": r.claim.id,
            "title": r.claim.title,
            "section": r.claim.section,
            "provenance": r.claim.provenance,
            "printed": list(r.claim.equations),
            "statement": r.claim.statement or None,
            "verdict": r.outcome.verdict.value,
            "check_status": r.status.value,
            "uses": list(r.claim.uses),
            "chain": run.chain[r.claim.id].status if r.claim.id in run.chain else None,
            "chain_rests_on": (list(run.chain[r.claim.id].culprits)
                               if r.claim.id in run.chain else []),
            "chain_reading_dependent": (list(run.chain[r.claim.id].reading_dependent)
                                        if r.claim.id in run.chain else []),
            "finding": run.finding_of(r.claim.id),
            "detail": str(r.outcome.detail),
            "correction": r.outcome.correction,
            "correction_math": (None if r.outcome.correction_math is None
                                else evidence_json(r.outcome.correction_math)),
            "evidence": evidence_json(r.outcome.evidence),
            "steps": [evidence_json(s) if isinstance(s, DerivationStep)
                      else {"caption": s.caption, "latex": s.latex} for s in r.outcome.steps],
            "seconds": round(r.seconds, 4),
        } for r in run.results],
    })


def mutation_to_json(result: dict, claims) -> dict:
    """The result of `run_mutation` with the same header as a verify run."""
    return plain({**_header(claims), **result})


def expected_claims(data, where: str) -> dict[str, dict]:
    """The per-claim entries of a previous `verify --json` output, by claim id; ValueError (one
    line, naming `where`) when `data` is not one.  Files before schema 2.0 (no schema_version)
    are read too: only `claims[].equation` and `claims[].verdict` are required."""
    if not isinstance(data, dict) or not isinstance(data.get("claims"), list):
        raise ValueError(f"{where} is not the output of 'entwined verify --json' (no list "
                         "'claims')")
    version = data.get("schema_version")
    if version is not None and (not isinstance(version, str)
                                or version.split(".")[0] != SCHEMA_VERSION.split(".")[0]):
        raise ValueError(f"{where} has schema_version {version!r}; this entwined reads "
                         f"{SCHEMA_VERSION.split('.')[0]}.x (rerun 'entwined verify --json' to "
                         "make a new one)")
    out = {}
    for n, entry in enumerate(data["claims"], 1):
        if not isinstance(entry, dict) or not isinstance(entry.get("equation"), str) \
                or not isinstance(entry.get("verdict"), str):
            raise ValueError(f"{where}: claims entry {n} has no string 'equation' and "
                             "'verdict'")
        if entry["equation"] in out:
            raise ValueError(f"{where}: claim ({entry['equation']}) appears twice")
        out[entry["equation"]] = entry
    return out


def differences(expected: dict[str, dict], current: dict[str, dict],
                keys=COMPARED_KEYS) -> list[str]:
    """One line per claim id whose compared keys differ, or that is only on one side, e.g.
    '(13): expected holds, now fails'.  Ids in the order of `current`, then removed ones."""

    def text(key, old, new):
        return f"expected {old}, now {new}" if key == "verdict" else \
            f"{key} expected {old}, now {new}"

    lines = []
    for cid, now in current.items():
        before = expected.get(cid)
        if before is None:
            lines.append(f"({cid}): not in the expected file, now {now.get('verdict')}")
            continue
        changed = [text(k, before[k], now[k]) for k in keys
                   if k in before and k in now and before[k] != now[k]]
        if changed:
            lines.append(f"({cid}): " + "; ".join(changed))
    for cid, before in expected.items():
        if cid not in current:
            lines.append(f"({cid}): expected {before.get('verdict')}, now not in the run")
    return lines
