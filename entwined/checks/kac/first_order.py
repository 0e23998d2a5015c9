"""Equations (15)-(20): the Kac scaling, first-order shift expansions, the Dirac-type system (18)
and the constant-data solution, each against the lattice recurrence (16)."""
from __future__ import annotations

import sympy as sp

import numpy as np

from entwined.derive import model
from entwined.derive.calculus import KAC as WEIGHTS, apply_operators, latex, truncate
from entwined.derive.diffusive.eight_step import printed_generator
from entwined.derive.kac.system import (F, KAC, constant_data_limit, generator_matrices, lattice_system,
                               reduce_on_solutions, rescaled)
from entwined.core import notation as N
from entwined.core.memo import memoised
from entwined.checks.compare import (combine_numeric, compared_step, derived_step, listed, missing,
                                     printed_premise_system)
from entwined.checks.registry import checks
from entwined.core.evidence import Prose, Table
from entwined.core.verdicts import Outcome, Step, Verdict, from_residual
from entwined.numerics.consistency import kac_one_step, study
from entwined.numerics.constant_data import lattice_constant_data
from entwined.numerics.convergence import kac_study
from entwined.numerics.kernels import lambdify


@checks("15")
def check_scaling(claim, ctx):
    got = {}
    for lhs, rhs in claim.parsed:
        got[sp.srepr(lhs)] = rhs
    alpha, beta = got.get(sp.srepr(N.alpha)), got.get(sp.srepr(N.beta))
    speed = got.get(sp.srepr(N.delta / N.epsilon))
    if alpha is None or beta is None or speed is None:
        return Outcome(Verdict.FAILS, "printed scaling does not give alpha, beta and delta/epsilon")
    total = sp.simplify(alpha + beta)
    mean_free_time = sp.simplify(N.epsilon / alpha)
    ok = total == 1 and mean_free_time == 1 / N.a and sp.simplify(speed - N.c) == 0
    return from_residual(ok, holds="alpha + beta = 1; mean time between corners eps/alpha = 1/a; "
                         "speed delta/eps = c", fails=Prose.of(sp.Eq(N.alpha + N.beta, total),
                                                               ", mean free time ", mean_free_time), evidence={"alpha_plus_beta": total,
                                                      "mean_free_time": mean_free_time},
                         steps=[Step("mean free time (geometric waiting, mean 1/alpha steps)",
                                     r"\varepsilon/\alpha = " + latex(mean_free_time))])


@checks("16")
def check_kac_recurrence(claim, ctx):
    derived = model.recurrences(model.LEFT, alpha=KAC[N.alpha], beta=KAC[N.beta])
    res = []
    for lhs, rhs in claim.parsed:
        name = getattr(getattr(lhs, "func", None), "__name__", "")
        if name not in derived or lhs != F(name).xreplace({N.t: N.t + N.epsilon}):
            res.append(f"left-hand side {lhs} is not phi'_i(z, t + epsilon)")
            continue
        res.append(sp.expand(rhs - derived[name]))
    ok = all(r == 0 for r in res) and len(res) == 2 and len({str(l) for l, _ in claim.parsed}) == 2
    return from_residual(ok, holds="(1) with alpha = a eps, beta = 1 - a eps", fails="printed (16) "
                         "is not (1) under the scaling (15)",
                         correction="; ".join(f"{n}(z, t + epsilon) = {r}" for n, r in derived.items()),
                         correction_math=dict(derived),
                         evidence={"residuals": list(res)})


def _expanded_16():
    """(16) to first order, written as the paper writes (17): (1 + eps d_t) phi' on the left,
    products of a weight, a first-order shift and a density on the right, unevaluated."""
    ae, shift = N.a * N.epsilon, lambda s: 1 + s * N.delta * N.Dz
    lhs = lambda n: sp.Mul(1 + N.epsilon * N.Dt, F(n), evaluate=False)
    return [sp.Eq(lhs("phip1"), sp.Add(sp.Mul(1 - ae, shift(1), F("phip1"), evaluate=False),
                                       -sp.Mul(ae, shift(-1), F("phip2"), evaluate=False),
                                       evaluate=False), evaluate=False),
            sp.Eq(lhs("phip2"), sp.Add(sp.Mul(ae, shift(1), F("phip1"), evaluate=False),
                                       sp.Mul(1 - ae, shift(-1), F("phip2"), evaluate=False),
                                       evaluate=False), evaluate=False)]


