"""Checks of the prose claims after (14): conjugate envelopes, the conserved product, and the
sign of v."""
from __future__ import annotations

import sympy as sp
from sympy.calculus.euler import euler_equations

from entwined.derive.calculus import latex
from entwined.derive.diffusive.prose import complex_residuals, hamiltonian
from entwined.core import notation as N
from entwined.checks.registry import checks
from entwined.core.verdicts import Step, from_residual
from entwined.numerics.convergence import invariants

f = sp.Function("f")(N.z)


@checks("14.conjugates")
def check_conjugates(claim, ctx):
    H, res_l, res_r = complex_residuals()
    ok = res_l == 0 and res_r == 0
    return from_residual(ok, holds="psi_L = phi2 + i phi1 obeys i dt psi = H psi and psi_R = phi4 + "
                         "i phi3 obeys i dt psi = -H psi with H real, so conj(psi_L) solves psi_R's "
                         "equation: conjugate data stay conjugate",
                         fails="the two derived complex equations are not conjugates",
                         evidence={"H_f": H(f), "residual_left": res_l,
                                   "residual_right": res_r},
                         steps=[Step("H read off the derived generator", f"H f = {latex(H(f))}"),
                                Step("right envelope in complex form",
                                     r"i\partial_t(\phi_4 + i\phi_3) = -H(\phi_4 + i\phi_3)")])


@checks("14.product-conserved")
def check_product(claim, ctx):
    H, res_l, res_r = complex_residuals()
    u, w = sp.Function("u")(N.z), sp.Function("w")(N.z)
    density_rate = sp.expand(u * (sp.I * H(w)) + (-sp.I * H(u)) * w)
    eqs = euler_equations(density_rate, [u, w], N.z)
    euler = [sp.expand(e.lhs - e.rhs) if isinstance(e, sp.Eq) else sp.S.Zero for e in eqs]
    ok = res_l == 0 and res_r == 0 and all(e == 0 for e in euler)
    lattice = None
    if ctx.numerics:
        lattice = invariants(quick=ctx.quick)
        ok = ok and lattice["v = 0"]["conserved_to_rounding"] and lattice["with potential"]["passes"]
    return from_residual(ok, holds="d/dt (psi_L psi_R) is a total z-derivative (its Euler operator "
                         "vanishes), so the integral is constant; with conjugate data the product "
                         "is |psi_L|^2 >= 0",
                         fails="d/dt of the product is not a total derivative",
                         evidence={"rate_of_density": density_rate,
                                   "euler_operator": list(euler),
                                   **({"lattice_norm": lattice} if lattice else {})},
                         steps=[Step("rate of change of the product density",
                                     r"\partial_t(\psi_L\psi_R) = " + latex(density_rate.subs(
                                         {u: sp.Symbol(r"\psi_L"), w: sp.Symbol(r"\psi_R")})))])


@checks("14.potential-sign")
def check_potential_sign(claim, ctx):
    """Heisenberg acceleration of z for the derived H: z'' = -[H, [H, z]]."""
    H, _ = hamiltonian()

    def C1(g):
        return sp.expand(H(N.z * g) - N.z * H(g))
    acc = sp.simplify(-(H(C1(f)) - C1(H(f))) / f)
    vprime = sp.Derivative(N.v(N.z), N.z)
    kappa = sp.simplify(-acc / vprime)
    ok = (not kappa.has(N.z)) and bool(kappa.is_positive)
    return from_residual(ok, holds=f"acceleration z'' = {acc}: pushed down the gradient of v, away "
                         "from maxima and towards minima",
                         fails=f"acceleration z'' = {acc} does not push away from maxima of v",
                         evidence={"acceleration": acc, "kappa": kappa},
                         steps=[Step("Heisenberg acceleration for the derived H",
                                     r"\ddot z = -[H,[H,z]] = " + latex(acc))])
