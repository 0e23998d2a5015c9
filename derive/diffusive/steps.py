"""The algebra the paper skips between (12) and (13) ("after some algebra"), as explicit pieces.

The normalised one-step operator sqrt(2) M is expanded with noncommuting symbols for the
derivative and the potential (so operator order is kept: d_z v is not v d_z), under the
diffusive scaling epsilon = delta^2 / (2D) counted by a grading symbol h (delta ~ h,
epsilon ~ h^2):

    sqrt(2) M = R + h A1 + h^2 A2 + h^3 A3 + ...,      R the rotation by pi/4,
    (sqrt(2) M)^8 = R^8 + h T1 + h^2 T2 + h^3 T3 + ...

and (13) is the statement R^8 = I, T1 = 0 (the first-order drift cancels over eight steps),
T2 = 8 epsilon G (G the generator of (13)), with T3 != 0 the first remainder, O(delta^3) per
eight steps, O(delta) against 8 epsilon.  Nothing here decides a verdict: the pieces are
returned for the checks to hold against each other and against the printed claim.
"""
from __future__ import annotations

from dataclasses import dataclass
from entwined.core.store import persistent

import sympy as sp

from entwined.core import notation as N
from entwined.derive import model
from entwined.derive.diffusive.pauli import step_growth

h = sp.Symbol("h")                                   # order counter: delta ~ h, epsilon ~ h^2
DZ = sp.Symbol("partial_z", commutative=False)       # d/dz as an operator
V = sp.Symbol("v", commutative=False)                # multiplication by v(z)
ORDER = 3                                            # through the first remainder term


@dataclass(frozen=True)
class EightStepPieces:
    """The expansion of one normalised step and of eight, as operator matrices."""

    R: sp.Matrix          # the delta-independent part of sqrt(2) M
    A1: sp.Matrix         # order h (delta d_z terms)
    A2: sp.Matrix         # order h^2 (delta^2 d_z^2 and epsilon v terms)
    T1: sp.Matrix         # order h of (sqrt(2) M)^8: the summed first-order drift
    T2: sp.Matrix         # order h^2 of (sqrt(2) M)^8
    T3: sp.Matrix         # order h^3: the first remainder
    generator: sp.Matrix  # the generator of (13) as an operator matrix


def _truncate(expr, order=ORDER):
    expr = sp.expand(expr)
    return sum((expr.coeff(h, k) * h**k for k in range(order + 1)), sp.S.Zero)


def _coefficient(matrix: sp.Matrix, k: int) -> sp.Matrix:
    return matrix.applyfunc(lambda e: sp.expand(e).coeff(h, k))


def _shift(sign: int):
    """E_z^{+-} = exp(+-delta d_z), through the orders kept."""
    return sum(((sign * h * N.delta)**k / sp.factorial(k)) * DZ**k for k in range(ORDER + 1))


def one_step_operator(env=model.LEFT, table=None) -> sp.Matrix:
    """sqrt(2) M with alpha(z) of (5) at the target site (left of the shift), to order h^3.
    `table` replaces the rules' transition table (to test that a wrong step is caught)."""
    alpha = sum(c * (h**2 * N.epsilon * V)**k for k, c in enumerate(model.alpha_taylor(2)))
    index = {c: i for i, c in enumerate(env.components)}
    M = sp.zeros(2, 2)
    for target, source, offset, wt, sign in (table or model.transition_table(env)):
        weight = alpha if wt == N.alpha else 1 - alpha
        M[index[target], index[source]] += sign * weight * _shift(offset)
    return (M / step_growth()).applyfunc(_truncate)


def _graded_product(P: list, A: list) -> list:
    """(sum_i h^i P_i)(sum_j h^j A_j) through h^ORDER, grade by grade: only products that
    survive the truncation are formed (R, the grade-0 part, is numeric, so those are cheap)."""
    out = []
    for k in range(ORDER + 1):
        acc = sp.zeros(2, 2)
        for i in range(k + 1):
            if P[i].is_zero_matrix or A[k - i].is_zero_matrix:
                continue
            acc += P[i] * A[k - i]
        out.append(acc.applyfunc(sp.expand))
    return out


@persistent
def eight_step_pieces(env=model.LEFT, table=None) -> EightStepPieces:
    A = one_step_operator(env, table)
    grades = [_coefficient(A, k) for k in range(ORDER + 1)]
    power = [sp.eye(2)] + [sp.zeros(2, 2)] * ORDER
    for _ in range(8):
        power = _graded_product(power, grades)
    power = sum((power[k] * h**k for k in range(ORDER + 1)), sp.zeros(2, 2))
    D_op = N.delta**2 / (2 * N.epsilon)            # D from the scaling (3), as a number
    sign = 1 if env == model.LEFT else -1
    generator = sign * sp.Matrix([[0, D_op * DZ**2 - V], [-(D_op * DZ**2 - V), 0]])
    return EightStepPieces(R=_coefficient(A, 0), A1=_coefficient(A, 1), A2=_coefficient(A, 2),
                           T1=_coefficient(power, 1), T2=_coefficient(power, 2),
                           T3=_coefficient(power, 3), generator=generator)


def summed_drift(R: sp.Matrix, A1: sp.Matrix) -> sp.Matrix:
    """sum_j R^(7-j) A1 R^j: the order-h part of (R + h A1)^8, written out as the paper would."""
    return sp.Matrix(sum((R**(7 - j) * A1 * R**j for j in range(8)), sp.zeros(2, 2))).applyfunc(sp.expand)


def rotation(angle) -> sp.Matrix:
    return sp.Matrix([[sp.cos(angle), -sp.sin(angle)], [sp.sin(angle), sp.cos(angle)]])


def apply(operator: sp.Matrix, fields=("phi1", "phi2")) -> sp.Matrix:
    """An operator matrix applied to (phi_a(z, t), phi_b(z, t)): words in d_z and v become
    derivatives and products, rightmost factor first, so the order of operators is kept."""
    phis = [sp.Function(n)(N.z, N.t) for n in fields]

    def word(term, f):
        coeff, factors = sp.S.One, []
        for factor in sp.Mul.make_args(term):
            base, exp = factor.as_base_exp()
            if base in (DZ, V) and exp.is_Integer:
                factors.extend([base] * int(exp))
            else:
                coeff *= factor
        for op in reversed(factors):
            f = sp.Derivative(f, N.z) if op == DZ else N.v(N.z) * f
        return coeff * f

    out = sp.zeros(operator.rows, 1)
    for i in range(operator.rows):
        for j in range(operator.cols):
            for term in sp.Add.make_args(sp.expand(operator[i, j])):
                if term != 0:
                    out[i] += word(term, phis[j])
    return out.applyfunc(lambda e: sp.expand(e.doit()))