@checks("17")
def check_first_order_expansion(claim, ctx):
    order = 2
    rec = model.recurrences(model.LEFT, alpha=KAC[N.alpha], beta=KAC[N.beta])
    sub = {N.delta: N.c * N.epsilon}
    residuals, corrections = [], []
    for lhs, rhs in claim.parsed:
        heads = [f for f in lhs.atoms(sp.core.function.AppliedUndef)]
        if len({f.func for f in heads}) != 1:
            return Outcome(Verdict.UNPROVEN, "each printed line of (17) must act on one density "
                           "on its left-hand side")
        name = heads[0].func.__name__
        printed = apply_operators(lhs - rhs, order).xreplace(sub)
        exact = apply_operators(F(name).xreplace({N.t: N.t + N.epsilon}) - rec[name], order).xreplace(sub)
        r = truncate(sp.expand(printed - exact), WEIGHTS, order - 1)
        residuals.append(r)
        corrections.append(sp.expand(truncate(sp.expand(exact), WEIGHTS, 1)))
    ok = all(r == 0 for r in residuals)
    return from_residual(
        ok, holds="first-order Taylor expansion of (16) with delta = c eps",
        fails=Prose.of("the printed expansion differs at first order by ",
                       *[r for r in residuals if r != 0]),
        correction="; ".join(f"{c} = 0" for c in corrections), correction_math=list(corrections),
        correction_latex=r",\quad ".join(latex(e) for e in _expanded_16()),
        evidence={"residual_first_order": list(residuals)},
        steps=[derived_step("the exact (16) minus its left side, Taylor-expanded to first order in ",
                            N.epsilon, " with ", sp.Eq(N.delta, N.c * N.epsilon), ": ",
                            formula=[sp.Eq(c, 0) for c in corrections],
                            uses=("15", "16"), check="shift operators expanded as Taylor series, "
                            "truncated at weight 1"),
               compared_step("the printed (17) minus that expansion, to first order: ",
                             residual=residuals, uses=("17",),
                             check="difference truncated at first order")])


def _system_check(claim, system, what):
    res = [sp.expand(reduce_on_solutions(l - r, system)) for l, r in claim.parsed]
    ok = all(r == 0 for r in res)
    normalised = rescaled(system, N.a)
    res_norm = [sp.expand(reduce_on_solutions(l - r, normalised)) for l, r in claim.parsed]
    holds_for_rescaled = all(r == 0 for r in res_norm)
    corr = "; ".join(f"d/dt {n} = {g}" for n, g in system.items())
    if holds_for_rescaled and not ok:
        corr += " (the printed form holds for exp(a t) phi', not for phi')"
    derived_eqs = [sp.Eq(sp.Derivative(F(n), N.t), g) for n, g in system.items()]
    steps = [derived_step(f"the {what} the lattice (16) gives at order ", N.epsilon, ": ",
                          formula=derived_eqs, uses=("16", "17"),
                          check="order-epsilon terms of (16) with delta = c epsilon"),
             compared_step("the printed form on solutions of that system (time derivatives "
                           "eliminated), residual: ", residual=res, uses=("16",),
                           check="time derivatives replaced by the derived system"),
             compared_step("the printed form on solutions of the system obeyed by ",
                           sp.exp(N.a * N.t) * F("phip1"), " and ", sp.exp(N.a * N.t) * F("phip2"),
                           " (where the lattice's damping term goes), residual: ", residual=res_norm, uses=("16",),
                           check="the derived system for exp(a t) phi', time derivatives eliminated")]
    return from_residual(ok, holds=f"{what} matches the lattice",
                         fails=f"{what}: the lattice gives an extra -a phi'_i damping term" if
                         holds_for_rescaled else f"{what} differs from the lattice",
                         correction=corr,
                         correction_math=[sp.Eq(sp.Derivative(F(n), N.t), g) for n, g in system.items()],
                         correction_latex=r",\quad ".join(
                             rf"\partial_t {latex(F(n))} = {latex(g)}" for n, g in system.items()),
                         evidence={"derived": dict(system),
                                   "residuals": list(res),
                                   "printed form holds for exp(a t) phi'": holds_for_rescaled},
                         steps=steps)


@checks("18", numeric=True)
def check_dirac_system(claim, ctx):
    outcome = _system_check(claim, lattice_system(), "first-order system")
    if ctx.numerics:
        A, B = generator_matrices(claim.parsed)
        num = kac_study(printed=(A, B), quick=ctx.quick)
        printed_gen = printed_generator(claim)
        if printed_gen is not None:
            outcome.evidence["consistency_printed"] = kac_one_step(printed_gen, quick=ctx.quick)
        outcome.evidence["consistency_derived"] = kac_one_step(lattice_system(), quick=ctx.quick)
        outcome.evidence["numeric"] = num
        outcome.evidence["figures"] = [{
            "title": "Kac lattice (16) at T = 1 against the printed (18) and the derived damped system",
            "xlabel": N.delta, "ylabel": "max error", "log": True, "reference_slope": 1.0,
            "series": [{"name": "printed (18)", "coords": list(zip(num["h"], num["error"]))},
                       {"name": "derived", "coords": list(zip(num["h"], num["derived"]["error"]))}]}]
        outcome = combine_numeric(outcome, num)
    return outcome


