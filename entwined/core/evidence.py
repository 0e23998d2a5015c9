"""Typed evidence: what a check derived or measured, as frozen data.

Consumers (the chain, mutation testing, the JSON writer, the report) dispatch on these types,
never on dictionary keys, so an edited claims file that gives a check an unexpected shape fails
where the evidence is built (and is reported `unproven`), not deep inside the report.

Mathematics stays SymPy here; it becomes text in exactly two places: `to_json` below (SymPy's
`sstr`) and the report's renderer (the notation printer).  `as_evidence` is the one boundary
where the plain values a numeric study returns (dicts of lists and floats) become types.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from enum import Enum
from typing import Any, Iterator, Union

import numpy as np
import sympy as sp

MATH = (sp.Basic, sp.MatrixBase)


def _is_math(value) -> bool:
    return isinstance(value, MATH)


def _number(value):
    """A plain Python number (numpy scalars unwrapped); None stays None."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (np.integer, int)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return float(value)
    raise TypeError(f"expected a number, got {type(value).__name__}")


def _floats(values) -> tuple:
    return tuple(None if v is None else float(v) for v in values)


# --- prose with formulas -------------------------------------------------------------------

def plain_math(value) -> str:
    """A formula as terminal text: SymPy's sstr, with equations written as 'lhs = rhs'."""
    if isinstance(value, sp.Equality):
        return f"{plain_math(value.lhs)} = {plain_math(value.rhs)}"
    if isinstance(value, sp.MatrixBase):
        return sp.sstr(value.tolist())
    return sp.sstr(value)


@dataclass(frozen=True)
class Prose:
    """A sentence whose formulas stay formulas: parts are plain text or SymPy objects.

    ``str()`` gives the terminal form; the report typesets each SymPy part.  Adding text or
    prose appends parts, so ``outcome.detail += "; more"`` keeps working."""

    parts: tuple = ()

    @classmethod
    def of(cls, *parts) -> "Prose":
        out = []
        for p in parts:
            if isinstance(p, Prose):
                out.extend(p.parts)
            elif _is_math(p):
                out.append(p)
            elif p is not None and str(p):
                out.append(str(p))
        return cls(tuple(out))

    def __add__(self, other) -> "Prose":
        return Prose.of(self, other)

    def __radd__(self, other) -> "Prose":
        return Prose.of(other, self)

    def __str__(self) -> str:
        return "".join(p if isinstance(p, str) else plain_math(p) for p in self.parts)

    def __contains__(self, text) -> bool:
        return text in str(self)

    def startswith(self, text) -> bool:
        return str(self).startswith(text)

    def __len__(self) -> int:
        return len(str(self))


# --- the evidence types ---------------------------------------------------------------------

@dataclass(frozen=True)
class Expression:
    """One derived expression, equation or matrix."""

    value: Any

    def __post_init__(self):
        if not _is_math(self.value):
            raise TypeError(f"Expression needs a SymPy object, got {type(self.value).__name__}")


@dataclass(frozen=True)
class Expressions:
    """Several expressions: components of a residual or named right-hand sides.  A name is
    None for a plain list."""

    items: tuple = ()

    def __post_init__(self):
        for name, value in self.items:
            if not _is_math(value):
                raise TypeError(f"Expressions needs SymPy objects, got {type(value).__name__}")

    @property
    def values(self) -> tuple:
        return tuple(v for _, v in self.items)

    def all_zero(self) -> bool:
        return all(v == 0 or (isinstance(v, sp.MatrixBase) and v.is_zero_matrix)
                   for v in self.values)


@dataclass(frozen=True)
class Scalar:
    """A number, a count or a yes/no fact (None: not available)."""

    value: bool | int | float | None

    def __post_init__(self):
        object.__setattr__(self, "value", _number(self.value))


@dataclass(frozen=True)
class Text:
    """A short plain-text fact with no formula in it (a label, a reason)."""

    value: str


@dataclass(frozen=True)
class Record:
    """A named group of evidence (a per-claim breakdown, a convention comparison)."""

    items: tuple = ()

    def __post_init__(self):
        object.__setattr__(self, "items", tuple((str(k), as_evidence(v)) for k, v in self.items))

    def get(self, name, default=None):
        return next((v for k, v in self.items if k == name), default)


@dataclass(frozen=True)
class Group:
    """An unnamed sequence of evidence (several figures, several table rows)."""

    items: tuple = ()

    def __post_init__(self):
        object.__setattr__(self, "items", tuple(as_evidence(v) for v in self.items))


