"""Evidence as a referee reads it: every typed evidence item is rendered to LaTeX here, in one
place per type, and nowhere else.

Safety: the output is built only from fixed macros, numbers formatted here, the notation
printer's output (`entwined.core.texprint`, which escapes non-notation names) and text escaped by
`text_tex`.  `text_tex` typesets the ASCII notation of the claims file's prose (alpha, phi'_1,
delta^2, sqrt(2), ->) with fixed macros and escapes everything else, character by character.
No Python repr of anything reaches the page: an object without a rendering here raises.
"""
from __future__ import annotations

import math
import re
from enum import Enum

import sympy as sp

from entwined.core.claims import DISPLAY_VOCABULARY, split_equation
from entwined.core.evidence import (EVIDENCE_TYPES, DerivationStep, Evidence, Expression,
                                    Expressions, Figure, Group, MonteCarloComparison, Prose,
                                    Readings, Record, RefinementStudy, Scalar, Series, StepStatus,
                                    Table, Text, as_evidence)
from entwined.core.formula import parse_formula
from entwined.core.texprint import to_latex
from entwined.report.latex import Tex, escape

# --- plain text with the claims file's ASCII notation ---------------------------------------

_GREEK = {"alpha": r"\alpha", "beta": r"\beta", "gamma": r"\gamma", "delta": r"\delta",
          "epsilon": r"\varepsilon", "eps": r"\varepsilon", "theta": r"\theta",
          "lambda": r"\lambda", "mu": r"\mu", "nu": r"\nu", "pi": r"\pi", "rho": r"\rho",
          "sigma": r"\sigma", "tau": r"\tau", "phi": r"\phi", "chi": r"\chi", "psi": r"\psi",
          "omega": r"\omega", "hbar": r"\hbar", "Delta": r"\Delta", "Phi": r"\Phi",
          "Psi": r"\Psi", "kappa": r"\kappa"}
_GREEK_RE = "|".join(sorted(_GREEK, key=len, reverse=True))
_SUB = {"p": "+", "m": "-"}
_TOKEN = re.compile(
    r"(?P<phip>\bphip(?P<phip_n>[1-4])\b)"
    r"|(?P<phiprime>\b(?P<pp_base>phi|Phi)'(?:_\{?(?P<pp_n>[1-4ij])\}?)?)"
    r"|(?P<phinum>\bphi_?(?P<phinum_n>[1-4])\b)"
    r"|(?P<psi>\bpsi_(?P<psi_s>[LR+\-]|p\b|m\b))"
    r"|(?P<syt>\b(?:sigma_ytilde|syt)\b)"
    r"|(?P<sigma>\bsigma_(?P<sigma_s>[xyz])\b)"
    r"|(?P<sqrt>\bsqrt\s*\((?P<sqrt_a>[^()]{1,40})\)|\bsqrt\s+(?P<sqrt_b>\d+)\b)"
    rf"|(?P<greeksub>\b(?P<gs_base>{_GREEK_RE})_(?P<gs_sub>[A-Za-z0-9]{{1,2}})\b)"
    rf"|(?P<greek>\b(?P<g_name>{_GREEK_RE})\b)"
    r"|(?P<letsub>\b(?P<ls_base>[A-Za-z])_(?P<ls_sub>[A-Za-z0-9]{1,2}|[+\-])(?![A-Za-z0-9_]))"
    r"|(?P<partial>(?<![/\w])d(?P<partial_v>[tz])\b(?!/))"
    r"|(?P<pow>\*\*|\^)"
    r"|(?P<arrow>->)|(?P<geq>>=)|(?P<leq><=)|(?P<neq>!=)|(?P<pm>\+-)"
    r"|(?P<infty>\boo\b)"
    r"|(?P<times>(?<=\S)\*(?=\S))")
_UNICODE_MATH = {"α": r"\alpha", "β": r"\beta", "γ": r"\gamma", "δ": r"\delta",
                 "ε": r"\varepsilon", "θ": r"\theta", "λ": r"\lambda", "μ": r"\mu",
                 "π": r"\pi", "ρ": r"\rho", "σ": r"\sigma", "τ": r"\tau", "φ": r"\phi",
                 "χ": r"\chi", "ψ": r"\psi", "ω": r"\omega", "ħ": r"\hbar", "∂": r"\partial",
                 "∞": r"\infty", "≤": r"\leq", "≥": r"\geq", "≠": r"\neq", "≈": r"\approx",
                 "√": r"\surd", "′": r"{}'", "·": r"\cdot", "−": "-", "Φ": r"\Phi",
                 "Ψ": r"\Psi", "Δ": r"\Delta", "∑": r"\sum", "∫": r"\int"}
