"""The limits of the Kac section from the model alone: the two c -> oo branches of the derived
(25), its m -> 0 limit, and the statistics of the straight segments between corners under the
Kac scaling (15).  None depends on a printed equation, so each is derived once and kept
(`core.store`); the checks compare the printed claims with them."""
from __future__ import annotations

import sympy as sp

from entwined.core import notation as N
from entwined.core.store import persistent
from entwined.derive.kac.system import F, derived_25, psi

REST_PHASE = 2       # the fast branch of (25): psi_- ~ exp(-2 i m c^2 t / hbar) chi


@persistent
def branch_limits():
    """The two c -> oo limits of (25).  Slow branch: psi_- itself, the terms without 1/c^2.
    Fast branch: psi_- = exp(-2 i m c^2 t / hbar) chi, the equation chi obeys as c -> oo.
    Returns (slow, fast, chi, slow system ((name, d/dt),), fast system, slow sign), the sign s
    of i psi_t = s (hbar/2m) psi_zz on the slow branch; the systems as item tuples, since
    every caller shares the result."""
    eq = derived_25()
    slow = sp.Eq(eq.lhs, sp.limit(eq.rhs, N.c, sp.oo))
    phase = sp.exp(-REST_PHASE * sp.I * N.m * N.c**2 * N.t / N.hbar)
    chi = F("chi")
    reduced = sp.expand(sp.simplify((eq.lhs - eq.rhs).subs(psi, phase * chi).doit() / phase))
    fast = sp.limit(reduced, N.c, sp.oo)
    slow_system = {"psi_m": sp.solve(slow, sp.Derivative(psi, N.t))[0]}
    fast_system = {"chi": sp.solve(fast, sp.Derivative(chi, N.t))[0]}
    # s in i psi_t = s (hbar/2m) psi_zz, i.e. psi_t = -i s (hbar/2m) psi_zz
    slow_sign = sp.simplify(slow_system["psi_m"].coeff(sp.Derivative(psi, (N.z, 2)))
                            / (-sp.I * N.hbar / (2 * N.m)))
    return slow, fast, chi, tuple(slow_system.items()), tuple(fast_system.items()), slow_sign


@persistent
def wave_limit():
    """m times (25) as m -> 0, and that limit solved for d^2/dt^2 psi_-."""
    eq = derived_25()
    lim = sp.limit(sp.expand(N.m * (eq.lhs - eq.rhs)), N.m, 0)
    return lim, tuple(sp.solve(lim, sp.Derivative(psi, (N.t, 2))))


@persistent
def segment_statistics():
    """Durations of the straight segments under the Kac scaling (15), alpha = a epsilon: the
    probability of no corner for a time s as epsilon -> 0, whether it is exp(-a s), the mean
    duration and the mean length at speed c."""
    s = sp.Symbol("s", positive=True)
    survival = sp.limit((1 - N.a * N.epsilon)**(s / N.epsilon), N.epsilon, 0)
    density = -sp.diff(survival, s)
    mean_time = sp.integrate(s * density, (s, 0, sp.oo))
    mean_length = sp.simplify(N.c * mean_time)
    exponential = sp.simplify(survival - sp.exp(-N.a * s)) == 0
    return survival, exponential, mean_time, mean_length
