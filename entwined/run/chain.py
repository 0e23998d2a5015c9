"""The paper as a chain: a step can be right while its premise is not, and a reader must see both.

Every claim names its premises (`uses` in the claims file).  Each claim keeps its own **step**
verdict (does it follow from its premises, as checked) and gets a **chain** status (do all of its
premises hold, back to the model).  The paper's main claims have no check of their own: their
verdict is computed here from the step verdicts of everything they rest on.  Claims that do not
hold as printed are grouped by root cause into findings, so one slip is counted once.
"""
from __future__ import annotations

from dataclasses import dataclass

from entwined.core.claims import Claim, FindingSpec
from entwined.core.evidence import Readings
from entwined.core.verdicts import Outcome, Verdict

# chain statuses, best first; the worst premise decides
SOUND = "sound"
ON_CORRECTION = "rests-on-correction"
ON_UNPROVEN = "rests-on-unproven"
ON_FAILURE = "rests-on-failure"
_RANK = {SOUND: 0, ON_CORRECTION: 1, ON_UNPROVEN: 2, ON_FAILURE: 3}
_OF_VERDICT = {Verdict.HOLDS: SOUND, Verdict.CORRECTED: ON_CORRECTION,
               Verdict.UNPROVEN: ON_UNPROVEN, Verdict.FAILS: ON_FAILURE}


@dataclass(frozen=True)
class ChainStatus:
    """How sound the premises of one claim are, and which premises make it less than sound."""

    status: str
    culprits: tuple[str, ...] = ()      # premises (transitively) whose verdict is not holds
    unchecked: tuple[str, ...] = ()     # premises with no result in this run (--only)
    reading_dependent: tuple[str, ...] = ()   # premises that hold under one reading of the print

    def describe(self) -> str:
        if self.status == SOUND and not self.unchecked:
            return "every premise holds, back to the model"
        parts = []
        if self.culprits:
            parts.append("rests on " + ", ".join(f"({c})" for c in self.culprits))
        if self.unchecked:
            parts.append("premises not checked in this run: "
                         + ", ".join(f"({c})" for c in self.unchecked))
        if self.reading_dependent:
            parts.append("depends on the reading of "
                         + ", ".join(f"({c})" for c in self.reading_dependent))
        return "; ".join(parts)


@dataclass(frozen=True)
class Finding:
    """One root cause with the claims it affects in this run."""

    id: str
    kind: str
    title: str
    statement: str
    claims: tuple[str, ...]             # covered claims that do not hold as printed
    unaffected: tuple[str, ...] = ()    # covered claims that hold in this run
    automatic: bool = False             # made for a claim no stated root cause covers
    # the affected claims and their premises whose printed form is our reconstruction from
    # illegible OCR: the finding stands or falls with that reconstruction
    reconstructed: tuple[str, ...] = ()


def premises(claims: dict[str, Claim], cid: str, ignore=()) -> list[str]:
    """Every claim `cid` rests on, transitively, nearest first (ignored ids are cut off)."""
    seen, order, todo = set(ignore), [], list(claims[cid].uses)
    while todo:
        p = todo.pop(0)
        if p in seen or p not in claims:
            continue
        seen.add(p)
        order.append(p)
        if not claims[p].is_main:        # a main claim's verdict already sums up its chain
            todo.extend(claims[p].uses)
    return order


def holds_as_printed(outcome: Outcome) -> bool:
    """Holds with every reading of the print (a reading-dependent claim does not)."""
    readings = outcome.evidence.first(Readings)
    return outcome.verdict == Verdict.HOLDS and (readings is None or readings.all_hold())


def chain_status(claims: dict[str, Claim], outcomes: dict[str, Outcome], cid: str,
                 ignore=()) -> ChainStatus:
    worst, culprits, unchecked, by_reading = SOUND, [], [], []
    for p in premises(claims, cid, ignore):
        if p not in outcomes:
            unchecked.append(p)
            continue
        o = outcomes[p]
        status = _OF_VERDICT[o.verdict]
        if status != SOUND:
            culprits.append(p)
        elif not holds_as_printed(o):
            by_reading.append(p)
        if _RANK[status] > _RANK[worst]:
            worst = status
    if unchecked and worst == SOUND:
        worst = ON_UNPROVEN
    return ChainStatus(worst, tuple(culprits), tuple(unchecked), tuple(by_reading))


_MAIN_VERDICT = {SOUND: Verdict.HOLDS, ON_CORRECTION: Verdict.CORRECTED,
                 ON_UNPROVEN: Verdict.UNPROVEN, ON_FAILURE: Verdict.FAILS}


