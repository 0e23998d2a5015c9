"""Mutation testing of the verifier: every printed claim is mutated in the ways a transcription
or a print goes wrong, and the verifier must notice.  A mutant is killed when its verdict differs
from the unmutated claim's; a mutant that parses to the same formula is equivalent and listed."""
from __future__ import annotations

import io
import re
import tokenize

import sympy as sp

from entwined.core.claims import Claim, ClaimSet, _claim_from_entry, split_equation, parse_text
from entwined.core import forked, store
from entwined.core.errors import EntwinedError
from entwined.run.guard import DEFAULT_BUDGET_S, Status, run_check
from entwined.core.evidence import Figure, Group, MonteCarloComparison, RefinementStudy
from entwined.core.verdicts import Verdict
from entwined.derive.calculus import DIFFUSIVE, KAC, apply_operators, lowest_weight, truncate
from entwined.core import notation as N
from entwined.checks.registry import Context, kernel_ids, load_all, numeric_ids as numeric_checks

SCALE_NAMES = ("D", "a", "c", "alpha", "beta", "delta", "epsilon", "hbar", "m", "v")
PER_KIND = 4          # at most this many mutants of each kind per equation (deterministic)


def _ops(text):
    toks = list(tokenize.generate_tokens(io.StringIO(text).readline))
    return toks


def _offset(text, tok):
    lines = text.split("\n")
    return sum(len(line) + 1 for line in lines[:tok.start[0] - 1]) + tok.start[1]


def mutants_of(text: str) -> list[tuple[str, str]]:
    """(kind, mutated text) for one 'left = right' equation."""
    out = []
    toks = _ops(text)
    prev = None
    flips = []
    for tok in toks:
        if tok.type == tokenize.OP and tok.string in "+-" and prev is not None and \
                (prev.type in (tokenize.NAME, tokenize.NUMBER) or prev.string in ")]"):
            flips.append(tok)
        if tok.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT):
            prev = tok
    for tok in flips[:PER_KIND * 2]:
        i = _offset(text, tok)
        out.append(("sign flip", text[:i] + ("-" if tok.string == "+" else "+") + text[i + 1:]))
    names = [t for t in toks if t.type == tokenize.NAME and t.string in SCALE_NAMES]
    for tok in names[:PER_KIND]:
        i = _offset(text, tok)
        out.append(("coefficient doubled", text[:i] + "2*" + text[i:]))
    for pat, rep in (("z + delta", "z - delta"), ("z - delta", "z + delta"), ("Ep", "Em"),
                     ("Em", "Ep")):
        for mt in list(re.finditer(re.escape(pat), text))[:PER_KIND]:
            out.append(("shift swapped", text[:mt.start()] + rep + text[mt.end():]))
    for mt in list(re.finditer(r"\bI\*", text))[:PER_KIND]:
        out.append(("factor i dropped", text[:mt.start()] + text[mt.end():]))
    return out


def dropped_terms(text: str, cid: str) -> list[tuple[str, str]]:
    lhs, rhs = split_equation(text, cid)
    expr = parse_text(rhs, cid)
    if isinstance(expr, sp.MatrixBase):
        return []
    terms = sp.Add.make_args(sp.expand(expr))
    if len(terms) < 2:
        return []
    return [("term dropped", f"{lhs} = {sp.sstr(sp.expand(expr) - t)}") for t in terms[:PER_KIND]]


def _with_equation(claim: Claim, index: int, text: str) -> Claim:
    eqs = list(claim.equations)
    eqs[index] = text
    entry = {"id": claim.id, "section": claim.section, "title": claim.title,
             "provenance": claim.provenance, "equations": eqs}
    for key in ("statement", "order", "ocr", "note"):
        if getattr(claim, key):
            entry[key] = getattr(claim, key)
    return _claim_from_entry(entry, 0)


def _same(a: Claim, b: Claim) -> bool:
    for (l1, r1), (l2, r2) in zip(a.parsed, b.parsed):
        for x, y in ((l1, l2), (r1, r2)):
            if x == y:                  # structurally equal: no need to expand
                continue
            d = x - y
            d = sp.expand(d) if not isinstance(d, sp.MatrixBase) else d.applyfunc(sp.expand)
            if d != 0 and not (isinstance(d, sp.MatrixBase) and d.is_zero_matrix):
                return False
    return True


