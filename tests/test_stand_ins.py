"""Each numeric check evaluates the quantity its claim names, from the data the process gives
(issue: check the claim as stated): psi_- for the c -> oo limit, the process's own source for the
product of the envelopes."""
import pytest
import sympy as sp

from entwined.core import notation as N
from entwined.core.verdicts import Verdict
from tests.conftest import mutated, verdicts
from tests.snapshot_tools import correction_matches


@pytest.fixture(scope="module")
def limit():
    return verdicts(ids={"25.schrodinger-limit", "21"}, numerics=True)["25.schrodinger-limit"]


def test_psi_minus_itself_obeys_neither_limit_on_the_lattice(limit):
    ev = limit.evidence
    assert not ev["psi_- against the printed equation"].passes
    assert not ev["psi_- against the slow-branch limit"].passes
    # O(1) errors that do not shrink with c: psi_- oscillates as exp(-2 i a t)
    assert min(ev["psi_- against the printed equation"].error) > 0.3


def test_the_printed_equation_holds_for_psi_minus_without_its_rest_phase(limit):
    chi_study = limit.evidence["chi = exp(2 i a t) psi_- against the printed equation"]
    assert chi_study.passes and chi_study.last_order == pytest.approx(1.0, abs=0.3)
    assert limit.verdict == Verdict.CORRECTED
    chi = sp.Function("chi")(N.z, N.t)
    eq, definition = limit.correction_math.values
    assert sp.simplify(eq.lhs - sp.I * N.hbar * sp.Derivative(chi, N.t)) == 0
    assert sp.simplify(eq.rhs + N.hbar**2 / (2 * N.m) * sp.Derivative(chi, (N.z, 2))) == 0
    psi_m = sp.Function("psi_m")(N.z, N.t)
    assert sp.simplify(definition.rhs - sp.exp(2 * sp.I * N.m * N.c**2 * N.t / N.hbar) * psi_m) == 0


def test_symbolic_limits_of_both_branches(limit):
    assert limit.evidence["residual_fast_branch"].all_zero()
    assert not limit.evidence["residual_slow_branch"].all_zero()


def test_a_different_quantity_in_21_changes_the_outcome(tmp_path):
    """psi_- defined like psi_+ lies on the slow branch: it obeys the + sign limit, not the printed
    equation, and chi no longer does: the check cannot call that holds-with-correction."""
    path = mutated(tmp_path, '"psi_m(z, t) = (phip1(z, t) - I*phip2(z, t))*exp(-I*a*t)"',
                   '"psi_m(z, t) = (phip1(z, t) + I*phip2(z, t))*exp(-I*a*t)"')
    out = verdicts(path, ids={"25.schrodinger-limit", "21"}, numerics=True)["25.schrodinger-limit"]
    assert out.evidence["psi_- against the slow-branch limit"].passes
    assert not out.evidence["chi = exp(2 i a t) psi_- against the printed equation"].passes
    assert out.verdict == Verdict.UNPROVEN


def test_product_of_envelopes_from_the_process_source_is_imaginary():
    out = verdicts(ids={"14.product-conserved"}, numerics=True)["14.product-conserved"]
    assert out.verdict == Verdict.CORRECTED
    assert out.evidence["product_at_source"].value == -sp.I
    assert out.evidence["largest_real_part_relative"].value < 1e-12
    rows = out.evidence["product_from_source"].rows
    assert all(im < 0 and abs(re) < 1e-12 * abs(im) for _, _, re, im in rows)
    assert sp.simplify(out.correction_math.value.rhs + sp.I * sp.Symbol("norm_L")) == 0


def test_both_routes_reach_one_schroedinger_solution():
    out = verdicts(ids={"25.same-pde", "21"}, numerics=True)["25.same-pde"]
    assert out.verdict == Verdict.HOLDS
    for route in ("diffusive_route", "kac_route"):
        study = out.evidence[route]
        assert study.passes and study.last_order == pytest.approx(1.0, abs=0.3), route
        assert study.error[-1] < study.error[0] / 5


def test_the_conjugate_combination_reaches_neither(tmp_path):
    """phi_1 + i phi_2 obeys the time-reversed equation: against the same reference neither route
    converges, and the check says so instead of holding."""
    path = mutated(tmp_path, '"psi_m(z, t) = (phip1(z, t) - I*phip2(z, t))*exp(-I*a*t)"',
                   '"psi_m(z, t) = (phip1(z, t) + I*phip2(z, t))*exp(-I*a*t)"')
    out = verdicts(path, ids={"25.same-pde", "21"}, numerics=True)["25.same-pde"]
    assert not out.evidence["diffusive_route"].passes and not out.evidence["kac_route"].passes
    assert out.verdict == Verdict.UNPROVEN


