"""The report a referee reads: no Python or SymPy source reaches the PDF, the PDF has a title
and an outline, and every evidence type renders (hostile text escaped)."""
import re
import shutil
import subprocess
import zlib

import numpy as np
import pytest
import sympy as sp

from entwined.core import notation as N
from entwined.core.evidence import (DerivationStep, Evidence, Expression, Expressions, Figure,
                                    Group, MonteCarloComparison, Prose, Readings, Record,
                                    RefinementStudy, Scalar, Series, StepStatus, Table, Text)
from entwined.core.texprint import to_latex
from entwined.report.evidence_tex import (math_display, number, prose_tex, refinement, render,
                                          render_evidence, steps, text_tex)
from entwined.report.printed import printed_latex
from tests.conftest import run_cli

# fragments of Python/SymPy source that must never reach a reader
PYTHON_FRAGMENTS = [r"Derivative\(", r"np\.float64", r"Matrix\(\[", r"\*\*", r"\{'", r"sqrt\(",
                    r"delta\^", r"phip", r"\[U\+", r"Integer\(", r"Symbol\(", r"array\(",
                    r"<[a-z_.]+ object at 0x", r"Scalar\(", r"Text\(", r"Prose\("]

PHI2 = sp.Function("phip2")(N.z, N.t)
HOSTILE = r"Evil _ % # & ~ ^ \ { } \input{/etc/hostname} $x$ \end{document}"


def fragments(text: str) -> list[str]:
    return [p for p in PYTHON_FRAGMENTS if re.search(p, text)]