@dataclass(frozen=True)
class RefinementStudy:
    """Errors over a refinement sequence with the observed orders next to the predicted one."""

    what: str
    h: tuple
    error: tuple
    observed_order: tuple
    predicted_order: float | None
    fitted_slope: float | None
    passes: bool
    variable: str = "h"
    derived: "RefinementStudy | None" = None     # the same study for the derived (corrected) form
    extras: Record = field(default_factory=Record)

    @property
    def last_order(self) -> float | None:
        return self.observed_order[-1] if self.observed_order else None

    @classmethod
    def from_mapping(cls, d: dict) -> "RefinementStudy":
        known = {"what", "h", "error", "observed_order", "predicted_order", "fitted_slope",
                 "passes", "variable", "derived"}
        predicted = d.get("predicted_order")
        try:
            predicted = None if predicted is None else float(predicted)
        except (TypeError, ValueError):
            predicted = None
        return cls(what=str(d.get("what", "")), h=_floats(d.get("h", ())),
                   error=_floats(d.get("error", ())),
                   observed_order=_floats(d.get("observed_order", ())),
                   predicted_order=predicted,
                   fitted_slope=None if d.get("fitted_slope") is None else float(d["fitted_slope"]),
                   passes=bool(d.get("passes", False)), variable=str(d.get("variable", "h")),
                   derived=cls.from_mapping(d["derived"]) if isinstance(d.get("derived"), dict)
                   else None,
                   extras=_record({k: v for k, v in d.items() if k not in known}))


@dataclass(frozen=True)
class MonteCarloComparison:
    """Sampled envelope densities against a recurrence: the largest standard score
    |sample mean - recurrence| / standard error over all sites, against a family-wise threshold."""

    what: str
    n_paths: int
    max_standard_score: float
    threshold: float
    passes: bool
    sites: int | None = None
    where: str | None = None
    by_alpha: tuple = ()          # (alpha, max standard score, threshold, passes)
    extras: Record = field(default_factory=Record)

    @classmethod
    def from_mapping(cls, d: dict) -> "MonteCarloComparison":
        known = {"what", "n_paths", "max_z", "threshold", "passes", "sites", "where", "by_alpha"}
        where = d.get("where")
        num = lambda v, default: default if v is None else float(v)
        by_alpha = tuple((str(a), num(r.get("max_z"), math.nan), num(r.get("threshold"), math.nan),
                          bool(r.get("passes"))) for a, r in (d.get("by_alpha") or {}).items())
        return cls(what=str(d.get("what", "")), n_paths=int(d.get("n_paths") or 0),
                   max_standard_score=num(d.get("max_z"), math.inf),
                   threshold=num(d.get("threshold"), math.nan), passes=bool(d.get("passes")),
                   sites=None if d.get("sites") is None else int(d["sites"]),
                   where=None if where is None else f"{where[0]} at t = {where[1]} steps",
                   by_alpha=by_alpha,
                   extras=_record({k: v for k, v in d.items() if k not in known}))


@dataclass(frozen=True)
class Series:
    name: str
    x: tuple
    y: tuple


@dataclass(frozen=True)
class Figure:
    """A plot: a title, axis labels (plain text, or SymPy for a typeset quantity), curves, and
    on log axes the slope a reference line is drawn with (the predicted order)."""

    title: Any                # str or Prose
    xlabel: Any
    ylabel: Any
    series: tuple
    log: bool = False
    marks: bool = False
    reference_slope: float | None = None

    @classmethod
    def from_mapping(cls, d: dict) -> "Figure":
        series = tuple(Series(str(s["name"]), _floats(x for x, _ in s["coords"]),
                              _floats(y for _, y in s["coords"])) for s in d["series"])
        slope = d.get("reference_slope")
        title = d["title"] if isinstance(d["title"], Prose) else str(d["title"])
        return cls(title, d["xlabel"], d["ylabel"], series, bool(d.get("log")),
                   bool(d.get("marks")), None if slope is None else float(slope))


@dataclass(frozen=True)
class Table:
    """Rows of cells (numbers, expressions or text) under named columns."""

    columns: tuple
    rows: tuple

    def __post_init__(self):
        def cell(v):
            if isinstance(v, (np.generic, int, float, bool)):
                return _number(v.item() if isinstance(v, np.generic) else v)
            return v
        object.__setattr__(self, "rows", tuple(tuple(cell(v) for v in row) for row in self.rows))


@dataclass(frozen=True)
class Readings:
    """The verdict under each reading of an unreadable glyph; `primary` is the one used."""

    verdicts: tuple          # (label, verdict value)
    primary: str | None = None

    def all_hold(self) -> bool:
        return all(v == "holds" for _, v in self.verdicts)

    def as_dict(self) -> dict:
        return dict(self.verdicts)


class StepStatus(str, Enum):
    PROVED = "proved symbolically"
    NUMERIC = "checked numerically"
    UNCHECKED = "unchecked"
    FAILED = "does not hold"


@dataclass(frozen=True)
class DerivationStep:
    """One statement of a derivation with its own check: what it says (prose with formulas),
    the formula it establishes, how it was checked, its status and the residual the check
    computed (zero when proved)."""

    statement: Prose
    formula: Any = None
    status: StepStatus = StepStatus.UNCHECKED
    check: str = ""
    residual: Any = None
    uses: tuple = ()          # claim ids and conventions the step relies on