def _equivalent_at_order(claim: Claim, mutant: Claim) -> bool:
    """True when the mutant differs from the printed claim only in terms the printed remainder
    O(order) already absorbs (so no check may reject it)."""
    if claim.order_expr is None:
        return False
    kac = claim.section == "signal-velocity"
    weights = KAC if kac else DIFFUSIVE
    order = lowest_weight(claim.order_expr, weights)
    for (ol, orr), (ml, mr) in zip(claim.parsed, mutant.parsed):
        diff = (ml - mr) - (ol - orr)
        if isinstance(diff, sp.MatrixBase):
            return False
        if not diff.atoms(sp.core.function.AppliedUndef) - {sp.Function("v")(N.z)}:
            diff = diff * sp.Function("phip1")(N.z, N.t)      # an operator identity: apply it
        try:
            jets = apply_operators(diff, order + 1)
        except ValueError:
            return False
        if kac:
            jets = sp.expand(jets.xreplace({N.delta: N.c * N.epsilon}))
        if truncate(jets, weights, order - 1) != 0:
            return False
    return True


def _fingerprint(outcome) -> tuple:
    """What a reader would see change: the verdict and the symbolic evidence (not the numerics)."""
    numeric = (RefinementStudy, MonteCarloComparison, Figure)
    ev = {k: v for k, v in outcome.evidence.items() if not isinstance(v, numeric)
          and not (isinstance(v, Group) and any(isinstance(i, numeric) for i in v.items))}
    return outcome.verdict.value, repr(sorted((k, repr(v)) for k, v in ev.items()))


def _numeric_signature(outcome):
    # the study the verdict was combined with (`numeric`), else the first one found
    decisive = outcome.evidence.get("numeric")
    study = decisive if isinstance(decisive, RefinementStudy) else \
        outcome.evidence.first(RefinementStudy)
    sampled = outcome.evidence.first(MonteCarloComparison)
    if study is not None:
        return study.passes, tuple(round(e, 6) for e in study.error if e is not None)
    if sampled is not None:
        return sampled.passes, (round(sampled.max_standard_score, 6),)
    return None


def _killed(original, mutant) -> bool:
    """Holding claim: the verdict must change.  A claim that already does not hold as printed
    keeps its verdict under most mutations; there the verifier must show the change in its
    evidence (the residual, the derived correction stays the same)."""
    if original[0] == Verdict.HOLDS.value:
        return mutant[0] != original[0]
    return mutant != original


def _numeric_killed(original, mutant) -> bool:
    if original is None or mutant is None:
        return mutant != original
    if original[0]:
        return mutant[0] != original[0]
    return mutant != original


def run_mutation(claims: ClaimSet, *, numeric_ids=None, quick: bool = True,
                 progress=None, only=None, budget_s: float | None = DEFAULT_BUDGET_S) -> dict:
    """Each mutant ends as exactly one of: killed, survived, equivalent, error (its check
    crashed) or timeout; errors and timeouts are never counted as kills.

    `numeric_ids`: claims whose mutants also go through the numeric checks (default: those
    whose check the registry declares numeric; () for none, as `mutate --no-numerics`); `quick`: shorter refinement sequences in every check (`--quick`);
    `only`: mutate only these claim ids (the others stay as context)."""
    registry = load_all()
    if numeric_ids is None:
        numeric_ids = numeric_checks()
    report = {"options": {"quick": bool(quick), "numeric_ids": list(numeric_ids),
                          "only": sorted(only) if only is not None else None},
              "claims": [], "by_section": {}}
    todo = [c for c in claims.claims if c.equations and c.id in registry
            and (only is None or c.id in only)]

    reported = []

    def started(i, finished):
        if progress:
            reported.append(finished)
            progress(finished, len(todo), todo[i])

    # claims are independent: shared with forked copies of this process (core/forked.py);
    # the entries come back in file order whichever process checked them
    before = store.counts()
    base_ctx = Context(claims=claims.by_id(), numerics=False, quick=quick)
    # claims whose numeric checks run a compiled kernel are mutated here first: only this
    # process then loads numba and samples their Monte Carlo ensembles (as verify does)
    kernels = kernel_ids() & set(numeric_ids)
    entries = forked.share(len(todo), lambda i: _mutate_claim(
        todo[i], claims, registry, numeric_ids, quick, budget_s, base_ctx), started=started,
        state=lambda: store.counts_since(before), absorb=store.add_counts,
        here_first=frozenset(i for i, c in enumerate(todo) if c.id in kernels))
    if reported and reported[-1] != len(todo) - 1:     # the progress display's closing line
        progress(len(todo) - 1, len(todo), todo[-1])
    for entry in entries:
        report["claims"].append(entry)
        sec = report["by_section"].setdefault(entry["section"], {"mutants": 0, "killed": 0})
        sec["mutants"] += entry["mutants"]
        sec["killed"] += entry["killed"]
    total = sum(e["mutants"] for e in report["claims"])
    killed = sum(e["killed"] for e in report["claims"])
    report["total"] = {"mutants": total, "killed": killed,
                       "survived": total - killed,
                       "kill_rate": killed / total if total else None,
                       "equivalent": sum(len(e["equivalent"]) for e in report["claims"]),
                       "errors": sum(len(e["errors"]) for e in report["claims"]),
                       "timeouts": sum(len(e["timeouts"]) for e in report["claims"])}
    num = [e for e in report["claims"] if "numeric_killed" in e]
    report["numeric"] = {"mutants": sum(e["mutants"] for e in num),
                         "killed": sum(e["numeric_killed"] for e in num)}
    for sec in report["by_section"].values():
        sec["kill_rate"] = sec["killed"] / sec["mutants"] if sec["mutants"] else None
    return report


