"""`entwined lattice`: run the lattice model itself with user parameters, validated up front."""
from __future__ import annotations

import math
import os

import numpy as np
import sympy as sp

from entwined.core import notation as N
from entwined.core.errors import EntwinedError
from entwined.numerics import reference
from entwined.numerics.convergence import normaliser
from entwined.numerics.engines import Lattice
from entwined.core.claims import parse_text
from entwined.core.errors import ClaimError
from entwined.numerics.kernels import lambdify

REFERENCE_MAX_SITES = 2048
# Bounded work (stated in `entwined lattice --help`): about 2 s in the compiled loop, a minute or
# so on the NumPy path; the step count is bounded on its own so a tiny lattice cannot spin forever.
MAX_STEPS = 10_000_000
MAX_WORK = 2_000_000_000             # sites * steps site-updates
# Every length, time and rate, given or derived, stays far from underflow and overflow, so no
# step silently becomes 0 or inf (e.g. --D 1e308 would make epsilon = delta^2/(2 D) subnormal).
TINY, HUGE = 1e-300, 1e300


def positive(name: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise EntwinedError(f"--{name} must be a number, got {text!r}") from None
    if not math.isfinite(value):
        raise EntwinedError(f"--{name} must be a finite number, got {text}")
    if value <= 0:
        raise EntwinedError(f"--{name} must be positive, got {text}")
    return in_range(f"--{name}", value, f"give --{name} between {TINY:g} and {HUGE:g}")


def in_range(name: str, value: float, way_out: str) -> float:
    """A given or derived scale must be finite and within [TINY, HUGE]."""
    if not (math.isfinite(value) and TINY <= value <= HUGE):
        raise EntwinedError(f"{name} = {value:g} is out of range; {way_out}")
    return value


def whole(name: str, text: str, minimum: int = 0) -> int:
    try:
        value = int(text)
    except ValueError:
        raise EntwinedError(f"--{name} must be a whole number, got {text!r}") from None
    if value < minimum:
        raise EntwinedError(f"--{name} must be at least {minimum}, got {value}")
    return value


def memory_limit_sites() -> int:
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        total = 8 << 30
    return int(total // 4 // (8 * 2 * 6))      # six (2, N) float64 work arrays in a quarter of RAM


def potential_function(text: str):
    try:
        expr = parse_text(text, "--potential")
    except ClaimError as err:
        raise EntwinedError(str(err).replace("claim --potential: ", "--potential: ").split("; ")[0]
                            + "; write v(z) with z, numbers and functions such as cos, exp") from None
    extra = expr.free_symbols - {N.z}
    if extra or expr.atoms(sp.core.function.AppliedUndef):
        raise EntwinedError(f"--potential may only use z, got {text!r}")
    fn = lambdify(N.z, expr, "numpy")

    def v(zz):
        """v(z), refused unless real and finite at every point (1/z at z = 0, exp(1000*z))."""
        try:
            with np.errstate(all="ignore"):
                raw = np.asarray(fn(zz))
                values = None if np.iscomplexobj(raw) else raw.astype(float)
        except Exception as err:       # the user's formula: any failure is bad input
            raise EntwinedError(f"--potential {text!r} cannot be evaluated on the lattice "
                                f"({type(err).__name__}); give a real formula in z") from None
        if values is None:
            raise EntwinedError(f"--potential {text!r} is not real on the lattice; give a real "
                                "formula in z")
        values = np.broadcast_to(values, np.shape(zz))
        bad = ~np.isfinite(values)
        if bad.any():
            where = np.broadcast_to(zz, values.shape)[bad][0]
            raise EntwinedError(f"--potential {text!r} is not finite at z = {where:g}; give a "
                                "potential that is finite on the lattice")
        return values
    return v


def run(args, started=None) -> dict:
    """Validate everything first, then run with NumPy's warnings silenced (a non-finite value is
    an error of its own, one line); the result is checked to be finite before it is returned.
    `started(sites, steps)` is called once everything is validated, just before the lattice loop (the CLI
    says there that the long work has begun)."""
    delta = positive("delta", args.delta)
    sites = whole("sites", args.sites, 3)
    steps = whole("steps", args.steps, 0)
    if sites > memory_limit_sites():
        raise EntwinedError(f"a lattice of {sites} sites does not fit in memory here; use at most "
                            f"{memory_limit_sites()} sites")
    if steps > MAX_STEPS:
        raise EntwinedError(f"--steps {steps} exceeds the limit of {MAX_STEPS} steps; use fewer "
                            "steps (or a larger --epsilon for a longer time)")
    if sites * steps > MAX_WORK:
        raise EntwinedError(f"{sites} sites x {steps} steps = {sites * steps:.3g} site-updates "
                            f"exceeds the limit of {MAX_WORK:.0e}; use fewer --sites or --steps")
    in_range("the lattice length sites*delta", sites * delta, "use a smaller --delta")
    with np.errstate(all="ignore"):
        summary = _run(args, delta, sites, steps, started or (lambda sites, steps: None))
    bad = [k for k, v in summary.items() if isinstance(v, float) and not math.isfinite(v)]
    profile = summary["profile"]
    if bad or not all(np.all(np.isfinite(profile[k])) for k in ("phi1", "phi2")):
        raise EntwinedError(f"the run overflowed ({', '.join(bad) or 'the profile'} is not "
                            "finite); use smaller parameters")
    return summary


def _run(args, delta: float, sites: int, steps: int, started) -> dict:
    z = (np.arange(sites) - sites // 2) * delta
    length = sites * delta
    psi0 = np.exp(-z**2) * np.exp(2j * z)
    u0 = np.array([psi0.imag, psi0.real])
    summary = {"sites": sites, "delta": delta, "steps": steps}
    eps_given = positive("epsilon", args.epsilon) if args.epsilon is not None else None
    if args.section == "diffusive":
        D = positive("D", args.D) if eps_given is None else delta**2 / (2 * eps_given)
        in_range("D", D, "use a larger --epsilon or a smaller --delta")
        eps = in_range("epsilon = delta^2/(2 D)", delta**2 / (2 * D),
                       "use a smaller --D or a larger --delta")
        if steps % 8:
            raise EntwinedError(f"--steps must be a multiple of 8 for the diffusive section "
                                f"(the finite rotation repeats every 8 steps), got {steps}")
        vfun = potential_function(args.potential)
        if args.alpha is not None:
            alpha_value = float(args.alpha) if _is_number(args.alpha) else None
            if alpha_value is None or not 0 <= alpha_value <= 1:
                raise EntwinedError(f"--alpha must lie in [0, 1], got {args.alpha}")
            alpha = np.full(sites, alpha_value)
        else:
            alpha = 0.5 * (1 + np.tanh(vfun(z) * eps))
        started(sites, steps)
        u = Lattice(alpha).run(u0, steps, scale=normaliser())
        T = steps * eps
        summary.update(epsilon=eps, T=T, norm_initial=float(np.sum(u0**2) * delta),
                       norm_final=float(np.sum(u**2) * delta))
        if sites <= REFERENCE_MAX_SITES and args.alpha is None:
            ref = reference.schroedinger_potential(psi0, length, D, vfun, T)
            summary["max_difference_from_continuum_14"] = float(np.max(np.abs(u[1] + 1j * u[0] - ref)))
    else:
        a, c = positive("a", args.a), positive("c", args.c)
        if eps_given is not None:
            c = in_range("c = delta/epsilon", delta / eps_given, "use a larger --epsilon")
        eps = in_range("epsilon = delta/c", delta / c, "use a larger --c or a smaller --delta")
        if a * eps > 1:
            raise EntwinedError(f"alpha = a*epsilon = {a * eps:g} exceeds 1; use a smaller --delta")
        started(sites, steps)
        u = Lattice(np.full(sites, a * eps)).run(u0, steps)
        summary.update(epsilon=eps, T=steps * eps)
    summary["profile"] = {"z": z, "phi1": u[0], "phi2": u[1]}
    return summary


def _is_number(text) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def csv_text(profile) -> str:
    rows = ["z,phi1,phi2"] + [f"{a:.10g},{b:.10g},{c:.10g}" for a, b, c in
                              zip(profile["z"], profile["phi1"], profile["phi2"])]
    return "\n".join(rows) + "\n"
