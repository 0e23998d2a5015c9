"""Render the verification report to LaTeX and compile it in a temporary directory; the PDF is
moved into place only when LaTeX succeeded."""
from __future__ import annotations

import inspect
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from entwined.core.claims import SECTIONS
from entwined.core.errors import EntwinedError
from entwined.core.outputs import check_target, replace_with, write_atomic
from entwined.core.verdicts import Verdict
from entwined import __version__
from entwined.checks.registry import load_all
from entwined.core.evidence import DerivationStep, Evidence, Readings
from entwined.core.texprint import to_latex
from entwined.report.evidence_tex import (legacy_steps, plain_tex, prose_tex,
                                          render as render_item,
                                          render_evidence, steps, text_tex, verdict_tex)
from entwined.report.evidence_tex import readings as readings_tex
from entwined.report import figures
from entwined.report.latex import Tex, environment
from entwined.report.printed import printed_latex
from entwined.run.chain import ON_CORRECTION, ON_FAILURE, ON_UNPROVEN, SOUND
from entwined.run.provenance import environment as env_info
from entwined.run.pipeline import verify
from entwined.run.mutate import run_mutation

TEX_PACKAGES = ("latexmk texlive-latex-base texlive-latex-recommended texlive-pictures "
                "texlive-fonts-recommended lmodern")
INSTALL_HINT = f"apt-get install -y {TEX_PACKAGES}"
LATEX_TIMEOUT_S = 300


def _anchor(cid: str) -> str:
    return "claim-" + re.sub(r"[^A-Za-z0-9]", "-", cid)


def _finding_anchor(fid: str) -> str:
    return "finding-" + re.sub(r"[^A-Za-z0-9]", "-", fid)


def _claim_link(cid: str) -> Tex:
    return Tex(r"\hyperref[" + _anchor(cid) + "]{(" + plain_tex(cid) + ")}")


def _links(ids) -> Tex:
    return Tex(", ".join(_claim_link(c) for c in ids))


CHAIN_COLOURS = {SOUND: "holds", ON_CORRECTION: "corrected", ON_UNPROVEN: "unproven",
                 ON_FAILURE: "fails"}


def _chain_tex(chain) -> Tex:
    """The chain status with the premises that make it less than sound, as links."""
    if chain is None:
        return Tex("n/a")
    word = r"\verdict{" + CHAIN_COLOURS.get(chain.status, "unproven") + "}{" + \
        plain_tex(chain.status) + "}"
    extra = []
    if chain.culprits:
        extra.append("via " + _links(chain.culprits))
    if chain.unchecked:
        extra.append("not checked in this run: " + _links(chain.unchecked))
    if getattr(chain, "reading_dependent", ()):
        extra.append("reading of " + _links(chain.reading_dependent))
    return Tex(word + (" (" + "; ".join(extra) + ")" if extra else ""))


def _heading(text: str) -> Tex:
    """A section title: notation typeset on the page, plain text in the PDF bookmarks."""
    plain = re.sub(r"[^\w .,:;()'=+/-]", "", str(text).replace("->", "to"))
    return Tex(r"\texorpdfstring{" + text_tex(text) + "}{" + plain_tex(plain) + "}")


def _check_source(registry: dict, cid: str) -> dict | None:
    """Where the check of a claim lives: module file (relative to the repository) and function."""
    fn = registry.get(cid)
    if fn is None:
        return None
    module = getattr(fn, "__module__", "") or ""
    path = module.replace("entwined.checks.", "entwined/checks/").replace(".", "/") + ".py"
    return {"path": Tex(r"\texttt{" + plain_tex(path) + "}"),
            "function": Tex(r"\texttt{" + plain_tex(getattr(fn, "__qualname__", "?")) + "}")}


def _correction(o) -> Tex | None:
    """What holds instead: trusted LaTeX from the checks, else the typed form, else text."""
    if o.correction_latex:
        return Tex(r"\fiteq{" + o.correction_latex + "}")
    math = getattr(o, "correction_math", None)
    if math is not None:
        return render_item(math)
    if o.correction:
        return Tex(r"\evline{" + text_tex(o.correction) + "}")
    return None


def _derivation(o) -> Tex | None:
    typed = [s for s in o.steps if isinstance(s, DerivationStep)]
    typed += [v for _, v in o.evidence.of_type(DerivationStep)]
    legacy = [s for s in o.steps if not isinstance(s, DerivationStep)]
    blocks = []
    if typed:
        blocks.append(steps(typed))
    if legacy:
        blocks.append(legacy_steps(legacy))
    return Tex("\n".join(blocks)) if blocks else None


