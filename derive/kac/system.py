"""Shared Kac-section machinery: the first-order system from the lattice, and the reduction of a
printed equation on the solutions of a derived system."""
from __future__ import annotations

import sympy as sp

from derive import model
from entwined import notation as N

KAC = {N.alpha: N.a * N.epsilon, N.beta: 1 - N.a * N.epsilon}


def F(name):
    return sp.Function(name)(N.z, N.t)


def lattice_system():
    """d/dt phi'_i from (16) with delta = c epsilon: the order-epsilon terms of the recurrence."""
    rec = model.recurrences(model.LEFT, alpha=KAC[N.alpha], beta=KAC[N.beta])
    out = {}
    for name, rhs in rec.items():
        expanded = 0
        for term in sp.Add.make_args(sp.expand(rhs)):
            fld = [x for x in term.atoms(sp.core.function.AppliedUndef)][0]
            shift = fld.args[0] - N.z
            coeff = term / fld
            jet = fld.func(N.z, N.t) + shift * sp.Derivative(fld.func(N.z, N.t), N.z)
            expanded += coeff * jet
        expanded = sp.expand(expanded.xreplace({N.delta: N.c * N.epsilon}))
        # (phi(t + eps) - phi(t)) / eps = d/dt phi + O(eps)
        out[name] = sp.expand((expanded - F(name)) / N.epsilon).subs(N.epsilon, 0)
    return out


def rescaled(system, rate):
    """The system obeyed by exp(rate t) phi when phi obeys `system` (names unchanged)."""
    return {n: sp.expand(rhs + rate * F(n)) for n, rhs in system.items()}


def reduce_on_solutions(expr, system):
    """Eliminate every t-derivative of a field using the system (d_z^k d_t f = d_z^k rhs_f)."""
    expr = expr.doit()
    for _ in range(6):
        derivs = [d for d in expr.atoms(sp.Derivative)
                  if d.expr.func.__name__ in system and any(v == N.t for v, _ in d.variable_count)]
        if not derivs:
            return sp.expand(expr)
        rules = {}
        for d in derivs:
            counts = dict(d.variable_count)
            nt, nz = counts.get(N.t, 0), counts.get(N.z, 0)
            inner = system[d.expr.func.__name__]
            if nt > 1:
                inner = sp.Derivative(inner, (N.t, nt - 1))
            if nz:
                inner = sp.Derivative(inner, (N.z, nz))
            rules[d] = inner
        expr = expr.xreplace(rules).doit()
    raise ValueError("time derivatives could not be eliminated")


def psi_system(system, psi_defs):
    """Transform d/dt phi' = system into d/dt psi_pm with psi given by printed (21)."""
    p, m = sp.Function("psi_p")(N.z, N.t), sp.Function("psi_m")(N.z, N.t)
    f1, f2 = F("phip1"), F("phip2")
    sol = sp.solve([sp.Eq(p, psi_defs["psi_p"]), sp.Eq(m, psi_defs["psi_m"])], [f1, f2], dict=True)
    if len(sol) != 1:
        raise ValueError("(21) is not an invertible change of variables")
    back = sol[0]
    out = {}
    for name, rhs in psi_defs.items():
        dt = reduce_on_solutions(sp.Derivative(rhs, N.t), system)
        dt = dt.subs(back).doit()
        out[name] = sp.expand(sp.simplify(dt))
    return out
