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
from entwined.report.latex import Tex, environment
from entwined.derive.calculus import latex
from entwined.core.claims import parse_display, split_equation
from entwined.run.provenance import environment as env_info
from entwined.run.pipeline import verify
from entwined.run.mutate import run_mutation

TEX_PACKAGES = ("latexmk texlive-latex-base texlive-latex-recommended texlive-pictures "
                "texlive-fonts-recommended lmodern")
INSTALL_HINT = f"apt-get install -y {TEX_PACKAGES}"
COLOURS = {Verdict.HOLDS: "holds", Verdict.CORRECTED: "corrected", Verdict.FAILS: "fails",
           Verdict.UNPROVEN: "unproven"}
LATEX_TIMEOUT_S = 300


def _anchor(cid: str) -> str:
    return "claim-" + re.sub(r"[^A-Za-z0-9]", "-", cid)


def _numeric_table(num: dict) -> dict:
    rows = []
    for i, h in enumerate(num["h"]):
        order = num["observed_order"][i - 1] if i > 0 else None
        rows.append({"h": f"{h:.4g}", "error": f"{num['error'][i]:.3e}",
                     "order": "" if order is None else f"{order:.2f}"})
    coords = " ".join(f"({h:.6g},{e:.6g})" for h, e in zip(num["h"], num["error"]) if e > 0)
    slope = num.get("fitted_slope")
    return {"rows": rows, "coords": coords, "what": num["what"],
            "slope": "n/a" if slope is None else f"{slope:.2f}",
            "predicted": num["predicted_order"], "passes": num["passes"]}


def _is_study(value) -> bool:
    return isinstance(value, dict) and {"h", "error", "observed_order"} <= set(value) and value["h"]


def _studies(evidence: dict) -> list[dict]:
    """Every refinement study in the evidence (and one level down), as a table and a plot."""
    out = []
    for key, value in evidence.items():
        if _is_study(value):
            out.append(_numeric_table(value))
        if isinstance(value, dict):
            out += [_numeric_table(v) for v in value.values() if _is_study(v)]
    return out


def _figures(evidence: dict) -> list[dict]:
    out = []
    for fig in evidence.get("figures", []):
        series = [{"name": s["name"], "coords": " ".join(
            f"({float(x):.6g},{float(y):.6g})" for x, y in s["coords"]
            if not fig.get("log") or (float(x) > 0 and float(y) > 0))} for s in fig["series"]]
        out.append({"title": fig["title"], "xlabel": fig["xlabel"], "ylabel": fig["ylabel"],
                    "log": bool(fig.get("log")), "marks": bool(fig.get("marks")), "series": series})
    return out


def _evidence_lines(evidence: dict) -> list[str]:
    lines = []
    for key, value in evidence.items():
        if key in ("numeric", "figures", "monte_carlo") or _is_study(value):
            continue
        text = str(value)
        lines.append(f"{key}: {text[:400]}{' ...' if len(text) > 400 else ''}")
    return lines


def _printed(text: str, claim_id: str):
    """A printed equation typeset as printed; a form SymPy cannot keep unevaluated (a matrix
    power, nested matrices) is shown as its source text instead, never evaluated."""
    sides = [parse_display(s, claim_id) for s in split_equation(text, claim_id)]
    if any(s is None for s in sides):
        return {"tex": None, "text": text}
    tex = " = ".join(latex(s) for s in sides)
    if max(latex(s).count(r"\begin{matrix}") for s in sides) > 1 or len(tex) > 900:
        return {"tex": None, "text": text}
    return {"tex": Tex(tex), "text": text}


def context(run, command: str, reproducible: bool) -> dict:
    sections = []
    for key, title in SECTIONS.items():
        items = []
        for r in run.results:
            if r.claim.section != key:
                continue
            o = r.outcome
            items.append({
                "id": r.claim.id, "anchor": _anchor(r.claim.id), "title": r.claim.title,
                "provenance": r.claim.provenance, "statement": r.claim.statement,
                "printed": [_printed(text, r.claim.id) for text in r.claim.equations],
                "order": Tex(latex(r.claim.order_expr)) if r.claim.order_expr is not None else None,
                "ocr": r.claim.ocr, "note": r.claim.note,
                "verdict": o.verdict.value, "colour": COLOURS[o.verdict], "detail": o.detail,
                "correction": o.correction,
                "correction_tex": Tex(o.correction_latex) if o.correction_latex else None,
                "steps": [{"caption": s.caption, "latex": Tex(s.latex) if s.latex else None}
                          for s in o.steps],
                "studies": _studies(o.evidence),
                "evidence": _evidence_lines(o.evidence),
                "figures": _figures(o.evidence),
            })
        sections.append({"title": title, "claims": items})
    all_items = [c for s in sections for c in s["claims"]]
    info = env_info()
    return {
        "sections": sections, "claims": all_items,
        "findings": [c for c in all_items if c["verdict"] != Verdict.HOLDS.value],
        "counts": {v.value: sum(c["verdict"] == v.value for c in all_items) for v in Verdict},
        "info": info, "claims_path": os.path.basename(run.claims.path),
        "claims_sha256": run.claims.sha256, "command": command,
        "timings": None if reproducible else {k: f"{v:.2f}" for k, v in run.timings.items()},
    }


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
    hits = [ln for ln in log.splitlines() if re.match(r"^(\./)?report\.tex:\d+:|^! ", ln)]
    return "; ".join(hits[:3]) or "see the LaTeX log"


def compile_pdf(tex: str, output: Path) -> None:
    cmd = _tex_tool()
    if cmd is None:
        raise EntwinedError("no TeX engine")
    env = dict(os.environ)
    if "SOURCE_DATE_EPOCH" in env:
        env["FORCE_SOURCE_DATE"] = "1"
    with tempfile.TemporaryDirectory(prefix="entwined-tex-") as tmp:
        Path(tmp, "report.tex").write_text(tex, encoding="utf-8")
        try:
            proc = subprocess.run(cmd, cwd=tmp, env=env, stdin=subprocess.DEVNULL,
                                  capture_output=True, text=True, timeout=LATEX_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            raise EntwinedError(f"LaTeX did not finish in {LATEX_TIMEOUT_S} s; "
                                "rerun with --tex-only to inspect the source") from None
        pdf = Path(tmp, "report.pdf")
        if proc.returncode != 0 or not pdf.exists():
            log = Path(tmp, "report.log")
            text = log.read_text(errors="replace") if log.exists() else proc.stdout
            raise EntwinedError(f"LaTeX failed: {_log_excerpt(text)}; rerun with --tex-only "
                                "to inspect the source")
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