_UNICODE_TEXT = {"§": r"\S{}", "®": r"\textregistered{}", "¢": r"\textcent{}",
                 "€": r"\texteuro{}", "©": r"\textcopyright{}", "°": r"\textdegree{}",
                 "«": r"\guillemotleft{}", "»": r"\guillemotright{}", "ﬀ": "ff", "ﬃ": "ffi",
                 "\u00a0": "~", "½": r"\textonehalf{}", "¼": r"\textonequarter{}"}


def char_tex(ch: str) -> str:
    """One character of plain text (OCR included) as LaTeX: escaped, common symbols kept."""
    if ch in _UNICODE_MATH:
        return "$" + _UNICODE_MATH[ch] + "$"
    if ch in _UNICODE_TEXT:
        return _UNICODE_TEXT[ch]
    out = escape(ch)
    if out.startswith(r"{\footnotesize[U+"):            # not in any table: name the code point
        return r"{\footnotesize\textlangle{}U+%04X\textrangle{}}" % ord(ch)
    return out


def plain_tex(text) -> Tex:
    """Literal text (ids, paths, commands, OCR): every character escaped, no notation."""
    return Tex("".join(char_tex(ch) for ch in str(text)))


def _balanced(text: str, start: int, limit: int = 80) -> int | None:
    """Index just past the parenthesis group opening at text[start]."""
    depth = 0
    for i in range(start, min(len(text), start + limit)):
        depth += {"(": 1, ")": -1, "{": 1, "}": -1}.get(text[i], 0)
        if depth == 0:
            return i + 1
    return None


_SOURCE_START = re.compile(r"Derivative\(")


def _source_spans(text: str):
    """(start, end, expr) for SymPy source inside a sentence (a check that still writes
    str(expr) into its detail): each span is parsed by the whitelist parser, never evaluated;
    a span that does not parse stays text."""
    pos = 0
    while True:
        m = _SOURCE_START.search(text, pos)
        if m is None:
            return
        start = m.start()
        while start > 0 and re.match(r"[\w*/.+\-]", text[start - 1]):
            start -= 1
        end = _balanced(text, m.end() - 1, limit=400)
        if end is None:
            return
        tail = re.match(r"(?:[*/][\w.]+)*", text[end:])
        end += tail.end()
        src = text[start:end].lstrip("+")
        try:
            expr = parse_formula(src.replace("^", "**"), DISPLAY_VOCABULARY, where="detail",
                                 evaluate=False)
        except Exception:     # not a formula after all: left as text
            pos = m.end()
            continue
        yield start + (len(text[start:end]) - len(src)), end, expr
        pos = end


def text_tex(text) -> Tex:
    """Prose from the claims file or a check: its ASCII notation typeset, SymPy source inside
    it typeset by the printer, the rest escaped."""
    text = str(text)
    spans = list(_source_spans(text)) if "Derivative(" in text else []
    if spans:
        out, i = [], 0
        for start, end, expr in spans:
            out.append(_notation_tex(text[i:start]))
            out.append(math_inline(expr))
            i = end
        out.append(_notation_tex(text[i:]))
        return Tex("".join(out))
    return _notation_tex(text)


# plain-text tokens that stand for one symbol
_SYMBOL_TOKENS = {"arrow": r"$\to$", "geq": r"$\geq$", "leq": r"$\leq$", "neq": r"$\neq$",
                  "pm": r"$\pm$", "infty": r"$\infty$", "times": r"$\,$"}


