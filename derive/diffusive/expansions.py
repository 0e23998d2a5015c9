"""Equations (4)-(8) from the model: the canonical-ensemble alpha as a series and the exact
action of shift operators (what the printed expansions are held against)."""
from __future__ import annotations

import sympy as sp

from entwined.core.store import persistent
from entwined.derive import model
from entwined.derive.calculus import truncate
from entwined.core import notation as N

V = N.v(N.z)


def model_alpha():
    return model.reversal_probability(V, N.epsilon)


@persistent
def model_alpha_tanh():
    """The model's alpha in its tanh form, (1 + tanh(v eps))/2 simplified: shown beside (5).
    Claim-independent, and the first simplify of a run costs about half a second."""
    return sp.simplify((1 + sp.tanh(V * N.epsilon)) / 2)


@persistent
def reversal_shape():
    """How the model's alpha depends on x = v eps: its slope, whether the slope is positive
    (checked on slope * (e^x + e^-x)^2, which is free of the denominator) and its limits as
    x -> +oo and -oo.  What (5.reversals-favoured) says in prose, derived once."""
    x = sp.Symbol("x", real=True)
    alpha = model.reversal_probability(x, 1)
    slope = sp.simplify(sp.diff(alpha, x))
    increasing = bool(sp.simplify(slope * (sp.exp(x) + sp.exp(-x))**2).is_positive)
    return slope, increasing, sp.limit(alpha, x, sp.oo), sp.limit(alpha, x, -sp.oo)


def alpha_series(weights, order):
    """The model's alpha as a polynomial in v eps, truncated at the given weight."""
    w = weights[N.epsilon]
    terms = model.alpha_taylor(order // w + 1)
    return truncate(sum(c * (V * N.epsilon)**k for k, c in enumerate(terms)), weights, order)


def exact_shifts(expr):
    """Ep^p Em^q Et^r F(z, t) -> F(z + (p - q) delta, t + r epsilon), exactly (no Taylor series)."""
    expr = sp.expand(expr)
    out = []
    for term in sp.Add.make_args(expr):
        powers = term.as_powers_dict()
        fields = [f for f in term.atoms(sp.core.function.AppliedUndef) if f.func != N.v]
        if len(fields) != 1 or term.has(N.Dz, N.Dt):
            raise ValueError(f"cannot read {term} as shifts of one density")
        (fld,) = fields
        hz = (powers.get(N.Ep, 0) - powers.get(N.Em, 0)) * N.delta
        ht = powers.get(N.Et, 0) * N.epsilon
        coeff = term.xreplace({N.Ep: 1, N.Em: 1, N.Et: 1}) / fld
        out.append(coeff * fld.func(fld.args[0] + hz, fld.args[1] + ht))
    return sp.Add(*out)