def test_twelve_to_thirteen_as_checked_steps_in_the_json():
    """(12) -> (13) appears in the JSON as steps with a status each; the drift step's residual is
    zero; a one-step operator with one shift reversed makes that step fail."""
    import json
    from entwined.checks.diffusive.eight_step import derivation_steps
    from entwined.core.claims import load_claims
    from entwined.derive import model
    from entwined.run.pipeline import verify
    from entwined.run.serialize import to_json
    data = json.loads(json.dumps(to_json(verify(load_claims(), only={"13"}, numerics=False))))
    steps = next(c for c in data["claims"] if c["equation"] == "13")["steps"]
    checked = [s for s in steps if s.get("type") == "DerivationStep"]
    assert len(checked) == 5 and all(s["status"] == "proved symbolically" for s in checked)
    assert all(s["uses"] for s in checked)
    drift = derivation_steps()[2]
    assert all(e == 0 for e in drift.residual)
    table = list(model.transition_table(model.LEFT))
    target, source, _, weight, sign = table[1]
    table[1] = (target, source, +1, weight, sign)       # one shift reversed
    mutated = derivation_steps(model.LEFT, tuple(table))
    assert mutated[2].status.value == "does not hold"
    assert any(e != 0 for e in mutated[2].residual)


def test_kac_route_derivations_are_checked_steps():
    """(16) -> (17) -> (18), (20), (22)-(25), the limits and the Klein-Gordon substitution show
    their steps with a status each; the step that compares the printed form with the derived one
    fails exactly where the claim needs a correction, and the damping-free form holds."""
    from entwined.core.evidence import DerivationStep, StepStatus
    out = verdicts(ids={"17", "18", "20", "21", "22", "24", "25", "25.klein-gordon"})
    steps = {cid: [s for s in o.steps if isinstance(s, DerivationStep)] for cid, o in out.items()}
    assert all(steps[c] for c in steps if c != "21")
    status = lambda cid: [s.status for s in steps[cid]]
    P, F = StepStatus.PROVED, StepStatus.FAILED
    assert status("18") == [P, F, P]       # derived system; printed differs; exp(a t) phi' obeys it
    # (22): the printed (18) through (21) gives it (proved); against the lattice's own system
    # it fails, and holds for exp(a t) phi' (the chain)
    assert status("22") == [P, P, P, P, F, P]
    assert status("24") == [P] and status("25") == [P]
    assert status("20")[0] == P and status("20")[-1] == F     # solves (19); not the lattice's
    assert status("25.klein-gordon")[-1] == F
    # the failing step of (18) is the damping term -a phi'_i
    a, p1, p2 = N.a, sp.Function("phip1")(N.z, N.t), sp.Function("phip2")(N.z, N.t)
    assert [sp.expand(r) for r in steps["18"][1].residual] == [-a * p1, -a * p2]


@pytest.mark.parametrize("psi_m", ["(phip1(z, t) - I*phip2(z, t))*exp(-I*a*t)*v(z)",
                                   "Derivative(phip1(z, t), z) - I*phip2(z, t)",
                                   "(phip1(z, t) - I*phip2(z, t))*exp(-I*a*t)*m"])
def test_a_psi_minus_the_lattice_cannot_evaluate_is_unproven_not_a_crash(tmp_path, psi_m):
    path = mutated(tmp_path, '"psi_m(z, t) = (phip1(z, t) - I*phip2(z, t))*exp(-I*a*t)"',
                   f'"psi_m(z, t) = {psi_m}"')
    out = verdicts(path, ids={"25.same-pde", "25.schrodinger-limit", "21"}, numerics=True)
    for cid in ("25.same-pde", "25.schrodinger-limit"):
        assert out[cid].verdict == Verdict.UNPROVEN, (cid, out[cid].detail)
        assert "internal error" not in str(out[cid].detail)


def test_corner_probability_has_the_exact_route(monkeypatch):
    """The process equals, exactly, a walk with corner probability alpha at both hands; if the
    process turned at one hand with another probability, the check must not hold."""
    from entwined.checks.stochastic import montecarlo as mc_evidence
    out = verdicts(ids={"1-2.corner-probability", "1"}, numerics=True)["1-2.corner-probability"]
    assert out.verdict == Verdict.HOLDS
    assert out.evidence["exact process against the walk"].get("exactly_zero").value is True
    real = mc_evidence.ep.envelope_walk

    def other_hand(steps, alpha, **kw):       # a walk whose corners are not all alpha
        res = real(steps, alpha, **kw)
        res["mean"] = res["mean"] * 1
        res["mean"][0, -1, :] += 1
        return res

    monkeypatch.setattr(mc_evidence.ep, "envelope_walk", other_hand)
    out = verdicts(ids={"1-2.corner-probability", "1"}, numerics=True)["1-2.corner-probability"]
    assert out.verdict == Verdict.FAILS


