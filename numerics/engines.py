"""Lattice engines for the recurrences (1), (2) and (16) with a z-dependent alpha, beta.

Conventions (the rules of entwined/rules.py, as derive/model.py reads them):
- site j sits at z_j = z0 + j delta; alpha_j, beta_j are evaluated at the target site z_j;
- a -z mover (phi'_1, phi'_3) arrives from j + 1, a +z mover (phi'_2, phi'_4) from j - 1;
- periodic domain: index arithmetic mod N; finite domain: zero density enters at both ends
  (an absorbing boundary: what leaves is lost);
- sublattices: a density at (j, n) depends only on (j +- 1, n - 1), so sites with j + n even and
  odd never mix: they are two independent lattices, both of which approximate the continuum.
  The engines step both; a point source at (0, 0) populates only sites with j + n even (the Monte
  Carlo and its figures use that sublattice only).

Three engines: float64 (numba kernels of numerics/jit.py; the NumPy step below is their
oracle), mpmath (high precision) and exact rational
(fractions.Fraction) for small lattices, so rounding is never mistaken for truncation error.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import mpmath
import numpy as np

from entwined.core import rules as model
from entwined.core.errors import EntwinedError
from entwined.numerics import jit
from entwined.numerics.usage import counted

MAX_SITES = 50_000_000
# Site-updates per call into the compiled loop (~0.05 s): Python gets control between calls, so
# Ctrl-C stops even a long run promptly; each call is the same arithmetic, so the bits do not
# depend on the split.
CHUNK_WORK = 100_000_000
# Temporal blocking pays once the two rows no longer sit in L2 (~1 MiB per core here): tiles of
# TILE sites advanced DEPTH steps per pass over memory.
BLOCK_MIN_SITES = 1 << 15
TILE, DEPTH = 4096, 64


def compiled_run(u, alpha: np.ndarray, signs: tuple[int, int], steps: int, periodic: bool,
                 scale: float, chunk_work: int | None = None) -> np.ndarray:
    """`steps` steps of the recurrence on a copy of u by the numba kernels: in place in one
    sweep per step while the lattice is small, temporally blocked (jit.lattice_blocked) when it
    is large.  Same bits as Lattice.step repeated."""
    u0 = np.array(u[0], dtype=float)
    u1 = np.array(u[1], dtype=float)
    a = np.ascontiguousarray(alpha, dtype=float)
    n = u0.shape[0]
    chunk = max(1, (chunk_work or CHUNK_WORK) // n)
    s0, s1 = float(signs[0]), float(signs[1])
    for start in range(0, int(steps), chunk):
        k = min(chunk, int(steps) - start)
        if n >= BLOCK_MIN_SITES and k > 1:
            jit.lattice_blocked(u0, u1, a, s0, s1, float(scale), bool(periodic), k,
                                min(DEPTH, k), TILE)
            jit.CALLS["lattice_blocked"] += 1
        else:
            jit.lattice_inplace(u0, u1, a, s0, s1, float(scale), bool(periodic), k)
            jit.CALLS["lattice_inplace"] += 1
    return np.array([u0, u1])


def signs(env) -> tuple[int, int]:
    """(sign of the scattering into component 0, sign into component 1) from the table."""
    return model.scattering_signs(env)


def step_normaliser(env=model.LEFT) -> float:
    """1 / |leading eigenvalue| of one step (alpha = beta = 1/2, no shift): sqrt 2 for the
    finite rotation.  Computed here from the rules, numerically, so that the numerics never
    call back into the derivations; a test holds it against derive's exact value."""
    s0, s1 = signs(env)
    if s0 * s1 == -1:      # a rotation-like pair of eigenvalues: |lambda|^2 = det, exactly
        return math.sqrt(1.0 / (0.5 * 0.5 - s0 * s1 * 0.5 * 0.5))
    leading = np.array([[0.5, 0.5 * s0], [0.5 * s1, 0.5]])
    return float(1.0 / np.max(np.abs(np.linalg.eigvals(leading))))