def _notation_tex(text) -> Tex:
    text, out, i = str(text), [], 0
    for m in _TOKEN.finditer(text):
        if m.start() < i:
            continue
        out.append(plain_tex(text[i:m.start()]))
        i = m.end()
        kind = m.lastgroup
        if kind == "phip":
            out.append(rf"$\phi'_{{{m.group('phip_n')}}}$")
        elif kind == "phiprime":
            sub = m.group('pp_n')
            out.append(rf"$\{m.group('pp_base')}'" + (f"_{{{sub}}}" if sub else "") + "$")
        elif kind == "phinum":
            out.append(rf"$\phi_{{{m.group('phinum_n')}}}$")
        elif kind == "psi":
            sub = m.group('psi_s')
            out.append(rf"$\psi_{{{_SUB.get(sub, sub)}}}$")
        elif kind == "syt":
            out.append(r"$\tilde\sigma_y$")
        elif kind == "sigma":
            out.append(rf"$\sigma_{m.group('sigma_s')}$")
        elif kind == "sqrt":
            inner = m.group('sqrt_a') if m.group('sqrt_a') is not None else m.group('sqrt_b')
            out.append(r"$\sqrt{\mbox{" + text_tex(inner) + "}}$")
        elif kind == "greeksub":
            out.append("$" + _GREEK[m.group('gs_base')] + "_{" + escape(m.group('gs_sub')) + "}$")
        elif kind == "greek":
            out.append("$" + _GREEK[m.group('g_name')] + "$")
        elif kind == "letsub":
            out.append("$" + m.group('ls_base') + "_{" + escape(m.group('ls_sub')) + "}$")
        elif kind == "partial":
            out.append(rf"$\partial_{m.group('partial_v')}$")
        elif kind == "pow":
            j = i
            if j < len(text) and text[j] in "({":
                end = _balanced(text, j)
                if end is not None:
                    out.append(r"\textsuperscript{" + text_tex(text[j + 1:end - 1]) + "}")
                    i = end
                    continue
            sup = re.match(r"[+\-]?[A-Za-z0-9.']+|[+\-]", text[j:])
            if sup and not sup.group().endswith("."):
                out.append(r"\textsuperscript{" + text_tex(sup.group()) + "}")
                i = j + sup.end()
            elif sup:
                out.append(r"\textsuperscript{" + text_tex(sup.group()[:-1]) + "}")
                i = j + sup.end() - 1
            else:
                out.append(escape(m.group()))
        elif kind in _SYMBOL_TOKENS:
            out.append(_SYMBOL_TOKENS[kind])
    out.append(plain_tex(text[i:]))
    return Tex("".join(out))


# --- formulas -------------------------------------------------------------------------------

def math_inline(expr) -> Tex:
    return Tex("$" + to_latex(expr) + "$")


_CMD = re.compile(r"\\(left|right|big|Big)\b|\\[A-Za-z]+|[{}^_]")


def _width(tex: str) -> int:
    """A rough count of the characters a formula occupies on the page."""
    tex = re.sub(r"\\frac\{([^{}]*)\}\{([^{}]*)\}", lambda m: max(m.group(1), m.group(2), key=len),
                 tex)
    return len(_CMD.sub("x", tex))


def _terms(expr) -> list[str]:
    if isinstance(expr, sp.Add):
        return [to_latex(t) for t in expr.as_ordered_terms()]
    return [to_latex(expr)]


def _lines(lhs: str | None, expr, limit: int) -> str:
    """One equation broken at its top-level + and - into lines of about `limit` characters."""
    terms = _terms(expr)
    lines, cur = [], ""
    for k, t in enumerate(terms):
        piece = t if k == 0 else (" " + t if t.startswith("-") else " + " + t)
        if cur and _width(cur + piece) > limit:
            lines.append(cur)
            cur = piece.strip() if piece.strip().startswith("-") else "+ " + t
        else:
            cur += piece
    lines.append(cur)
    if len(lines) == 1:
        return (lhs + " = " if lhs else "") + lines[0]
    head = (lhs + " &= " if lhs else "&") + lines[0]
    rest = [r"&\quad " + ln for ln in lines[1:]]
    return r"\begin{aligned}" + r" \\ ".join([head] + rest) + r"\end{aligned}"


LINE_LIMIT = 95


def math_display(expr, lhs=None) -> Tex:
    """A displayed formula (an equation or an expression), broken into lines when long and
    scaled to the line width as a last resort (\\fiteq)."""
    if isinstance(expr, sp.Equality):
        lhs, expr = to_latex(expr.lhs), expr.rhs
    elif lhs is not None and not isinstance(lhs, str):
        lhs = to_latex(lhs)
    if isinstance(expr, sp.MatrixBase) or _width(to_latex(expr)) <= LINE_LIMIT:
        body = (lhs + " = " if lhs else "") + to_latex(expr)
    else:
        body = _lines(lhs, expr, LINE_LIMIT)
    return Tex(r"\fiteq{" + body + "}")


def _parse_text_formula(text: str):
    """A Text item that is really a formula (str(expr) from a check in transition): parsed by
    the whitelist parser, never evaluated; None for prose."""
    if len(text) > 2000 or not re.search(r"[\d()*/^=]", text) or re.search(r"[A-Za-z] [A-Za-z]",
                                                                          text):
        return None
    try:
        sides = split_equation(text, "evidence") if "=" in text else (text,)
        parsed = [parse_formula(s.replace("^", "**"), DISPLAY_VOCABULARY, where="evidence",
                                evaluate=False) for s in sides]
    except Exception:       # not a formula: shown as text
        return None
    if any(isinstance(p, sp.MatrixBase) for p in parsed):
        return None
    return parsed[0] if len(parsed) == 1 else sp.Eq(*parsed, evaluate=False)


