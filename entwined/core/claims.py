"""The paper's printed claims, loaded from a TOML file the project owns and a user may edit.

Formulas are read by the whitelist parser of `entwined.core.formula`: a claims file is data, and
reading it must never run code, however it is written.
"""
from __future__ import annotations

import hashlib
import os
import stat
import tomllib
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path

import sympy as sp

from entwined.core import notation as N
from entwined.core.errors import ClaimError
from entwined.core.formula import Vocabulary, parse_formula
from entwined.core.texprint import escape_text, to_latex

PROVENANCE = ("legible", "partly legible", "reconstructed")
MAIN_SECTION = "main-claims"
SECTIONS = {
    MAIN_SECTION: "The paper's main claims",
    "stochastic-model": "Entwined pairs: a classical stochastic model",
    "diffusive-scaling": "Entwined pairs and diffusive scaling",
    "signal-velocity": "Entwined pairs with fixed signal velocity",
}
KEYS_REQUIRED = ("id", "section", "title", "provenance")
KEYS_OPTIONAL = ("equations", "statement", "order", "ocr", "note", "uses", "ignores",
                 "readings", "paraphrase")
# What kind of root cause a finding is (README, "Findings"): a convention is never an error.
FINDING_KINDS = ("error", "omission", "typo", "convention", "transcription")
FINDING_KEYS = ("id", "kind", "title", "statement", "covers")

_SYMBOLS = {str(s): s for s in (N.z, N.t, N.delta, N.epsilon, N.D, N.a, N.c, N.hbar, N.m,
                                N.alpha, N.beta, N.k, N.A, N.omega, N.Ep, N.Em, N.Et, N.Dz,
                                N.Dt)}
_FUNCTIONS = {name: sp.Function(name) for name in N.FIELD_NAMES + N.COEFFICIENT_NAMES}
_MATRICES = {"I2": N.I2, "sx": N.sx, "sy": N.sy, "sz": N.sz, "syt": N.syt}
_CONSTANTS = {"I": sp.I, "pi": sp.pi, "oo": sp.oo}
_SYMPY_FUNCTIONS = {name: getattr(sp, name) for name in (
    "Matrix", "exp", "sqrt", "cos", "sin", "tan", "atan", "cosh", "sinh", "tanh", "log",
    "Derivative", "Rational", "Abs", "conjugate", "re", "im")}
NAMESPACE = {**_SYMBOLS, **_FUNCTIONS, **_MATRICES, **_CONSTANTS, **_SYMPY_FUNCTIONS}
VOCABULARY = Vocabulary(values={**_SYMBOLS, **_MATRICES, **_CONSTANTS},
                        callables={**_FUNCTIONS, **_SYMPY_FUNCTIONS})
# For typesetting as printed: Pauli matrices stay symbols instead of being multiplied out.
DISPLAY_VOCABULARY = Vocabulary(
    values={**_SYMBOLS, **_CONSTANTS, "I2": sp.Symbol("I", commutative=False),
            "sx": sp.Symbol("sigma_x", commutative=False),
            "sy": sp.Symbol("sigma_y", commutative=False),
            "sz": sp.Symbol("sigma_z", commutative=False),
            "syt": sp.Symbol("sigma_ytilde", commutative=False)},
    callables={**_FUNCTIONS, **_SYMPY_FUNCTIONS})
MAX_CLAIMS_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class Claim:
    id: str
    section: str
    title: str
    provenance: str
    equations: tuple[str, ...] = ()
    statement: str = ""
    order: str | None = None
    ocr: str | None = None
    note: str | None = None
    parsed: tuple[tuple[sp.Basic, sp.Basic], ...] = field(default=(), compare=False, repr=False)
    order_expr: sp.Expr | None = field(default=None, compare=False, repr=False)
    uses: tuple[str, ...] = ()           # the claims this step is derived from (its premises)
    ignores: tuple[str, ...] = ()        # premises a main claim does not rest on (with a note)
    readings: tuple["Reading", ...] = ()  # alternative transcriptions of an unreadable glyph
    paraphrase: bool = False             # the statement is our wording, not a quotation

    @property
    def is_main(self) -> bool:
        return self.section == MAIN_SECTION

    def _repr_latex_(self) -> str:
        """The printed form as printed (Jupyter); a prose claim as escaped text."""
        lines = []
        for text in self.equations:
            sides = [parse_display(s, self.id) for s in split_equation(text, self.id)]
            if any(s is None for s in sides):
                lines.append(r"\text{" + escape_text(text) + "}")
            else:
                lines.append(" = ".join(to_latex(s) for s in sides))
        if self.order_expr is not None and lines:
            lines[-1] += r" + O\left(" + to_latex(self.order_expr) + r"\right)"
        if not lines:
            lines.append(r"\text{" + escape_text(self.statement) + "}")
        head = r"\text{(" + escape_text(self.id) + ") " + escape_text(self.title) + "}"
        return r"$\begin{array}{l}" + r" \\ ".join([head] + lines) + r"\end{array}$"


