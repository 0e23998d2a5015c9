"""Both routes against one Schroedinger solution: the diffusive lattice as delta -> 0 and the Kac
lattice as c -> oo, from the same initial wave function, compared with the same exact solution.

The conclusion of the paper says the two continuum limits give "the same" PDE.  Each route is
compared here with the solution of i q_t = -D q_zz (D = 1/2, hbar = m = 1) of one packet q0, so
"the same" is measured, not assumed: each route's error must vanish as its own parameter is
refined.  The caller says which complex combination of each route's envelopes is q (and gives the
Kac route's quantity, e.g. psi_- of (21) with its rest phase removed); the envelope data are real
and are chosen so that this combination equals q0 at t = 0.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from entwined.numerics.consistency import study
from entwined.numerics.engines import fourier_propagate, step_normaliser
from entwined.numerics import nonrelativistic as kac
from entwined.numerics.usage import counted

D_HALF, T_FINAL, WAVENUMBER = 0.5, 1.0, 1.0
DIFFUSIVE_LENGTH = 16.0
DIFFUSIVE_SITES = (128, 256, 512, 1024)


def packet(z):
    return np.exp(-z**2) * np.exp(1j * WAVENUMBER * z)


def exact(z, length, sign=-1.0):
    """The Schroedinger solution of `packet` at T on a periodic domain (the packet is 1e-27 at
    the edges, so this is the free-space solution to rounding)."""
    k = 2 * np.pi * np.fft.fftfreq(z.size, d=length / z.size)
    return np.fft.ifft(np.exp(1j * sign * D_HALF * k**2 * T_FINAL) * np.fft.fft(packet(z)))


def real_data(q0: np.ndarray, combination: Callable) -> np.ndarray:
    """Real envelopes (u1, u2) with combination(u1, u2) = q0, for a combination linear over the
    reals: solved from its values on (1, 0) and (0, 1)."""
    a, b = complex(combination(1.0, 0.0)), complex(combination(0.0, 1.0))
    A = np.array([[a.real, b.real], [a.imag, b.imag]])
    if abs(np.linalg.det(A)) < 1e-12:
        raise ValueError("the combination does not determine real envelopes")
    sol = np.linalg.solve(A, np.array([q0.real, q0.imag]))
    return sol


@counted
def diffusive_route(combination: Callable, sites=DIFFUSIVE_SITES) -> dict:
    """The normalised diffusive lattice (free), epsilon = delta^2 / (2D), against the exact
    solution; h = delta."""
    errors, hs = [], []
    for n in sites:
        delta = DIFFUSIVE_LENGTH / n
        eps = delta**2 / (2 * D_HALF)
        steps = int(round(T_FINAL / eps))
        z = -DIFFUSIVE_LENGTH / 2 + DIFFUSIVE_LENGTH * np.arange(n) / n
        u0 = real_data(packet(z), combination)
        u = fourier_propagate(u0, 0.5, delta, steps, scale=step_normaliser())
        ref = exact(z, DIFFUSIVE_LENGTH)
        errors.append(float(np.max(np.abs(combination(u[0], u[1]) - ref)) / np.max(np.abs(ref))))
        hs.append(delta)
    out = study(hs, errors, predicted=1.0)
    out.update(what="diffusive route: max relative |q - Schroedinger solution| at T = 1",
               variable="delta")
    return out


@counted
def kac_route(quantity: Callable, combination: Callable, speeds=kac.SPEEDS) -> dict:
    """The Kac lattice at growing c against the same exact solution; h = 1/c.  quantity(u1, u2,
    t, a) is the Kac route's q; combination(u1, u2) its value at t = 0 (to build the data)."""
    z, _ = kac._grid()
    ref = exact(z, kac.LENGTH)
    u0 = real_data(packet(z), combination)
    errors = []
    for c in speeds:
        a = c * c / (2 * D_HALF)
        uT = kac.kac_envelopes(u0, c)
        q = quantity(uT[0], uT[1], T_FINAL, a)
        errors.append(float(np.max(np.abs(q - ref)) / np.max(np.abs(ref))))
    out = study([1.0 / c for c in speeds], errors, predicted=1.0)
    out.update(what="Kac route: max relative |q - the same Schroedinger solution| at T = 1",
               variable="1/c")
    return out
