"""The paper's printed claims, loaded from a TOML file the project owns and a user may edit.

Formulas are read by the whitelist parser of `entwined.core.formula`: a claims file is data, and
reading it must never run code, however it is written.
"""
from __future__ import annotations

import hashlib
import os
import stat
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import sympy as sp

from entwined.core import notation as N
from entwined.core.errors import ClaimError
from entwined.core.formula import Vocabulary, parse_formula
from entwined.core.texprint import escape_text, to_latex

PROVENANCE = ("legible", "partly legible", "reconstructed")
SECTIONS = {
    "stochastic-model": "Entwined pairs: a classical stochastic model",
    "diffusive-scaling": "Entwined pairs and diffusive scaling",
    "signal-velocity": "Entwined pairs with fixed signal velocity",
}
KEYS_REQUIRED = ("id", "section", "title", "provenance")
KEYS_OPTIONAL = ("equations", "statement", "order", "ocr", "note")

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
class ClaimSet:
    path: str
    sha256: str
    claims: tuple[Claim, ...]

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
    return Claim(id=cid, section=entry["section"], title=entry["title"],
                 provenance=entry["provenance"], equations=tuple(equations),
                 statement=entry.get("statement", ""), order=entry.get("order"),
                 ocr=entry.get("ocr"), note=entry.get("note"), parsed=tuple(parsed),
                 order_expr=order_expr)


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
    return ClaimSet(str(path), hashlib.sha256(raw).hexdigest(), tuple(claims))
