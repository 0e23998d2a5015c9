"""Truncated Taylor-jet arithmetic for lattice operators with z-dependent coefficients.

A field near a point z0 is stored as its jet f(z0 + s) = sum_n f_n s^n / n!.  A shift by h
becomes s -> s + h and a coefficient c(z) multiplies by its own jet, so operator products with
variable coefficients reduce to polynomial arithmetic.  Every product is truncated at a fixed
weighted order (a naive ``series`` of the 8-fold product does not finish), which
is why this lives in SymPy's sparse polynomial ring rather than in expression trees.
"""
from __future__ import annotations

from dataclasses import dataclass
from math import comb, factorial

import sympy as sp
from sympy import QQ
from sympy.polys.rings import ring

from entwined.core import notation as N
from entwined.core.notation import z, t, coefficient


@dataclass(frozen=True)
class JetSpec:
    """What the ring holds: small parameters with weights, plain parameters, fields, coefficients."""

    order: int                       # keep terms of total weight <= order
    small: tuple[tuple[str, int], ...]  # (name, weight), e.g. (("delta", 1), ("epsilon", 2))
    fields: tuple[str, ...]          # jets of these fields, e.g. ("phi1", "phi2")
    coefficients: tuple[str, ...] = ()  # jets of z-dependent coefficients, e.g. ("v",)
    params: tuple[str, ...] = ()     # weight-0 symbols, e.g. ("a", "c")


class JetAlgebra:
    def __init__(self, spec: JetSpec):
        self.spec = spec
        n = spec.order
        names = ["s"] + [name for name, _ in spec.small] + list(spec.params)
        names += [f"{f}_{k}" for f in spec.fields for k in range(n + 1)]
        names += [f"{c}_{k}" for c in spec.coefficients for k in range(n + 1)]
        self.ring, *gens = ring(",".join(names), QQ)
        self.gen = dict(zip(names, gens))
        self.s = self.gen["s"]
        weights = [1] + [w for _, w in spec.small] + [0] * (len(names) - 1 - len(spec.small))
        self._weights = tuple(weights)
        self._weighted = tuple((i, w) for i, w in enumerate(weights) if w)

    # -- construction -------------------------------------------------------------------------
    def weight(self, monom) -> int:
        return sum(w * monom[i] for i, w in self._weighted)

    def truncate(self, p):
        n = self.spec.order
        return self.ring.from_dict({m: c for m, c in p.items() if self.weight(m) <= n})

    def mul(self, p, q):
        """p * q without forming the terms the truncation would drop (the hot loop)."""
        n, wt = self.spec.order, self.weight
        if len(p) > len(q):
            p, q = q, p
        qs = sorted(((wt(m), m, c) for m, c in q.items()), key=lambda x: x[0])
        out = {}
        get = out.get
        for m1, c1 in p.items():
            room = n - wt(m1)
            for w2, m2, c2 in qs:
                if w2 > room:
                    break
                m = tuple(a + b for a, b in zip(m1, m2))
                out[m] = get(m, 0) + c1 * c2
        return self.ring.from_dict({m: c for m, c in out.items() if c})

    def jet(self, name: str):
        """f(z0 + s) as a truncated series in s."""
        return self.truncate(sum((self.gen[f"{name}_{k}"] * self.s**k * QQ(1, factorial(k))
                                  for k in range(self.spec.order + 1)), self.ring.zero))

    def series(self, coeffs, x):
        """sum_k coeffs[k] x^k for a power series given by rational coefficients; x has weight >= 1."""
        out, power = self.ring.zero, self.ring.one
        for ck in coeffs:
            if ck:
                out += power * QQ(ck)
            power = self.mul(power, x)
            if not power:
                break
        return self.truncate(out)

    # -- operators ----------------------------------------------------------------------------
    def shift(self, p, h):
        """p(s + h): the shift operator E with step h, by Taylor's theorem in s."""
        fast = self._shift_by_generator(p, h)
        if fast is not None:
            return fast
        out, term, k = self.ring.zero, p, 0
        while term:
            out += term * QQ(1, factorial(k))
            k += 1
            term = self.mul(term.diff(self.s), h)
        return self.truncate(out)

    def _shift_by_generator(self, p, h):
        """h = +-g for a weight-1 generator g: expand (s + h)^k binomially.  s and g weigh the
        same, so no term changes weight and nothing needs truncating."""
        for index, g in enumerate(self.ring.gens):
            if self._weights[index] == 1 and index and h in (g, -g):
                break
        else:
            return None
        sign = 1 if h == g else -1
        out = {}
        for m, c in p.items():
            k = m[0]
            for j in range(k + 1):
                new = list(m)
                new[0] = k - j
                new[index] += j
                key = tuple(new)
                term = c * comb(k, j) * (sign if j % 2 else 1)
                out[key] = out.get(key, 0) + term
        return self.ring.from_dict({m: c for m, c in out.items() if c})

    def at_point(self, p):
        """Evaluate at s = 0 (the point z0 itself)."""
        return self.ring.from_dict({m: c for m, c in p.items() if m[0] == 0})

    # -- back to SymPy ------------------------------------------------------------------------
    def to_expr(self, p, symbols: dict[str, sp.Expr] | None = None) -> sp.Expr:
        """Translate to SymPy with f_n -> d^n f/dz^n and small parameters to the given symbols."""
        symbols = {**{str(x): x for x in (N.delta, N.epsilon, N.a, N.c, N.D)}, **(symbols or {})}
        mapping = {}
        for name, g in self.gen.items():
            if name == "s":
                mapping[name] = sp.Symbol("s")
                continue
            base, _, k = name.rpartition("_")
            if base in self.spec.fields or base in self.spec.coefficients:
                fn = sp.Function(base)(z, t) if base in self.spec.fields else coefficient(base)
                mapping[name] = fn if int(k) == 0 else sp.Derivative(fn, (z, int(k)))
            else:
                mapping[name] = symbols.get(name, sp.Symbol(name))
        gens = [mapping[str(g)] for g in self.ring.symbols]
        terms = []
        for monom, c in p.items():
            term = sp.Rational(int(c.numerator), int(c.denominator))
            for g, k in zip(gens, monom):
                if k:
                    term *= g**k
            terms.append(term)
        return sp.Add(*terms)