def _printed(text: str, claim_id: str, order) -> Tex:
    """A printed equation typeset as printed (matrix powers kept); the transcription as text
    when it cannot be parsed that way."""
    tex = printed_latex(text, claim_id)
    if tex is None:
        return Tex(r"\par\noindent\texttt{" + plain_tex(text) + "}" +
                   (r"\quad $+\,O\!\left(" + order + r"\right)$" if order else "") + r"\par")
    if order:
        tex += r" + O\!\left(" + order + r"\right)"
    return Tex(r"\fiteq{" + tex + "}")


def _claim(r, run, registry) -> dict:
    claim, o = r.claim, r.outcome
    order = to_latex(claim.order_expr) if claim.order_expr is not None else None
    readings = o.evidence.first(Readings)
    fid = run.finding_of(claim.id)
    evidence = Evidence()
    for k, v in o.evidence.items():
        if isinstance(v, (Readings, DerivationStep)):
            continue
        if claim.is_main and k in ("premises", "culprits", "reading_dependent", "findings", "premise_verdicts"):
            continue
        evidence[k] = v
    return {
        "id": claim.id, "id_tex": plain_tex(claim.id), "anchor": _anchor(claim.id),
        "link": _claim_link(claim.id), "title": text_tex(claim.title),
        "heading": _heading("(" + claim.id + ") " + claim.title),
        "provenance": plain_tex(claim.provenance), "is_main": claim.is_main, "paraphrase": claim.paraphrase,
        "statement": text_tex(claim.statement) if claim.statement else None,
        "printed": [_printed(t, claim.id, order) for t in claim.equations],
        "ocr": plain_tex(claim.ocr) if claim.ocr else None,
        "note": text_tex(claim.note) if claim.note else None,
        "uses": _links(claim.uses) if claim.uses else None,
        "ignores": _links(claim.ignores) if claim.ignores else None,
        "verdict": verdict_tex(o.verdict), "verdict_value": o.verdict.value,
        "chain": _chain_tex(run.chain.get(claim.id)),
        "chain_status": run.chain[claim.id].status if claim.id in run.chain else None,
        "finding": Tex(r"\hyperref[" + _finding_anchor(fid) + "]{" + plain_tex(fid) + "}")
        if fid else None,
        "detail": prose_tex(o.detail),
        "readings": readings_tex(readings) if readings is not None else None,
        "derivation": _derivation(o), "correction": _correction(o),
        "evidence": render_evidence(evidence) if evidence else None,
        "source": None if claim.is_main else _check_source(registry, claim.id),
        "json": Tex(command_tex("entwined verify --json FILE") + ", the entry with "
                    + command_tex('"equation": "' + claim.id + '"')),
    }


def _findings(run, by_id: dict) -> list[dict]:
    out = []
    for f in run.findings:
        affected = []
        for cid in f.claims:
            c = by_id.get(cid)
            if c is None:
                continue
            affected.append({"link": c["link"], "title": c["title"], "verdict": c["verdict"],
                             "detail": c["detail"], "correction": c["correction"]})
        out.append({"id": plain_tex(f.id), "anchor": _finding_anchor(f.id),
                    "heading": _heading(f.title),
                    "kind": plain_tex(f.kind), "title": text_tex(f.title),
                    "statement": text_tex(f.statement), "affected": affected,
                    "unaffected": _links(f.unaffected) if f.unaffected else None,
                    "reconstructed": (_links(f.reconstructed)
                                      if getattr(f, "reconstructed", ()) else None),
                    "automatic": f.automatic})
    return out


