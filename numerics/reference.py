"""Continuum reference solutions on a periodic domain, each with a stated accuracy.

- constant coefficients: exact propagation of each Fourier mode (error: rounding only);
- a smooth potential v(z): split-step Fourier propagation (Strang splitting composed into
  Yoshida's fourth-order triple jump), O(n log n) per step; its error is the spatial truncation
  (two grid sizes) plus the time splitting (two step counts), both estimated and reported.
  The dense alternative (diagonalise the pseudo-spectral H = -D d^2/dz^2 + v, O(n^3)) is kept
  as schroedinger_potential_eigh: the test oracle of the split step, and the cheaper method
  for a long time T on a small grid (`method="auto"` compares the two costs).
"""
from __future__ import annotations

import math

import numpy as np


def wavenumbers(n: int, length: float) -> np.ndarray:
    return 2 * np.pi * np.fft.fftfreq(n, d=length / n)


def schroedinger_free(psi0: np.ndarray, length: float, D: float, T: float) -> np.ndarray:
    """i psi_t = -D psi_zz, exactly per Fourier mode."""
    k = wavenumbers(len(psi0), length)
    return np.fft.ifft(np.exp(-1j * D * k**2 * T) * np.fft.fft(psi0))


def hamiltonian(n: int, length: float, D: float, v_values: np.ndarray) -> np.ndarray:
    k = wavenumbers(n, length)
    F = np.fft.fft(np.eye(n), axis=0)
    kinetic = np.real(np.linalg.inv(F) @ np.diag(D * k**2) @ F)
    return kinetic + np.diag(v_values)


# Yoshida (1990): S(w1 h) S(w0 h) S(w1 h) with these weights is fourth order for a symmetric S
YOSHIDA_W1 = 1.0 / (2.0 - 2.0 ** (1.0 / 3.0))
YOSHIDA_W0 = 1.0 - 2.0 * YOSHIDA_W1
SPLIT_DT = 1.0 / 256                 # default step: splitting error ~2e-11 for claim 14's data


def split_steps(T: float, dt: float = SPLIT_DT) -> int:
    return max(1, int(math.ceil(abs(T) / dt)))


def schroedinger_split(psi0, length, D, v_fn, T, steps: int | None = None):
    """i psi_t = (-D psi_zz + v psi) by `steps` fourth-order split steps (default T/SPLIT_DT):
    the kinetic part exactly per Fourier mode, the potential exactly per grid point."""
    n = len(psi0)
    steps = split_steps(T) if steps is None else int(steps)
    z = -length / 2 + length * np.arange(n) / n
    v = np.asarray(v_fn(z), dtype=float) * np.ones(n)
    k2 = D * wavenumbers(n, length) ** 2
    h = T / steps
    subs = [YOSHIDA_W1 * h, YOSHIDA_W0 * h, YOSHIDA_W1 * h]
    kin = [np.exp(-1j * k2 * w) for w in subs]
    # half potential steps between substeps merge: w1/2, (w1+w0)/2, (w0+w1)/2, w1 (joins the
    # next step's first half), ... and w1/2 at the very end
    half_v = np.exp(-1j * v * (YOSHIDA_W1 * h / 2))
    mid_v = np.exp(-1j * v * ((YOSHIDA_W1 + YOSHIDA_W0) * h / 2))
    join_v = np.exp(-1j * v * (YOSHIDA_W1 * h))
    psi = np.asarray(psi0, dtype=complex) * half_v
    for i in range(steps):
        psi = np.fft.ifft(kin[0] * np.fft.fft(psi)) * mid_v
        psi = np.fft.ifft(kin[1] * np.fft.fft(psi)) * mid_v
        psi = np.fft.ifft(kin[2] * np.fft.fft(psi))
        psi *= join_v if i < steps - 1 else half_v
    return psi


def schroedinger_potential(psi0, length, D, v_fn, T, method: str = "auto"):
    """i psi_t = (-D psi_zz + v psi): by split steps, or by the dense eigendecomposition when
    that is cheaper (a long T on a small grid: ~n^3 against ~steps * 30 n log n flops)."""
    n = len(psi0)
    if method == "auto":
        split_cost = 3 * split_steps(T) * 2 * 5 * n * max(1.0, math.log2(n))
        method = "split" if split_cost < 10 * n**3 else "eigh"
    if method == "split":
        return schroedinger_split(psi0, length, D, v_fn, T)
    if method != "eigh":
        raise ValueError(f"method must be auto, split or eigh, got {method!r}")
    return schroedinger_potential_eigh(psi0, length, D, v_fn, T)


def schroedinger_potential_eigh(psi0, length, D, v_fn, T):
    """i psi_t = (-D psi_zz + v psi) by eigendecomposition of the pseudo-spectral H (dense,
    O(n^3)): exact in time, the oracle of schroedinger_split."""
    n = len(psi0)
    z = -length / 2 + length * np.arange(n) / n
    H = hamiltonian(n, length, D, v_fn(z))
    w, U = np.linalg.eigh((H + H.T) / 2)
    return U @ (np.exp(-1j * w * T) * (U.T @ psi0))


def interpolate(values: np.ndarray, n_out: int) -> np.ndarray:
    """Band-limited (Fourier) interpolation of periodic samples onto n_out >= n points."""
    n = len(values)
    if n_out == n:
        return values
    vh = np.fft.fft(values)
    out = np.zeros(n_out, dtype=complex)
    half = n // 2
    out[:half] = vh[:half]
    out[-half:] = vh[-half:]
    return np.fft.ifft(out) * (n_out / n)


def kac_exact(u0: np.ndarray, length: float, a: float, c: float, T: float, damping: float):
    """d/dt phi = [[c d_z - damping, -a], [a, -c d_z - damping]] phi, exactly per mode."""
    return linear_exact(u0, length, np.diag([c, -c]).astype(complex),
                        np.array([[-damping, -a], [a, -damping]], dtype=complex), T)


def linear_exact(u0: np.ndarray, length: float, A: np.ndarray, B: np.ndarray, T: float):
    """d/dt phi = A d/dz phi + B phi (constant 2x2 A, B), exactly per Fourier mode."""
    n = u0.shape[1]
    k = wavenumbers(n, length)
    G = 1j * k[:, None, None] * A[None] + B[None]
    w, V = np.linalg.eig(G * T)
    expA = np.einsum("kij,kj,kjl->kil", V, np.exp(w), np.linalg.inv(V))
    uh = np.fft.fft(u0, axis=1)
    return np.real(np.fft.ifft(np.einsum("kij,jk->ik", expA, uh), axis=1))
