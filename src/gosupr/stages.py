"""Which stage a long command is in: a transient line on a terminal's stderr, nothing elsewhere.

A million-event log takes tens of seconds; a silent terminal looks hung. CI log viewers show a
redrawn line as garbage, and stdout belongs to tables and JSON, so the line is drawn only when
stderr is a real terminal outside CI, and is erased when the command ends.

A stage may have steps: a summary build (`--engine`) names each of its own (scan, order events,
variants…) through `step`, shown after the stage's words, so a 50M-event build shows where it is.
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
    "summary": ("building the log summary", "построение сводки журнала"),
}
#: the steps engines report while they build a summary (`engines.portable.summarize`, `engines.memory`)
_STEPS = {
    "scan": ("scanning rows", "чтение строк"),
    "aggregate": ("aggregating", "агрегирование"),
    "order events": ("ordering events in each case", "упорядочение событий в делах"),
    "directly-follows": ("directly-follows pairs", "пары непосредственного следования"),
    "variants": ("variants", "варианты"),
    "paths": ("paths (activity and department sequences)", "пути (последовательности действий и подразделений)"),
    "departments": ("departments", "подразделения"),
}
_show: Callable[[str], None] | None = None
_lang = "en"
_stage = ""
_rows: int | None = None


def on_terminal(stream: IO[str]) -> bool:
    ci = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")
    return not ci and hasattr(stream, "isatty") and stream.isatty()


@contextlib.contextmanager
def shown(lang: str = "en") -> Iterator[None]:
    """Show `stage()` calls made inside this block (on a terminal only)."""
    import sys

    global _show, _lang, _stage
    if _show is not None or sys.stderr is None or not on_terminal(sys.stderr):
        yield
        return
    from rich.console import Console
    from rich.status import Status

    with Status("gosupr", console=Console(stderr=True)) as status:
        # naming the spinner makes rich redraw at once, not at its next tick: each stage is seen
        _show = lambda text: status.update(f"gosupr: {text}…", spinner="dots")  # noqa: E731
        _lang = lang
        try:
            yield
        finally:
            _show, _lang, _stage = None, "en", ""


def stage(key: str) -> None:
    """Say that stage `key` (read, discover, analyze, reduce, summary) starts; a no-op off a terminal."""
    global _stage, _rows
    _stage, _rows = _WORDS[key][_lang == "ru"], None
    if _show is not None:
        _show(_stage)


def step(name: str, rows: int | None = None) -> None:
    """Say that step `name` of the current stage starts (an engine's summary stages: scan, variants…),
    and, once the engine knows it, how many rows it scanned (kept on the line for the later steps);
    a no-op off a terminal. Names without words of their own are shown as given."""
    global _rows
    if rows is not None:
        _rows = rows
    if _show is not None:
        words = _STEPS.get(name)
        text = words[_lang == "ru"] if words else name
        if _rows is not None:
            text += f" · {_rows:,} {'строк' if _lang == 'ru' else 'rows'}".replace(",", "\u202f" if _lang == "ru" else ",")
        _show(f"{_stage}: {text}" if _stage else text)
