"""Whole jobs as plain functions: what a command does, callable from Python, tests and batch."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .bpmn.model import ProcessModel
from .eventlog import EventLog
from .mining.discover import LogSummary


@dataclass
class DiscoverResult:
    log: EventLog
    summary: LogSummary
    model: ProcessModel
    output: Path | None
    noise: float
    extras: dict[str, Any] = field(default_factory=dict)


def run_discover(
    log_path: str | os.PathLike,
    output: str | os.PathLike | None,
    *,
    noise: float = 0.2,
    columns: Any = None,
) -> DiscoverResult:
    """Ingest, discover, write the BPMN (atomically, never over the input)."""
    from .bpmn.writer import write_bpmn
    from .fileio import check_not_input
    from .ingest import read_log
    from .mining.discover import discover_model, summarize

    if output is not None:
        check_not_input(output, [log_path])
    log = read_log(log_path, columns)
    model = discover_model(log, noise=noise)
    if output is not None:
        write_bpmn(model, output)
    return DiscoverResult(log=log, summary=summarize(log), model=model, output=Path(output) if output else None, noise=noise)