def _model_note(outcome, model_res, what: str):
    """The same printed form against the lattice itself (the model), as evidence: a step that
    follows from a wrong premise is not what the lattice does, and the reader should see by how
    much."""
    outcome.evidence["against_the_lattice_itself"] = model_res
    if any(r != 0 for r in model_res):
        outcome.detail += Prose.of(f"; against the lattice itself {what} differs by ",
                                   *listed([r for r in model_res if r != 0][:2]),
                                   " (the damping (18) omits, carried through)")
    return outcome


@checks("19")
def check_constant_data(claim, ctx):
    """(19) from the printed (18) with spatially constant data (every d/dz set to zero)."""
    system = printed_premise_system(ctx, "18")
    if system is None:
        return missing("18")
    constant = {n: r.subs({sp.Derivative(F(m), N.z): 0 for m in system}) for n, r in system.items()}
    res = [sp.expand(reduce_on_solutions(l - r, constant)) for l, r in claim.parsed]
    ok = all(r == 0 for r in res)
    eqs = [sp.Eq(sp.Derivative(F(n), N.t), g) for n, g in constant.items()]
    outcome = from_residual(
        ok, holds="follows from the printed (18) with spatially constant data",
        fails="does not follow from the printed (18) with spatially constant data",
        correction="; ".join(f"d/dt {n} = {g}" for n, g in constant.items()),
        correction_math=eqs, evidence={"from_printed_18": constant, "residuals": res},
        steps=[derived_step("the printed (18) with every d/dz set to zero:", formula=eqs,
                            uses=("18",), check="substitution"),
               compared_step("the printed (19) on solutions of that system, residual:",
                             residual=res, check="time derivatives eliminated")])
    model = lattice_system()
    model = {n: r.subs({sp.Derivative(F(m), N.z): 0 for m in model}) for n, r in model.items()}
    return _model_note(outcome, [sp.expand(reduce_on_solutions(l - r, model))
                                 for l, r in claim.parsed], "(19)")


@memoised
def _solution_from_data(system: dict):
    """What the printed (19) gives from the data (A, 0): exp(B t) (A, 0), B read off (19); None
    when (19) is not linear with constant coefficients.  Memoised by the system: the matrix
    exponential is the costly part of checking (20), and it depends on (19) only, not on the
    (20) being checked (every mutant and reading of (20) shares it)."""
    fields = [F(n) for n in system]
    B = sp.Matrix([[sp.diff(system[n], f) for f in fields] for n in system])
    linear = all(sp.expand(system[n] - sum(B[i, j] * fields[j] for j in range(len(fields)))) == 0
                 and not B[i, :].has(N.t) for i, n in enumerate(system))
    return (sp.simplify((B * N.t).exp() * sp.Matrix([N.A] + [0] * (len(fields) - 1)))
            if linear else None)


