"""Checks of (9)-(11) and the normalisation between (11) and (12): the one-step operator in the
Pauli basis (symbolically and against one lattice step), the finite rotation, the decay factor."""
from __future__ import annotations

import sympy as sp

from entwined.derive import model
from entwined.derive.calculus import DIFFUSIVE, latex, text, truncate
from entwined.derive.compare import jets_of, vector_fields
from entwined.derive.diffusive.expansions import alpha_series, model_alpha
from entwined.derive.diffusive.pauli import (leading_rotation, model_one_step_jets,
                                            rotation_eighth_power, step_growth)
from entwined.core import notation as N
from entwined.checks.compare import claim_order, combine_numeric, compare_to_order
from entwined.checks.registry import checks
from entwined.core.evidence import Prose, as_evidence
from entwined.core.verdicts import Step, Verdict, from_residual
from entwined.numerics.consistency import one_step_expansion


def _pauli_check(claim, ctx):
    f = vector_fields(model.LEFT.components)
    (lhs, rhs), = claim.parsed
    order = min(claim_order(claim, DIFFUSIVE), 6) + 1
    exact = list(model_one_step_jets(order))
    printed_rhs = jets_of(rhs, f, DIFFUSIVE, order)
    alpha_model = alpha_series(DIFFUSIVE, order)
    printed_lhs = jets_of(lhs.xreplace({N.alpha: alpha_model, N.beta: 1 - alpha_model}),
                          f, DIFFUSIVE, order)
    shown = [truncate(e, DIFFUSIVE, order - 2) for e in exact]
    steps = [Step(f"the exact one-step operator (alpha from (5)) applied to Phi', component {i + 1}, "
                  f"terms of weight <= {order - 2}", latex(e)) for i, e in enumerate(shown)]
    outcome = compare_to_order(claim, printed_rhs + printed_lhs, exact + exact, DIFFUSIVE,
                               what="the Pauli-basis expansion", steps=steps)
    if outcome.verdict != Verdict.HOLDS:
        outcome.correction_latex = r"\\".join(latex(e) for e in exact)
        outcome.correction = "; ".join(map(text, exact))
        outcome.correction_math = as_evidence(list(exact))
    if ctx.numerics:
        predicted = outcome.evidence["printed_order"].value
        num = one_step_expansion(rhs, predicted, quick=ctx.quick)
        exact_alpha = model_alpha()
        lhs_num = one_step_expansion(lhs.xreplace({N.alpha: exact_alpha, N.beta: 1 - exact_alpha}),
                                     predicted, quick=True)
        num["lhs_max_error"] = max(lhs_num["error"])
        num["passes"] = num["passes"] and num["lhs_max_error"] < 1e-10
        outcome.evidence["numeric"] = num
        outcome = combine_numeric(outcome, num)
    return outcome


checks("9-10", "11", numeric=True)(_pauli_check)


@checks("11.rotation")
def check_rotation(claim, ctx):
    (lhs, rhs), = claim.parsed
    residual = sp.simplify(sp.Matrix(lhs) - sp.Matrix(rhs)) if isinstance(lhs, sp.MatrixBase) \
        else None
    k = sp.Symbol("k", positive=True)
    R, power, ks = rotation_eighth_power()            # I + sigma_ytilde, its 8th power, k
    ok = residual is not None and residual == sp.zeros(2, 2)
    steps = [Step("the finite rotation", r"I + \sigma_{\tilde y} = " + latex(R)),
             Step("eighth power", r"(I + \sigma_{\tilde y})^8 = " + latex(power)),
             Step("factor with (k(I + sigma_ytilde))^8 = I", "k = " + latex(ks[0]))]
    return from_residual(ok, holds="(k(I + sigma_ytilde))^8 = I with the printed k",
                         fails=Prose.of("with the printed factor the eighth power is ",
                                        sp.simplify(lhs)[0, 0] if ok is False and residual is not None
                                        else lhs, " times I, not I; ", sp.Eq(k, ks[0]), " is required"),
                         correction=f"((I2 + syt)*{ks[0]})**8 = I2",
                         correction_math=sp.Eq(k, ks[0]),
                         correction_latex=r"\left(" + latex(ks[0]) + r"(I+\sigma_{\tilde y})\right)^8 = I",
                         evidence={"(I + sigma_ytilde)^8": power, "k": list(ks),
                                   "printed_residual": residual}, steps=steps)


@checks("11.normalisation")
def check_normalisation(claim, ctx):
    rho = step_growth()
    model_factor = (1 / rho)**(N.t / N.epsilon)
    residuals = []
    for lhs, rhs in claim.parsed:
        primed = sp.Function(lhs.func.__name__.replace("phi", "phip"))(N.z, N.t)
        factor = sp.simplify(rhs / primed)
        residuals.append(sp.simplify(sp.powsimp(factor - model_factor, force=True)))
    ok = all(r == 0 for r in residuals)
    return from_residual(ok, holds=Prose.of("the leading step has eigenvalues of modulus ", rho,
                                            ", so each step is rescaled by ", 1 / rho), fails="printed factor does not undo the "
                         "leading decay", correction=f"Phi = ({1 / rho})**(t/epsilon) * Phi'",
                         correction_math=sp.Eq(sp.Symbol("normaliser"), model_factor),
                         correction_latex=r"\Phi = \left(" + latex(1 / rho) + r"\right)^{t/\varepsilon}\Phi'",
                         evidence={"leading_eigenvalue_modulus": rho,
                                   "residuals": list(residuals)},
                         steps=[Step("leading one-step operator", latex(leading_rotation())),
                                Step("its eigenvalues", latex(list(leading_rotation().eigenvals())))])
