"""What reaches a terminal: names and paths without control characters, no markup from data.

An ANSI escape in a file or activity name would recolour or rewrite the user's terminal; a
`[/bold]` in a name would be read as rich markup (and raise). The console made here reads no
markup and strips control characters from every string it renders.
"""

from __future__ import annotations

import re
from typing import Any

# C0 and C1 controls (tab and newline become spaces), bidi overrides and isolates ("Trojan source")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def plain(s: str) -> str:
    """`s` without control characters; tabs and line breaks become spaces."""
    return _CONTROL.sub("", s.replace("\t", " ").replace("\r\n", " ").replace("\n", " ").replace("\r", " "))


def console(**kwargs: Any) -> Any:
    """A rich Console with markup off whose strings are stripped of control characters."""
    from rich.console import Console

    class _PlainConsole(Console):
        def render_str(self, text: str, **kw: Any) -> Any:
            return super().render_str(_CONTROL.sub("", text), **kw)

    return _PlainConsole(markup=False, **kwargs)
