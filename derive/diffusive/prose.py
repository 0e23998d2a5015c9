"""The Hamiltonian the derived generator defines, and the complex forms of both envelopes: what
the prose claims after (14) (conjugate envelopes, conserved product, sign of v) are about."""
from __future__ import annotations

import sympy as sp

from entwined.core.store import persistent
from entwined.derive import model
from entwined.derive.diffusive.eight_step import derivation
from entwined.core import notation as N

f = sp.Function("f")(N.z)


def hamiltonian(env=model.LEFT):
    """H with d/dt phi_a = -H phi_b (left envelope, as in (13)), read off the derived generator."""
    per = derivation(env)
    gen, _ = per["target"]
    first, second = gen
    other = sp.Function(second)(N.z, N.t)

    def H(g):
        return sp.expand((-gen[first]).subs(other, g).doit())
    return H, gen


def complex_residuals():
    """H and the residuals of i dt psi_L = H psi_L and i dt psi_R = -H psi_R (zero if they hold)."""
    H, gen_l = hamiltonian(model.LEFT)
    _, gen_r = hamiltonian(model.RIGHT)
    p1, p2, p3, p4 = (sp.Function(n)(N.z, N.t) for n in ("phi1", "phi2", "phi3", "phi4"))
    psi_l, psi_r = p2 + sp.I * p1, p4 + sp.I * p3
    dt_l = gen_l["phi2"] + sp.I * gen_l["phi1"]
    dt_r = gen_r["phi4"] + sp.I * gen_r["phi3"]
    res_l = sp.expand(sp.I * dt_l - H(psi_l))          # i d/dt psi_L = + H psi_L
    res_r = sp.expand(sp.I * dt_r + H(psi_r))          # i d/dt psi_R = - H psi_R
    return H, res_l, res_r


@persistent
def heisenberg_acceleration():
    """z'' = -[H, [H, z]] for the derived H, as a multiplier of f (acc) and as -kappa v'(z)
    (kappa): what the prose on the sign of v is checked against."""
    H, _ = hamiltonian()

    def C1(g):
        return sp.expand(H(N.z * g) - N.z * H(g))
    acc = sp.simplify(-(H(C1(f)) - C1(H(f))) / f)
    kappa = sp.simplify(-acc / sp.Derivative(N.v(N.z), N.z))
    return acc, kappa