def _mutate_claim(claim: Claim, claims: ClaimSet, registry: dict, numeric_ids, quick: bool,
                  budget_s, base_ctx: Context) -> dict:
    """Every mutant of one claim, checked symbolically (and numerically for `numeric_ids`);
    base_ctx: the unmutated claims, one per run (its shared results serve every claim)."""
    original_outcome = run_check(registry[claim.id], claim, base_ctx, budget_s).outcome
    original = original_outcome.verdict
    original_fp = _fingerprint(original_outcome)
    num_ctx = Context(claims=claims.by_id(), numerics=True, quick=quick)
    original_num = None
    if claim.id in numeric_ids:
        original_num = _numeric_signature(
            run_check(registry[claim.id], claim, num_ctx, budget_s).outcome)
    rows = []
    for i, text in enumerate(claim.equations):
        try:
            candidates = mutants_of(text) + dropped_terms(text, claim.id)
        except EntwinedError:
            candidates = mutants_of(text)
        seen = set()
        for kind, mtext in candidates:
            if mtext in seen or mtext == text:
                continue
            seen.add(mtext)
            row = {"equation_index": i, "kind": kind, "text": mtext}
            try:
                mutant = _with_equation(claim, i, mtext)
            except EntwinedError as err:
                row.update(killed=True, status="killed", verdict="rejected", reason=str(err))
                rows.append(row)
                continue
            if _same(mutant, claim):
                row.update(equivalent=True, killed=False, status="equivalent",
                           reason="parses to the same formula")
                rows.append(row)
                continue
            if _equivalent_at_order(claim, mutant):
                row.update(equivalent=True, killed=False, status="equivalent",
                           reason=f"differs only in terms inside the printed O({claim.order})")
                rows.append(row)
                continue
            ctx = Context(claims={**claims.by_id(), claim.id: mutant}, numerics=False,
                          quick=quick)
            guarded = run_check(registry[claim.id], mutant, ctx, budget_s)
            outcome = guarded.outcome
            if guarded.status in (Status.ERROR, Status.TIMEOUT):
                row.update(killed=False, equivalent=False, status=guarded.status.value,
                           verdict=outcome.verdict.value, reason=str(outcome.detail))
                rows.append(row)
                continue
            killed = _killed(original_fp, _fingerprint(outcome))
            row.update(verdict=outcome.verdict.value, equivalent=False, killed=killed,
                       status="killed" if killed else "survived")
            if original_num is not None:
                nctx = Context(claims={**claims.by_id(), claim.id: mutant}, numerics=True,
                               quick=quick)
                nguarded = run_check(registry[claim.id], mutant, nctx, budget_s)
                if nguarded.status in (Status.ERROR, Status.TIMEOUT):
                    row["killed_by_numeric"] = False
                    row["numeric_status"] = nguarded.status.value
                else:
                    sig = _numeric_signature(nguarded.outcome)
                    row["killed_by_numeric"] = _numeric_killed(original_num, sig)
            rows.append(row)
    live = [r for r in rows if r["status"] in ("killed", "survived")]
    entry = {"equation": claim.id, "section": claim.section, "original_verdict": original.value,
             "mutants": len(live), "killed": sum(r["killed"] for r in live),
             "errors": [r for r in rows if r["status"] == "error"],
             "timeouts": [r for r in rows if r["status"] == "timeout"],
             "equivalent": [r for r in rows if r.get("equivalent")],
             "survivors": [r for r in live if not r["killed"]]}
    if original_num is not None:
        entry["numeric_killed"] = sum(bool(r.get("killed_by_numeric")) for r in live)
    entry["rows"] = rows
    entry["kill_rate"] = entry["killed"] / entry["mutants"] if entry["mutants"] else None
    return entry