def context(run, command: str, reproducible: bool) -> dict:
    registry = load_all()
    sections, all_items = [], []
    for key, title in SECTIONS.items():
        items = [_claim(r, run, registry) for r in run.results
                 if r.claim.section == key]
        all_items += items
        sections.append({"title": _heading(title), "key": key, "claims": items,
                         "anchor": "section-" + key})
    by_id = {c["id"]: c for c in all_items}
    findings = _findings(run, by_id)
    kinds = {}
    for f in run.findings:
        kinds[f.kind] = kinds.get(f.kind, 0) + 1
    info = env_info()
    checked = [c for c in all_items if not c["is_main"]]
    return {
        "sections": sections, "claims": checked,
        "main": [c for c in all_items if c["is_main"]],
        "findings": findings,
        "finding_kinds": [{"kind": plain_tex(k), "n": n} for k, n in kinds.items()],
        "counts": [{"verdict": verdict_tex(v), "n": sum(c["verdict_value"] == v.value
                                                        for c in checked)} for v in Verdict],
        "chain_counts": [{"status": Tex(r"\verdict{" + CHAIN_COLOURS[s] + "}{" + s + "}"),
                          "n": sum(c["chain_status"] == s for c in checked)}
                         for s in (SOUND, ON_CORRECTION, ON_UNPROVEN, ON_FAILURE)],
        "info": info, "commit": plain_tex(str(info.get("git_commit", ""))[:12]),
        "claims_path": os.path.basename(run.claims.path),
        "claims_sha256": run.claims.sha256, "command": Tex(command_tex(command)),
        "timings": None if reproducible else {k: f"{v:.2f}" for k, v in run.timings.items()},
        "derivations": None if reproducible else plain_tex(cache_note(info.get("derivation_cache"))),
        "version": plain_tex(__version__), "study_width": figures.STUDY_WIDTH,
        "reproduce": {"report": Tex(command_tex("entwined report --output report.pdf")),
                      "json": Tex(command_tex("entwined verify --json evidence.json"))},
    }


def cache_note(stats: dict | None) -> str:
    """How this run obtained the claim-independent derivations (`core.store`)."""
    if not stats or not stats["enabled"]:
        return "all derived in this run (cache off)"
    note = (f"{stats['computed']} derived, {stats['loaded']} reused from a run of identical code")
    if stats["refused_unsafe_directory"]:
        note += " (cache directory not private: not read)"
    return note


def command_tex(command: str) -> str:
    """A command line that can be pasted back: typewriter, hyphens never ligatured."""
    return r"\texttt{" + plain_tex(command).replace("-", "-{}") + "}"


def render(run, command: str, reproducible: bool, mutation=None) -> str:
    ctx = context(run, command, reproducible)
    ctx["mutation"] = _mutation_context(mutation) if mutation else None
    return environment().get_template("report.tex.j2").render(**ctx)


def _mutation_context(result: dict) -> dict:
    pct = lambda k, n: f"{100 * k / n:.1f}\\%" if n else "n/a"
    return {
        "total": result["total"], "numeric": result["numeric"],
        "total_pct": Tex(pct(result["total"]["killed"], result["total"]["mutants"])),
        "sections": [{"title": SECTIONS[k], "killed": v["killed"], "mutants": v["mutants"],
                      "pct": Tex(pct(v["killed"], v["mutants"]))}
                     for k, v in result["by_section"].items()],
        "claims": [{"id": e["equation"], "mutants": e["mutants"], "killed": e["killed"],
                    "numeric": f"{e['numeric_killed']}/{e['mutants']}" if "numeric_killed" in e else "",
                    "equivalent": len(e["equivalent"])} for e in result["claims"]],
        "equivalent": [{"id": e["equation"], "kind": r["kind"], "text": r["text"], "reason": r["reason"]}
                       for e in result["claims"] for r in e["equivalent"]],
        "survivors": [{"id": e["equation"], "kind": r["kind"], "text": r["text"]}
                      for e in result["claims"] for r in e["survivors"]],
    }


def _tex_tool() -> list[str] | None:
    if shutil.which("latexmk") and shutil.which("pdflatex"):
        return ["latexmk", "-pdf", "-interaction=nonstopmode", "-halt-on-error",
                "-file-line-error", "-no-shell-escape", "report.tex"]
    return None


def _log_excerpt(log: str) -> str:
    hits = [ln for ln in log.splitlines()
            if re.match(r"^(\./)?(report|figures-\d+)\.tex:\d+:|^! ", ln)]
    return "; ".join(hits[:3]) or "see the LaTeX log"


def _latex_failed(log_path: Path, fallback: str) -> EntwinedError:
    text = log_path.read_text(errors="replace") if log_path.exists() else fallback
    return EntwinedError(f"LaTeX failed: {_log_excerpt(text)}; rerun with --tex-only to "
                         "inspect the source")


