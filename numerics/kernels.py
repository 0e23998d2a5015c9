"""Numeric kernels generated with lambdify from derived or printed operator formulas.

Each kernel is memoised by the (structurally compared) formulas it is built from: building one
costs SymPy expansion, differentiation and code printing, and the same formula comes back for
several claims, the quick and full studies, and every mutant that leaves it alone."""
from __future__ import annotations

import functools

import numpy as np
import sympy as sp

from entwined.core import notation as N


def _hashable(obj):
    """A hashable stand-in of a kernel's inputs: matrices immutable, dicts as item tuples."""
    if isinstance(obj, sp.MatrixBase):
        return sp.ImmutableMatrix(obj)
    if isinstance(obj, dict):
        return ("dict", tuple((k, _hashable(v)) for k, v in obj.items()))
    if isinstance(obj, (list, tuple)):
        return (type(obj).__name__, tuple(_hashable(v) for v in obj))
    return obj


def _memoised(build, maxsize: int = 512):
    """Cache build(*args, **kwargs) by _hashable of the arguments (oldest out past maxsize)."""
    cache: dict = {}

    @functools.wraps(build)
    def wrapper(*args, **kwargs):
        key = (tuple(_hashable(a) for a in args),
               tuple(sorted((k, _hashable(v)) for k, v in kwargs.items())))
        try:
            kernel = cache.get(key)
        except TypeError:               # an input that cannot be hashed: build it afresh
            return build(*args, **kwargs)
        if kernel is None:
            kernel = cache[key] = build(*args, **kwargs)
            wrapper.misses += 1
            if len(cache) > maxsize:
                del cache[next(iter(cache))]
        else:
            wrapper.hits += 1
        return kernel
    wrapper.hits = wrapper.misses = 0
    return wrapper


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


@_memoised
def operator_kernel(matrix, fields, potential, params=()):
    """numpy function (z, delta, epsilon, *params) -> array of the components of matrix @ fields."""
    comps = []
    for i in range(matrix.shape[0]):
        comps.append(sp.Add(*[act(matrix[i, j], fields[j], potential)
                              for j in range(matrix.shape[1])]))
    fn = sp.lambdify((N.z, N.delta, N.epsilon, *params), comps, modules="numpy", cse=True)
    return lambda *args: np.array([np.broadcast_to(c, np.shape(args[0])) for c in fn(*args)])


@_memoised
def generator_kernel(generator: dict, fields: dict, potential, params=(), modules="numpy"):
    """z -> d/dt of each field, from a {field: rhs} in terms of z-derivatives; modules="mpmath"
    gives a high-precision kernel (evaluate it under mpmath.workdps)."""
    subs_fields = {sp.Function(name)(N.z, N.t): expr for name, expr in fields.items()}
    comps = []
    for name in generator:
        e = generator[name].replace(N.v, sp.Lambda(N.z, potential))
        e = e.subs(subs_fields).doit()
        comps.append(e)
    fn = sp.lambdify((N.z, *params), comps, modules=modules, cse=True)
    return lambda *args: np.array([np.broadcast_to(c, np.shape(args[0])) for c in fn(*args)])
