"""The `duckdb` engine: the portable summary (`engines.portable`) run out-of-core in DuckDB.

Sources read natively, streaming, with spilling under `--memory-limit`:
- Parquet: a file, a folder (every `*.parquet`/`*.pq` under it, partitions included) or a glob;
  row order is (file name, row number in the file);
- CSV (optionally gzipped): the header, delimiter and encoding are found by gosupr's own sniffer
  (`ingest.csv`), so columns resolve exactly as `--engine memory` resolves them; a file not in
  UTF-8 is transcoded to UTF-8 into the spill folder first, streaming; row order is file order.
Other formats (XES, workbooks) are read by gosupr's readers and their rows aggregated in DuckDB.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from gosupr.engines import shown_source
from gosupr.engines.portable import Roles, left_to_parse, summarize
from gosupr.engines.summary import LogSummary
from gosupr.errors import GosuprError


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split(" LINE ")[0].split())  # DuckDB appends the SQL: not the user's concern
    return text[:200] if text else type(exc).__name__


def _files(path: str, source: str) -> tuple[str, list[str]]:
    """(kind, files) from the one resolver (`engines.sources.resolve_files`); several files must be Parquet."""
    from gosupr.engines.sources import resolve_files

    found = resolve_files(path, source)
    if len(found.files) > 1 and found.kind != "parquet":
        raise GosuprError("a folder or pattern must hold Parquet files only; give one CSV file at a time",
                          path=source)
    return found.kind, list(found.files)


#: A source up to this many rows (Parquet footers) or bytes (CSV) is "small": its stage tables are
#: temporary tables (kept in memory, spilled to the temporary folder only past --memory-limit: writing
#: them into the database file costs several times more), and its cleaned rows are materialised once
#: (`summarize(keep_rows=True)`: a second Parquet decode and clean costs more than that write). Larger
#: sources (out-of-core sizes) keep their stages in the database file and read the source twice.
_SMALL_ROWS = 5_000_000
_SMALL_CSV_BYTES = 512 << 20


def _small(con: Any, kind: str, files: list[str]) -> bool:
    if kind == "parquet":
        listing = "[" + ", ".join(_lit(f) for f in files) + "]"
        rows = con.raw_sql(f"SELECT sum(num_rows) FROM parquet_file_metadata({listing})").fetchone()[0]
        return int(rows or 0) <= _SMALL_ROWS
    if kind == "csv":
        return os.path.getsize(files[0]) <= _SMALL_CSV_BYTES
    return True  # other formats were read into memory by gosupr's readers already


def _connect(options: Any, tmp: str) -> Any:
    import ibis

    # insertion order is kept only where it is the row order (the CSV copy, `_csv`); elsewhere
    # DuckDB may reorder freely, which lets it stream and parallelise the big stages
    config: dict[str, Any] = {"temp_directory": os.path.join(tmp, "spill"),
                              "preserve_insertion_order": False}
    if options.memory_limit:
        config["memory_limit"] = options.memory_limit
    if options.threads:
        config["threads"] = int(options.threads)
    try:
        return ibis.duckdb.connect(os.path.join(tmp, "work.duckdb"), **config)
    except Exception as exc:  # duckdb raises its own types for bad settings (e.g. "--memory-limit 4XB")
        raise GosuprError(f"cannot start DuckDB ({_one_line(exc)}); check --memory-limit and --threads") from None


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _parquet(con: Any, files: list[str], columns: Any, source: str) -> tuple[Any, Roles]:
    from gosupr.ingest import columns as cols

    listing = "[" + ", ".join(_lit(f) for f in files) + "]"
    rel = f"read_parquet({listing}, filename=true, file_row_number=true, union_by_name=true)"
    schema = con.raw_sql(f"DESCRIBE SELECT * FROM {rel}").fetchall()
    headers = [r[0] for r in schema if r[0] not in ("filename", "file_row_number")]
    types = {r[0]: str(r[1]) for r in schema}
    mapping = cols.resolve(headers, columns, source)
    for role, header in mapping.items():
        if any(t in types[header].upper() for t in ("[]", "STRUCT", "MAP", "UNION")):
            raise GosuprError(f"column «{cols.shown(header)}» ({cols.ROLE_HUMAN.get(role, role)}) holds nested "
                              f"values ({types[header]}), not text, numbers or dates; flatten it", path=source)
    wanted = sorted(set(mapping.values()))
    ts = mapping["timestamp"]
    sel = [f"{_q(h)} AS {_q('r_' + h)}" for h in wanted]
    ts_col = None
    if "TIMESTAMP" in types[ts].upper() or types[ts].upper() == "DATE":  # DuckDB's epoch_us: far faster than date_diff
        sel.append(f"epoch_us(CAST({_q(ts)} AS TIMESTAMP)) AS _t_us_native")
        ts_col = "_t_us_native"
    # the file's position in the sorted list (an integer sorts faster than its name)
    sel.append(f"list_position({listing}, filename) AS _file")
    raw = con.sql(f"SELECT {', '.join(sel)}, file_row_number AS _row FROM {rel}")
    return raw, _roles(mapping, ("_file", "_row"), ts_col)


def _roles(mapping: dict[str, str], order: tuple[str, ...], ts: str | None = None,
           native_us: str | None = None) -> Roles:
    def r(role: str) -> str | None:
        return ("r_" + mapping[role]) if role in mapping else None

    return Roles(case=r("case"), activity=r("activity"), timestamp=ts or r("timestamp"),  # type: ignore[arg-type]
                 department=r("department"), lifecycle=r("lifecycle"), order=order, header=dict(mapping),
                 native_us=native_us)


#: naive formats of the `yyyy-mm-dd` and `dd.mm.yyyy` families that DuckDB's strptime may parse for
#: the portable definition (`Roles.native_us`); `/` and `-` dates wait for the day/month-order pass
_FAST_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M",
                 "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%d",
                 "%d.%m.%Y %H:%M", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y")


def _fast_formats(con: Any, sample: list[str]) -> list[str]:
    """The (at most two) formats of `_FAST_FORMATS` that the sample's values use, most used first."""
    if not sample:
        return []
    counts = ", ".join(f"count(*) FILTER (WHERE strftime(try_strptime(s, {_lit(f)}), {_lit(f)}) = s)"
                       for f in _FAST_FORMATS)
    hits = con.raw_sql(f"SELECT {counts} FROM unnest(?) AS v(s)", parameters=[sample]).fetchone()
    used = sorted((-n, i) for i, n in enumerate(hits) if n)
    return [_FAST_FORMATS[i] for _n, i in used[:2]]


