"""Run every claim's check and collect verdicts with their evidence."""
from __future__ import annotations

import html
import threading
import time
from dataclasses import dataclass, field

from entwined.checks.registry import PREFETCH, Context, kernel_ids, load_all
from entwined.core import forked
from entwined.core.claims import Claim, ClaimSet, with_equations
from entwined.run.chain import (ChainStatus, Finding, attribute, by_severity, chain_status,
                                finding_index, judge_main, premises)
from entwined.run.guard import DEFAULT_BUDGET_S, Status, run_check
from entwined.core.evidence import Readings
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
    chain: dict[str, ChainStatus] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    def finding_of(self, claim_id: str) -> str | None:
        return finding_index(self.findings).get(claim_id)

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
        f"<td>{html.escape(str(r.outcome.detail))}</td></tr>" for r in results)
    return ("<table><tr><th>claim</th><th>title</th><th>verdict</th><th>detail</th></tr>"
            + rows + "</table>")


def verify(claims: ClaimSet, *, numerics: bool = True, quick: bool = False,
           progress=None, only: set[str] | None = None,
           budget_s: float | None = DEFAULT_BUDGET_S) -> Run:
    """Check every claim (or only the given ids; the others remain available as context).

    Each check runs under `run_check`: a crash, a timeout after `budget_s` or a claim the check
    cannot handle gives `unproven` with the reason, and the run goes on."""
    registry = load_all()
    by_id = claims.by_id()
    ctx = Context(claims=by_id, numerics=numerics, quick=quick)
    t_start = time.perf_counter()
    selected = _selection(claims, only)
    todo = [c for c in claims.claims if not c.is_main and (selected is None or c.id in selected)]
    jobs = _prefetch_jobs(todo) if numerics else []
    waiting = set().union(*(wanted for wanted, _ in jobs)) if jobs else set()
    kernels = kernel_ids() if numerics else frozenset()
    # claims whose numerics a background thread is preparing are checked here (the thread
    # runs in this process: `here_only`), as soon as the thread is done, else last; those
    # that run a compiled kernel themselves first, here (only this process imports numba and
    # loads the kernels, after the fork, while the workers already check claims); the others
    # are shared with forked workers (core/forked.py); results come back in file order
    # whatever the order of work
    threads = []

    def work(i):
        claim = todo[i]
        t0 = time.perf_counter()
        check = registry.get(claim.id)
        if check is None:
            outcome = Outcome(Verdict.UNPROVEN, "no check is implemented for this claim id",
                              {"known_ids": sorted(registry)})
            status = Status.NOT_APPLICABLE
        else:
            outcome, status = _check_readings(check, claim, ctx, budget_s)
        return outcome, time.perf_counter() - t0, status

    reported = []

    def started(i, finished):
        if progress:
            reported.append(finished)
            progress(finished, len(todo), todo[i])

    def after_fork():                   # a fork copies no thread: start it once workers exist
        if jobs:
            threads.append(_start_prefetch(jobs, ctx))

    try:
        checked = forked.share(
            len(todo), work, started=started, after_fork=after_fork,
            here_only=frozenset(i for i, c in enumerate(todo) if c.id in waiting),
            ready=lambda: not any(t.is_alive() for t in threads),
            here_first=frozenset(i for i, c in enumerate(todo)
                                 if c.id in kernels and c.id not in waiting))
    finally:
        for background in threads:      # no work of this run outlives it
            background.stop.set()
            background.join()
    if reported and reported[-1] != len(todo) - 1:    # the progress display's closing line
        progress(len(todo) - 1, len(todo), todo[-1])
    results = [Result(c, *checked[i]) for i, c in enumerate(todo)]
    outcomes = {r.claim.id: r.outcome for r in results}
    found = by_severity(attribute(claims.findings, by_id, outcomes))
    index = finding_index(found)
    mains = []
    for claim in claims.claims:            # file order: a main claim's main premises come first
        if claim.is_main and (only is None or claim.id in only):
            outcome = judge_main(claim, by_id, outcomes, index)
            outcomes[claim.id] = outcome
            mains.append(Result(claim, outcome, 0.0, Status.RAN))
    results = mains + results               # the paper's main claims open every output
    chain = {r.claim.id: chain_status(by_id, outcomes, r.claim.id, r.claim.ignores)
             for r in results}
    return Run(claims, results, {"verify": time.perf_counter() - t_start}, chain, found)


def _prefetch_jobs(todo) -> list:
    """The registered claim-independent numerics of the claims of this run (only theirs)."""
    ids = {c.id for c in todo}
    return [(wanted & ids, fn) for wanted, fn in PREFETCH if wanted & ids]


def _start_prefetch(jobs, ctx):
    """Start the jobs in one background thread and return it.  verify stops the thread after
    its last check (the jobs not begun by then are dropped) and joins it.  A failure in a job
    is not reported from the thread: the check that needs the result computes it again and
    meets the failure itself."""
    def work():
        for _, fn in jobs:
            if thread.stop.is_set():
                return
            try:
                fn(ctx)
            except BaseException:       # noqa: BLE001 - the asking check reports it
                pass

    thread = threading.Thread(target=work, name="entwined-prefetch", daemon=True)
    thread.stop = threading.Event()
    thread.start()
    return thread


def _selection(claims: ClaimSet, only) -> set[str] | None:
    """The ids to check: `only`, plus every premise of a main claim in it (a main claim is
    judged from its chain, so the chain has to be checked)."""
    if only is None:
        return None
    by_id = claims.by_id()
    selected = set(only)
    for cid in only:
        if cid in by_id and by_id[cid].is_main:
            selected.update(premises(by_id, cid, by_id[cid].ignores))
    return selected


def _check_readings(check, claim: Claim, ctx, budget_s):
    """Check the claim as transcribed and under every alternative reading of its print; when
    the verdict depends on the reading, say which readings hold."""
    guarded = run_check(check, claim, ctx, budget_s)
    if not claim.readings:
        return guarded.outcome, guarded.status
    verdicts, status = {}, guarded.status
    for reading in claim.readings:
        if reading.equations == claim.equations:
            verdicts[reading.label] = guarded.outcome.verdict.value
            continue
        other = run_check(check, with_equations(claim, reading.equations), ctx, budget_s)
        verdicts[reading.label] = other.outcome.verdict.value
        if other.status == Status.ERROR:
            status = Status.ERROR
    outcome = guarded.outcome
    outcome.evidence["readings"] = Readings(tuple(verdicts.items()), claim.readings[0].label)
    if len(set(verdicts.values())) > 1:
        outcome.detail = ("reading-dependent: " + "; ".join(
            f"{v} with {label}" for label, v in verdicts.items()) + ". " + outcome.detail)
    return outcome, status