@dataclass(frozen=True)
class Reading:
    """One way to read an uncertain glyph: a label ("k = 1/sqrt(2)") and the equations it gives."""

    label: str
    equations: tuple[str, ...]


@dataclass(frozen=True)
class FindingSpec:
    """A root cause, stated once, that explains why some claims do not hold as printed.  Which
    of its claims it really affects is decided by the run, not here."""

    id: str
    kind: str
    title: str
    statement: str
    covers: tuple[str, ...]


@dataclass(frozen=True)
class ClaimSet:
    path: str
    sha256: str
    claims: tuple[Claim, ...]
    findings: tuple[FindingSpec, ...] = ()

    def by_id(self) -> dict[str, Claim]:
        return {c.id: c for c in self.claims}


def default_claims_path() -> Path:
    return Path(str(resources.files("entwined") / "claims.toml"))


def parse_display(text: str, claim_id: str) -> sp.Basic | None:
    """The printed formula as printed: unevaluated, with Pauli matrices as symbols (for the report).
    None when it cannot be shown faithfully that way (the report then shows the source text)."""
    parse_text(text, claim_id)   # the same checks as for the checked form
    try:
        return parse_formula(text, DISPLAY_VOCABULARY, where=f"claim {claim_id}", evaluate=False)
    except ClaimError:
        return None


def parse_text(text: str, claim_id: str) -> sp.Basic:
    """Parse one side of a printed formula with the whitelist parser (nothing is executed)."""
    return parse_formula(text, VOCABULARY, where=f"claim {claim_id}")


def split_equation(text: str, claim_id: str) -> tuple[str, str]:
    parts = []
    depth, start = 0, 0
    for i, ch in enumerate(text):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "=" and depth == 0:
            prev, nxt = text[i - 1:i], text[i + 1:i + 2]
            if prev not in "=<>!" and nxt != "=":
                parts.append(text[start:i])
                start = i + 1
    parts.append(text[start:])
    if len(parts) != 2 or not all(p.strip() for p in parts):
        raise ClaimError(f"claim {claim_id}: expected one 'left = right' equation, got {text!r}; "
                         "write each equation as a separate string")
    return parts[0].strip(), parts[1].strip()


