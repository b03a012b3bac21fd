"""Markdown pieces for pull-request comments, with names escaped.

Activity, file and element names come from the user's data. In a PR comment raw HTML in a name
(`<img onerror=…>`) would be rendered, a `|` would split a table cell and `[x](url)` would become a
link; so every value is escaped unless it is `Md` (markdown we built ourselves, like `code()`).
"""

from __future__ import annotations

import re
from typing import Iterable, Sequence

from gosupr.report.terminal import plain

_SPECIAL = re.compile(r"([\\`*_\[\]|#!~])")


class Md(str):
    """Markdown made here (a code span, bold text): cells keep it as it is."""


def text(v: object) -> str:
    """A name as inline Markdown text: no HTML, links, emphasis or table syntax of its own."""
    s = plain(str(v))
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _SPECIAL.sub(r"\\\1", s)


def code(v: object) -> Md:
    """A name as a code span (shown literally; HTML inside is inert), safe in a table cell."""
    s = plain(str(v)).replace("|", "\\|")
    longest = max((len(m) for m in re.findall(r"`+", s)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if s.startswith("`") or s.endswith("`") else ""
    return Md(f"{fence}{pad}{s}{pad}{fence}")


def cell(v: object) -> str:
    if isinstance(v, Md):
        return str(v).replace("\n", " ")
    return text(v)


def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    out = ["| " + " | ".join(cell(h) for h in headers) + " |", "|" + "---|" * len(headers)]
    out += ["| " + " | ".join(cell(v) for v in r) + " |" for r in rows]
    return "\n".join(out) + "\n"
