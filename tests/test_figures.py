"""Pictures drawn once in figure documents and placed into the report as PDF pages
(report/figures.py): every picture lands on its own page, in order, at the width of its place."""
import re
import shutil
import subprocess

import pytest

from entwined.report import build, figures

# as in report/templates/report.tex.j2: what only the pictures need is marked off
PRE = ("\\documentclass{article}\n\\usepackage{graphicx}\n% entwined pictures: begin\n"
       "\\usepackage{pgfplots}\n\\pgfplotsset{compat=1.16}\n"
       "\\pgfplotsset{studyaxis/.style={height=3cm}, figaxis/.style={height=3cm}}\n"
       "% entwined pictures: end\n")
PLOT = ("\\begin{tikzpicture}\\begin{axis}[%s, width=\\linewidth, xlabel={%s}]"
        "\\addplot coordinates {(0,0) (1,%d)};\\end{axis}\\end{tikzpicture}")
STYLES = ("\\newcommand{\\studysep}{\\end{minipage}\\hfill\\begin{minipage}[c]{%s\\linewidth}}\n"
          % figures.STUDY_WIDTH)


def _doc(n_pictures: int, nested: bool = False) -> str:
    body = []
    for i in range(n_pictures):
        style = "studyaxis" if i % 2 == 0 else "figaxis"
        plot = PLOT % (style, f"label{i}", i + 1)
        if style == "studyaxis":
            plot = ("\\noindent\\begin{minipage}[c]{0.38\\linewidth}table\\studysep" + plot
                    + "\\end{minipage}\\par")
        body.append(plot)
    text = "\n".join(body)
    if nested:
        text = ("\\begin{list}{}{\\setlength{\\leftmargin}{3em}}\\item " + text
                + "\\end{list}")
    return PRE + STYLES + "\\begin{document}\n" + text + "\n\\end{document}\n"


def test_every_picture_moves_to_one_page_in_order():
    tex = _doc(5)
    out = figures.split(tex, parts=2)
    assert "tikzpicture" not in out.report.partition("\\begin{document}")[2]
    placed = re.findall(r"\\entwinedfigure\{(figures-\d)\.pdf\}\{(\d+)\}\{([\d.]+)\}", out.report)
    assert [(f, int(p)) for f, p, _ in placed] == [("figures-1", 1), ("figures-1", 2),
                                                   ("figures-2", 1), ("figures-2", 2),
                                                   ("figures-2", 3)]
    # the study plots (even pictures) are drawn for the study column, the others for the line
    assert [float(w) for _, _, w in placed] == [figures.STUDY_WIDTH, 1.0] * 2 + [
        figures.STUDY_WIDTH]
    drawn = [re.findall(r"xlabel=\{(label\d)\}", src) for src in out.figures.values()]
    assert drawn == [["label0", "label1"], ["label2", "label3", "label4"]]


def test_the_placing_report_does_without_pgfplots_the_figure_documents_keep_it():
    out = figures.split(_doc(3), parts=2)
    assert "pgfplots" not in out.report.partition("\\begin{document}")[0]
    assert all("\\usepackage{pgfplots}" in doc and "studyaxis/.style" in doc
               for doc in out.figures.values())


def test_a_document_without_pictures_is_unchanged():
    tex = PRE + "\\begin{document}\nno pictures\n\\end{document}\n"
    assert figures.split(tex) == figures.Split(tex, {})
    assert figures.split("not a document \\begin{tikzpicture}").figures == {}


def test_more_parts_than_pictures():
    out = figures.split(_doc(1), parts=4)
    assert list(out.figures) == ["figures-1"]


@pytest.fixture
def tex_tools(request):
    if not (shutil.which("latexmk") and shutil.which("pdflatex") and shutil.which("pdfinfo")):
        request.getfixturevalue("require_tex")


def _page_sizes(pdf) -> list[tuple[float, float]]:
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "99", str(pdf)], capture_output=True,
                          text=True, check=True).stdout
    return [(float(w), float(h)) for w, h in
            re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", info)]


@pytest.mark.parametrize("nested", [False, True])
def test_pictures_placed_as_drawn_inline(tmp_path, tex_tools, nested):
    """The report with placed pictures has the pages of the report with the pictures inline, and
    the same text where the place is as wide as the picture was drawn for (nested: the place is
    narrower, the picture is scaled to it, so pgfplots' tick choice may differ)."""
    tex = _doc(4, nested)
    placed = tmp_path / "placed.pdf"
    build.compile_pdf(tex, placed)
    inline_dir = tmp_path / "inline"
    inline_dir.mkdir()
    (inline_dir / "report.tex").write_text(tex)
    subprocess.run(build._tex_tool(), cwd=inline_dir, capture_output=True, check=True)
    inline = inline_dir / "report.pdf"
    assert _page_sizes(placed) == _page_sizes(inline)
    words = [subprocess.run(["pdftotext", str(p), "-"], capture_output=True, text=True,
                            check=True).stdout.split() for p in (placed, inline)]
    if not nested:
        assert sorted(words[0]) == sorted(words[1])
    assert {f"label{i}" for i in range(4)} <= set(words[0])


def test_figure_pages_are_cropped_to_the_picture(tmp_path, tex_tools):
    out = figures.split(_doc(2))
    for stem, source in out.figures.items():
        (tmp_path / f"{stem}.tex").write_text(source)
        subprocess.run(["pdflatex", "-interaction=nonstopmode", "-no-shell-escape",
                        f"{stem}.tex"], cwd=tmp_path, capture_output=True, check=True)
        sizes = _page_sizes(tmp_path / f"{stem}.pdf")
        assert sizes and all(20 < w < 400 and 20 < h < 300 for w, h in sizes)


def test_a_broken_picture_is_a_latex_error_and_nothing_written(tmp_path, tex_tools):
    tex = _doc(2).replace("\\addplot coordinates", "\\addplot coordinates \\undefinedmacro", 1)
    out = tmp_path / "r.pdf"
    with pytest.raises(build.EntwinedError, match=r"LaTeX failed: .*figures-1\.tex:\d+:"):
        build.compile_pdf(tex, out)
    assert not out.exists()