# --- numbers --------------------------------------------------------------------------------

def number(x, digits: int = 3) -> Tex:
    """A number for a reader: 3 significant figures, powers of ten typeset, ints grouped."""
    if x is None:
        return Tex("n/a")
    if isinstance(x, bool):
        return Tex("yes" if x else "no")
    if isinstance(x, int):
        s = f"{x:,}".replace(",", r"\,")
        return Tex("$" + s + "$" if x < 0 else s)
    x = float(x)
    if math.isnan(x):
        return Tex("n/a")
    if math.isinf(x):
        return Tex(r"$\infty$" if x > 0 else r"$-\infty$")
    if x == 0:
        return Tex("0")
    if 1e-3 <= abs(x) < 1e5:
        s = f"{x:.{digits}g}"
        if "e" not in s:
            return Tex("$" + s + "$" if x < 0 else s)
    mant, exp = f"{x:.{digits - 1}e}".split("e")
    exp = int(exp)
    mant = mant.rstrip("0").rstrip(".") if "." in mant else mant
    if mant in ("1", "-1"):
        return Tex("$" + ("-" if mant == "-1" else "") + f"10^{{{exp}}}$")
    return Tex(f"${mant}\\times 10^{{{exp}}}$")


# --- verdict words and marks ----------------------------------------------------------------

VERDICT_COLOURS = {"holds": "holds", "holds-with-correction": "corrected", "fails": "fails",
                   "unproven": "unproven"}


def verdict_tex(value) -> Tex:
    value = value.value if isinstance(value, Enum) else str(value)
    colour = VERDICT_COLOURS.get(value)
    if colour is None:
        return Tex(plain_tex(value))
    return Tex(r"\verdict{" + colour + "}{" + value + "}")


STATUS_MARKS = {
    StepStatus.PROVED: r"\stepmark{holds}{\checkmark}",
    StepStatus.NUMERIC: r"\stepmark{numeric}{$\approx$}",
    StepStatus.UNCHECKED: r"\stepmark{unproven}{?}",
    StepStatus.FAILED: r"\stepmark{fails}{$\times$}",
}


def pass_tex(passes: bool) -> Tex:
    return Tex(r"\verdict{holds}{passes}" if passes else r"\verdict{fails}{does not pass}")


# --- names of evidence items ----------------------------------------------------------------

_KEY_NAMES = {"z": "standard score", "max_z": "largest standard score",
              "max |z|": "largest standard score"}
_FIELD_KEYS = {"phip1", "phip2", "phip3", "phip4", "phi1", "phi2", "phi3", "phi4", "psi_p",
               "psi_m", "chi", "psi"}


def key_tex(name) -> Tex:
    name = str(name)
    if name in _KEY_NAMES:
        return Tex(_KEY_NAMES[name])
    if name in _FIELD_KEYS:
        return math_inline(sp.Function(name)(sp.Symbol("z", real=True), sp.Symbol("t", real=True)))
    parts = name.split("_")
    if len(parts) > 2 or (len(parts) == 2 and min(len(p) for p in parts) >= 3):
        name = " ".join(parts)
    return text_tex(name)


# --- the renderer ---------------------------------------------------------------------------

MAX_DEPTH = 3


def prose_tex(value) -> Tex:
    """A detail: Prose parts (text escaped with notation, SymPy inline) or a plain string."""
    if isinstance(value, Prose):
        return Tex("".join(text_tex(p) if isinstance(p, str) else math_inline(p)
                           for p in value.parts))
    if value is None:
        return Tex("")
    return text_tex(value)


def _typed(item):
    """A raw value inside a hand-built record (a str, a float, a SymPy object) typed the one
    way evidence is typed; anything else raises, so no repr reaches the page."""
    if isinstance(item, EVIDENCE_TYPES + (Evidence, Series)):
        return item
    return as_evidence(item)


