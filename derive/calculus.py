"""Canonical forms for comparing printed and derived formulas.

Operator symbols (Ep, Em, Et, Dz, Dt) in a claim act on the field to their right; here they are
turned into Taylor jets of that field at (z, t), so that any two formulas can be compared as
polynomials in delta, epsilon and the derivatives of the fields.  Orders are weighted: with the
diffusive scaling epsilon counts as delta**2.
"""
from __future__ import annotations

import functools
from math import factorial

import sympy as sp

from entwined.core import notation as N
from entwined.core.texprint import to_latex

OPERATORS = (N.Ep, N.Em, N.Et, N.Dz, N.Dt)
FIELDS = {sp.Function(name) for name in N.FIELD_NAMES}
DIFFUSIVE = {N.delta: 1, N.epsilon: 2}
KAC = {N.epsilon: 1}


def is_field(expr) -> bool:
    return isinstance(expr, sp.core.function.AppliedUndef) and expr.func in FIELDS


def _jet(fn, hz, ht, dz: int, dt: int, order: int):
    """Taylor jet of d^dz_z d^dt_t F at (z + hz, t + ht), to total degree `order` in the shifts."""
    base = fn(N.z, N.t)
    out = []
    for i in range(order + 1):
        for j in range(order + 1 - i):
            if (i and hz == 0) or (j and ht == 0):
                continue
            coeff = hz**i * ht**j / (factorial(i) * factorial(j))
            orders = [(N.z, dz + i), (N.t, dt + j)]
            orders = [o for o in orders if o[1]]
            out.append(coeff * (sp.Derivative(base, *orders) if orders else base))
    return sp.Add(*out)


def apply_operators(expr, order: int):
    """Replace every (operator monomial) x F(z + h, t + g) by the Taylor jet it stands for."""
    expr = sp.expand(expr)
    out = []
    for term in sp.Add.make_args(expr):
        coeff, ops, fld, derivs = sp.S.One, {}, None, None
        for factor in sp.Mul.make_args(term):
            base, power = factor.as_base_exp()
            if base in OPERATORS:
                ops[base] = ops.get(base, 0) + int(power)
            elif is_field(factor):
                fld = factor
            elif isinstance(factor, sp.Derivative) and is_field(factor.expr):
                fld, derivs = factor.expr, factor
            else:
                coeff *= factor
        if fld is None:
            if ops:
                raise ValueError(f"operator without an operand in {term}")
            out.append(term)
            continue
        hz = (fld.args[0] - N.z) + (ops.get(N.Ep, 0) - ops.get(N.Em, 0)) * N.delta
        ht = (fld.args[1] - N.t if len(fld.args) > 1 else 0) + ops.get(N.Et, 0) * N.epsilon
        dz, dt = ops.get(N.Dz, 0), ops.get(N.Dt, 0)
        if derivs is not None:
            for var, n in derivs.variable_count:
                dz += n if var == N.z else 0
                dt += n if var == N.t else 0
        fn = fld.func
        out.append(coeff * _jet(fn, sp.expand(hz), sp.expand(ht), dz, dt, order))
    return sp.expand(sp.Add(*out))


def weight(term, weights) -> int:
    powers = term.as_powers_dict()
    return sum(w * int(powers.get(sym, 0)) for sym, w in weights.items())


def weighted_series(expr, weights, order: int):
    """Expand in the small parameters with the given weights, dropping weight > order."""
    lam = sp.Symbol("lambda_", positive=True)
    scaled = expr.xreplace({s: lam**w * s for s, w in weights.items()})
    ser = sp.series(scaled, lam, 0, order + 1).removeO()
    return sp.expand(ser.subs(lam, 1))


def truncate(expr, weights, order: int):
    return sp.Add(*[t for t in sp.Add.make_args(sp.expand(expr)) if weight(t, weights) <= order])


def lowest_weight(expr, weights):
    terms = [t for t in sp.Add.make_args(sp.expand(expr)) if t != 0]
    return min((weight(t, weights) for t in terms), default=None)


def as_vector(expr) -> list:
    """A claim side as a list of components: matrices are flattened, scalars become [expr]."""
    if isinstance(expr, sp.MatrixBase):
        return list(expr)
    return [expr]


_TEX_FIXES = (
    (r"\operatorname{phip}_{", r"\phi'_{"), (r"\psi_{p}", r"\psi_{+}"), (r"\psi_{m}", r"\psi_{-}"),
    (r"E_{p}", r"E_z^{+}"), (r"E_{m}", r"E_z^{-}"), (r"E_{t}", r"E_t"),
    (r"D_{z}", r"\partial_z"), (r"D_{t}", r"\partial_t"), (r"\epsilon", r"\varepsilon"),
)


def latex(expr, **kw) -> str:
    """LaTeX in the paper's notation (phi'_1, E_z^+, partial_z), not SymPy's default names.
    Memoised: the derived side of a comparison is the same expression for every mutant and
    reading of a claim, and printing a long expansion costs more than checking it."""
    try:
        return _latex(expr, tuple(sorted(kw.items())))
    except TypeError:                   # unhashable (a mutable Matrix): print it directly
        return _latex.__wrapped__(expr, tuple(sorted(kw.items())))


def text(expr) -> str:
    """str(expr), memoised for the same reason as `latex` (a correction's plain-text form)."""
    try:
        return _text(expr)
    except TypeError:                   # unhashable (a mutable Matrix): print it directly
        return str(expr)


@functools.lru_cache(maxsize=4096, typed=True)      # typed: latex(1) is not latex(1.0)
def _text(expr) -> str:
    return str(expr)


@functools.lru_cache(maxsize=4096, typed=True)
def _latex(expr, options) -> str:
    out = to_latex(expr, **dict(options))
    for old, new in _TEX_FIXES:
        out = out.replace(old, new)
    return out