EVIDENCE_TYPES = (Expression, Expressions, Scalar, Text, Prose, Record, Group, RefinementStudy,
                  MonteCarloComparison, Figure, Table, Readings, DerivationStep)
EvidenceItem = Union[Expression, Expressions, Scalar, Text, Prose, Record, Group, RefinementStudy,
                     MonteCarloComparison, Figure, Table, Readings, DerivationStep]


# --- the boundary: plain values -> types ----------------------------------------------------

def _is_study(d: dict) -> bool:
    return "observed_order" in d and "passes" in d


def _is_monte_carlo(d: dict) -> bool:
    return "max_z" in d and "passes" in d


def _is_figure(d: dict) -> bool:
    return {"title", "series"} <= set(d)


def _record(d: dict) -> Record:
    return Record(tuple((str(k), as_evidence(v)) for k, v in d.items()))


def as_evidence(value) -> EvidenceItem:
    """Type a value a check or a numeric study produced.  Anything without a type here (an
    arbitrary object) is refused, so no repr can reach a reader."""
    if isinstance(value, EVIDENCE_TYPES):
        return value
    if _is_math(value):
        return Expression(value)
    if value is None or isinstance(value, (bool, int, float, np.bool_, np.integer, np.floating)):
        return Scalar(value)
    if isinstance(value, str):
        return Text(value)
    if isinstance(value, np.ndarray):
        return as_evidence(value.tolist())
    if isinstance(value, dict):
        if _is_figure(value):
            return Figure.from_mapping(value)
        if _is_monte_carlo(value):
            return MonteCarloComparison.from_mapping(value)
        if _is_study(value):
            return RefinementStudy.from_mapping(value)
        if value and all(_is_math(v) for v in value.values()):
            return Expressions(tuple((str(k), v) for k, v in value.items()))
        return _record(value)
    if isinstance(value, (list, tuple)):
        if value and all(_is_math(v) for v in value):
            return Expressions(tuple((None, v) for v in value))
        return Group(tuple(as_evidence(v) for v in value))
    raise TypeError(f"evidence of type {type(value).__name__} has no typed form")


class Evidence(dict):
    """A check's evidence: names (what the item is) to typed items; values are typed on entry."""

    def __init__(self, items=None, **kw):
        super().__init__()
        self.update(items or {}, **kw)

    def __setitem__(self, key, value):
        super().__setitem__(str(key), as_evidence(value))

    def update(self, items=(), **kw):
        for k, v in (items.items() if hasattr(items, "items") else items):
            self[k] = v
        for k, v in kw.items():
            self[k] = v

    def setdefault(self, key, default=None):
        if key not in self:
            self[key] = default
        return self[key]

    def of_type(self, kind) -> Iterator[tuple[str, Any]]:
        """(name, item) for every item of `kind`, one level into records and groups too."""
        for name, item in self.items():
            yield from _walk(name, item, kind)

    def first(self, kind):
        return next((item for _, item in self.of_type(kind)), None)


def _walk(name, item, kind):
    if isinstance(item, kind):
        yield name, item
    elif isinstance(item, Record):
        for k, v in item.items:
            if isinstance(v, kind):
                yield f"{name}/{k}", v
    elif isinstance(item, Group):
        for i, v in enumerate(item.items):
            if isinstance(v, kind):
                yield f"{name}/{i}", v


# --- the one JSON form ----------------------------------------------------------------------

def _sstr(value) -> str:
    """SymPy text on one line (a matrix as Matrix([[...], [...]]), not SymPy's grid)."""
    if isinstance(value, sp.MatrixBase):
        return "Matrix(" + sp.sstr(value.tolist()) + ")"
    return sp.sstr(value)


def _json_value(value):
    if _is_math(value):
        return _sstr(value)
    if isinstance(value, Prose):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, EVIDENCE_TYPES):
        return to_json(value)
    if isinstance(value, tuple):
        return [_json_value(v) for v in value]
    return value


def to_json(item) -> Any:
    """Plain JSON data for a typed item (or an Evidence mapping): SymPy as `sstr` text, each
    item tagged with its type."""
    if isinstance(item, Evidence):
        return {k: to_json(v) for k, v in item.items()}
    if isinstance(item, Scalar):
        return _json_value(item.value)
    if isinstance(item, Text):
        return item.value
    if isinstance(item, Prose):
        return str(item)
    if isinstance(item, Expression):
        return _sstr(item.value)
    if isinstance(item, Expressions):
        if all(name is None for name, _ in item.items):
            return [_sstr(v) for v in item.values]
        return {name: _sstr(v) for name, v in item.items}
    if isinstance(item, Record):
        return {k: to_json(v) for k, v in item.items}
    if isinstance(item, Group):
        return [to_json(v) for v in item.items]
    if isinstance(item, Readings):
        return {"type": "readings", "primary": item.primary, "verdicts": dict(item.verdicts)}
    out = {"type": type(item).__name__}
    for f in fields(item):
        out[f.name] = _json_value(getattr(item, f.name))
    return out
