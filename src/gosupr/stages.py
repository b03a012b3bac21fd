"""Which stage a long command is in: a transient line on a terminal's stderr, nothing elsewhere.

A million-event log takes tens of seconds; a silent terminal looks hung. CI log viewers show a
redrawn line as garbage, and stdout belongs to tables and JSON, so the line is drawn only when
stderr is a real terminal outside CI, and is erased when the command ends.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from typing import IO

_WORDS = {
    "read": ("reading the log", "чтение журнала"),
    "discover": ("discovering the model", "построение модели"),
    "analyze": ("looking for waste", "поиск потерь"),
    "reduce": ("building the to-be process and measuring it", "построение целевого процесса и его оценка"),
}
_show: Callable[[str], None] | None = None


def on_terminal(stream: IO[str]) -> bool:
    ci = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")
    return not ci and hasattr(stream, "isatty") and stream.isatty()


@contextlib.contextmanager
def shown(lang: str = "en") -> Iterator[None]:
    """Show `stage()` calls made inside this block (on a terminal only)."""
    import sys

    global _show
    if _show is not None or sys.stderr is None or not on_terminal(sys.stderr):
        yield
        return
    from rich.console import Console
    from rich.status import Status

    with Status("gosupr", console=Console(stderr=True)) as status:
        # naming the spinner makes rich redraw at once, not at its next tick: each stage is seen
        _show = lambda key: status.update(f"gosupr: {_WORDS[key][lang == 'ru']}…", spinner="dots")  # noqa: E731
        try:
            yield
        finally:
            _show = None


def stage(key: str) -> None:
    """Say that stage `key` (read, discover, analyze, reduce) starts; a no-op off a terminal."""
    if _show is not None:
        _show(key)