# --- the PDF --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def pdf(tmp_path_factory, request):
    if not (shutil.which("latexmk") and shutil.which("pdflatex") and shutil.which("pdftotext")
            and shutil.which("pdfinfo")):
        request.getfixturevalue("require_tex")       # skips with the reason (or fails if required)
    out = tmp_path_factory.mktemp("report") / "r.pdf"
    proc = run_cli("report", "--quick", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    return out


def _pdftotext(path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def test_no_python_source_in_the_pdf(pdf):
    text = _pdftotext(pdf)
    found = {p: re.findall(r".{0,40}" + p + r".{0,40}", text)[:3] for p in fragments(text)}
    assert not found, f"Python/SymPy source in the PDF: {found}"


def test_pdf_metadata_title_author_subject(pdf):
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    fields = dict(line.split(":", 1) for line in info.splitlines() if ":" in line)
    assert "Entwined Pairs" in fields.get("Title", "") and "0206095" in fields["Title"]
    assert fields.get("Author", "").strip() and fields.get("Subject", "").strip()
    assert fields.get("Keywords", "").strip()


def _pdf_string(raw: bytes) -> str:
    """A PDF literal string's bytes (escapes undone) as text; UTF-16 with a byte-order mark."""
    out, i = bytearray(), 0
    while i < len(raw):
        ch = raw[i]
        if ch == 0x5C and i + 1 < len(raw):                      # backslash escape
            m = re.match(rb"[0-7]{1,3}", raw[i + 1:i + 4])
            if m:
                out.append(int(m.group(), 8) & 0xFF)
                i += 1 + len(m.group())
                continue
            out += {b"n": b"\n", b"r": b"\r", b"t": b"\t"}.get(raw[i + 1:i + 2], raw[i + 1:i + 2])
            i += 2
            continue
        out.append(ch)
        i += 1
    data = bytes(out)
    if data.startswith(b"\xfe\xff"):
        return data[2:].decode("utf-16-be", errors="replace")
    return data.decode("latin-1")


def outline_titles(path) -> list[str]:
    """Bookmark titles: the /Outlines items' /Title strings, looked up in object streams."""
    raw = path.read_bytes()
    objects = {}
    for m in re.finditer(rb"\d+ 0 obj\s*<<((?:(?!endobj).)*?)>>\s*stream\r?\n(.*?)endstream",
                         raw, re.S):
        if b"/ObjStm" not in m.group(1):
            continue
        first = int(re.search(rb"/First\s+(\d+)", m.group(1)).group(1))
        data = zlib.decompress(m.group(2))
        head = [int(x) for x in data[:first].split()]
        pairs = list(zip(head[::2], head[1::2]))
        for k, (num, off) in enumerate(pairs):
            end = pairs[k + 1][1] if k + 1 < len(pairs) else len(data) - first
            objects[num] = data[first + off:first + end].strip()
    for m in re.finditer(rb"(\d+) 0 obj\s*(.*?)endobj", raw, re.S):
        objects.setdefault(int(m.group(1)), m.group(2).strip())
    titles = []
    for body in objects.values():
        if b"/Parent" not in body or b"/Title" not in body:
            continue
        for ref in re.findall(rb"/Title\s+(\d+) 0 R", body):
            titles.append(_decode(objects.get(int(ref), b"")))
        titles += [_decode(t) for t in re.findall(rb"/Title\s*(\((?:\\.|[^\\)])*\)|<[0-9A-Fa-f]+>)",
                                                  body, re.S)]
    return titles


def _decode(token: bytes) -> str:
    token = token.strip()
    if token.startswith(b"<"):
        data = bytes.fromhex(token[1:-1].decode())
        return (data[2:].decode("utf-16-be", errors="replace") if data.startswith(b"\xfe\xff")
                else data.decode("latin-1"))
    if token.startswith(b"("):
        return _pdf_string(token[1:-1])
    return ""


def test_pdf_outline_has_summary_findings_and_sections(pdf):
    titles = " | ".join(outline_titles(pdf))
    for wanted in ("Summary", "Findings by root cause", "main claims", "Reproducibility",
                   "Entwined pairs and diffusive scaling",
                   "(13) ", "(A2) ",                       # every claim has its bookmark
                   "With"):                                # and every finding (titles vary)
        assert wanted in titles, f"no bookmark {wanted!r} in {titles[:600]}"
    assert len(outline_titles(pdf)) >= 40


def test_summary_and_findings_come_first_with_chain(pdf):
    text = _pdftotext(pdf)
    summary, findings = text.index("Summary"), text.index("Findings by root cause")
    first_claim = text.index("Left-envelope recurrence", findings)
    assert summary < findings < first_claim
    head = text[:first_claim]
    assert "(A1)" in head and "(A4)" in head and "omission" in head
    assert "rests-on-correction" in head and "Chain" in head
    assert "largest standard score" in text and "max |z|" not in text


def test_commands_are_pastable(pdf):
    text = _pdftotext(pdf)
    assert "entwined verify --json" in text and "\u2013json" not in text and "\u2013" + "mutation" not in text


def test_arxiv_id_is_a_link(pdf):
    urls = subprocess.run(["pdfinfo", "-url", str(pdf)], capture_output=True, text=True).stdout
    assert "https://arxiv.org/abs/quant-ph/0206095" in urls


# --- the renderer, by type ------------------------------------------------------------------

STUDY = RefinementStudy(what="max |error|", h=(0.2, 0.1, 0.05), error=(1e-2, 2.6e-3, 6.4e-4),
                        observed_order=(1.94, 2.02), predicted_order=2.0, fitted_slope=1.98,
                        passes=True)
FLAT = RefinementStudy(what="flat", h=(0.2, 0.1, 0.05), error=(0.45, 0.449, 0.448),
                       observed_order=(0.003, 0.003), predicted_order=1.0, fitted_slope=0.003,
                       passes=False)

ITEMS = {
    "expression": Expression(-2 * N.c * N.epsilon * sp.Derivative(PHI2, N.z)),
    "matrix": Expression(sp.Matrix([[16, 0], [0, 16]])),
    "expressions": Expressions((("phip1", N.a * PHI2), ("phip2", sp.S(0)))),
    "zero": Expressions(((None, sp.S(0)), (None, sp.S(0)))),
    "scalar": Scalar(np.float64(0.2872188559445364)),
    "int": Scalar(100000),
    "bool": Scalar(True),
    "none": Scalar(None),
    "text": Text("phip1 at t = 8 eps"),
    "prose": Prose.of("differs by ", sp.sqrt(2) * N.delta ** 2, " at first order"),
    "record": Record((("z", Scalar(3.2)), ("nested", Record((("k", Text("v")),))))),
    "group": Group((Scalar(1), Scalar(2.5))),
    "rows": Group((Record((("eps", Scalar(0.1)), ("err", Scalar(1e-3)))),
                   Record((("eps", Scalar(0.05)), ("err", Scalar(2.5e-4)))))),
    "study": STUDY,
    "flat": FLAT,
    "monte_carlo": MonteCarloComparison(what="max |mean - recurrence| / s.e.", n_paths=1000,
                                        max_standard_score=2.5, threshold=4.7, passes=True,
                                        by_alpha=(("0.3", 2.5, 4.7, True),)),
    "figure": Figure("phip1 against z", "z", sp.Function("phip1")(N.z, N.t),
                     (Series("a", (1.0, 2.0, 4.0), (1.0, 0.26, 0.06)),), log=True,
                     reference_slope=-2.0),
    "table": Table(("reading", "value"), (("k = 1/sqrt(2)", 0.5), ("k = 1/2", sp.sqrt(2)))),
    "readings": Readings((("k = 1/sqrt(2)", "holds"), ("k = 1/2", "fails")), "k = 1/sqrt(2)"),
    "step": DerivationStep(Prose.of("R", sp.Symbol("R") ** 8, " = I"), sp.Symbol("x"),
                           StepStatus.PROVED, "residual simplified", sp.S(0)),
}


@pytest.mark.parametrize("name", sorted(ITEMS))
def test_every_evidence_type_renders_without_repr(name):
    tex = render(ITEMS[name], name)
    assert tex.strip()
    for bad in ("np.float64", "Derivative(", "Matrix([", "phip", "**", "{'", "object at",
                "Scalar(", "Text(", "Record(", "[U+"):
        assert bad not in tex, f"{bad!r} in the rendering of {name}: {tex[:300]}"


def test_unknown_object_is_refused_not_printed():
    with pytest.raises(TypeError):
        render(Record((("x", object()),)), "x")


def test_hostile_text_is_escaped():
    for item in (Text(HOSTILE), Prose.of(HOSTILE), Record((("k", Text(HOSTILE)),))):
        tex = render(item, "name")
        assert r"\input{" not in tex and r"\end{document}" not in tex and "$x$" not in tex
        assert "input" in tex


def test_hostile_symbol_names_stay_text():
    tex = to_latex(sp.Symbol(r"\input{x}") + sp.Function(r"\def\x")(N.z))
    assert r"\input{" not in tex and r"\def\x" not in tex


def test_notation_printer_uses_the_papers_symbols():
    tex = to_latex(-2 * N.c * N.epsilon * sp.Derivative(PHI2, N.z))
    assert r"\phi'_{2}" in tex and r"\partial_{z}" in tex and r"\varepsilon" in tex
    assert "phip" not in tex and "operatorname" not in tex
    assert to_latex(sp.exp(-sp.I * N.a * N.t)) == r"e^{- i a t}"


def test_matrix_power_in_12_typeset_as_printed():
    from entwined.core.claims import load_claims
    claim = load_claims().by_id()["12"]
    tex = printed_latex(claim.equations[0], "12")
    assert tex is not None and r"\right]^{8}" in tex and "16" not in tex


def test_text_notation_is_typeset():
    tex = text_tex("(sqrt 2)^(t/eps) and N^-0.51, phi'_1 -> oo, psi_- and delta^2")
    visible = re.sub(r"\\[A-Za-z]+", "", tex)          # what remains once macros are gone
    for bad in ("sqrt", "^", "phi'", "->", "delta", "eps"):
        assert bad not in visible, bad
    assert r"\sqrt" in tex and r"\to" in tex and r"\infty" in tex and r"\psi_{-}" in tex


def test_numbers_have_sensible_significant_figures():
    assert number(np.float64(0.2872188559445364)) == "0.287"
    assert number(1.23456e-7) == r"$1.23\times 10^{-7}$"
    assert number(1e-12) == "$10^{-12}$"
    assert number(100000) == r"100\,000"
    assert number(True) == "yes"


def test_refinement_study_has_table_plot_and_reference_slope():
    tex = refinement(STUDY)
    assert "observed order" in tex and r"\begin{axis}" in tex and "order 2" in tex
    assert "dashed" in tex
    ticks = re.search(r"yticklabels=\{(.*?)\}, xlabel", tex).group(1)
    labels = re.findall(r"\{\$(.*?)\$\}", ticks)
    assert len(labels) == len(set(labels)) >= 2          # no duplicate tick labels


def test_tick_labels_are_math_not_control_characters():
    from entwined.report.evidence_tex import _ticklabels
    labels = _ticklabels([0.002, 0.005, 0.01])
    assert r"2\times 10^{-3}" in labels and "\t" not in labels


def test_flat_error_gets_a_linear_axis():
    tex = refinement(FLAT)
    assert "ymin=0" in tex and "does not decrease" in tex


def test_derivation_steps_are_numbered_with_status():
    tex = steps([ITEMS["step"], DerivationStep(Prose.of("drift cancels"), None,
                                               StepStatus.FAILED, "", N.delta)])
    assert tex.count(r"\item[") == 2 and r"\stepmark{holds}" in tex and r"\stepmark{fails}" in tex
    assert "proved symbolically" in tex and "does not hold" in tex


def test_long_expression_is_broken_into_lines():
    expr = sum(sp.Symbol(f"a{i}") * sp.Derivative(PHI2, (N.z, i)) for i in range(1, 12))
    assert r"\begin{aligned}" in math_display(expr)


def test_evidence_mapping_renders_figures_last():
    ev = Evidence({"figures": [ITEMS["figure"]], "residual": sp.S(0)})
    tex = render_evidence(ev)
    assert tex.index("residual") < tex.index("tikzpicture")


def test_sympy_source_in_a_detail_string_is_typeset():
    tex = text_tex("the printed expansion differs at first order: "
                   "-2*c*epsilon*Derivative(phip2(z, t), z); and Derivative(evil")
    assert "Derivative(phip2" not in tex and r"\phi'_{2}" in tex and r"\partial_{z}" in tex


def test_prose_typesets_formulas():
    tex = prose_tex(ITEMS["prose"])
    assert r"\sqrt{2}" in tex and "$" in tex


def test_a_correction_given_only_as_mathematics_is_typeset():
    """A check that states its correction only as mathematics (no LaTeX of its own) gets it
    typeset by the evidence renderer (the report renderer's name once shadowed it)."""
    import sympy as sp
    from entwined.core.verdicts import Outcome, Verdict
    from entwined.report.build import _correction
    out = Outcome(Verdict.CORRECTED, "x", correction="a = 1",
                  correction_math=[sp.Eq(sp.Symbol("a"), 1)])
    assert "$a = 1$" in str(_correction(out))