@checks("20", numeric=True)
def check_constant_solution(claim, ctx):
    """(20) as a solution of the printed (19), its premise; the exact lattice's own constant-data
    solution (the model) is evidence on the chain."""
    system = printed_premise_system(ctx, "19")
    if system is None:
        return missing("19")
    printed = sp.Matrix([rhs for _, rhs in claim.parsed])
    names = [lhs.func.__name__ if hasattr(lhs, "func") else "" for lhs, _ in claim.parsed]
    if set(names) != set(system) or printed.has(N.z):
        return Outcome(Verdict.UNPROVEN, "the printed (20) is not a solution for the fields of (19)")
    values = dict(zip(names, printed))
    on = {F(n): v for n, v in values.items()}
    res_premise = [sp.simplify(sp.diff(values[n], N.t) - system[n].subs(on)) for n in system]
    # a solution for data: not the zero solution, which solves any linear system
    nontrivial = any(sp.simplify(v.subs(N.t, 0)) != 0 for v in values.values())
    ok = all(r == 0 for r in res_premise) and nontrivial
    Tm, r, theta, limit = constant_data_limit()
    res = sp.simplify(printed - limit)
    solution = _solution_from_data(system)
    outcome = from_residual(
        ok, holds="solves the printed (19) with nonzero data",
        fails="does not solve the printed (19)" if nontrivial else
              "is the zero solution, which says nothing about (19)",
        correction=(None if solution is None else "; ".join(
            f"{n} = {v}" for n, v in zip(system, solution))),
        correction_math=(None if solution is None else
                         [sp.Eq(F(n), v) for n, v in zip(system, solution)]),
        evidence={"residual_in_19": res_premise, "residual_against_lattice": list(res),
                  "one_step_matrix": Tm, "modulus_per_step": r, "angle_per_step": theta,
                  "lattice_limit": list(limit)},
        steps=[compared_step("the printed (20) in the printed (19): d/dt of (20) minus the "
                             "right-hand side of (19), residual:", residual=res_premise,
                             uses=("19",), check="differentiation and simplification"),
               derived_step("one step of (16) for constant data is the matrix",
                            formula=Tm, uses=("16", "19"), check="(16) with all shifts set to 1"),
               derived_step("its eigenvalues have modulus ", sp.Eq(sp.Symbol("r"), r),
                            " and angle ", sp.Eq(sp.Symbol("theta"), theta),
                            check="exact, 2 x 2"),
               derived_step("after ", sp.Eq(sp.Symbol("n"), N.t / N.epsilon), " steps, as ",
                            "epsilon -> 0:",
                            formula=[sp.Eq(F(n), v) for n, v in zip(("phip1", "phip2"), limit)],
                            check="limits of r^(t/epsilon) and n theta"),
               compared_step("the printed (20) minus the lattice's own limit (the chain: "
                             "(18) omits the damping):", residual=res, uses=("16",),
                             check="simplified difference")])
    if res != sp.zeros(2, 1):
        outcome.detail += Prose.of("; the exact lattice itself gives ",
                                   *listed([sp.Eq(F(n), v) for n, v in zip(("phip1", "phip2"), limit)]),
                                   " (the damping (18) omits, carried through)")
    if not ctx.numerics:
        return outcome
    if printed.free_symbols - {N.A, N.a, N.t} or printed.atoms(sp.core.function.AppliedUndef):
        outcome.evidence["lattice_study"] = ("not run: the printed (20) has terms the constant-"
                                             "data lattice cannot evaluate")
        return outcome
    outcome.evidence["lattice_study"] = _constant_data_study(printed, limit, outcome)
    return outcome


def _constant_data_study(printed, limit, outcome) -> dict:
    """The exact constant-data lattice at a t = 2 against the printed (20) and the derived limit."""
    a_val, t_val = 1.0, 2.0
    fp = lambdify(N.t, printed.xreplace({N.A: 1, N.a: a_val}), "numpy")
    fl = lambdify(N.t, limit.xreplace({N.A: 1, N.a: a_val}), "numpy")
    rows = []
    for eps in (0.02, 0.01, 0.005, 0.0025):
        lat = lattice_constant_data(a_val, t_val, eps)
        rows.append({"epsilon": eps, "lattice": lat.tolist(),
                     "err_printed": float(np.linalg.norm(np.ravel(fp(t_val)) - lat)),
                     "err_limit": float(np.linalg.norm(np.ravel(fl(t_val)) - lat))})
    ts = [0.25 * i for i in range(17)]
    lat_series = [float(lattice_constant_data(a_val, t, 0.01)[0]) for t in ts]
    outcome.evidence["exact lattice, a = 1, t = 2"] = Table(
        ("epsilon", "lattice phi'_1", "lattice phi'_2", "|printed (20) - lattice|",
         "|lattice limit - lattice|"),
        tuple((r["epsilon"], r["lattice"][0], r["lattice"][1], r["err_printed"], r["err_limit"])
              for r in rows))
    outcome.evidence["figures"] = [{
        "title": Prose.of("constant data, ", sp.Eq(N.a, 1), ": ", F("phip1"),
                          " on the lattice (", sp.Eq(N.epsilon, sp.Rational(1, 100)),
                          "), printed (20) and the derived limit"),
        "xlabel": N.t, "ylabel": F("phip1"), "log": False,
        "series": [{"name": "lattice", "coords": list(zip(ts, lat_series))},
                   {"name": "printed (20)", "coords": [(t, float(np.ravel(fp(t))[0])) for t in ts]},
                   {"name": "derived", "coords": [(t, float(np.ravel(fl(t))[0])) for t in ts]}]}]
    outcome.detail += (f"; on the exact lattice at a t = 2 the printed form is off by "
                       f"{rows[-1]['err_printed']:.3f}, the lattice's limit by {rows[-1]['err_limit']:.1e}")
    eps_seq = [r["epsilon"] for r in rows]
    num = study(eps_seq, [r["err_printed"] for r in rows], predicted=1.0)
    num["what"] = "|printed (20) - lattice (16)| (Euclidean, both components), constant data, a t = 2"
    num["derived"] = study(eps_seq, [r["err_limit"] for r in rows], predicted=1.0)
    num["derived"]["what"] = "|derived limit - lattice (16)| (Euclidean), constant data, a t = 2"
    outcome.evidence["numeric"] = num
    return num
