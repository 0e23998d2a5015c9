"""Run every claim's check and collect verdicts with their evidence."""
from __future__ import annotations

import html
import time
from dataclasses import dataclass, field

from entwined.checks.registry import Context, load_all
from entwined.core.claims import Claim, ClaimSet
from entwined.run.guard import DEFAULT_BUDGET_S, Status, run_check
from entwined.core.verdicts import Outcome, Verdict


@dataclass(eq=False)
class Result:
    """One claim's verdict with its evidence.  Two results are equal when they say the same
    about the same claim (verdict, detail, correction, how the check ended), not when they took
    the same time."""

    claim: Claim
    outcome: Outcome
    seconds: float
    status: Status = Status.RAN

    @property
    def verdict(self) -> Verdict:
        return self.outcome.verdict

    def _key(self) -> tuple:
        o = self.outcome
        return (self.claim, o.verdict, o.detail, o.correction, self.status)

    def __eq__(self, other) -> bool:
        return isinstance(other, Result) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def _repr_html_(self) -> str:
        return _html_table([self])


@dataclass
class Run:
    claims: ClaimSet
    results: list[Result]
    timings: dict[str, float] = field(default_factory=dict)

    def __getitem__(self, claim_id: str) -> Result:
        for r in self.results:
            if r.claim.id == claim_id:
                return r
        raise KeyError(claim_id)

    def _repr_html_(self) -> str:
        return _html_table(self.results)

    @property
    def all_hold(self) -> bool:
        return all(r.outcome.verdict == Verdict.HOLDS for r in self.results)

    @property
    def internal_errors(self) -> list[str]:
        """Ids of claims whose check crashed (reported unproven; the CLI exits 3)."""
        return [r.claim.id for r in self.results if r.status == Status.ERROR]


def _html_table(results) -> str:
    rows = "".join(
        f"<tr><td>({html.escape(r.claim.id)})</td><td>{html.escape(r.claim.title)}</td>"
        f"<td><b>{html.escape(r.outcome.verdict.value)}</b></td>"
        f"<td>{html.escape(r.outcome.detail)}</td></tr>" for r in results)
    return ("<table><tr><th>claim</th><th>title</th><th>verdict</th><th>detail</th></tr>"
            + rows + "</table>")


def verify(claims: ClaimSet, *, numerics: bool = True, quick: bool = False,
           progress=None, only: set[str] | None = None,
           budget_s: float | None = DEFAULT_BUDGET_S) -> Run:
    """Check every claim (or only the given ids; the others remain available as context).

    Each check runs under `run_check`: a crash, a timeout after `budget_s` or a claim the check
    cannot handle gives `unproven` with the reason, and the run goes on."""
    registry = load_all()
    ctx = Context(claims=claims.by_id(), numerics=numerics, quick=quick)
    results = []
    t_start = time.perf_counter()
    todo = [c for c in claims.claims if only is None or c.id in only]
    for i, claim in enumerate(todo):
        if progress:
            progress(i, len(todo), claim)
        t0 = time.perf_counter()
        check = registry.get(claim.id)
        if check is None:
            guarded_outcome = Outcome(Verdict.UNPROVEN, "no check is implemented for this claim "
                                      "id", {"known_ids": sorted(registry)})
            status = Status.NOT_APPLICABLE
        else:
            guarded = run_check(check, claim, ctx, budget_s)
            guarded_outcome, status = guarded.outcome, guarded.status
        results.append(Result(claim, guarded_outcome, time.perf_counter() - t0, status))
    return Run(claims, results, {"verify": time.perf_counter() - t_start})
