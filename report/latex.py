"""The one Jinja2 environment for LaTeX: TeX-safe delimiters, strict undefined, and escaping of
every plain string.  Only SymPy's LaTeX output and the templates themselves are trusted."""
from __future__ import annotations

from importlib import resources

import jinja2

_SPECIAL = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&",
            "#": r"\#", "^": r"\textasciicircum{}", "_": r"\_", "%": r"\%",
            "~": r"\textasciitilde{}", "<": r"\textless{}", ">": r"\textgreater{}",
            "|": r"\textbar{}", "\n": " ", "\r": " "}
_UNICODE = {"ö": r"\"o", "ü": r"\"u", "ä": r"\"a", "é": r"\'e", "è": r"\`e", "–": "--",
            "—": "---", "“": "``", "”": "''", "‘": "`", "’": "'", "ﬁ": "fi", "ﬂ": "fl",
            "…": r"\ldots{}", "×": r"$\times$", "→": r"$\to$", "±": r"$\pm$"}


def escape(value) -> str:
    """Plain text -> LaTeX that prints it literally; unknown non-ASCII shows as [U+XXXX]."""
    out = []
    for ch in str(value):
        if ch in _SPECIAL:
            out.append(_SPECIAL[ch])
        elif ch in _UNICODE:
            out.append(_UNICODE[ch])
        elif ord(ch) < 128:
            out.append(ch if ch.isprintable() else " ")
        else:
            out.append(r"{\footnotesize[U+%04X]}" % ord(ch))
    return "".join(out)


def environment() -> jinja2.Environment:
    loader = jinja2.FileSystemLoader(str(resources.files("entwined.report") / "templates"))
    env = jinja2.Environment(
        loader=loader, undefined=jinja2.StrictUndefined, autoescape=False,
        block_start_string=r"\BLOCK{", block_end_string="}",
        variable_start_string=r"\VAR{", variable_end_string="}",
        comment_start_string=r"\#{", comment_end_string="}",
        line_statement_prefix="%%", line_comment_prefix="%#",
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["e"] = escape
    env.finalize = _refuse_raw
    return env


class Tex(str):
    """A string already in LaTeX (SymPy output or built here from escaped parts)."""


def _refuse_raw(value):
    """Every value that reaches the page is escaped unless it is explicitly marked as Tex."""
    if isinstance(value, Tex) or isinstance(value, (int, float)):
        return value
    return escape(value)