def _claim_from_entry(entry: dict, index: int) -> Claim:
    if not isinstance(entry, dict):
        raise ClaimError(f"claim #{index + 1}: each [[claim]] must be a table of fields, got "
                         f"{type(entry).__name__}; see the bundled claims file for the format")
    cid = entry.get("id", f"#{index + 1}")
    cid = cid if isinstance(cid, str) else f"#{index + 1}"
    for key in KEYS_REQUIRED:
        if key not in entry:
            raise ClaimError(f"claim {cid}: missing field {key!r}; every claim needs "
                             + ", ".join(KEYS_REQUIRED))
    unknown = sorted(set(entry) - set(KEYS_REQUIRED) - set(KEYS_OPTIONAL))
    if unknown:
        raise ClaimError(f"claim {cid}: unknown field {unknown[0]!r}; allowed fields are "
                         + ", ".join(KEYS_REQUIRED + KEYS_OPTIONAL))
    for key in ("id", "section", "title", "provenance", "statement", "order", "ocr", "note"):
        if key in entry and not isinstance(entry[key], str):
            raise ClaimError(f"claim {cid}: field {key!r} must be a string, got {entry[key]!r}")
    if entry["section"] not in SECTIONS:
        raise ClaimError(f"claim {cid}: unknown section {entry['section']!r}; use one of "
                         + ", ".join(SECTIONS))
    if "paraphrase" in entry and not isinstance(entry["paraphrase"], bool):
        raise ClaimError(f"claim {cid}: field 'paraphrase' must be true or false")
    if entry["provenance"] not in PROVENANCE:
        raise ClaimError(f"claim {cid}: provenance {entry['provenance']!r} is not one of "
                         + ", ".join(PROVENANCE))
    equations = entry.get("equations", [])
    if not isinstance(equations, list) or not all(isinstance(e, str) for e in equations):
        raise ClaimError(f"claim {cid}: 'equations' must be a list of strings")
    if not equations and not entry.get("statement"):
        raise ClaimError(f"claim {cid}: needs 'equations' or a prose 'statement'")
    if entry["provenance"] != "legible" and equations and not entry.get("ocr"):
        raise ClaimError(f"claim {cid}: provenance is {entry['provenance']!r} but no 'ocr' "
                         "fragment is quoted; add the OCR text it was read from")
    parsed = []
    for text in equations:
        lhs, rhs = split_equation(text, cid)
        parsed.append((parse_text(lhs, cid), parse_text(rhs, cid)))
    order_expr = _remainder_order(entry["order"], cid) if entry.get("order") else None
    uses = _id_list(entry, "uses", cid)
    ignores = _id_list(entry, "ignores", cid)
    readings = _readings(entry, cid)
    if entry["section"] == MAIN_SECTION and (equations or not uses):
        raise ClaimError(f"claim {cid}: a main claim is prose with premises: give a "
                         "'statement' and 'uses', no 'equations'")
    return Claim(id=cid, section=entry["section"], title=entry["title"],
                 provenance=entry["provenance"], equations=tuple(equations),
                 statement=entry.get("statement", ""), order=entry.get("order"),
                 ocr=entry.get("ocr"), note=entry.get("note"), parsed=tuple(parsed),
                 order_expr=order_expr, uses=uses, ignores=ignores, readings=readings,
                 paraphrase=bool(entry.get("paraphrase", entry["section"] == MAIN_SECTION)))


def _id_list(entry: dict, key: str, cid: str) -> tuple[str, ...]:
    value = entry.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ClaimError(f"claim {cid}: {key!r} must be a list of claim ids (strings)")
    return tuple(value)


def _readings(entry: dict, cid: str) -> tuple[Reading, ...]:
    raw = entry.get("readings", [])
    if not isinstance(raw, list):
        raise ClaimError(f"claim {cid}: 'readings' must be a list of tables with 'label' and "
                         "'equations'")
    out = []
    for item in raw:
        if (not isinstance(item, dict) or set(item) != {"label", "equations"}
                or not isinstance(item["label"], str)
                or not isinstance(item["equations"], list)
                or not all(isinstance(e, str) for e in item["equations"])):
            raise ClaimError(f"claim {cid}: each reading needs exactly a 'label' (text) and "
                             "'equations' (a list of strings)")
        for text in item["equations"]:
            for side in split_equation(text, cid):
                parse_text(side, cid)
        out.append(Reading(item["label"], tuple(item["equations"])))
    return tuple(out)


def with_equations(claim: Claim, equations) -> Claim:
    """The same claim read with other equations (a reading, a mutant): parsed afresh."""
    parsed = tuple((parse_text(l, claim.id), parse_text(r, claim.id))
                   for l, r in (split_equation(e, claim.id) for e in equations))
    return replace(claim, equations=tuple(equations), parsed=parsed)


def _findings(data: dict, ids: set[str], path) -> tuple[FindingSpec, ...]:
    raw = data.get("finding", [])
    if not isinstance(raw, list):
        raise ClaimError(f"claims file {path}: [[finding]] entries must be tables")
    out, seen = [], set()
    for i, item in enumerate(raw):
        fid = item.get("id") if isinstance(item, dict) else None
        where = f"finding {fid if isinstance(fid, str) else '#' + str(i + 1)}"
        if not isinstance(item, dict) or set(item) != set(FINDING_KEYS):
            raise ClaimError(f"{where}: needs exactly the fields " + ", ".join(FINDING_KEYS))
        if not all(isinstance(item[k], str) for k in FINDING_KEYS[:4]):
            raise ClaimError(f"{where}: id, kind, title and statement must be text")
        if item["kind"] not in FINDING_KINDS:
            raise ClaimError(f"{where}: kind {item['kind']!r} is not one of "
                             + ", ".join(FINDING_KINDS))
        covers = item["covers"]
        if not isinstance(covers, list) or not covers or not all(isinstance(c, str) for c in covers):
            raise ClaimError(f"{where}: 'covers' must be a non-empty list of claim ids")
        unknown = [c for c in covers if c not in ids]
        if unknown:
            raise ClaimError(f"{where}: covers unknown claim {unknown[0]!r}")
        if fid in seen:
            raise ClaimError(f"{where}: duplicate finding id")
        seen.add(fid)
        out.append(FindingSpec(fid, item["kind"], item["title"], item["statement"],
                               tuple(covers)))
    return tuple(out)