def _native_us(formats: list[str]) -> str:
    """SQL of epoch microseconds where the text `_tsx` is exactly one of `formats` (`_x<i>` holds its
    strptime: it must print back unchanged, so no padding or whitespace differences, no rolled-over day,
    no leap second) within the years the portable parse accepts; NULL elsewhere, left to that parse."""
    whens = " ".join(f"WHEN strftime(_x{i}, {_lit(f)}) = _tsx AND _x{i} BETWEEN TIMESTAMP '1678-01-01' AND "
                     f"TIMESTAMP '2261-12-31 23:59:59.999999' THEN epoch_us(_x{i})" for i, f in enumerate(formats))
    return f"CASE {whens} END"


def _csv(con: Any, path: str, tmp: str, columns: Any, source: str,
         temp: bool = False) -> tuple[Any, Roles, dict[str, str]]:
    """Read a CSV through DuckDB with gosupr's sniffed layout (delimiter, header line, encoding)."""
    import codecs

    from gosupr.ingest import csv as gcsv

    fl = gcsv.sniff_file(Path(path), source, columns)  # the layout exactly as gosupr's own reader tells it
    encoding, gz, layout, mapping, time_part = fl.encoding, fl.gz, fl.layout, fl.mapping, fl.time_part
    utf8 = gcsv._is_utf8(encoding)
    headers = layout.headers
    target = path
    if not utf8 or gz:  # DuckDB reads UTF-8: transcode, streaming
        from gosupr.ingest.sniff import stream

        target = os.path.join(tmp, "utf8.csv")
        dec = codecs.getincrementaldecoder(encoding if not utf8 else "utf-8-sig")(errors="replace")
        with open(target, "w", encoding="utf-8", newline="") as out:
            for chunk in stream(Path(path), source, max_bytes=1 << 62):
                out.write(dec.decode(chunk))
            out.write(dec.decode(b"", final=True))
    names = [f"c{i}" for i in range(len(headers))]
    spec = "{" + ", ".join(f"{_lit(n)}: 'VARCHAR'" for n in names) + "}"
    rel = (f"read_csv({_lit(target)}, delim={_lit(layout.delimiter)}, quote='\"', escape='\"', header=false, "
           f"skip={layout.skip_lines}, columns={spec}, auto_detect=false, strict_mode=false, "
           f"null_padding=false, encoding='utf-8')")
    idx = {h: f"c{headers.index(h)}" for h in [*mapping.values(), *([time_part] if time_part else [])]}
    sel = [f"{idx[h]} AS {_q('r_' + h)}" for h in sorted(set(mapping.values()))]
    ts = None
    shown = dict(mapping)
    ts_text = idx[mapping["timestamp"]]
    ti = headers.index(mapping["timestamp"])
    ts_sample = [r[ti] for r in layout.rows if len(r) > ti]
    if time_part:
        ts_text = f"{ts_text} || ' ' || {idx[time_part]}"
        pi = headers.index(time_part)
        ts_sample = [r[ti] + " " + r[pi] for r in layout.rows if len(r) > max(ti, pi)]
        sel.append(f"{ts_text} AS _ts")
        ts, shown["timestamp"] = "_ts", f"{mapping['timestamp']} + {time_part}"
    # parsed while the rows are read (one pass), kept beside the text; see `Roles.native_us`
    formats = _fast_formats(con, ts_sample)
    query = f"SELECT {', '.join(sel)} FROM {rel}"
    if formats:
        xs = ", ".join(f"try_strptime(_tsx, {_lit(f)}) AS _x{i}" for i, f in enumerate(formats))
        query = (f"SELECT * EXCLUDE (_tsx, {', '.join(f'_x{i}' for i in range(len(formats)))}), "
                 f"{_native_us(formats)} AS _t_native FROM (SELECT *, {xs} FROM "
                 f"(SELECT {', '.join(sel)}, {ts_text} AS _tsx FROM {rel}))")
    con.raw_sql("SET preserve_insertion_order = true")
    con.raw_sql(f"CREATE {'TEMP ' if temp else ''}TABLE raw_rows AS {query}")
    con.raw_sql("SET preserve_insertion_order = false")
    raw = con.sql("SELECT rowid AS _row, * FROM raw_rows")
    roles = _roles(mapping, ("_row",), ts, "_t_native" if formats else None)
    if formats and left_to_parse(raw, roles) == 0:  # every value parsed natively: no text to parse at all
        roles = replace(roles, timestamp="_t_native", native_us=None)
    return raw, roles, shown