def inline(item) -> Tex | None:
    """A short item as a phrase, or None when it needs a block."""
    item = _typed(item)
    if isinstance(item, Scalar):
        return number(item.value)
    if isinstance(item, Text):
        parsed = _parse_text_formula(item.value)
        if parsed is not None and _width(to_latex(parsed)) <= 60:
            return math_inline(parsed)
        return text_tex(item.value) if len(item.value) <= 160 and parsed is None else None
    if isinstance(item, Expression):
        tex = to_latex(item.value)
        return Tex("$" + tex + "$") if _width(tex) <= 60 and "matrix" not in tex else None
    if isinstance(item, Expressions):
        if item.values and item.all_zero():
            return Tex("$0$" + (f" (each of {len(item.values)} components)"
                                if len(item.values) > 1 else ""))
        if all(n is None for n, _ in item.items):
            tex = ", ".join(to_latex(v) for v in item.values)
            if _width(tex) <= 60 and "matrix" not in tex:
                return Tex("$" + tex + "$")
        return None
    if isinstance(item, Group):
        if not item.items:
            return Tex("none")
        parts = [inline(v) for v in item.items]
        if all(isinstance(v, (Scalar, Text, Expression)) for v in item.items) \
                and all(p is not None for p in parts) and len(item.items) <= 12:
            return Tex(", ".join(parts))
        return None
    if isinstance(item, Prose):
        return prose_tex(item) if len(item) <= 200 else None
    if isinstance(item, Readings):
        return Tex("; ".join(verdict_tex(v) + " with " + text_tex(label)
                             for label, v in item.verdicts))
    return None


def render(item, name=None, depth: int = 0) -> Tex:
    """An evidence item as a LaTeX block (one paragraph or more)."""
    head = (r"\evname{" + key_tex(name) + "}") if name is not None else ""
    item = _typed(item)
    if isinstance(item, Evidence):
        return render_evidence(item)
    short = inline(item)
    if short is not None and not isinstance(item, Readings):
        return Tex(r"\evline{" + head + short + "}")
    if isinstance(item, Prose):
        return Tex(r"\evline{" + head + prose_tex(item) + "}")
    if isinstance(item, Text):
        parsed = _parse_text_formula(item.value)
        if parsed is not None:
            return Tex(r"\evline{" + head + "}" + math_display(parsed))
        return Tex(r"\evline{" + head + text_tex(item.value) + "}")
    if isinstance(item, Expression):
        return Tex(r"\evline{" + head + "}" + math_display(item.value))
    if isinstance(item, Expressions):
        return Tex(r"\evline{" + head + "}" + _expressions(item))
    if isinstance(item, Record):
        return Tex(r"\evline{" + head + "}" + _record(item, depth))
    if isinstance(item, Group):
        return Tex(r"\evline{" + head + "}" + _group(item, depth))
    if isinstance(item, RefinementStudy):
        return Tex(r"\evline{" + head + "}" + refinement(item))
    if isinstance(item, MonteCarloComparison):
        return Tex(r"\evline{" + head + "}" + monte_carlo(item))
    if isinstance(item, Figure):
        return figure(item)
    if isinstance(item, Table):
        return Tex(r"\evline{" + head + "}" + table(item))
    if isinstance(item, Readings):
        return Tex(r"\evline{" + head + "}" + readings(item))
    if isinstance(item, DerivationStep):
        return steps([item])
    if isinstance(item, Series):
        return figure(Figure("", "", "", (item,)))
    raise TypeError(f"no rendering for evidence of type {type(item).__name__}")


def render_evidence(evidence: Evidence, skip=()) -> Tex:
    """Every item of a check's evidence, figures last."""
    blocks, figures = [], []
    for name, item in evidence.items():
        if name in skip:
            continue
        if isinstance(item, Figure) or (isinstance(item, Group) and item.items
                                        and all(isinstance(v, Figure) for v in item.items)):
            figures.append(item)
            continue
        blocks.append(render(item, name))
    for item in figures:
        for fig in (item.items if isinstance(item, Group) else (item,)):
            blocks.append(figure(fig))
    return Tex("\n".join(blocks))


def _expressions(item: Expressions) -> str:
    if item.values and item.all_zero():
        return Tex(r"\evline{$0$" + (f" (each of {len(item.values)} components)"
                                     if len(item.values) > 1 else "") + "}")
    out = []
    for k, (name, value) in enumerate(item.items):
        label = key_tex(name) if name is not None else (
            f"component {k + 1}" if len(item.items) > 1 else "")
        if label:
            out.append(r"\evsub{" + label + "}")
        out.append(math_display(value))
    return "\n".join(out)


def _record(item: Record, depth: int) -> str:
    if not item.items:
        return r"\evline{none}"
    if depth >= MAX_DEPTH:
        return r"\evline{" + "; ".join(key_tex(k) + ": " + (inline(v) or "(nested)")
                                        for k, v in item.items) + "}"
    rows = [render(v, k, depth + 1) for k, v in item.items]
    return r"\begin{evlist}" + "\n".join(r"\item " + r for r in rows) + r"\end{evlist}"