EDITS = [   # (claim ids to check, original text, edited text) -- plausible edits of the claims file
    (("1", "1-2.corner-probability", "5.stochastic-potential"),
     '"phip1(z, t + epsilon) = beta*phip1(z + delta, t) - alpha*phip2(z - delta, t)"',
     '"phip1(z, t + 2*epsilon) = beta*phip1(z + delta, t) - alpha*phip2(z - delta, t)"'),
    (("1", "1-2.corner-probability", "5.stochastic-potential"),
     '"phip1(z, t + epsilon) = beta*phip1(z + delta, t) - alpha*phip2(z - delta, t)"',
     '"phip1(z, t + epsilon) = beta*phip1(z + delta, t) - alpha*phip2(z - delta, t) + m*phip1(z, t)"'),
    (("1",),
     '"phip1(z, t + epsilon) = beta*phip1(z + delta, t) - alpha*phip2(z - delta, t)"',
     '"phip1(z, t + epsilon) = beta*phip1(z + delta, t) - alpha*phip2(z - delta, t) + Derivative(phip1(z, t), z)"'),
    (("21", "22", "23", "24", "25", "25.same-pde"),
     '"psi_p(z, t) = (phip1(z, t) + I*phip2(z, t))*exp(-I*a*t)"',
     '"2*psi_p(z, t) = 2*(phip1(z, t) + I*phip2(z, t))*exp(-I*a*t)"'),
    (("21", "22", "23", "24", "25"),
     '"psi_p(z, t) = (phip1(z, t) + I*phip2(z, t))*exp(-I*a*t)"',
     '"psi_p(z, t) = (phip1(z, t) - I*phip2(z, t))*exp(-I*a*t)"'),      # not invertible
    (("21", "22", "23"),
     '"psi_m(z, t) = (phip1(z, t) - I*phip2(z, t))*exp(-I*a*t)"',
     '"psi_m(z, t) = (phip1(z, t) - I*phip2(z, t))*exp(-I*a*t) + 1"'),  # affine
]


@pytest.mark.parametrize("ids, old, new", EDITS)
def test_edited_premises_give_verdicts_not_crashes(tmp_path, ids, old, new):
    """An edit a check cannot evaluate ends as a verdict with a reason (usually unproven), never
    as an internal error (a crash the guard has to catch)."""
    import entwined
    from entwined.core.claims import load_claims
    from entwined.run.guard import Status
    path = mutated(tmp_path, old, new)
    run = entwined.verify(load_claims(str(path)), only=set(ids), quick=True)
    crashed = {r.claim.id: str(r.outcome.detail) for r in run.results if r.status != Status.RAN}
    assert not crashed


def test_a_printed_limit_with_an_extra_term_fails_whatever_the_lattice(tmp_path):
    path = mutated(tmp_path, '"I*hbar*Derivative(psi_m(z, t), t) = -hbar**2/(2*m)*Derivative(psi_m(z, t), z, 2)"',
                   '"I*hbar*Derivative(psi_m(z, t), t) = -hbar**2/(2*m)*Derivative(psi_m(z, t), z, 2) + m*c**2*psi_m(z, t)"')
    out = verdicts(path, ids={"25.schrodinger-limit", "21"}, numerics=True)["25.schrodinger-limit"]
    assert out.verdict == Verdict.FAILS


def test_the_zero_solution_is_not_20(tmp_path):
    path = mutated(tmp_path, "A*cos(a*t)", "0*A*cos(a*t)")
    text = path.read_text().replace("A*sin(a*t)", "0*A*sin(a*t)")
    path.write_text(text)
    out = verdicts(path, ids={"20", "19", "18"})["20"]
    # corrected by what (19) gives from the data (A, 0): A (cos a t, sin a t)
    assert out.verdict == Verdict.CORRECTED
    p1, p2 = (sp.Function(n)(N.z, N.t) for n in ("phip1", "phip2"))
    assert correction_matches(out, [sp.Eq(p1, N.A * sp.cos(N.a * N.t)),
                                    sp.Eq(p2, N.A * sp.sin(N.a * N.t))])
