"""Consistency studies: the exact lattice map against a continuum formula over a refinement
sequence, with the observed order next to the order the symbolic remainder predicts."""
from __future__ import annotations

import functools
import math

import numpy as np
import sympy as sp

from entwined.core import notation as N
from entwined.core import rules as model
from entwined.numerics import kernels, lattice, testdata
from entwined.numerics.engines import Lattice, step_normaliser
from entwined.numerics import reference
from entwined.numerics.engines import fourier_propagate
from entwined.numerics.usage import counted
from entwined.numerics.kernels import lambdify


@functools.lru_cache(maxsize=None)
def fields_np() -> tuple:
    """The test fields as NumPy callables, lambdified once per process (every study uses them;
    a lambdify costs tens of milliseconds of code printing)."""
    return tuple(lambdify(N.z, f, "numpy") for f in testdata.FIELDS)


@functools.lru_cache(maxsize=None)
def _alpha_np(eps: float):
    """alpha(z) of the test potential at one epsilon (the same few epsilons recur across the
    studies and claims, so each is lambdified once)."""
    return lambdify(N.z, model.reversal_probability(testdata.POTENTIAL, sp.Float(eps)))


def observed_orders(hs, errors):
    return [math.log(errors[i] / errors[i + 1]) / math.log(hs[i] / hs[i + 1])
            if errors[i] > 0 and errors[i + 1] > 0 else None for i in range(len(hs) - 1)]


