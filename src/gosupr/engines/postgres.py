"""The `postgresql` engine: the portable summary (`engines.portable`) computed inside PostgreSQL.

Why: registries already hold their events in PostgreSQL, and exporting them as CSV is itself a
risk. The events never leave the server; Ibis compiles the one portable definition to PostgreSQL
SQL and only the aggregates (sizes that grow with variants and activities) come back.

Column roles are recognised from the column names as for files, or given with --case,
--activity, --timestamp, --department. Inside a case, events with the same time keep the order of
the rows: a `--table`'s physical order (ctid: the order the rows were loaded, for a table not
updated since), a `--query`'s output order (add ORDER BY to the query to make it explicit).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from gosupr.engines.sources import DatabaseSource, close, database_errors, mask_url, open_table
from gosupr.engines.summary import LogSummary
from gosupr.errors import GosuprError

ORDER_COLS = ("_gosupr_blk", "_gosupr_off", "_gosupr_row")


def _ordered_view(con: Any, src: DatabaseSource) -> None:
    """A second temporary view over the source with its row order as integer columns."""
    from psycopg import sql

    from gosupr.engines.sources import _VIEW, _table_name

    if src.query is not None:
        # row_number() over () numbers rows as the query returns them; no parallel plan may interleave them
        con.execute("SET max_parallel_workers_per_gather = 0")
        body = sql.SQL("SELECT q.*, 0::bigint AS _gosupr_blk, 0::bigint AS _gosupr_off, "
                       "row_number() OVER () AS _gosupr_row FROM {} q").format(sql.Identifier(_VIEW))
    else:
        name, schema = _table_name(src)
        ident = sql.Identifier(*(schema, name) if schema else (name,))
        body = sql.SQL("SELECT t.*, (t.ctid::text::point)[0]::bigint AS _gosupr_blk, "
                       "(t.ctid::text::point)[1]::bigint AS _gosupr_off, 0::bigint AS _gosupr_row "
                       "FROM {} t").format(ident)
    con.execute(sql.SQL("CREATE TEMPORARY VIEW gosupr_rows AS ") + body)


def _check_types(table: Any, mapping: dict[str, str], label: str) -> None:
    """Role columns must hold scalars; the timestamp a date/time or text (parsed as files' text is)."""
    from gosupr.ingest import columns as cols

    schema = table.schema()
    for role, header in mapping.items():
        t = schema[header]
        if t.is_nested():
            raise GosuprError(f"column «{cols.shown(header)}» ({cols.ROLE_HUMAN.get(role, role)}) holds {t} "
                              "values, not text, numbers or dates; pick another column or flatten it in --query",
                              path=label)
    ts = schema[mapping["timestamp"]]
    if not (ts.is_timestamp() or ts.is_date() or ts.is_string()):
        raise GosuprError(f"column «{cols.shown(mapping['timestamp'])}» given for the timestamp has type {ts}; "
                          "give a timestamp, date or text column with --timestamp (or convert it in --query)",
                          path=label)


def _cache(backend: Any) -> Callable[[Any], Any]:
    """Materialise a stage as a temporary table of this session (gone when it closes). Ibis's own
    `cache()` drops its tables from garbage-collection finalizers, which fire after the connection is
    closed and print errors; a temporary table needs no dropping."""
    counter = itertools.count()

    def cache(t: Any) -> Any:
        name = f"gosupr_stage_{next(counter)}"
        backend.create_table(name, t, temp=True)
        backend.con.execute(f"ANALYZE {name}")  # row estimates for the joins and aggregations that follow
        return backend.table(name)

    return cache


def summarize_source(src: DatabaseSource, columns: Any = None, *, progress: Any = None,
                     paths: bool = False, timezone: str | None = None) -> LogSummary:
    """The summary of the rows `src` names, computed by the server; `paths`: also `LogSummary.paths`;
    `timezone`: the zone of text times without an offset (a timestamp column is UTC already)."""
    from gosupr.engines.portable import Roles, summarize
    from gosupr.ingest import columns as cols

    label = src.shown
    backend, _ = open_table(src)
    try:
        with database_errors(src, "reading the rows failed"):
            _ordered_view(backend.con, src)
            raw = backend.table("gosupr_rows")
        headers = [c for c in raw.columns if c not in ORDER_COLS]
        mapping = cols.resolve(headers, columns, label)
        _check_types(raw, mapping, label)
        roles = Roles(case=mapping["case"], activity=mapping["activity"], timestamp=mapping["timestamp"],
                      department=mapping.get("department"), lifecycle=mapping.get("lifecycle"),
                      order=ORDER_COLS, header=mapping)
        with database_errors(src):
            return summarize(raw, roles, source=label, columns=mapping, progress=progress, cache=_cache(backend),
                             paths=paths, timezone=timezone)
    finally:
        close(backend)


def summarize_path(source: str, columns: Any, options: Any) -> LogSummary:
    """Registry entry: `source` is the postgresql:// URL; `options.extra` has `query` or `table`."""
    from gosupr.engines.sources import parse_source

    extra = getattr(options, "extra", {}) or {}
    timezone = getattr(options, "timezone", None)
    if timezone is not None:
        from gosupr.ingest.timezones import check_zone

        check_zone(timezone)
    src = parse_source(source, query=extra.get("query"), table=extra.get("table"))
    if not isinstance(src, DatabaseSource):
        raise GosuprError("the postgresql engine reads from a database; give a postgresql://user@host/db URL",
                          path=mask_url(source))
    return summarize_source(src, columns, progress=extra.get("progress"), paths=getattr(options, "paths", False),
                            timezone=timezone)


__all__ = ["summarize_path", "summarize_source"]