def judge_main(claim: Claim, claims: dict[str, Claim], outcomes: dict[str, Outcome],
               finding_of: dict[str, str]) -> Outcome:
    """A main claim holds exactly as far as every step it rests on holds."""
    chain = chain_status(claims, outcomes, claim.id, claim.ignores)
    rests_on = premises(claims, claim.id, claim.ignores)
    verdict = _MAIN_VERDICT[chain.status]
    causes = sorted({finding_of[c] for c in chain.culprits + chain.reading_dependent
                     if c in finding_of})
    if verdict == Verdict.HOLDS and chain.reading_dependent:
        detail = ("holds under the readings of the print for which its premises hold; "
                  "reading-dependent premises: "
                  + ", ".join(f"({c})" for c in chain.reading_dependent))
    elif verdict == Verdict.HOLDS:
        detail = (f"every one of its {len(rests_on)} premises "
                  "holds as printed")
    else:
        detail = {Verdict.CORRECTED: "holds only in corrected form",
                  Verdict.FAILS: "does not follow: a premise fails",
                  Verdict.UNPROVEN: "not decided: a premise is unproven"}[verdict]
        detail += "; " + chain.describe()
        if causes:
            detail += "; findings: " + ", ".join(causes)
    for c in chain.culprits:
        readings = outcomes[c].evidence.first(Readings) if c in outcomes else None
        holding = [label for label, v in (readings.verdicts if readings else ())
                   if v == Verdict.HOLDS.value]
        if holding and outcomes[c].verdict != Verdict.HOLDS:
            detail += f"; ({c}) holds under the reading {holding[0]}"
    if claim.ignores:
        detail += "; does not rest on " + ", ".join(f"({c})" for c in claim.ignores)
        # premises whose own chain runs through an ignored claim (e.g. through the potential
        # term, which a v = 0 claim does not use): say so, so their status does not puzzle
        through = [p for p in rests_on
                   if not claims[p].is_main and set(claim.ignores) & set(premises(claims, p))]
        if through:
            detail += (" (" + ", ".join(f"({p})" for p in through) + " rest on it only through "
                       "what this claim does not use)")
    evidence = {"premises": rests_on,
                "culprits": list(chain.culprits),
                "reading_dependent": list(chain.reading_dependent), "findings": causes,
                "premise_verdicts": {p: outcomes[p].verdict.value for p in
                                     rests_on if p in outcomes}}
    for c in chain.culprits:          # what decided a culprit is shown with the main claim
        for name, item in (outcomes[c].evidence.items() if c in outcomes else ()):
            if name.startswith(DECISIVE_PREFIXES):
                evidence[f"{c}/{name}"] = item
    return Outcome(verdict, detail, evidence)


# evidence of a premise that is shown again under the main claims resting on it
DECISIVE_PREFIXES = ("continuum_", "mechanism")


def attribute(specs: tuple[FindingSpec, ...], claims: dict[str, Claim],
              outcomes: dict[str, Outcome]) -> list[Finding]:
    """Findings of this run: each stated root cause with the covered claims it affects, plus
    one automatic finding for each claim that does not hold and that no root cause covers."""
    out, covered = [], set()
    for spec in specs:
        affected = tuple(c for c in spec.covers if c in outcomes
                         and not holds_as_printed(outcomes[c]))
        unaffected = tuple(c for c in spec.covers if c in outcomes and c not in affected)
        covered.update(affected)
        if affected:
            out.append(Finding(spec.id, spec.kind, spec.title, spec.statement, affected,
                               unaffected, reconstructed=_reconstructed(claims, affected)))
    for cid, o in outcomes.items():
        if cid in covered or claims[cid].is_main or holds_as_printed(o):
            continue
        if o.verdict == Verdict.UNPROVEN:
            continue          # undecided is not a finding about the paper
        out.append(Finding(f"unclassified-{cid}", "unclassified",
                           f"({cid}) does not hold as printed", str(o.detail), (cid,),
                           automatic=True))
    return out


# severity order for a reader: what is wrong before what is a matter of choice or reading
KIND_ORDER = ("error", "omission", "typo", "unclassified", "transcription", "convention")


def by_severity(findings: list[Finding]) -> list[Finding]:
    rank = {k: i for i, k in enumerate(KIND_ORDER)}
    return sorted(findings, key=lambda f: rank.get(f.kind, len(KIND_ORDER)))


def _reconstructed(claims: dict[str, Claim], affected) -> tuple[str, ...]:
    """The reconstructed claims a finding stands on: the affected claims themselves and the
    premises reached from them through reconstructed claims only (a legible premise is read,
    not reconstructed, and what lies behind it does not change the finding's reading)."""
    basis, todo, seen = set(), list(affected), set()
    while todo:
        c = todo.pop()
        if c in seen or c not in claims:
            continue
        seen.add(c)
        if claims[c].provenance == "reconstructed":
            basis.add(c)
        if c in affected or claims[c].provenance == "reconstructed":
            todo.extend(u for u in claims[c].uses if not claims.get(u) or not claims[u].is_main)
    return tuple(sorted(basis, key=lambda p: list(claims).index(p)))


def finding_index(findings: list[Finding]) -> dict[str, str]:
    return {cid: f.id for f in findings for cid in f.claims}