def _draw_figures(sources: dict, tmp: str, env: dict, deadline: float) -> None:
    """Compile the figure documents (`report/figures.py`) side by side, one pdflatex each."""
    procs = {}
    try:
        for stem, source in sources.items():
            Path(tmp, stem + ".tex").write_text(source, encoding="utf-8")
            procs[stem] = subprocess.Popen(
                ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "-file-line-error",
                 "-no-shell-escape", stem + ".tex"], cwd=tmp, env=env,
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for stem, proc in procs.items():
            try:
                code = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                raise EntwinedError(f"LaTeX did not finish in {LATEX_TIMEOUT_S} s; "
                                    "rerun with --tex-only to inspect the source") from None
            if code != 0 or not Path(tmp, stem + ".pdf").exists():
                raise _latex_failed(Path(tmp, stem + ".log"), "")
    finally:
        for proc in procs.values():       # nothing outlives a failed or interrupted build
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def compile_pdf(tex: str, output: Path) -> None:
    """The pictures first (once, in parallel documents), then the report's passes."""
    cmd = _tex_tool()
    if cmd is None:
        raise EntwinedError("no TeX engine")
    env = dict(os.environ)
    if "SOURCE_DATE_EPOCH" in env:
        env["FORCE_SOURCE_DATE"] = "1"
    deadline = time.monotonic() + LATEX_TIMEOUT_S
    parts = figures.split(tex)
    with tempfile.TemporaryDirectory(prefix="entwined-tex-") as tmp:
        _draw_figures(parts.figures, tmp, env, deadline)
        Path(tmp, "report.tex").write_text(parts.report, encoding="utf-8")
        try:
            proc = subprocess.run(cmd, cwd=tmp, env=env, stdin=subprocess.DEVNULL,
                                  capture_output=True, text=True, errors="replace",
                                  timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            raise EntwinedError(f"LaTeX did not finish in {LATEX_TIMEOUT_S} s; "
                                "rerun with --tex-only to inspect the source") from None
        pdf = Path(tmp, "report.pdf")
        if proc.returncode != 0 or not pdf.exists():
            raise _latex_failed(Path(tmp, "report.log"), proc.stdout)
        replace_with(output, pdf)      # a unique temp name: concurrent builds never collide


def build_report(claims, output: str, *, tex_only=False, numerics=True, quick=False,
                 progress=None, command="entwined report", mutation=False, budget_s=None) -> int:
    """Exit status: 0 built, 2 no TeX (the .tex is written), 3 built but a check crashed."""
    out = Path(output)
    if out.suffix != ".pdf" and not tex_only:
        raise EntwinedError(f"output {output} should end in .pdf (use --tex-only for a .tex)")
    tex_path = out.with_suffix(".tex")
    if not tex_only and _tex_tool() is None:
        print(f"entwined: note: no TeX engine found; will write {tex_path} only. "
              f"Install TeX with: {INSTALL_HINT}", file=sys.stderr)
    # every path written below is checked before the long verification, touching nothing;
    # -o naming a directory is refused even with --tex-only (the .tex would land beside it)
    check_target(out)
    if tex_only or _tex_tool() is None:
        check_target(tex_path)
    reproducible = "SOURCE_DATE_EPOCH" in os.environ

    def budget(fn) -> dict:
        """budget_s only where the callee takes it (the pipeline gains it independently)."""
        takes = budget_s is not None and "budget_s" in inspect.signature(fn).parameters
        return {"budget_s": budget_s} if takes else {}

    run = verify(claims, numerics=numerics, quick=quick, progress=progress, **budget(verify))
    crashed = getattr(run, "internal_errors", [])

    def done() -> int:
        """Built; 3 if a check crashed (its claim is in the report as unproven), else 0."""
        if crashed:
            print(f"entwined: internal error: the check of "
                  f"{', '.join(f'({i})' for i in crashed)} crashed and is reported unproven; "
                  "rerun with --debug for details", file=sys.stderr)
        return 3 if crashed else 0

    mutation_result = None
    if mutation:
        t0 = time.perf_counter()
        mutation_result = run_mutation(claims, progress=progress, **budget(run_mutation))
        run.timings["mutation"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    tex = render(run, command, reproducible, mutation_result)
    run.timings["render"] = time.perf_counter() - t0
    if tex_only or _tex_tool() is None:
        write_atomic(str(tex_path), tex)
        print(f"wrote {tex_path}")
        if tex_only:
            return done()
        print(f"entwined: error: no TeX engine (latexmk + pdflatex); the LaTeX source is in "
              f"{tex_path}. Install TeX with: {INSTALL_HINT}", file=sys.stderr)
        return 2
    compile_pdf(tex, out)
    print(f"wrote {out}")
    return done()
