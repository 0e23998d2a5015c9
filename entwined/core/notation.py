"""One set of symbols for the whole project, so claims, derivations and report agree on names."""
from __future__ import annotations

import sympy as sp

z, t = sp.symbols("z t", real=True)
delta, epsilon = sp.symbols("delta epsilon", positive=True)
D, a, c, hbar, m = sp.symbols("D a c hbar m", positive=True)
alpha, beta = sp.symbols("alpha beta", positive=True)
k, A, omega = sp.symbols("k A omega", real=True)

# Operator symbols: E_z^+, E_z^-, E_t and the derivatives.  In claim texts they are written as
# commuting factors standing to the right of every coefficient (normal order): c(z)*Dz**2 means
# f -> c(z) f''.
Ep, Em, Et, Dz, Dt = sp.symbols("Ep Em Et Dz Dt", commutative=True)

# Pauli matrices and sigma_ytilde = -i sigma_y (real rotation generator).
I2 = sp.eye(2)
sx = sp.Matrix([[0, 1], [1, 0]])
sy = sp.Matrix([[0, -sp.I], [sp.I, 0]])
sz = sp.Matrix([[1, 0], [0, -1]])
syt = sp.Matrix([[0, -1], [1, 0]])

FIELD_NAMES = ("phi1", "phi2", "phi3", "phi4", "phip1", "phip2", "phip3", "phip4",
               "psi_p", "psi_m", "chi", "psi")
COEFFICIENT_NAMES = ("v",)


def field(name: str, *args):
    """A density or wave function evaluated at (z) or the given arguments."""
    return sp.Function(name)(*(args or (z,)))


def coefficient(name: str):
    return sp.Function(name)(z)


v = sp.Function("v")

LATEX_NAMES = {
    "phi1": r"\phi_1", "phi2": r"\phi_2", "phi3": r"\phi_3", "phi4": r"\phi_4",
    "phip1": r"\phi'_1", "phip2": r"\phi'_2", "phip3": r"\phi'_3", "phip4": r"\phi'_4",
    "psi_p": r"\psi_+", "psi_m": r"\psi_-", "chi": r"\chi", "psi": r"\psi",
    "delta": r"\delta", "epsilon": r"\varepsilon", "hbar": r"\hbar",
    "Ep": r"E_z^{+}", "Em": r"E_z^{-}", "Et": r"E_t", "Dz": r"\partial_z", "Dt": r"\partial_t",
}