def _check_premises(claims: list[Claim], path) -> None:
    """Every premise exists and the derivation graph has no cycle (a claim cannot rest on
    itself, however indirectly)."""
    by_id = {c.id: c for c in claims}
    for c in claims:
        for p in c.uses + c.ignores:
            if p not in by_id:
                raise ClaimError(f"claim {c.id}: uses unknown claim {p!r}; premises must be "
                                 f"ids in {path}")
    state: dict[str, int] = {}

    def visit(cid: str, trail: list[str]) -> None:
        state[cid] = 1
        for p in by_id[cid].uses:
            if state.get(p) == 1:
                cycle = trail[trail.index(p):] + [p] if p in trail else [cid, p]
                raise ClaimError(f"claim {cid}: premises form a cycle ({' -> '.join(cycle)}); "
                                 "a claim cannot rest on itself")
            if p not in state:
                visit(p, trail + [p])
        state[cid] = 2

    try:
        for c in claims:
            if c.id not in state:
                visit(c.id, [c.id])
    except RecursionError:
        raise ClaimError(f"claims file {path}: the chain of premises is too deep to be a "
                         "paper's derivation") from None


def _remainder_order(text: str, cid: str) -> sp.Expr:
    """A printed O(...) must be a positive power product of the small parameters."""
    expr = parse_text(text, cid)
    powers = expr.as_powers_dict() if isinstance(expr, sp.Expr) else {}
    ok = (isinstance(expr, (sp.Symbol, sp.Pow, sp.Mul)) and powers
          and set(powers) <= {N.delta, N.epsilon}
          and all(isinstance(p, sp.Integer) and 0 < p <= 20 for p in powers.values()))
    if not ok:
        raise ClaimError(f"claim {cid}: order {text!r} is not a remainder order; write a "
                         "positive power of delta or epsilon such as 'delta**3'")
    return expr


def _read_bounded(path: Path) -> bytes:
    """The file's bytes, refusing up front what is not a regular file or is too large to be a
    transcription (a device such as /dev/zero or a FIFO would never end)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as err:
        raise ClaimError(f"cannot read claims file {path}: {err.strerror}; "
                         "pass an existing file with --claims") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ClaimError(f"claims file {path} is not a regular file; pass a TOML file "
                             "with --claims")
        if info.st_size > MAX_CLAIMS_BYTES:
            raise ClaimError(f"claims file {path} is {info.st_size} bytes, over the limit of "
                             f"{MAX_CLAIMS_BYTES} (10 MB); a transcription is far smaller")
        with os.fdopen(fd, "rb", closefd=False) as fh:
            raw = fh.read(MAX_CLAIMS_BYTES + 1)
    except OSError as err:
        raise ClaimError(f"cannot read claims file {path}: {err.strerror}; "
                         "pass an existing file with --claims") from None
    finally:
        os.close(fd)
    if len(raw) > MAX_CLAIMS_BYTES:
        raise ClaimError(f"claims file {path} is over the limit of {MAX_CLAIMS_BYTES} bytes "
                         "(10 MB); a transcription is far smaller")
    return raw


def load_claims(path: str | Path | None = None) -> ClaimSet:
    path = Path(path) if path else default_claims_path()
    raw = _read_bounded(path)
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ClaimError(f"claims file {path} is not valid TOML ({err}); fix the syntax") from None
    except RecursionError:
        raise ClaimError(f"claims file {path} nests tables or arrays too deeply to be a claims "
                         "file; see the bundled file for the format") from None
    entries = data.get("claim")
    if not isinstance(entries, list) or not entries:
        raise ClaimError(f"claims file {path} has no [[claim]] entries; see the bundled "
                         "entwined/claims.toml for the format")
    claims, seen = [], set()
    for i, entry in enumerate(entries):
        claim = _claim_from_entry(entry, i)
        if claim.id in seen:
            raise ClaimError(f"claim {claim.id}: duplicate id in {path}; ids must be unique")
        seen.add(claim.id)
        claims.append(claim)
    _check_premises(claims, path)
    findings = _findings(data, seen, path)
    return ClaimSet(str(path), hashlib.sha256(raw).hexdigest(), tuple(claims), findings)
