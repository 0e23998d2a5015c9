"""Run one check so that whatever happens inside it, the run gets an honest outcome.

A check that cannot handle the shape of the claim it is given, that times out, or that
crashes decides nothing: the claim is `unproven` with the reason, and the run goes on.  A crash
is never a finding and never a pass.  A claim reduced to a tautology cannot be checked at all,
so it is `unproven` before any check runs.
"""
from __future__ import annotations

import random
import signal
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache

import sympy as sp
from sympy.core.function import AppliedUndef

from entwined.core.claims import Claim, DISPLAY_VOCABULARY, default_claims_path, load_claims
from entwined.core.formula import parse_formula
from entwined.core.errors import ClaimError, EntwinedError
from entwined.core.verdicts import Outcome, Verdict
from entwined.derive.calculus import OPERATORS

DEFAULT_BUDGET_S = 120.0


class Status(str, Enum):
    """How a check ended: it ran to a verdict, or it could not decide for one of three reasons."""

    RAN = "ran"
    NOT_APPLICABLE = "not-applicable"
    TIMEOUT = "timeout"
    ERROR = "error"


@dataclass(frozen=True)
class Guarded:
    outcome: Outcome
    status: Status


class CheckTimeout(Exception):
    pass


@contextmanager
def time_budget(seconds: float | None):
    """Raise CheckTimeout in the main thread after `seconds` of wall time (SIGALRM based; off
    the main thread, or without a budget, nothing is enforced)."""
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum, frame):
        raise CheckTimeout()
    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _side_shape(side) -> str:
    if isinstance(side, sp.MatrixBase):
        return f"a {side.rows}x{side.cols} matrix"
    return "a scalar"


def shape_of(claim: Claim) -> tuple:
    return tuple((_side_shape(l), _side_shape(r)) for l, r in claim.parsed)


@lru_cache(maxsize=1)
def expected_shapes() -> dict:
    """The shape each check was written for: that of the bundled transcription's claim."""
    return {c.id: shape_of(c) for c in load_claims(default_claims_path()).claims}


def describe(shape: tuple) -> str:
    if not shape:
        return "a prose statement (no equations)"
    sides = "; ".join(f"{l} = {r}" for l, r in shape)
    return f"{len(shape)} equation{'s' if len(shape) != 1 else ''} ({sides})"


def shape_problem(claim: Claim) -> str | None:
    expected = expected_shapes().get(claim.id)
    if expected is None:
        return None
    got = shape_of(claim)
    if got != expected:
        return (f"this check needs {describe(expected)}, as in the bundled transcription; the "
                f"claim gives {describe(got)}")
    return None


def tautology(claim: Claim) -> str | None:
    """An equation whose two sides are the same as written asserts nothing to check."""
    for i, text in enumerate(claim.equations):
        left, _, right = text.partition("=")
        try:
            a = parse_formula(left, DISPLAY_VOCABULARY, where="", evaluate=False)
            b = parse_formula(right, DISPLAY_VOCABULARY, where="", evaluate=False)
        except (ClaimError, ValueError):
            if "".join(left.split()) == "".join(right.split()):
                return f"equation {i + 1} has the same text on both sides; nothing to check"
            continue
        if sp.srepr(a) == sp.srepr(b):
            return f"equation {i + 1} has the same expression on both sides; nothing to check"
    return None


def _vanishes_by_itself(diff) -> bool:
    """True when lhs - rhs is zero with no model input: expanded to zero, or (when it names no
    density or operator) zero at random points.  Such an equation holds for any model."""
    parts = list(diff) if isinstance(diff, sp.MatrixBase) else [diff]
    for part in parts:
        part = sp.expand(part)
        if part == 0:
            continue
        if part.atoms(AppliedUndef) or part.has(*OPERATORS) or part.atoms(sp.Derivative):
            return False
        rng = random.Random(2002)
        for _ in range(3):
            point = {s: sp.Rational(rng.randint(1, 89), rng.randint(1, 89))
                     for s in part.free_symbols}
            try:
                value = complex(part.xreplace(point).evalf(30))
            except (TypeError, ValueError):
                return False
            if abs(value) > 1e-20:
                return False
    return True


def is_identity(claim: Claim) -> bool:
    return bool(claim.parsed) and all(_vanishes_by_itself(l - r) for l, r in claim.parsed)


def _names_the_model(claim: Claim) -> bool:
    sides = [s for pair in claim.parsed for s in pair]
    return any(s.atoms(AppliedUndef) or s.has(*OPERATORS) for s in sides)


@lru_cache(maxsize=1)
def model_claims() -> frozenset:
    """Claims that the bundled transcription states about the densities or the shift operators.
    For the others (pure mathematics such as (k(I + sigma_ytilde))^8 = I) holding by itself is
    the content; for these it means the text no longer says anything about the model."""
    return frozenset(c.id for c in load_claims(default_claims_path()).claims
                     if _names_the_model(c))


def vacuous(claim: Claim) -> str | None:
    if claim.id in model_claims() and is_identity(claim):
        return ("the equations hold by themselves, whatever the model (an identity such as "
                "sin(z)**2 + cos(z)**2 = 1); nothing to check against the lattice")
    return None


def run_check(check, claim: Claim, ctx, budget_s: float | None = DEFAULT_BUDGET_S) -> Guarded:
    reason = tautology(claim) or shape_problem(claim) or vacuous(claim)
    if reason:
        return Guarded(Outcome(Verdict.UNPROVEN, reason, {"not_checked": reason}),
                       Status.NOT_APPLICABLE)
    try:
        with time_budget(budget_s):
            outcome = check(claim, ctx)
    except CheckTimeout:
        msg = f"timed out after {budget_s:g} s"
        return Guarded(Outcome(Verdict.UNPROVEN, msg, {"timeout_s": budget_s}), Status.TIMEOUT)
    except KeyboardInterrupt:
        raise
    except EntwinedError as err:
        msg = f"could not be checked: {err}"
        return Guarded(Outcome(Verdict.UNPROVEN, msg, {"not_checked": str(err)}),
                       Status.NOT_APPLICABLE)
    except Exception as err:        # any crash: reported, never a verdict
        first = str(err).splitlines()[0][:200] if str(err) else ""
        msg = f"internal error: {type(err).__name__}: {first}"
        return Guarded(Outcome(Verdict.UNPROVEN, msg, {"internal_error": msg}), Status.ERROR)
    if not isinstance(outcome, Outcome):
        msg = f"internal error: the check returned {type(outcome).__name__}, not an outcome"
        return Guarded(Outcome(Verdict.UNPROVEN, msg, {"internal_error": msg}), Status.ERROR)
    return Guarded(outcome, Status.RAN)