def _via_reader(con: Any, path: str, columns: Any, options: Any, source: str) -> tuple[Any, Roles, Any]:
    """Formats DuckDB cannot scan (XES, workbooks): gosupr's reader, then the rows into DuckDB."""
    import numpy as np
    import pyarrow as pa

    from gosupr.eventlog import ACTIVITY, CASE, DEPARTMENT, TIMESTAMP
    from gosupr.ingest import read_log

    log = read_log(path, columns, allow_huge_cases=options.allow_huge_cases, timezone=options.timezone)
    df = log.df
    data = {"r_case": pa.array(df[CASE].astype(str).to_numpy(dtype=object), pa.string()),
            "r_activity": pa.array(df[ACTIVITY].astype(str).to_numpy(dtype=object), pa.string()),
            "r_timestamp": pa.array(df[TIMESTAMP].to_numpy(), pa.timestamp("ns")),
            "_row": pa.array(np.arange(len(df), dtype=np.int64))}
    if log.has_department:
        data["r_department"] = pa.array(df[DEPARTMENT].astype(str).to_numpy(dtype=object), pa.string())
    raw = con.create_table("raw_rows", pa.table(data), temp=True)  # already in memory: no file copy
    roles = Roles(case="r_case", activity="r_activity", timestamp="r_timestamp",
                  department="r_department" if log.has_department else None, order=("_row",))
    return raw, roles, log.audit


def summarize_path(path: str, columns: Any, options: Any) -> LogSummary:
    """The summary of a Parquet file/folder/glob or a CSV file, computed in DuckDB."""
    import warnings

    with warnings.catch_warnings():  # Ibis' deprecation notices about its own dependencies are not the user's
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        warnings.filterwarnings("ignore", category=FutureWarning)
        return _summarize_path(path, columns, options)


def _summarize_path(path: str, columns: Any, options: Any) -> LogSummary:
    source = shown_source(path)
    if options.timezone is not None:
        from gosupr.ingest.timezones import check_zone

        check_zone(options.timezone)
    kind, files = _files(path, source)
    tmp = tempfile.mkdtemp(prefix="gosupr-duckdb-", dir=options.temp_dir)
    con = None
    try:
        con = _connect(options, tmp)
        kw: dict[str, Any] = {}
        small = _small(con, kind, files)
        if kind == "parquet":
            raw, roles = _parquet(con, files, columns, source)
        elif kind == "csv":
            raw, roles, kw["columns"] = _csv(con, files[0], tmp, columns, source, temp=small)
        else:
            raw, roles, audit = _via_reader(con, files[0], columns, options, source)
            kw.update(columns=audit.columns, rows_before=audit.rows_read - audit.rows_kept,
                      dropped_before=audit.dropped, source=audit.source)
        kw.setdefault("source", source)
        kw["timezone"] = options.timezone  # text times only: a reader's typed times are left as they are
        made: list[str] = []

        def keep(table: Any) -> Any:  # a table of the throw-away database (spills; deleted with it)
            made.append(f"stage{len(made)}")
            return con.create_table(made[-1], table, temp=small)

        return summarize(raw, roles, cache=keep, keep_rows=small, paths=options.paths,
                         progress=options.extra.get("progress"), **kw)
    except GosuprError:
        raise
    except Exception as exc:
        if type(exc).__module__.split(".")[0] in ("duckdb", "_duckdb", "ibis"):
            raise GosuprError(f"DuckDB could not read the log ({_one_line(exc)})", path=source) from None
        raise
    finally:
        if con is not None:
            # the database is thrown away: closing must not first checkpoint the stage tables into it
            with contextlib.suppress(Exception):
                con.raw_sql("PRAGMA disable_checkpoint_on_shutdown")
            con.disconnect()
        shutil.rmtree(tmp, ignore_errors=True)
