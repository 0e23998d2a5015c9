"""The only way SymPy objects become LaTeX: a printer that trusts the project's notation and
nothing else.

A symbol or function name that is not a plain identifier (letters, digits, underscores) and not
one of the project's own display names is printed as escaped text, so even an expression built
from hostile input cannot put a control sequence such as \\input into the report.  Plain
identifiers are safe because SymPy turns them only into fixed macros (\\alpha, \\hat{...}).

The paper's notation: the envelope densities phip1..phip4 print as phi'_1..phi'_4, psi_p and
psi_m as psi_+ and psi_-, a field evaluated at the plain point (z, t) without its arguments,
derivatives as partial_z^n, epsilon as varepsilon, the operator symbols as E_z^+-, E_t,
partial_z, partial_t and the rotation generator as a tilde sigma_y.
"""
from __future__ import annotations

import re

import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.printing.latex import LatexPrinter

from entwined.core import notation as N

_PLAIN = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
# Display-only symbols the derivations create themselves (never from user text).
TRUSTED_NAMES = frozenset({r"\psi_L", r"\psi_R", r"\phi'_1", r"\phi'_2"})

# function names of the paper's fields (fixed strings: never built from input)
FUNCTION_NAMES = {
    **{f"phip{i}": rf"\phi'_{{{i}}}" for i in range(1, 5)},
    **{f"phi{i}": rf"\phi_{{{i}}}" for i in range(1, 5)},
    "psi_p": r"\psi_{+}", "psi_m": r"\psi_{-}", "psi_L": r"\psi_{L}", "psi_R": r"\psi_{R}",
    "psi": r"\psi", "chi": r"\chi", "Phi": r"\Phi", "Phip": r"\Phi'",
}
# symbols whose SymPy default differs from the paper (display vocabulary, derivations)
SYMBOL_NAMES = {
    "epsilon": r"\varepsilon", "eps": r"\varepsilon", "sigma_ytilde": r"\tilde{\sigma}_{y}",
    "syt": r"\tilde{\sigma}_{y}", "sigma_x": r"\sigma_{x}", "sigma_y": r"\sigma_{y}",
    "sigma_z": r"\sigma_{z}", "alpha_D": r"\alpha_{D}", "beta_D": r"\beta_{D}",
}
_POINT = {(N.z, N.t), (N.z,)}

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


_OPERATORS = frozenset({N.Ep, N.Em, N.Et, N.Dz, N.Dt})


def _is_operator(f) -> bool:
    return f in _OPERATORS or (isinstance(f, sp.Pow) and f.base in _OPERATORS)


def _is_field(f) -> bool:
    """A density, a wave function or a displayed matrix: printed after the operators."""
    if getattr(f, "is_shown_matrix", False) or (isinstance(f, sp.Pow)
                                                and getattr(f.base, "is_shown_matrix", False)):
        return True
    if isinstance(f, sp.Derivative):
        f = f.expr
    return isinstance(f, AppliedUndef) and f.func.__name__ in N.FIELD_NAMES


def _flatten_add(expr):
    out = []
    for arg in expr.args:
        out.extend(_flatten_add(arg) if isinstance(arg, sp.Add) else [arg])
    return out


def _flatten_mul(expr):
    """Factors of a (possibly nested, unevaluated) product in order, with the sign pulled out."""
    sign, factors = 1, []
    for arg in expr.args:
        if isinstance(arg, sp.Mul):
            s, f = _flatten_mul(arg)
            sign *= s
            factors.extend(f)
        elif arg == sp.S.NegativeOne:
            sign = -sign
        else:
            factors.append(arg)
    return sign, factors


