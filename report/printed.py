"""A printed equation typeset as printed: parsed by the whitelist parser without evaluation,
with matrices kept as displayed objects so that a matrix power such as the eighth power in (12)
stays a power instead of being multiplied out."""
from __future__ import annotations

import sympy as sp

from entwined.core.claims import DISPLAY_VOCABULARY, split_equation
from entwined.core.formula import Vocabulary, parse_formula
from entwined.core.texprint import to_latex


class ShownMatrix(sp.Expr):
    """A matrix as printed: a non-commutative factor, so products and powers stay as written."""

    is_commutative = False
    is_shown_matrix = True

    def __new__(cls, rows):
        return sp.Expr.__new__(cls, sp.ImmutableMatrix(rows))


VOCABULARY = Vocabulary(values=DISPLAY_VOCABULARY.values,
                        callables={**DISPLAY_VOCABULARY.callables, "Matrix": ShownMatrix})


def printed_latex(text: str, claim_id: str) -> str | None:
    """LaTeX for one printed equation `left = right` in the source's own order, or None when
    it cannot be parsed that way (the caller shows the transcription as text)."""
    try:
        sides = [parse_formula(s, VOCABULARY, where=f"claim {claim_id}", evaluate=False)
                 for s in split_equation(text, claim_id)]
    except Exception:        # shown as its transcription instead
        return None
    return " = ".join(to_latex(s, order="none") for s in sides)
