"""`memory` engine entry point: gosupr's own readers, then `memory.summarize_log`."""

from __future__ import annotations

from typing import Any

from gosupr.engines.summary import LogSummary


def summarize_path(source: str, columns: Any, options: Any) -> LogSummary:
    from gosupr.engines.memory import summarize_log
    from gosupr.ingest import read_log

    log = read_log(source, columns, allow_huge_cases=options.allow_huge_cases, timezone=options.timezone)
    return summarize_log(log)
