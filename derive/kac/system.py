"""The Kac section from the model: the first-order system the lattice (16) gives, the psi system
through (21), the constant-data solution, the second-order equation (24)-(25) with
a = m c^2/hbar, and the reduction of a printed equation on the solutions of a derived system."""
from __future__ import annotations

from entwined.core.store import persistent

import sympy as sp

from entwined.derive import model
from entwined.core import notation as N

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
    """Transform d/dt phi' = system into d/dt psi_pm with psi given by printed (21).  Cached on
    the (hashable) contents: the same system and (21) give the same result for every check
    and every mutant that leaves them alone."""
    return dict(_psi_system(tuple(system.items()), tuple(psi_defs.items())))


@persistent
def _psi_system(system_items, defs_items):
    system, psi_defs = dict(system_items), dict(defs_items)
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
    return tuple(out.items())


@persistent
def constant_data_limit():
    """Exact lattice solution for constant data, phi'(0) = (A, 0), and its limit eps -> 0
    (claim-independent: derived once and kept, `core.store`)."""
    T = (1 - N.a * N.epsilon) * sp.eye(2) + N.a * N.epsilon * N.syt
    r = sp.sqrt((1 - N.a * N.epsilon)**2 + (N.a * N.epsilon)**2)
    theta = sp.atan(N.a * N.epsilon / (1 - N.a * N.epsilon))
    decay = sp.limit(sp.log(r) / N.epsilon, N.epsilon, 0)
    freq = sp.limit(theta / N.epsilon, N.epsilon, 0)
    limit = N.A * sp.exp(decay * N.t) * sp.Matrix([sp.cos(freq * N.t), sp.sin(freq * N.t)])
    return sp.ImmutableMatrix(T), r, theta, sp.ImmutableMatrix(limit)   # shared: never mutated


COMPTON = {N.a: N.m * N.c**2 / N.hbar}


def generator_matrices(pairs):
    """d/dt phi = A d/dz phi + B phi, read off a printed first-order system."""
    f = [F("phip1"), F("phip2")]
    A, B = sp.zeros(2, 2), sp.zeros(2, 2)
    for i, (_, rhs) in enumerate(pairs):
        rhs = sp.expand(rhs)
        for j in range(2):
            A[i, j] = rhs.coeff(sp.Derivative(f[j], N.z))
            B[i, j] = rhs.subs(sp.Derivative(f[j], N.z), 0).coeff(f[j])
    return A, B


psi = F("psi_m")


def derived_25():
    """(24) from the normalised lattice with a = m c^2/hbar, solved for d/dt psi_-, as an equation."""
    return sp.Eq(sp.I * sp.Derivative(psi, N.t),
                 N.hbar / (2 * N.m) * (sp.Derivative(psi, N.z, 2) - sp.Derivative(psi, N.t, 2) / N.c**2))


@persistent
def klein_gordon_substitution():
    """(25) with psi_- = exp(i w t) chi: the transformed equation, the w that cancel its
    first-order time derivative, the Klein-Gordon operator, and for each such w the residual
    of 2m/hbar times the transformed equation against it.  Claim-independent (the printed
    exponent is compared with these by the check), so computed once per process."""
    chi = F("chi")
    w = sp.Symbol("w", real=True)
    eq = derived_25()
    phase = sp.exp(sp.I * w * N.t)
    transformed = sp.expand(sp.simplify(((eq.lhs - eq.rhs).subs(psi, phase * chi).doit()) / phase))
    good = tuple(sp.solve(transformed.coeff(sp.Derivative(chi, N.t)), w))
    target = (sp.Derivative(chi, N.t, 2) / N.c**2 - sp.Derivative(chi, N.z, 2)
              + (N.m * N.c / N.hbar)**2 * chi)
    residuals = tuple(sp.simplify(sp.expand(sp.simplify(transformed.subs(w, om) * (2 * N.m / N.hbar)))
                                  - target) for om in good)
    return w, transformed, good, target, residuals