class NotationPrinter(LatexPrinter):
    """SymPy's LaTeX printer with the paper's notation and an allowlist for names."""

    def __init__(self, settings=None):
        settings = dict(settings or {})
        settings.setdefault("symbol_names", {N.Ep: "E_z^{+}", N.Em: "E_z^{-}", N.Et: "E_t",
                                             N.Dz: r"\partial_z", N.Dt: r"\partial_t"})
        super().__init__(settings)

    def _print_Symbol(self, expr, style="plain"):
        if expr in self._settings["symbol_names"]:
            return super()._print_Symbol(expr, style)
        if expr.name in SYMBOL_NAMES:
            return SYMBOL_NAMES[expr.name]
        if is_safe_name(expr.name):
            return super()._print_Symbol(expr, style)
        return r"\text{" + escape_text(expr.name) + "}"

    def _args(self, args) -> str:
        inner = ", ".join(self._print(a) for a in args)
        if any(tok in inner for tok in (r"\frac", r"\sum", r"\left")):
            return r"\left(" + inner + r"\right)"
        return "(" + inner + ")"

    def _print_Function(self, expr, exp=None):
        if isinstance(expr, AppliedUndef):
            name = expr.func.__name__
            if name in FUNCTION_NAMES:
                head = FUNCTION_NAMES[name]
                if not (name in N.FIELD_NAMES and tuple(expr.args) in _POINT):
                    head += self._args(expr.args)
            elif not is_safe_name(name):
                head = r"\text{" + escape_text(name) + "}" + self._args(expr.args)
            else:
                head = super()._print_Symbol(sp.Symbol(name)) + self._args(expr.args)
            if exp is not None:
                return r"\left(" + head + r"\right)^{" + exp + "}" if "(" in head \
                    else head + "^{" + exp + "}"
            return head
        return super()._print_Function(expr, exp)

    def _print_Derivative(self, expr):
        inner = expr.expr
        if isinstance(inner, AppliedUndef) and len(inner.args) == 1 \
                and inner.func.__name__ not in N.FIELD_NAMES and len(expr.variables) <= 3 \
                and set(expr.variables) == set(inner.args):
            name = self._print(inner.func(sp.Symbol("x_")))[:-len("(x_{})") + 1].rstrip("(")
            head = self._print(inner).split("(")[0]
            return head + "'" * len(expr.variables) + self._args(inner.args)
        ops = []
        for var, count in expr.variable_count:
            v = self._print(var)
            ops.append(r"\partial_{" + v + "}" + ("" if count == 1 else "^{" + self._print(count) + "}"))
        body = self._print(inner)
        if not isinstance(inner, (sp.Symbol, AppliedUndef)):
            body = r"\left(" + body + r"\right)"
        return " ".join(ops) + " " + body

    def _print_Mul(self, expr):
        if not isinstance(expr, sp.Mul):          # SymPy prints 1/x through here too
            return super()._print_Mul(expr)
        sign, factors = _flatten_mul(expr)
        if factors and factors[0].is_Number and factors[0] < 0:
            sign, factors = -sign, [-factors[0]] + factors[1:]
        factors = [f for f in factors if f != 1] or [sp.S.One]
        ops = [f for f in factors if _is_operator(f)]
        fields = [f for f in factors if _is_field(f)]
        nc = [f for f in factors if not f.is_commutative and f not in ops and f not in fields]
        coeffs = [f for f in factors if f not in ops and f not in fields and f not in nc]
        if not ops and not fields:
            if len(factors) == 1:
                body = self._print(factors[0])
                if sign < 0 and isinstance(factors[0], sp.Add):
                    body = r"\left(" + body + r"\right)"
            else:
                body = super()._print_Mul(sp.Mul(*factors, evaluate=False))
            return ("- " + body) if sign < 0 else body
        parts = []
        if coeffs:
            core = coeffs[0] if len(coeffs) == 1 else sp.Mul(*coeffs, evaluate=False)
            text = super()._print_Mul(core) if len(coeffs) > 1 else self._print(core)
            if isinstance(core, sp.Add):
                text = r"\left(" + text + r"\right)"
            parts.append(text)
        for f in nc + ops + fields:
            text = self._print(f)
            if isinstance(f, sp.Add):
                text = r"\left(" + text + r"\right)"
            parts.append(text)
        body = " ".join(parts)
        return ("- " + body) if sign < 0 else body

    def _print_Add(self, expr, order=None):
        if any(isinstance(a, sp.Add) for a in expr.args):      # unevaluated (a + b) + c
            return self._print_Add(sp.Add(*_flatten_add(expr), evaluate=False), order)
        terms = list(expr.args) if self._settings.get("order") == "none" \
            else list(expr.as_ordered_terms())
        lead = [x for x in terms if x in (N.z, N.t)]
        if len(lead) == 1 and len(terms) == 2:
            terms = lead + [x for x in terms if x is not lead[0]]
            tex = self._print(terms[0])
            second = self._print(terms[1])
            return tex + (" " + second if second.startswith("-") else " + " + second)
        return super()._print_Add(expr, order)

    def _print_ShownMatrix(self, expr):
        return self._print(expr.args[0])


def to_latex(expr, **settings) -> str:
    return NotationPrinter(settings).doprint(expr)