def _tabular_group(item: Group):
    """A group of same-shaped records or rows as a table (columns, rows), or None."""
    values = item.items
    if len(values) < 2:
        return None
    if all(isinstance(v, Record) for v in values):
        keys = [k for k, _ in values[0].items]
        if all([k for k, _ in v.items] == keys for v in values):
            rows = [[inline(x) for _, x in v.items] for v in values]
            if all(c is not None for r in rows for c in r):
                return [key_tex(k) for k in keys], rows
    if all(isinstance(v, Group) for v in values):
        n = len(values[0].items)
        if n and all(len(v.items) == n for v in values):
            rows = [[inline(x) for x in v.items] for v in values]
            if all(c is not None for r in rows for c in r):
                return None, rows
    return None


def _tabular(columns, rows) -> str:
    n = len(rows[0]) if rows else len(columns or ())
    out = [r"\begin{evtable}{" + "l" * n + "}", r"\toprule"]
    if columns:
        out += [" & ".join(columns) + r"\\", r"\midrule"]
    out += [" & ".join(r) + r"\\" for r in rows]
    out += [r"\bottomrule", r"\end{evtable}"]
    return "\n".join(out)


def _group(item: Group, depth: int) -> str:
    if not item.items:
        return r"\evline{none}"
    tab = _tabular_group(item)
    if tab is not None:
        return _tabular(*tab)
    if depth >= MAX_DEPTH:
        return r"\evline{" + ", ".join(inline(v) or "(nested)" for v in item.items) + "}"
    rows = [render(v, None, depth + 1) for v in item.items]
    return r"\begin{evlist}" + "\n".join(r"\item " + r for r in rows) + r"\end{evlist}"


def table(item: Table) -> Tex:
    def cell(v):
        if isinstance(v, Prose):
            return prose_tex(v)
        if isinstance(v, (Scalar, Text, Expression, Expressions, Group)):
            return inline(v) or r"\ldots"
        if isinstance(v, sp.Basic):
            return math_inline(v)
        if isinstance(v, (int, float)) or v is None:
            return number(v)
        if isinstance(v, str):
            return text_tex(v)
        if isinstance(v, Enum):
            return verdict_tex(v)
        return r"\ldots"
    return Tex(_tabular([text_tex(c) for c in item.columns],
                        [[cell(v) for v in row] for row in item.rows]))


def readings(item: Readings) -> Tex:
    rows = [[text_tex(label) + (" (used)" if label == item.primary else ""), verdict_tex(v)]
            for label, v in item.verdicts]
    return Tex(_tabular(["reading of the print", "verdict"], rows))


def monte_carlo(item: MonteCarloComparison) -> Tex:
    parts = [text_tex(item.what) + "."]
    parts.append(f"Paths: {number(item.n_paths)}" + (f"; sites: {number(item.sites)}"
                                                      if item.sites else "") + ".")
    parts.append("Largest standard score " + number(item.max_standard_score)
                 + " against the family-wise threshold " + number(item.threshold) + ": "
                 + pass_tex(item.passes) + "."
                 + (" Largest at " + text_tex(item.where) + "." if item.where else ""))
    out = [r"\evline{" + " ".join(parts) + "}"]
    if item.by_alpha:
        rows = [[text_tex(a), number(s), number(t), pass_tex(p)] for a, s, t, p in item.by_alpha]
        out.append(_tabular([r"$\alpha$", "largest standard score", "threshold", ""], rows))
    if item.extras.items:
        out.append(_record(item.extras, 1))
    return Tex("\n".join(out))


# --- refinement studies and figures ---------------------------------------------------------

def _coord(x: float) -> str:
    return f"{x:.6g}"


def _nice_ticks(lo: float, hi: float) -> list[float]:
    """Distinct 1-2-5 ticks in [lo, hi] on a log axis (at least two, at most six)."""
    ticks = []
    for e in range(math.floor(math.log10(lo)) - 1, math.ceil(math.log10(hi)) + 1):
        for m in (1, 2, 5):
            v = m * 10.0 ** e
            if lo <= v * (1 + 1e-9) and v <= hi * (1 + 1e-9):
                ticks.append(v)
    if len(ticks) > 6:
        ticks = [v for v in ticks if f"{v:.0e}".startswith("1")] or ticks[::2]
    if len(ticks) > 6:
        step = math.ceil(len(ticks) / 5)
        ticks = ticks[::step]
    if len(ticks) < 2:
        ticks = [float(f"{lo:.2g}"), float(f"{hi:.2g}")]
        if ticks[0] == ticks[1]:
            ticks = ticks[:1]
    return ticks


def _ticklabels(values) -> str:
    """Tick labels in one style per axis: plain decimals, or all as powers of ten."""
    plain = all(0.01 <= abs(v) < 1000 for v in values)
    out = []
    for v in values:
        if plain:
            s = f"{v:.3g}"
        else:
            mant, exp = f"{v:.1e}".split("e")
            mant = mant.rstrip("0").rstrip(".")
            s = (f"10^{{{int(exp)}}}" if mant == "1"
                 else f"{mant}\\times 10^{{{int(exp)}}}")
        out.append("{$" + s + "$}")
    return ",".join(out)


