"""The report's pgfplots pictures typeset once, in documents of their own, and placed into the
report as PDF pages.

Why: latexmk typesets the report three times (the table of contents moves the pages), and each
pass spent about 70 % of its time redrawing the same pgfplots axes (41 of them in a full run).
Drawn once, in `PARTS` documents compiled side by side on separate cores, they cost one pass
instead of three, and the report's passes are text only; they do not even load pgfplots (and
TikZ under it): the preamble lines the template marks as the pictures' own are left out of the
report that places them (about 0.2 s of every pass).

The look is unchanged: every picture is drawn at the width its place in the report gives it
(a study plot in `STUDY_WIDTH` of the text width, any other at the text width) and, where the
place is narrower (a study inside an indented list), scaled to it, as the inline picture would
have been drawn narrower.  The source written by `--tex-only` keeps its pictures inline: it
compiles on its own.

Only our own renderer's pictures are moved; their text is escaped user text like everywhere
else, and the figure documents are compiled with the report's settings (no shell escape)."""
from __future__ import annotations

import re
from dataclasses import dataclass

STUDY_WIDTH = 0.58          # the study plot's share of the line beside its table (\studysep)
PARTS = 2                   # figure documents compiled side by side (this machine's cores)
PICTURE = re.compile(r"\\begin\{tikzpicture\}.*?\\end\{tikzpicture\}", re.S)
# the preamble lines only the pictures need (pgfplots, which loads TikZ, and its styles): the
# report whose pictures are placed as pages does without them, a third of each pass's time
PICTURES_ONLY = re.compile(r"^% entwined pictures: begin.*?^% entwined pictures: end\n",
                           re.S | re.M)
BEGIN = r"\begin{document}"

# In the report: \entwinedfigure{file}{page}{reference width}: the page at its natural size when
# the line is as wide as the one it was drawn for, else scaled by line / reference.  The text
# width is kept at the start (a minipage changes \textwidth).
_PLACE = r"""
\newlength\entwinedtext\AtBeginDocument{\setlength\entwinedtext{\textwidth}}
\newlength\entwinedref
\newsavebox\entwinedbox
\newcommand{\entwinedfigure}[3]{\setlength\entwinedref{#3\entwinedtext}%
  \sbox\entwinedbox{\includegraphics[page=#2]{#1}}%
  \ifdim\linewidth=\entwinedref\usebox\entwinedbox\else
  \resizebox{\dimexpr\wd\entwinedbox*\number\linewidth/\number\entwinedref\relax}{!}%
    {\usebox\entwinedbox}\fi}
\pdfsuppressptexinfo=-1
"""

# In a figure document: each picture shipped out as one page cropped to its box.
_EMIT = r"""
\hoffset=0pt \voffset=0pt \pdfhorigin=0pt \pdfvorigin=0pt
\newcommand{\entwinedemit}[2]{\setbox0=\hbox{\linewidth=#1\textwidth #2}%
  \pdfpagewidth=\wd0 \pdfpageheight=\dimexpr\ht0+\dp0\relax \shipout\box0 }
"""


@dataclass(frozen=True)
class Split:
    """The report with its pictures replaced by pages of the figure documents."""

    report: str
    figures: dict          # file stem ("figures-1") -> LaTeX source of that figure document


def reference_width(picture: str) -> float:
    """The share of the text width the picture is drawn for (see STUDY_WIDTH)."""
    return STUDY_WIDTH if "[studyaxis" in picture else 1.0


def split(tex: str, parts: int = PARTS) -> Split:
    """Move every picture of `tex` into up to `parts` figure documents with the same preamble.
    A document without pictures (or without a preamble) is returned unchanged."""
    preamble, begin, body = tex.partition(BEGIN)
    pictures = PICTURE.findall(body) if begin else []
    if not pictures:
        return Split(tex, {})
    parts = max(1, min(parts, len(pictures)))
    # contiguous halves: a document's pictures are consecutive pages of one file
    bounds = [len(pictures) * k // parts for k in range(parts + 1)]
    placed = iter(range(len(pictures)))
    where = {}
    for k in range(parts):
        for page, i in enumerate(range(bounds[k], bounds[k + 1]), start=1):
            where[i] = (f"figures-{k + 1}", page)

    def place(match):
        i = next(placed)
        stem, page = where[i]
        return r"\entwinedfigure{%s.pdf}{%d}{%s}" % (stem, page,
                                                     reference_width(match.group(0)))

    report = PICTURES_ONLY.sub("", preamble) + _PLACE + begin + PICTURE.sub(place, body)
    figures = {}
    for k in range(parts):
        pages = [r"\entwinedemit{%s}{%s}" % (reference_width(p), p)
                 for p in pictures[bounds[k]:bounds[k + 1]]]
        figures[f"figures-{k + 1}"] = (preamble + begin + _EMIT + "\n".join(pages)
                                       + "\n\\end{document}\n")
    return Split(report, figures)
