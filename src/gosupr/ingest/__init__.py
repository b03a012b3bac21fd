"""Reading event logs: CSV (`;` `,` tab, UTF-8/BOM/cp1251), XES, XES.gz, Parquet and workbooks
(.xlsx, .xlsm, .xls, .ods) → EventLog.

`read_log` tells the format from the content, recognises the case/activity/timestamp/resource/
department columns from Russian and English header names (or takes them from a `ColumnMap`),
parses dates strictly and vectorised, drops and counts unusable rows, and sorts each case by time
(stable). Every problem the user can fix is a one-line GosuprError naming the file.
"""

from __future__ import annotations

import os
from pathlib import Path

from gosupr.eventlog import EventLog
from gosupr.ingest.build import RawLog, to_event_log
from gosupr.ingest.columns import ColumnMap
from gosupr.ingest.sniff import DEFAULT_MAX_BYTES, check_file, detect

__all__ = ["DEFAULT_MAX_BYTES", "ColumnMap", "read_log"]

_EXTENSIONS = (".xes.gz", ".csv.gz", ".xes", ".csv", ".tsv", ".txt", ".parquet", ".pq", ".gz",
               ".xlsx", ".xlsm", ".xls", ".ods")


def _source(path: str | os.PathLike[str]) -> str:
    """The path as the user gave it; only the file name when it was absolute (no host paths)."""
    p = Path(path)
    return p.name if p.is_absolute() else str(path)


def _log_name(path: Path) -> str:
    name = path.name
    for ext in _EXTENSIONS:
        if name.lower().endswith(ext) and len(name) > len(ext):
            return name[: -len(ext)]
    return name


def read_log(path: str | os.PathLike[str], columns: ColumnMap | None = None, *,
             max_bytes: int = DEFAULT_MAX_BYTES, allow_huge_cases: bool = False,
             timezone: str | None = None) -> EventLog:
    """Read an event log file into an `EventLog` whose `audit` says what was read and dropped.

    - Format from the content (gzip, PAR1, ZIP/OLE2 workbook, XML with a <log> root, else CSV);
      `columns.sheet` picks a workbook's sheet (`audit.sheet` names the one read); `.xes`/`.parquet`
      files that are not what their name says are refused.
    - Columns: `columns` overrides; otherwise Russian/English header synonyms (see `columns`).
      `audit.columns` maps role → header (plus `lifecycle` when such a column exists).
    - Dropped rows are counted per reason (`empty_case_id`, `unparseable_timestamp`,
      `empty_activity`, `lifecycle_not_complete`, CSV `malformed_row`), so
      rows_read == rows_kept + sum(dropped). If a lifecycle column has `complete` and other
      transitions, only complete events are kept.
    - Timestamps: naive UTC; offsets converted, naive values kept as written; a column mixing
      both is refused unless `timezone` names the zone of the naive values (then converted from
      it); `audit.time_zone` says what was done (`ingest.timezones`).
    - `audit.reordered` is True when some case's events were out of time order in the file;
      the log is always sorted per case by time (stable).
    - `audit.source` is the path as given, or only the file name when it was absolute.
    - `max_bytes` caps the file size and, for gzip, the decompressed size (streamed and
      counted, so a gzip bomb is refused early).
    - A shape that signals a wrong column (a case of more than 10 000 events, thousands of
      activities) is refused naming the column (`ingest.shape`), unless `allow_huge_cases`.

    Raises GosuprError (one line naming the file and what to do) for anything the user must fix.
    """
    p = Path(path)
    source = _source(path)
    if timezone is not None:
        from gosupr.ingest.timezones import check_zone

        check_zone(timezone)
    size = check_file(p, source)
    fmt, gz = detect(p, source)
    raw: RawLog
    if fmt == "xes":
        from gosupr.ingest.xes import read_xes

        raw = read_xes(p, source, columns, max_bytes, gz)
    elif fmt == "parquet":
        from gosupr.ingest.parquet import read_parquet

        raw = read_parquet(p, source, columns, max_bytes, size)
    elif fmt == "excel":
        from gosupr.ingest.excel import read_excel

        raw = read_excel(p, source, columns, max_bytes, size)
    else:
        from gosupr.ingest.csv import read_csv

        raw = read_csv(p, source, columns, max_bytes, size, gz)
    log = to_event_log(raw, source, _log_name(p), timezone)
    del raw
    if not allow_huge_cases:
        from gosupr.ingest.shape import check_shape

        check_shape(log, source)
    # Arrow's allocator keeps freed pages for reuse (~300 MiB after a 1M-event CSV); the log is a
    # small categorical frame, so hand them back before mining raises the peak on top of them.
    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    return log