def _is_flat(errors, predicted) -> bool:
    good = [e for e in errors if e and e > 0]
    return len(good) >= 2 and max(good) / min(good) < 2 and (predicted or 0) > 0


def refinement(study: RefinementStudy, label: str | None = None) -> Tex:
    """A table (h, error, observed order) beside a log-log plot with a reference line of the
    predicted order; a flat (non-converging) error on a linear error axis instead."""
    var = text_tex(study.variable) if study.variable not in ("h",) else "$h$"
    head = [text_tex(study.what) + "."]
    bits = []
    if study.predicted_order is not None:
        bits.append("predicted order " + number(study.predicted_order))
    if study.fitted_slope is not None:
        bits.append("fitted slope " + number(study.fitted_slope))
    if study.last_order is not None:
        bits.append("last observed order " + number(study.last_order))
    head.append((", ".join(bits) + ": " if bits else "") + pass_tex(study.passes) + ".")
    rows = []
    for i, (h, e) in enumerate(zip(study.h, study.error)):
        order = study.observed_order[i - 1] if 0 < i <= len(study.observed_order) else None
        rows.append([number(h, 5), number(e), "" if order is None else number(order)])
    tab = _tabular([var, "error", "observed order"], rows)
    plot = _study_plot(study)
    out = [r"\evline{" + (r"\evname{" + label + "}" if label else "") + " ".join(head) + "}"]
    if plot:
        out.append(r"\begin{studybox}" + tab + r"\studysep" + plot + r"\end{studybox}")
    else:
        out.append(tab)
    if study.derived is not None:
        out.append(refinement(study.derived, "The same study for the derived form"))
    if study.extras.items:
        out.append(_record(study.extras, 1))
    return Tex("\n".join(out))


def _study_plot(study: RefinementStudy) -> str:
    pts = [(h, e) for h, e in zip(study.h, study.error)
           if h and e and h > 0 and e > 0 and math.isfinite(h) and math.isfinite(e)]
    if len(pts) < 2:
        return ""
    hs, es = [p[0] for p in pts], [p[1] for p in pts]
    p = study.predicted_order
    flat = _is_flat(es, p)
    ref = []
    if p is not None and p > 0:
        anchor_h, anchor_e = (hs[0], es[0]) if flat else (hs[-1], es[-1])
        ref = [(h, anchor_e * (h / anchor_h) ** p) for h in (min(hs), max(hs))]
    xt = sorted(set(hs))
    if len(xt) > 6:
        xt = xt[::2]
    xopts = ("xmode=log, log basis x=10, xtick={" + ",".join(_coord(v) for v in xt)
             + "}, xticklabels={" + _ticklabels(xt) + "}")
    if flat:
        top = max(es + [e for _, e in ref]) * 1.15
        yopts = f"ymin=0, ymax={_coord(top)}, scaled y ticks=false"
    else:
        ys = es + [e for _, e in ref]
        lo, hi = min(ys) / 1.3, max(ys) * 1.3
        yt = _nice_ticks(lo, hi)
        yopts = (f"ymode=log, log basis y=10, ymin={_coord(min(lo, min(yt)))}, "
                 f"ymax={_coord(max(hi, max(yt)))}, ytick={{" + ",".join(_coord(v) for v in yt)
                 + "}, yticklabels={" + _ticklabels(yt) + "}")
    lines = [r"\begin{tikzpicture}",
             r"\begin{axis}[studyaxis, " + xopts + ", " + yopts + ", xlabel={step "
             + ("$h$" if study.variable == "h" else text_tex(study.variable)) + r"}, ylabel={error}]",
             r"\addplot+[mark=*, thick] coordinates {" + " ".join(
                 f"({_coord(h)},{_coord(e)})" for h, e in pts) + "};",
             r"\addlegendentry{error}"]
    if ref:
        lines += [r"\addplot[dashed, gray, thick, domain=0:1] coordinates {" + " ".join(
                      f"({_coord(h)},{_coord(e)})" for h, e in ref) + "};",
                  r"\addlegendentry{order " + number(p) + "}"]
    lines += [r"\end{axis}", r"\end{tikzpicture}"]
    if flat:
        lines.append(r"\\{\footnotesize The error does not decrease (linear error axis).}")
    return "\n".join(lines)


def _label(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (sp.Basic, sp.MatrixBase)):
        return math_inline(value)
    return prose_tex(value)