def fitted_slope(hs, errors) -> float | None:
    """Least-squares slope of log(error) against log(h) over the finest half of the sequence."""
    pts = [(math.log(h), math.log(e)) for h, e in zip(hs, errors) if e > 0]
    pts = pts[len(pts) // 2 - 1:] if len(pts) > 3 else pts
    if len(pts) < 2:
        return None
    mx = sum(x for x, _ in pts) / len(pts)
    my = sum(y for _, y in pts) / len(pts)
    sxx = sum((x - mx)**2 for x, _ in pts)
    return sum((x - mx) * (y - my) for x, y in pts) / sxx if sxx else None


def study(hs, errors, predicted: float, tolerance: float = 0.3) -> dict:
    orders = observed_orders(hs, errors)
    last = orders[-1]
    return {"h": list(hs), "error": [float(e) for e in errors], "observed_order": orders,
            "fitted_slope": fitted_slope(hs, errors), "predicted_order": predicted,
            "passes": last is not None and last >= predicted - tolerance}


@counted
def one_step_expansion(matrix_rhs, predicted_order: float, env=model.LEFT, quick=False) -> dict:
    """Max error of a one-step operator expansion against the exact one-step map, delta -> 0."""
    D = float(testdata.D_VALUE)
    kern = kernels.operator_kernel(matrix_rhs, testdata.FIELDS, testdata.POTENTIAL)
    f_np = fields_np()
    zz = np.linspace(*testdata.GRID)
    deltas = testdata.DELTAS[:4] if quick else testdata.DELTAS
    errors = []
    for h in deltas:
        eps = h * h / (2 * D)
        a_fn, b_fn = lattice.probabilities(testdata.POTENTIAL, sp.Float(eps))
        exact = lattice.one_step_on_functions(env, f_np, a_fn, b_fn, zz, h)
        errors.append(np.max(np.abs(kern(zz, h, eps) - exact)))
    out = study(deltas, errors, predicted_order)
    out["what"] = "max |expansion - exact one-step map| on smooth data, epsilon = delta^2/(2D)"
    return out


@counted
def eight_step_generator(generator: dict, env, predicted_order: float, quick=False) -> dict:
    """(Phi(t + 8 eps) - Phi(t)) / (8 eps) from the normalised lattice against the PDE's rhs."""
    D = float(testdata.D_VALUE)
    names = list(generator)
    fields = dict(zip(names, testdata.FIELDS))
    kern = kernels.generator_kernel({k: g.xreplace({N.D: testdata.D_VALUE})
                                     for k, g in generator.items()}, fields, testdata.POTENTIAL)
    f_np = fields_np()
    growth = step_normaliser(env)**8        # the normalisation (sqrt 2)^(t/eps), 8 steps
    deltas = testdata.DELTAS[:4] if quick else testdata.DELTAS
    errors = []
    for h in deltas:
        eps = h * h / (2 * D)
        zz = np.arange(-4.0 - 8 * h, 4.0 + 8 * h + h / 2, h)
        alpha = _alpha_np(eps)
        a = np.broadcast_to(alpha(zz), zz.shape).astype(float)
        u0 = np.array([f(zz) for f in f_np])
        # absorbing ends reach 8 sites in; those sites are dropped below
        u8 = Lattice(a, env, periodic=False).run(u0, 8)[:, 8:-8] * growth
        inner = zz[8:-8]
        quotient = (u8 - u0[:, 8:-8]) / (8 * eps)
        errors.append(np.max(np.abs(quotient - kern(inner))))
    out = study(deltas, errors, predicted_order)
    out["what"] = ("max |(Phi(t+8eps) - Phi(t))/(8eps) - rhs of the PDE| for the normalised "
                   "lattice, epsilon = delta^2/(2D)")
    return out


@counted
def kac_one_step(generator: dict, a: float = 1.0, c: float = 1.0, quick=False) -> dict:
    """(phi'(t + eps) - phi'(t)) / eps from one exact step of (16), delta = c eps, against the
    right-hand side of a first-order system (derived or printed)."""
    names = list(generator)
    fields = dict(zip(names, testdata.FIELDS))
    params = {N.a: sp.Float(a), N.c: sp.Float(c)}
    kern = kernels.generator_kernel({k: g.xreplace(params) for k, g in generator.items()},
                                    fields, testdata.POTENTIAL)
    f_np = fields_np()
    zz = np.linspace(*testdata.GRID)
    eps_list = testdata.DELTAS[:4] if quick else testdata.DELTAS
    errors = []
    for eps in eps_list:
        alpha = a * eps
        a_fn = lambda x, al=alpha: np.full(np.shape(x), al)
        b_fn = lambda x, al=alpha: np.full(np.shape(x), 1 - al)
        new = lattice.one_step_on_functions(model.LEFT, f_np, a_fn, b_fn, zz, c * eps)
        old = np.array([f(zz) for f in f_np])
        errors.append(np.max(np.abs((new - old) / eps - kern(zz))))
    out = study(eps_list, errors, predicted=1.0)
    out["what"] = "max |one exact step of (16) as a difference quotient - rhs of (18)|, a = c = 1"
    return out


@counted
def kac_psi_one_step(generator: dict, psi_defs: dict, normalise: bool, a=1.0, c=1.0, quick=False):
    """One exact step of (16) from smooth phi' data, mapped to psi_pm by (21) (with exp(a t) phi'
    when `normalise`), as a difference quotient against a psi-system right-hand side."""
    f_np = fields_np()
    zz = np.linspace(*testdata.GRID)
    p1, p2 = sp.Function("phip1")(N.z, N.t), sp.Function("phip2")(N.z, N.t)
    to_psi = {name: lambdify((sp.Symbol("u1"), sp.Symbol("u2"), N.t),
                                expr.xreplace({p1: sp.Symbol("u1"), p2: sp.Symbol("u2"), N.a: a}),
                                "numpy") for name, expr in psi_defs.items()}
    old = np.array([f(zz) for f in f_np])
    psi_fields = {name: expr.subs({p1: testdata.FIELDS[0], p2: testdata.FIELDS[1]}).xreplace(
        {N.t: 0, N.a: a}) for name, expr in psi_defs.items()}
    kern = kernels.generator_kernel({k: g.xreplace({N.a: a, N.c: c}) for k, g in generator.items()},
                                    psi_fields, testdata.POTENTIAL)
    rhs = kern(zz)          # the psi fields at t = 0; only the components in `generator` are compared
    eps_list = testdata.DELTAS[:4] if quick else testdata.DELTAS
    errors = []
    for eps in eps_list:
        al = a * eps
        new = lattice.one_step_on_functions(model.LEFT, f_np, lambda x: np.full(np.shape(x), al),
                                            lambda x: np.full(np.shape(x), 1 - al), zz, c * eps)
        if normalise:
            new = new * np.exp(a * eps)
        err = 0.0
        for i, name in enumerate(generator):
            quotient = (to_psi[name](new[0], new[1], eps) - to_psi[name](old[0], old[1], 0.0)) / eps
            err = max(err, float(np.max(np.abs(quotient - rhs[i]))))
        errors.append(err)
    out = study(eps_list, errors, predicted=1.0)
    out["what"] = ("max |psi(t + eps) - psi(t)|/eps from one exact step of (16) - the psi-system "
                   "rhs" + (", psi built from exp(a t) phi'" if normalise else ""))
    return out


@counted
def kac_second_order(pair, psi_defs: dict, quick=False) -> dict:
    """A printed second-order equation for psi_- (hbar = m = c = 1, a = m c^2/hbar = 1) evaluated
    on the exact Kac lattice: psi_- from exp(a t) phi' through (21), t-derivatives by central
    differences over single lattice steps, z-derivatives spectrally.  The residual must vanish
    as epsilon -> 0 (first order)."""
    lhs, rhs = pair
    psi = sp.Function("psi_m")(N.z, N.t)
    p, pt, ptt, pzz = sp.symbols("p pt ptt pzz")
    resid = (lhs - rhs).xreplace({N.hbar: 1, N.m: 1, N.c: 1, N.a: 1})
    resid = resid.subs({sp.Derivative(psi, (N.t, 2)): ptt, sp.Derivative(psi, (N.z, 2)): pzz})
    resid = resid.subs({sp.Derivative(psi, N.t): pt}).subs({psi: p})
    if resid.free_symbols - {p, pt, ptt, pzz}:
        return {"passes": False, "h": [], "error": [], "observed_order": [None],
                "what": f"printed form has terms this check cannot evaluate: {resid}"}
    fn = lambdify((p, pt, ptt, pzz), resid, "numpy")
    p1, p2 = sp.Function("phip1")(N.z, N.t), sp.Function("phip2")(N.z, N.t)
    to_psi = lambdify((sp.Symbol("u1"), sp.Symbol("u2"), N.t), psi_defs["psi_m"].xreplace(
        {p1: sp.Symbol("u1"), p2: sp.Symbol("u2"), N.a: 1}), "numpy")
    length, t0 = 16.0, 0.5
    eps_list = (1 / 64, 1 / 128, 1 / 256) if quick else (1 / 64, 1 / 128, 1 / 256, 1 / 512)
    errors = []
    for eps in eps_list:
        n = int(round(length / eps))                       # delta = c eps = eps
        z = -length / 2 + length * np.arange(n) / n
        u0 = np.array([np.exp(-z**2), 0.5 * np.exp(-(z - 1)**2)])
        steps = int(round(t0 / eps))
        vals = []
        for k in (steps - 1, steps, steps + 1):
            u = fourier_propagate(u0, eps, eps, k) * np.exp(k * eps)        # exp(a t) phi'
            vals.append(to_psi(u[0], u[1], k * eps))
        kz = reference.wavenumbers(n, length)
        psi0 = vals[1]
        r = fn(psi0, (vals[2] - vals[0]) / (2 * eps), (vals[2] - 2 * vals[1] + vals[0]) / eps**2,
               np.fft.ifft(-(kz**2) * np.fft.fft(psi0)))
        errors.append(float(np.max(np.abs(r)) / np.max(np.abs(psi0))))
    out = study(eps_list, errors, predicted=1.0)
    out["what"] = ("max |residual of the printed equation| / max |psi_-| on the exact Kac lattice "
                   "(psi_- from exp(a t) phi'), hbar = m = c = a = 1")
    return out
