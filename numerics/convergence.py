"""Convergence studies: the lattice iterated to a fixed time T against continuum references.

Diffusive section: periodic domain z in [-8, 8), D = 1/2, T = 1, delta = 2^-k (so T is a whole
number of eight-step blocks), data phi_2 + i phi_1 = Gaussian packet; free case and a smooth
potential.  Kac section: c = a = 1, T = 1, lattice (16) against the damped system the lattice
derives and against the printed (18).
"""
from __future__ import annotations

import copy
import functools

import numpy as np
import sympy as sp

from entwined.core import notation as N
from entwined.core import rules as model
from entwined.numerics import reference
from entwined.numerics.consistency import study
from entwined.numerics.engines import Lattice, fourier_propagate, step_normaliser
from entwined.numerics.usage import counted
from entwined.numerics.kernels import lambdify


@functools.lru_cache(maxsize=None)
def normaliser() -> float:
    """Per-step factor of the normalised lattice (sqrt 2), from the rules' leading step.
    Cached: it depends on the rules only, and the invariants study asks for it per block."""
    return step_normaliser(model.LEFT)


LENGTH, D, T = 16.0, 0.5, 1.0
K0 = 2.0


def packet(z):
    return np.exp(-z**2) * np.exp(1j * K0 * z)


def potential(z):
    return 2.0 * np.cos(2 * np.pi * z / LENGTH) + 0.5 * np.sin(4 * np.pi * z / LENGTH)


def grid(n):
    return -LENGTH / 2 + LENGTH * np.arange(n) / n


def lattice_solution(n: int, with_potential: bool) -> np.ndarray:
    delta = LENGTH / n
    eps = delta**2 / (2 * D)
    steps = int(round(T / eps))
    z = grid(n)
    psi0 = packet(z)
    u0 = np.array([psi0.imag, psi0.real])               # (phi_1, phi_2), psi = phi_2 + i phi_1
    if not with_potential:
        return fourier_propagate(u0, 0.5, delta, steps, scale=normaliser())
    alpha = lambdify(sp.Symbol("x"), model.reversal_probability(sp.Symbol("x"), 1), "numpy")
    return Lattice(alpha(potential(z) * eps)).run(u0, steps, scale=normaliser())


@functools.lru_cache(maxsize=None)
def continuum_reference(with_potential: bool, n_ref: int = 256) -> tuple[np.ndarray, float]:
    """psi(T) of (14) on n_ref points and its estimated error (read-only; computed once per
    process: it depends on no claim).  Free case: exact per Fourier mode.  With the potential:
    fourth-order split steps of SPLIT_DT; the error estimate is the difference from a run on
    twice the points with half the step, which bounds the spatial and the time error together."""
    if with_potential:
        m = reference.split_steps(T)
        ref = reference.schroedinger_split(packet(grid(n_ref)), LENGTH, D, potential, T, m)
        ref2 = reference.schroedinger_split(packet(grid(2 * n_ref)), LENGTH, D, potential, T,
                                            2 * m)
    else:
        ref = reference.schroedinger_free(packet(grid(n_ref)), LENGTH, D, T)
        ref2 = reference.schroedinger_free(packet(grid(2 * n_ref)), LENGTH, D, T)
    ref.setflags(write=False)
    return ref, float(np.max(np.abs(ref2[::2] - ref)))


@counted
def schroedinger_study(with_potential: bool, quick=False) -> dict:
    """The lattice at T = 1 on a refinement sequence against the continuum (14): a copy of the
    once-per-process result (it depends on no claim, and mutants would otherwise repeat it)."""
    return copy.deepcopy(_schroedinger_study(with_potential, quick))


