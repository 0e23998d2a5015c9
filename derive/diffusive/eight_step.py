"""Equations (3), (12)-(14) from the model: eight normalised steps expanded under the diffusive
scaling with a general potential v(z), the PDE they give, and the remainder terms."""
from __future__ import annotations

import sympy as sp
from sympy import QQ

from entwined.derive import model
from entwined.derive.diffusive.pauli import step_growth
from entwined.derive.jets import JetAlgebra, JetSpec
from entwined.core import notation as N
from entwined.core.memo import memoised
from entwined.core.store import persistent

CONVENTIONS = ("target", "source")   # where alpha, beta of a step are evaluated
NORMALISED = {"phip1": "phi1", "phip2": "phi2", "phip3": "phi3", "phip4": "phi4"}


def model_scaling():
    """The diffusive scaling (3) read as a definition of D: epsilon = delta^2 / (2 D)."""
    return N.delta**2 / (2 * N.D)


@persistent
def eight_step_jets(env=model.LEFT, convention="target", order=5):
    """16 M^8 applied to jets of (phi_a, phi_b): {field: polynomial in delta, epsilon, jets}."""
    names = tuple(NORMALISED[c] for c in env.components)
    J = JetAlgebra(JetSpec(order=order, small=(("delta", 1), ("epsilon", 2)), fields=names,
                           coefficients=("v",)))
    d, e = J.gen["delta"], J.gen["epsilon"]
    coeffs = [QQ(int(c.p), int(c.q)) for c in model.alpha_taylor(order // 2 + 2)]
    alpha = J.series(coeffs, J.mul(J.jet("v"), e))
    weight = {N.alpha: alpha, N.beta: J.ring.one - alpha}
    index = {c: i for i, c in enumerate(env.components)}
    u = [J.jet(n) for n in names]
    for _ in range(8):
        new = [J.ring.zero, J.ring.zero]
        for target, source, offset, wt, sign in model.transition_table(env):
            src = u[index[source]]
            if convention == "target":
                term = J.mul(weight[wt], J.shift(src, offset * d))
            else:
                term = J.shift(J.mul(weight[wt], src), offset * d)
            new[index[target]] += term * sign
        u = new
    growth = (1 / step_growth(env))**8
    scale = QQ(int(sp.Rational(growth).p), int(sp.Rational(growth).q))
    return {n: J.to_expr(J.at_point(p) * scale) for n, p in zip(names, u)}, names


def expand_generator(env=model.LEFT, convention="target", order=5, scaling=None):
    """d/dt Phi = L Phi + remainder, from (Phi(t + 8 eps) - Phi) / (8 eps) with eps = scaling.
    Cached on the resolved arguments: a printed scaling equal to the model's (claim (3) as
    printed) reuses the derivation every other check shares."""
    return _expand_generator(env, convention, order,
                             sp.sympify(model_scaling() if scaling is None else scaling))


@persistent
def _expand_generator(env, convention, order, scaling):
    jets, names = eight_step_jets(env, convention, order)
    gen, rem = {}, {}
    for n in names:
        x = jets[n] - sp.Function(n)(N.z, N.t)
        x = sp.expand(x.xreplace({N.epsilon: scaling}) / (8 * scaling))
        gen[n] = sp.expand(x.coeff(N.delta, 0))
        rem[n] = {p: sp.expand(x.coeff(N.delta, p)) for p in range(1, order - 1)}
    return gen, rem


@persistent
def derivation(env=model.LEFT):
    """Both site conventions, the generator and the remainder terms; claim-independent, so it
    is computed once (and shared by every check, mutant and later run: `core.store`)."""
    conventions = CONVENTIONS if env == model.LEFT else CONVENTIONS[:1]
    return {conv: expand_generator(env, conv, order=6 if env == model.LEFT else 5)
            for conv in conventions}


def substitute_time_derivatives(expr, gen):
    """Replace d/dt of each field by the derived right-hand side (after expanding derivatives)."""
    expr = expr.doit()
    rules = {sp.Derivative(sp.Function(n)(N.z, N.t), N.t): g for n, g in gen.items()}
    return expr.xreplace(rules)


def printed_generator(claim):
    """{field: d/dt field} solved from printed PDEs.  The lattice densities phi are real, so a
    complex equation in them gives two real ones; psi and chi are complex and are not split.
    Solved once per printed system (a fresh dict each call)."""
    solved = _printed_generator(tuple(claim.parsed))
    return dict(solved) if solved is not None else None


@memoised
def _printed_generator(parsed):
    eqs, unknowns = [], set()
    for lhs, rhs in parsed:
        e = sp.expand((lhs - rhs).doit())
        names = {f.func.__name__ for f in e.atoms(sp.core.function.AppliedUndef)} - {"v"}
        real = all(n.startswith("phi") for n in names)
        im = e.coeff(sp.I) if real else sp.S.Zero
        for part in (sp.expand(e - sp.I * im), im):
            if part != 0:
                eqs.append(part)
        unknowns |= {d for d in e.atoms(sp.Derivative) if dict(d.variable_count).get(N.t)}
    names = sorted(d.expr.func.__name__ for d in unknowns)
    sol = sp.solve(eqs, sorted(unknowns, key=str), dict=True)
    if len(sol) != 1 or len(sol[0]) != len(unknowns):
        return None
    return {d.expr.func.__name__: sp.expand(v) for d, v in sol[0].items()} if names else None


