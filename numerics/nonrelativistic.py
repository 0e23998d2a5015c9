"""The c -> oo limit on the Kac lattice (16), for a quantity built from the lattice's own data.

The lattice is propagated exactly per Fourier mode: one step of (16) with delta = c epsilon has
the symbol I + epsilon G(k); after n = T / epsilon steps each mode is V diag((1 + epsilon g)^n)
V^-1 u(0).  Epsilon is taken tiny (1e-6 / c^4) so that the only limit left is c -> oo; the
damping e^{-a t} the lattice carries is undone by e^{a t} (the normalisation (22)-(23) need).

The quantity compared is whatever the caller builds from the envelopes (phi'_1, phi'_2) at time
t, e.g. psi_- of (21), or psi_- with a phase removed; it is compared at t = T with the solution
of i q_t = s D q_zz (D = hbar / 2m) started from the same quantity at t = 0.  hbar = m = 1,
D = 1/2, a = m c^2 / hbar = c^2.

The data are the envelopes' own: real phi'_1, phi'_2 (the densities of the process are real),
by default a smoothed point source on one envelope component, where the process starts.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from entwined.numerics.consistency import study
from entwined.numerics.reference import wavenumbers
from entwined.numerics.usage import counted

D_HALF, T_FINAL, LENGTH, SITES = 0.5, 1.0, 40.0, 256
SPEEDS = (2.0, 4.0, 8.0, 16.0)

# real envelope data: a smoothed point source in phi'_1 (the process's left envelope starts
# with charge -1 on phi'_1), and a generic real packet on both components
DATA = {
    "point source": lambda z: np.array([-np.exp(-z**2), np.zeros_like(z)]),
    "packet": lambda z: np.array([np.exp(-z**2) * np.cos(z), np.exp(-z**2) * np.sin(z)]),
}


def _grid():
    z = -LENGTH / 2 + LENGTH * np.arange(SITES) / SITES
    return z, wavenumbers(SITES, LENGTH)


def kac_envelopes(u0: np.ndarray, c: float, T: float = T_FINAL) -> np.ndarray:
    """e^{a T} (phi'_1, phi'_2) at t = T on the Kac lattice (16), exact per Fourier mode."""
    _, k = _grid()
    a = c * c / (2 * D_HALF)
    eps = 1e-6 / c**4
    th = k * c * eps
    G = np.empty((SITES, 2, 2), dtype=complex)       # (M - I) / eps, written to keep precision
    G[:, 0, 0] = np.expm1(1j * th) / eps - a * np.exp(1j * th)
    G[:, 0, 1] = -a * np.exp(-1j * th)
    G[:, 1, 0] = a * np.exp(1j * th)
    G[:, 1, 1] = np.expm1(-1j * th) / eps - a * np.exp(-1j * th)
    w, V = np.linalg.eig(G)
    growth = np.exp((T / eps) * np.log1p(eps * w)) * np.exp(a * T)
    U0 = np.fft.fft(u0, axis=1).T                      # (modes, 2)
    coef = np.linalg.solve(V, U0[:, :, None])[:, :, 0]
    return np.fft.ifft(np.einsum("kij,kj->ik", V, coef * growth), axis=1)


def schroedinger(q0: np.ndarray, sign: float, T: float = T_FINAL) -> np.ndarray:
    """q(T) for i q_t = sign D q_zz, exactly in Fourier space."""
    _, k = _grid()
    return np.fft.ifft(np.exp(1j * sign * D_HALF * k**2 * T) * np.fft.fft(q0))


@counted
def limit_study(quantity: Callable, sign: float, data: str = "point source",
                what: str = "", predicted: float = 1.0, speeds=SPEEDS) -> dict:
    """max |q_lattice(T) - q_Schroedinger(T)| / max |q_Schroedinger(T)| for c in `speeds`
    (h = 1/c).  quantity(u1, u2, t, a) -> q: a pointwise map of the envelopes at time t."""
    z, _ = _grid()
    u0 = DATA[data](z)
    errors = []
    for c in speeds:
        a = c * c / (2 * D_HALF)
        uT = kac_envelopes(u0, c)
        q0 = quantity(u0[0].astype(complex), u0[1].astype(complex), 0.0, a)
        qT = quantity(uT[0], uT[1], T_FINAL, a)
        ref = schroedinger(q0, sign)
        err = np.max(np.abs(qT - ref)) / np.max(np.abs(ref))
        errors.append(float(err) if np.isfinite(err) else float("inf"))
    out = study([1.0 / c for c in speeds], errors, predicted=predicted)
    out.update(what=what or "max relative |lattice quantity - Schroedinger solution| at T = 1",
               variable="1/c", data=data)
    return out