def figure(fig: Figure) -> Tex:
    series = []
    for s in fig.series:
        pts = [(x, y) for x, y in zip(s.x, s.y) if x is not None and y is not None
               and math.isfinite(x) and math.isfinite(y) and (not fig.log or (x > 0 and y > 0))]
        if pts:
            series.append((s.name, pts))
    if not series:
        return Tex(r"\evline{" + prose_tex(fig.title) + ": no plottable data.}")
    opts = ["figaxis", "xlabel={" + _label(fig.xlabel) + "}", "ylabel={" + _label(fig.ylabel) + "}"]
    env = "loglogaxis" if fig.log else "axis"
    if fig.log:
        xs = [x for _, pts in series for x, _ in pts]
        ys = [y for _, pts in series for _, y in pts]
        if max(ys) / min(ys) < 30:
            yt = _nice_ticks(min(ys) / 1.2, max(ys) * 1.2)
            opts.append("ytick={" + ",".join(_coord(v) for v in yt) + "}, yticklabels={"
                        + _ticklabels(yt) + "}")
        if max(xs) / min(xs) < 30:
            xt = _nice_ticks(min(xs) / 1.2, max(xs) * 1.2)
            opts.append("xtick={" + ",".join(_coord(v) for v in xt) + "}, xticklabels={"
                        + _ticklabels(xt) + "}")
    lines = [r"\par\medskip\begin{center}", r"\begin{tikzpicture}",
             r"\begin{" + env + "}[" + ", ".join(opts) + "]"]
    for k, (name, pts) in enumerate(series):
        style = ("mark=*, thick" if fig.log else
                 "only marks, mark=o, mark size=1.2pt" if fig.marks and k == 0 else
                 "mark=none, thick")
        lines.append(r"\addplot+[" + style + "] coordinates {" + " ".join(
            f"({_coord(x)},{_coord(y)})" for x, y in pts) + "};")
        lines.append(r"\addlegendentry{" + prose_tex(name) + "}")
    if fig.reference_slope is not None and fig.log:
        name, pts = series[0]
        (x0, y0), x1 = pts[-1], pts[0][0]
        slope = fig.reference_slope
        lines.append(r"\addplot[dashed, gray, thick] coordinates {" + f"({_coord(x1)},"
                     f"{_coord(y0 * (x1 / x0) ** slope)}) ({_coord(x0)},{_coord(y0)})" + "};")
        lines.append(r"\addlegendentry{slope " + number(slope) + "}")
    lines += [r"\end{" + env + "}", r"\end{tikzpicture}",
              r"\\[2pt]", r"\parbox{0.9\linewidth}{\centering\small " + prose_tex(fig.title) + "}",
              r"\end{center}"]
    return Tex("\n".join(lines))


# --- derivations ----------------------------------------------------------------------------

def _residual_is_zero(r) -> bool:
    try:
        if isinstance(r, sp.MatrixBase):
            return r.is_zero_matrix is True
        if isinstance(r, (list, tuple)):
            return all(_residual_is_zero(x) for x in r)
        return r == 0
    except Exception:
        return False


def steps(items) -> Tex:
    """A derivation as numbered, checked steps: status mark, statement, formula, how it was
    checked and (when not zero) the residual."""
    out = [r"\begin{derivation}"]
    for st in items:
        mark = STATUS_MARKS.get(st.status, STATUS_MARKS[StepStatus.UNCHECKED])
        line = [r"\item[" + mark + "] " + prose_tex(st.statement)]
        if isinstance(st.formula, (list, tuple)):       # components: one displayed line each
            line.extend(math_display(f) for f in st.formula)
        elif st.formula is not None:
            line.append(math_display(st.formula))
        note = [r"\emph{" + text_tex(st.status.value) + "}"]
        if st.check:
            note.append(text_tex(st.check))
        if st.residual is not None:
            note.append("residual " + ("$0$" if _residual_is_zero(st.residual)
                                       else math_inline(st.residual)))
        line.append(r"\stepnote{" + "; ".join(note) + "}")
        out.append("\n".join(line))
    out.append(r"\end{derivation}")
    return Tex("\n".join(out))


def legacy_steps(items) -> Tex:
    """Display steps of a check that has not been converted yet: caption and trusted LaTeX."""
    out = [r"\begin{derivation}"]
    for st in items:
        line = [r"\item[" + STATUS_MARKS[StepStatus.UNCHECKED].replace("?", r"$\cdot$") + "] "
                + text_tex(st.caption)]
        if st.latex:
            line.append(r"\fiteq{" + st.latex + "}")
        out.append("\n".join(line))
    out.append(r"\end{derivation}")
    return Tex("\n".join(out))