@dataclass
class Lattice:
    alpha: np.ndarray            # per site, at the target site
    env: model.Envelope = model.LEFT
    periodic: bool = True

    def __post_init__(self):
        n = len(self.alpha)
        if n < 3:
            raise EntwinedError(f"lattice has {n} sites; use at least 3")
        if n > MAX_SITES:
            raise EntwinedError(f"lattice of {n} sites is too large for memory; use at most {MAX_SITES}")
        a = np.asarray(self.alpha, dtype=float)
        if np.any(a < 0) or np.any(a > 1) or not np.all(np.isfinite(a)):
            raise EntwinedError("alpha must lie in [0, 1] at every site; check the potential and epsilon")
        s0, s1 = signs(self.env)
        self._alpha, self._signs = np.ascontiguousarray(a), (s0, s1)
        # new = B * shifted + A * swap(shifted): B = (beta, beta), A = (s0 alpha, s1 alpha)
        self._B = np.vstack([1 - a, 1 - a])
        self._A = np.vstack([s0 * a, s1 * a])
        self._shifted = np.empty((2, n))
        self._tmp = np.empty((2, n))

    def step(self, u: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """One step into `out` (a new array if None); no temporaries are allocated."""
        sh = self._shifted
        sh[0, :-1] = u[0, 1:]          # -z mover from j + 1
        sh[1, 1:] = u[1, :-1]          # +z mover from j - 1
        if self.periodic:
            sh[0, -1] = u[0, 0]
            sh[1, 0] = u[1, -1]
        else:
            sh[0, -1] = 0.0
            sh[1, 0] = 0.0
        out = np.empty_like(sh) if out is None else out
        np.multiply(self._B, sh, out=out)
        np.multiply(self._A, sh[::-1], out=self._tmp)
        out += self._tmp
        return out

    @counted
    def run(self, u, nsteps: int, scale: float = 1.0, compiled: bool = True) -> np.ndarray:
        """nsteps steps (each followed by `* scale`) on a copy of u.  compiled=False runs the
        NumPy loop: the oracle the compiled kernels are tested against, not a fallback."""
        if int(nsteps) != nsteps or nsteps < 0:
            raise EntwinedError(f"step count must be a non-negative integer, got {nsteps}")
        if compiled and nsteps:
            return compiled_run(np.asarray(u, dtype=float), self._alpha, self._signs,
                                int(nsteps), self.periodic, scale)
        u = np.array(u, dtype=float)
        spare = np.empty_like(u)
        for _ in range(int(nsteps)):
            u, spare = self.step(u, out=spare), u
            if scale != 1.0:
                u *= scale
        return u


def step_exact(u, alpha, env=model.LEFT, periodic=True, zero=Fraction(0)):
    """One step with Python numbers (Fraction or mpmath.mpf): the reference engines."""
    s0, s1 = signs(env)
    n = len(alpha)
    new0, new1 = [zero] * n, [zero] * n
    for j in range(n):
        jp, jm = j + 1, j - 1
        a0 = u[0][jp % n] if (periodic or jp < n) else zero
        a1 = u[1][jm % n] if (periodic or jm >= 0) else zero
        al = alpha[j]
        be = 1 - al
        new0[j] = be * a0 + s0 * al * a1
        new1[j] = be * a1 + s1 * al * a0
    return [new0, new1]


@counted
def run_exact(u, alpha, nsteps, env=model.LEFT, periodic=True):
    u = [[Fraction(x) for x in row] for row in u]
    alpha = [Fraction(x) for x in alpha]
    for _ in range(nsteps):
        u = step_exact(u, alpha, env, periodic)
    return u


@counted
def run_mpmath(u, alpha, nsteps, env=model.LEFT, periodic=True, dps=50):
    with mpmath.workdps(dps):
        u = [[mpmath.mpf(x) for x in row] for row in u]
        alpha = [mpmath.mpf(x) for x in alpha]
        for _ in range(nsteps):
            u = step_exact(u, alpha, env, periodic, zero=mpmath.mpf(0))
        return u


def roll_baseline(u, alpha, nsteps, env=model.LEFT):
    """The plain numpy implementation with np.roll that the bench compares against."""
    s0, s1 = signs(env)
    beta = 1 - alpha
    for _ in range(nsteps):
        a0, a1 = np.roll(u[0], -1), np.roll(u[1], 1)
        u = np.array([beta * a0 + s0 * alpha * a1, beta * a1 + s1 * alpha * a0])
    return u


@counted
def fourier_propagate(u, alpha: float, delta: float, nsteps: int, env=model.LEFT, scale=1.0):
    """Exact n-step propagation for constant alpha on a periodic lattice through the Fourier
    symbol of the one-step map: O(N log N + N log n)."""
    s0, s1 = signs(env)
    n = u.shape[1]
    theta = 2 * np.pi * np.fft.fftfreq(n)          # k delta
    ep, em = np.exp(1j * theta), np.exp(-1j * theta)
    beta = 1 - alpha
    M = np.empty((n, 2, 2), dtype=complex)
    M[:, 0, 0], M[:, 0, 1] = beta * ep, s0 * alpha * em
    M[:, 1, 0], M[:, 1, 1] = s1 * alpha * ep, beta * em
    Mn = np.linalg.matrix_power(M * scale, int(nsteps))
    uh = np.fft.fft(u, axis=1)
    vh = np.einsum("kij,jk->ik", Mn, uh)
    return np.real(np.fft.ifft(vh, axis=1))
