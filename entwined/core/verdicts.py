"""Verdicts are data computed from evidence; nothing here decides a verdict by itself."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from entwined.core.evidence import Evidence, Prose, as_evidence


class Verdict(str, Enum):
    HOLDS = "holds"
    CORRECTED = "holds-with-correction"
    FAILS = "fails"
    UNPROVEN = "unproven"


@dataclass
class Step:
    """One displayed line of a derivation: a caption and a LaTeX formula (trusted SymPy output)."""

    caption: str
    latex: str


@dataclass
class Outcome:
    verdict: Verdict
    detail: str | Prose
    evidence: Evidence = field(default_factory=Evidence)
    correction: str | None = None          # plain text (SymPy syntax where it is a formula)
    correction_latex: str | None = None
    steps: list[Step] = field(default_factory=list)
    # the correction as mathematics (an Expression or Expressions item), so a pin can test that
    # a recomputed correction is the same mathematics, not the same text
    correction_math: Any = None

    def __post_init__(self):
        if not isinstance(self.evidence, Evidence):
            self.evidence = Evidence(self.evidence or {})
        if self.correction_math is not None:
            self.correction_math = as_evidence(self.correction_math)


def from_residual(is_zero: bool | None, *, holds: str, fails: str, correction: str | None = None,
                  correction_latex: str | None = None, evidence=None, steps=None,
                  correction_math=None) -> Outcome:
    """The usual shape of a symbolic check: a residual that vanished, did not, or was undecided.

    A printed form that does not hold becomes ``holds-with-correction`` when the derivation
    supplies what does hold, ``fails`` otherwise; an undecided residual is ``unproven``.
    """
    evidence = Evidence(evidence or {})
    steps = list(steps or [])
    if is_zero is None:
        return Outcome(Verdict.UNPROVEN, Prose.of("residual could not be decided: ", fails), evidence,
                       steps=steps)
    if is_zero:
        return Outcome(Verdict.HOLDS, holds, evidence, steps=steps)
    verdict = Verdict.CORRECTED if correction else Verdict.FAILS
    return Outcome(verdict, fails, evidence, correction, correction_latex, steps,
                   correction_math if correction else None)
