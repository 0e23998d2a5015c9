"""The only way SymPy objects become LaTeX: a printer that trusts the project's notation and
nothing else.

A symbol or function name that is not a plain identifier (letters, digits, underscores) and not
one of the project's own display names is printed as escaped text, so even an expression built
from hostile input cannot put a control sequence such as \\input into the report.  Plain
identifiers are safe because SymPy turns them only into fixed macros (\\alpha, \\hat{...}).
"""
from __future__ import annotations

import re

from sympy.core.function import AppliedUndef
from sympy.printing.latex import LatexPrinter

from entwined.core import notation as N

_PLAIN = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
# Display-only symbols the derivations create themselves (never from user text).
TRUSTED_NAMES = frozenset({r"\psi_L", r"\psi_R", r"\phi'_1", r"\phi'_2"})

_SPECIAL = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&",
            "#": r"\#", "^": r"\textasciicircum{}", "_": r"\_", "%": r"\%",
            "~": r"\textasciitilde{}", "<": r"\textless{}", ">": r"\textgreater{}",
            "|": r"\textbar{}", "\n": " ", "\r": " "}


def escape_text(value) -> str:
    """Plain text -> LaTeX that prints it literally (ASCII only; anything else as [U+XXXX])."""
    out = []
    for ch in str(value):
        if ch in _SPECIAL:
            out.append(_SPECIAL[ch])
        elif ord(ch) < 128:
            out.append(ch if ch.isprintable() else " ")
        else:
            out.append("[U+%04X]" % ord(ch))
    return "".join(out)


def is_safe_name(name: str) -> bool:
    return bool(_PLAIN.match(name)) or name in TRUSTED_NAMES


class NotationPrinter(LatexPrinter):
    """SymPy's LaTeX printer with the paper's operator names and an allowlist for names."""

    def __init__(self, settings=None):
        settings = dict(settings or {})
        settings.setdefault("symbol_names", {N.Ep: "E_z^{+}", N.Em: "E_z^{-}", N.Et: "E_t",
                                             N.Dz: r"\partial_z", N.Dt: r"\partial_t"})
        super().__init__(settings)

    def _print_Symbol(self, expr, style="plain"):
        if expr in self._settings["symbol_names"] or is_safe_name(expr.name):
            return super()._print_Symbol(expr, style)
        return r"\text{" + escape_text(expr.name) + "}"

    def _print_Function(self, expr, exp=None):
        if isinstance(expr, AppliedUndef) and not is_safe_name(expr.func.__name__):
            args = ", ".join(self._print(a) for a in expr.args)
            return r"\text{" + escape_text(expr.func.__name__) + r"}\left(" + args + r"\right)"
        return super()._print_Function(expr, exp)


def to_latex(expr, **settings) -> str:
    return NotationPrinter(settings).doprint(expr)
