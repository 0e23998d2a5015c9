"""Numeric kernels generated with lambdify from derived or printed operator formulas.

Each kernel is memoised by the (structurally compared) formulas it is built from: building one
costs SymPy expansion, differentiation and code printing, and the same formula comes back for
several claims, the quick and full studies, and every mutant that leaves it alone."""
from __future__ import annotations

import numpy as np
import sympy as sp

from entwined.core import notation as N
from entwined.core.memo import memoised


def lambdify(args, expr, modules=None, **options):
    """sympy.lambdify without the docstring: printing the whole expression into the generated
    function's docstring was half the cost of building a kernel, and nobody reads it."""
    return sp.lambdify(args, expr, modules=modules, docstring_limit=0, **options)


def act(op_entry, g, potential):
    """Apply one operator entry (coefficients left of Ep/Em/Dz) to a concrete function g(z)."""
    out = []
    for term in sp.Add.make_args(sp.expand(op_entry)):
        powers = term.as_powers_dict()
        p, q, n = (int(powers.get(s, 0)) for s in (N.Ep, N.Em, N.Dz))
        coeff = term.xreplace({N.Ep: 1, N.Em: 1, N.Dz: 1})
        shifted = sp.diff(g, N.z, n).xreplace({N.z: N.z + (p - q) * N.delta}) if n else \
            g.xreplace({N.z: N.z + (p - q) * N.delta})
        out.append(coeff * shifted)
    return sp.Add(*out).replace(N.v, sp.Lambda(N.z, potential))


@memoised
def operator_kernel(matrix, fields, potential, params=()):
    """numpy function (z, delta, epsilon, *params) -> array of the components of matrix @ fields."""
    comps = []
    for i in range(matrix.shape[0]):
        comps.append(sp.Add(*[act(matrix[i, j], fields[j], potential)
                              for j in range(matrix.shape[1])]))
    fn = lambdify((N.z, N.delta, N.epsilon, *params), comps, modules="numpy", cse=True)
    return lambda *args: np.array([np.broadcast_to(c, np.shape(args[0])) for c in fn(*args)])


@memoised
def generator_kernel(generator: dict, fields: dict, potential, params=(), modules="numpy"):
    """z -> d/dt of each field, from a {field: rhs} in terms of z-derivatives; modules="mpmath"
    gives a high-precision kernel (evaluate it under mpmath.workdps)."""
    subs_fields = {sp.Function(name)(N.z, N.t): expr for name, expr in fields.items()}
    comps = []
    for name in generator:
        e = generator[name].replace(N.v, sp.Lambda(N.z, potential))
        e = e.subs(subs_fields).doit()
        comps.append(e)
    fn = lambdify((N.z, *params), comps, modules=modules, cse=True)
    return lambda *args: np.array([np.broadcast_to(c, np.shape(args[0])) for c in fn(*args)])
