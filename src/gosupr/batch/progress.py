"""Progress for `gosupr batch`: a rich bar on a terminal, plain lines in CI logs, nothing with --quiet.

CI log viewers show a redrawn bar as garbage, so a bar is drawn only on a real terminal and never
under CI=true; progress goes to stderr so stdout stays free for the summary.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import IO

from gosupr.batch.runner import ProgressEvent


def use_bar(stream: IO[str]) -> bool:
    from gosupr.stages import on_terminal

    return on_terminal(stream)


@contextlib.contextmanager
def progress_reporter(quiet: bool = False, stream: IO[str] | None = None) -> Iterator[Callable[[ProgressEvent], None] | None]:
    """Yield the callback to pass to `run_batch(progress=...)` (None when quiet)."""
    out = stream or sys.stderr
    if quiet:
        yield None
    elif use_bar(out):
        with _bar(out) as cb:
            yield cb
    else:
        yield lambda ev: _line(ev, out)


def _line(ev: ProgressEvent, out: IO[str]) -> None:
    from gosupr.report.terminal import plain

    if ev.status == "start":
        out.write(f"gosupr batch: {ev.total} input(s)\n")
    else:
        tail = f": {plain(ev.reason)}" if ev.reason else ""
        out.write(f"[{ev.done}/{ev.total}] {plain(ev.label)} {ev.status}{tail}\n")
    out.flush()


@contextlib.contextmanager
def _bar(out: IO[str]) -> Iterator[Callable[[ProgressEvent], None]]:
    from rich.markup import escape
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )
    from rich.text import Text

    from gosupr.report.terminal import console as plain_console
    from gosupr.report.terminal import plain

    console = plain_console(file=out)
    with Progress(
        TextColumn("gosupr batch", style="bold"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        console=console,
        transient=False,
    ) as bar:
        task = bar.add_task("", total=None)

        def cb(ev: ProgressEvent) -> None:
            if ev.status == "start":
                bar.update(task, total=ev.total, completed=0)
                return
            bar.update(task, completed=ev.done, description=escape(plain(ev.label)))
            if ev.status != "ok":
                why = f" — {ev.reason}" if ev.reason else ""
                bar.console.print(Text(ev.status, style="red"), f": {ev.label}{why}", sep="", highlight=False)

        yield cb