@functools.lru_cache(maxsize=None)
def _schroedinger_study(with_potential: bool, quick: bool) -> dict:
    sizes = (128, 256, 512) if quick else (128, 256, 512, 1024, 2048)
    ref, ref_err = continuum_reference(with_potential)
    errors, profile = [], None
    for n in sizes:
        u = lattice_solution(n, with_potential)
        cont = reference.interpolate(ref, n)
        err = np.max(np.abs((u[1] + 1j * u[0]) - cont))
        errors.append(float(err))
        if n == 256:
            z = grid(n)
            keep = slice(0, n, 4)
            profile = {"z": z[keep].tolist(), "lattice_re": u[1][keep].tolist(),
                       "continuum_re": cont.real[keep].tolist()}
    hs = [LENGTH / n for n in sizes]
    out = study(hs, errors, predicted=1.0)
    out.update({"what": ("max |lattice psi - continuum psi| at T = 1, psi = phi_2 + i phi_1, "
                         + ("v(z) = 2 cos(pi z/8) + sin(pi z/4)/2" if with_potential else "v = 0")),
                "reference_error": ref_err, "profile": profile})
    out["passes"] = out["passes"] and ref_err < 0.01 * min(errors)
    return out


@counted
def kac_study(printed=None, quick=False) -> dict:
    """printed: (A, B) SymPy matrices of d/dt phi = A d/dz phi + B phi read off the printed (18)."""
    a, c = 1.0, 1.0
    if printed is not None:
        A = np.array(printed[0].xreplace({N.a: a, N.c: c}).tolist(), dtype=complex)
        B = np.array(printed[1].xreplace({N.a: a, N.c: c}).tolist(), dtype=complex)
    else:
        A, B = np.diag([c, -c]).astype(complex), np.array([[0, -a], [a, 0]], dtype=complex)
    sizes = (256, 512, 1024) if quick else (256, 512, 1024, 2048, 4096)
    errs_derived, errs_printed = [], []
    for n in sizes:
        delta = LENGTH / n
        eps = delta / c
        steps = int(round(T / eps))
        z = grid(n)
        u0 = np.array([np.exp(-z**2), 0.5 * np.exp(-(z - 1)**2)])
        lat = fourier_propagate(u0, a * eps, delta, steps)
        derived = reference.kac_exact(u0, LENGTH, a, c, T, damping=a)
        printed = reference.linear_exact(u0, LENGTH, A, B, T)
        errs_derived.append(float(np.max(np.abs(lat - derived))))
        errs_printed.append(float(np.max(np.abs(lat - printed))))
    hs = [LENGTH / n for n in sizes]
    out = study(hs, errs_printed, predicted=1.0)
    out["what"] = "max |Kac lattice (16) - printed (18)| at T = 1 (a = c = 1)"
    out["derived"] = study(hs, errs_derived, predicted=1.0)
    out["derived"]["what"] = "max |Kac lattice (16) - the damped system derived from it| at T = 1"
    return out


def norm_drift(n: int, vfun) -> float:
    """Max relative change of the l2 norm of the normalised lattice over 0 < t <= T.  With
    conjugate data on the right envelope (phi_3 = -phi_1, phi_4 = phi_2, preserved exactly by
    the lattice) this norm is sum psi_L psi_R, the product of the prose after (14)."""
    delta = LENGTH / n
    eps = delta**2 / (2 * D)
    z = grid(n)
    psi0 = packet(z)
    u = np.array([psi0.imag, psi0.real])
    alpha = np.asarray(0.5 * (1 + np.tanh(vfun(z) * eps)), dtype=float)
    lat = Lattice(alpha)
    n0 = float(np.sum(u**2))
    drift = 0.0
    for _ in range(int(round(T / (8 * eps)))):
        u = lat.run(u, 8, scale=normaliser())
        drift = max(drift, abs(float(np.sum(u**2)) - n0) / n0)
    return drift


@counted
def invariants(quick=False) -> dict:
    """Norm drift of the normalised lattice with and without potential: a copy of the
    once-per-process result (claim-independent)."""
    return copy.deepcopy(_invariants(bool(quick)))


@functools.lru_cache(maxsize=None)
def _invariants(quick: bool) -> dict:
    sizes = (128, 256) if quick else (128, 256, 512)
    hs = [LENGTH / n for n in sizes]
    free = [norm_drift(n, lambda zz: 0 * zz) for n in sizes]
    pot = [norm_drift(n, potential) for n in sizes]
    out = {"v = 0": {"h": hs, "max_relative_drift": free, "conserved_to_rounding": max(free) < 1e-10},
           "with potential": study(hs, pot, predicted=2.0)}
    out["with potential"]["what"] = "max relative drift of the l2 norm up to T = 1 (alpha != beta)"
    return out
