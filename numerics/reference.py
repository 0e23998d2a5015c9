"""Continuum reference solutions on a periodic domain, each with a stated accuracy.

- constant coefficients: exact propagation of each Fourier mode (error: rounding only);
- a smooth potential v(z): the pseudo-spectral Hamiltonian H = -D d^2/dz^2 + v on a fine grid,
  diagonalised once (eigh), so time stepping adds no error; its own error is the spatial
  truncation, estimated by comparing two grid sizes.
"""
from __future__ import annotations

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


def schroedinger_potential(psi0, length, D, v_fn, T):
    """i psi_t = (-D psi_zz + v psi) by eigendecomposition of the pseudo-spectral H."""
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
