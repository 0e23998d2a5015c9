"""The paper's printed claims, loaded from a TOML file the project owns and a user may edit.

Texts are parsed with SymPy, but only after every name in them has been checked against the
project's notation: a claims file is data, and parsing it must never run arbitrary code.
"""
from __future__ import annotations

import hashlib
import io
import tokenize
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import sympy as sp
from sympy.parsing.sympy_parser import parse_expr, standard_transformations

from entwined import notation as N
from entwined.errors import ClaimError

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
_SYMPY = {name: getattr(sp, name) for name in (
    "Matrix", "exp", "sqrt", "cos", "sin", "tan", "atan", "cosh", "sinh", "tanh", "log",
    "Derivative", "Rational", "I", "pi", "oo", "Abs", "conjugate", "re", "im")}
NAMESPACE = {**_SYMBOLS, **_FUNCTIONS, **_MATRICES, **_SYMPY}
_GLOBALS: dict = {"__builtins__": {}, "Integer": sp.Integer, "Float": sp.Float,
                  "Rational": sp.Rational, "Symbol": sp.Symbol, "Function": sp.Function}


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


@dataclass(frozen=True)
class ClaimSet:
    path: str
    sha256: str
    claims: tuple[Claim, ...]

    def by_id(self) -> dict[str, Claim]:
        return {c.id: c for c in self.claims}


def default_claims_path() -> Path:
    return Path(str(resources.files("entwined") / "claims.toml"))


_DISPLAY = {**NAMESPACE, "I2": sp.Symbol("I", commutative=False),
            "sx": sp.Symbol("sigma_x", commutative=False), "sy": sp.Symbol("sigma_y", commutative=False),
            "sz": sp.Symbol("sigma_z", commutative=False),
            "syt": sp.Symbol("sigma_ytilde", commutative=False)}
_DISPLAY_GLOBALS = {**_GLOBALS, "Add": sp.Add, "Mul": sp.Mul, "Pow": sp.Pow}


def parse_display(text: str, claim_id: str) -> sp.Basic | None:
    """The printed formula as printed: unevaluated, with Pauli matrices as symbols (for the report).
    None when it cannot be shown faithfully that way (the report then shows the source text)."""
    parse_text(text, claim_id)   # the same name checks as for the checked form
    try:
        return parse_expr(text, local_dict=dict(_DISPLAY), global_dict=dict(_DISPLAY_GLOBALS),
                          transformations=standard_transformations, evaluate=False)
    except Exception:
        return None


def parse_text(text: str, claim_id: str) -> sp.Basic:
    """Parse one side of a printed formula; unknown names are rejected before SymPy sees them."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError) as err:
        raise ClaimError(f"claim {claim_id}: cannot read {text!r} ({err.args[0]}); "
                         "fix the formula in the claims file") from None
    for tok in tokens:
        if tok.type == tokenize.NAME and tok.string not in NAMESPACE:
            raise ClaimError(f"claim {claim_id}: unknown symbol {tok.string!r} in {text!r}; "
                             f"use only the names listed at the top of the claims file")
        if tok.type == tokenize.OP and tok.string in (".", ";", ":", "@", ":="):
            raise ClaimError(f"claim {claim_id}: operator {tok.string!r} not allowed in "
                             f"{text!r}; write the formula in plain SymPy arithmetic")
    try:
        return parse_expr(text, local_dict=dict(NAMESPACE), global_dict=dict(_GLOBALS),
                          transformations=standard_transformations, evaluate=True)
    except Exception as err:  # SymPy raises many types for bad syntax
        msg = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise ClaimError(f"claim {claim_id}: cannot parse {text!r} ({msg}); "
                         "fix the formula in the claims file") from None


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
    cid = str(entry.get("id", f"#{index + 1}"))
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
    order_expr = parse_text(entry["order"], cid) if entry.get("order") else None
    return Claim(id=cid, section=entry["section"], title=entry["title"],
                 provenance=entry["provenance"], equations=tuple(equations),
                 statement=entry.get("statement", ""), order=entry.get("order"),
                 ocr=entry.get("ocr"), note=entry.get("note"), parsed=tuple(parsed),
                 order_expr=order_expr)


def load_claims(path: str | Path | None = None) -> ClaimSet:
    path = Path(path) if path else default_claims_path()
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise ClaimError(f"cannot read claims file {path}: {err.strerror}; "
                         "pass an existing file with --claims") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ClaimError(f"claims file {path} is not valid TOML ({err}); fix the syntax") from None
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
