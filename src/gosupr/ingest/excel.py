"""Excel and OpenDocument workbooks (.xlsx, .xlsm, .xls, .ods) as event logs, via fastexcel (calamine, Rust).

Ministry registers export to Excel more than to anything else, with a title row («Журнал
регистрации …»), a blank row and a one- or two-row header whose cells are merged. So the header is
the first of the first 30 rows in which the project's column synonyms (see `columns`) find case,
activity and timestamp; an empty cell in it takes the text above it (a header cell merged down
over two rows keeps its text in the top cell). In an .xlsx, cells merged down a column (a case
number over its operations) are filled from the sheet's merge list (`excel_merges`). The sheet: `--sheet NAME|NUMBER` (1 = first), else
the first sheet with such a header row. Timestamps: date cells, Excel serial numbers (days since
1899-12-30, or since 1904-01-01 in a workbook set to the 1904 date system) and text dates as the
CSV path parses them; a time-of-day cell
(1899-12-30/31) is no timestamp. Rows below the header whose role cells are all empty are kept
and counted like any other unusable row.

A workbook is untrusted input: `excel_safety` checks it before calamine opens it, and calamine's
errors and panics (a Rust panic on a malformed file) become one line (see `_calamine`).
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from gosupr.errors import GosuprError
from gosupr.ingest import columns as cols
from gosupr.ingest.build import RawLog
from gosupr.ingest.excel_merges import fill_merges, read_merges, sheet_part
from gosupr.ingest.excel_safety import FIX, container

PEEK_ROWS = 30  # title rows, blank rows and a two-row header fit in these
_EPOCH_SERIAL = 25_569  # Excel serial day of 1970-01-01 (1900 date system)
_SERIAL_MIN, _SERIAL_MAX = 61, 132_220  # 1900-03-01 (before it Excel's 1900 leap bug) … 2262-01-01
_DAYS_1904 = 1_462  # the 1904 date system counts from 1904-01-01: 1462 days later
_SERIAL = r"^\d{1,6}(\.\d+)?$"
_TIME_ONLY = r"^1899-12-3[01]([ T]|$)"  # how calamine renders a time-of-day cell


def _reader_error(exc: BaseException, source: str) -> GosuprError:
    text = str(exc)
    if "password" in text.lower() or "encrypt" in text.lower():
        return GosuprError("workbook is password-protected; remove the password in Excel and save "
                           "it again", path=source)
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return GosuprError(f"corrupt workbook ({cols.shown(first, 120)}); {FIX}", path=source)


def _sheet_list(names: list[str]) -> str:
    shown = [f"«{cols.shown(n, 40)}»" for n in names[:20]]
    return ", ".join(shown) + (f" … ({len(names)} in all)" if len(names) > 20 else "")


def pick_sheet(names: list[str], wanted: str, source: str) -> int:
    """Index of the sheet the user named: exact name, name ignoring case and spaces, or number."""
    if wanted in names:
        return names.index(wanted)
    folded = [n.strip().casefold() for n in names]
    if wanted.strip().casefold() in folded:
        return folded.index(wanted.strip().casefold())
    if wanted.strip().isdigit() and 1 <= int(wanted) <= len(names):
        return int(wanted) - 1
    raise GosuprError(f"no sheet «{cols.shown(wanted)}» in the workbook; sheets: {_sheet_list(names)} "
                      f"(--sheet takes a name or a number, 1 = first)", path=source)


def header_names(rows: list[list[str]], r: int) -> list[str]:
    """Row r as header names; an empty cell takes the nearest text above it within the header
    block (rows with at least two filled cells: not a blank or a one-cell title row)."""
    names = list(rows[r])
    for j, name in enumerate(names):
        k = r - 1
        while not name and k >= 0 and sum(bool(v) for v in rows[k]) >= 2:
            name, k = rows[k][j], k - 1
        names[j] = name
    return names


def find_header(rows: list[list[str]], override: cols.ColumnMap | None,
                source: str) -> tuple[int, list[str], dict[str, str]] | None:
    """(row, names, role → name) of the first row whose names give case, activity and timestamp."""
    for r, row in enumerate(rows):
        if sum(bool(v) for v in row) < 2:
            continue
        names = header_names(rows, r)
        try:
            return r, names, cols.resolve(names, override, source)
        except GosuprError:
            continue
    return None


def _grid(table: pa.RecordBatch) -> list[list[str]]:
    """The first rows of the sheet as trimmed text ('' where empty)."""
    head = table.slice(0, PEEK_ROWS)
    columns = [[(v or "").strip() for v in c.to_pylist()] for c in head.columns]
    return [list(r) for r in zip(*columns)] if columns else []


def excel_times(col: pa.Array, date1904: bool = False) -> pa.Array:
    """Timestamp texts for the common parser: serial numbers become ISO text, time-of-day cells
    become empty (unparseable); date cells (rendered ISO by fastexcel) and text stay as they are."""
    text = pc.utf8_trim_whitespace(col)
    serial = pc.fill_null(pc.match_substring_regex(text, _SERIAL), False)
    if pc.any(serial).as_py():
        days = pc.cast(pc.if_else(serial, text, "0"), pa.float64()).to_numpy(zero_copy_only=False)
        days = days + _DAYS_1904 if date1904 else days
        ok = serial.to_numpy(zero_copy_only=False) & (days >= _SERIAL_MIN) & (days < _SERIAL_MAX)
        ms = np.round((np.where(ok, days, _EPOCH_SERIAL) - _EPOCH_SERIAL) * 86_400_000).astype(np.int64)
        unit = "s" if not (ms % 1000).any() else "ms"
        stamps = pa.array(ms // 1000 if unit == "s" else ms, type=pa.timestamp(unit))
        iso = pc.strftime(stamps, format="%Y-%m-%dT%H:%M:%S")
        text = pc.if_else(pa.array(ok), iso, pc.if_else(serial, pa.scalar("", pa.string()), text))
    time_only = pc.fill_null(pc.match_substring_regex(text, _TIME_ONLY), False)
    return pc.if_else(time_only, pa.scalar("", pa.string()), text)


_MIDNIGHT = r"^(\d{4}-\d\d-\d\d)[ T]00:00:00(\.0+)?$"
_TIME_CELL = r"^1899-12-3[01][ T]"
_BARE_TIME = r"^\d{1,2}:\d{2}(:\d{2}([.,]\d+)?)?$"


def join_date_time(dates: pa.Array, times: pa.Array, date1904: bool = False) -> pa.Array | None:
    """«Дата» and «Время» in two columns as one timestamp text, when the first holds only dates
    and the second only times of day (time cells, fractions of a day, or text); None otherwise."""
    day = pc.replace_substring_regex(excel_times(dates, date1904), _MIDNIGHT, r"\1")
    clock = pc.replace_substring_regex(pc.utf8_trim_whitespace(times), _TIME_CELL, "")
    fraction = pc.fill_null(pc.match_substring_regex(clock, r"^0?\.\d+$|^0$"), False)
    if pc.any(fraction).as_py():
        secs = pc.cast(pc.if_else(fraction, clock, "0"), pa.float64()).to_numpy(zero_copy_only=False)
        of_day = np.clip(np.round(secs * 86_400), 0, 86_399).astype(np.int32)
        clock = pc.if_else(fraction, pc.cast(pa.array(of_day, type=pa.time32("s")), pa.string()), clock)
    filled = pc.fill_null(pc.greater(pc.binary_length(day), 0), False)
    timed = pc.fill_null(pc.greater(pc.binary_length(clock), 0), False)
    if not pc.any(filled).as_py() or not pc.any(timed).as_py():
        return None
    if pc.any(pc.and_(filled, pc.match_substring(day, ":"))).as_py():
        return None  # the date column has times of its own
    if not pc.all(pc.or_(pc.invert(timed), pc.match_substring_regex(clock, _BARE_TIME))).as_py():
        return None
    return pc.binary_join_element_wise(day, clock, " ")


@contextmanager
def _calamine(source: str) -> Iterator[None]:
    """Around every call into fastexcel/calamine: its errors, and its panics on malformed files
    (pyo3's PanicException, a BaseException), become the one-line error; the panic report, which
    Rust writes straight to file descriptor 2, goes to a scratch file instead of the user's stderr."""
    import fastexcel

    with tempfile.TemporaryFile() as scratch:
        try:
            if sys.stderr is not None:
                sys.stderr.flush()
            saved: int | None = os.dup(2)
            os.dup2(scratch.fileno(), 2)
        except (OSError, ValueError):  # no stderr to protect (closed)
            saved = None
        try:
            yield
        except (fastexcel.FastExcelError, pa.ArrowException) as exc:
            raise _reader_error(exc, source) from None
        except BaseException as exc:
            if type(exc).__name__ != "PanicException":
                raise
            raise _reader_error(exc, source) from None
        finally:
            if saved is not None:
                os.dup2(saved, 2)
                os.close(saved)


def _load(reader: Any, idx: int, source: str, path: Path, kind: str) -> pa.RecordBatch:
    """Sheet `idx` as text columns, row i = sheet row i; in an .xlsx, cells merged down filled."""
    with _calamine(source):
        sheet = reader.load_sheet(idx, header_row=None, skip_rows=0, dtypes="string")
        columns = [c.absolute_index for c in sheet.available_columns()]
        table = sheet.to_arrow()
    if kind in ("xlsx", "xlsm") and (part := sheet_part(path, reader.sheet_names[idx])):
        table = fill_merges(table, columns, read_merges(path, part))
    return table


def read_excel(path: Path, source: str, override: cols.ColumnMap | None, max_bytes: int,
               size: int) -> RawLog:
    """Read the role columns of a workbook's event-log sheet."""
    kind, date1904 = container(path, source, max_bytes, size)
    for name in ("calamine", "fastexcel"):  # their warnings ("'chartsheet' not a valid worksheet")
        quiet = logging.getLogger(name)  # reach Python logging and would print on our stderr
        quiet.propagate = False
        if not quiet.handlers:
            quiet.addHandler(logging.NullHandler())
    import fastexcel

    with _calamine(source):
        reader = fastexcel.read_excel(path)
        names = list(reader.sheet_names)
    if not names:
        raise GosuprError(f"workbook has no sheets; {FIX}", path=source)
    wanted = override.sheet if override is not None else None
    if wanted:
        idx = pick_sheet(names, wanted, source)
        table = _load(reader, idx, source, path, kind)
        rows = _grid(table)
        found = find_header(rows, override, source)
        if found is None:
            _no_header(rows, override, names[idx], source)
    else:
        for idx in range(len(names)):
            table = _load(reader, idx, source, path, kind)
            rows = _grid(table)
            if (found := find_header(rows, override, source)) is not None:
                break
        else:
            if len(names) == 1:
                _no_header(rows, override, names[0], source)
            raise GosuprError(
                f"no sheet has a header row with case id, activity and timestamp columns (sheets: "
                f"{_sheet_list(names)}); choose one with --sheet and name the columns with "
                f"--case/--activity/--timestamp", path=source)
    r, header, mapping = found
    body = table.slice(r + 1)
    if body.num_rows == 0:
        raise GosuprError(f"sheet «{cols.shown(names[idx])}» has a header but no data rows; export "
                          f"the log with its events", path=source)
    data = {role: body.column(header.index(h)) for role, h in mapping.items()}
    data["timestamp"] = excel_times(data["timestamp"], date1904)
    shown = dict(mapping)
    pair = None if override and override.timestamp else cols.split_datetime(header, mapping)
    joined = join_date_time(body.column(header.index(pair[0])), body.column(header.index(pair[1])), date1904) if pair else None
    if pair and joined is not None:
        data["timestamp"] = joined
        shown["timestamp"] = f"{pair[0]} + {pair[1]}"
    return RawLog(format=kind, columns=shown, data=data, rows_read=body.num_rows, sheet=names[idx])


def _no_header(rows: list[list[str]], override: cols.ColumnMap | None, sheet: str,
               source: str) -> NoReturn:
    """Raise the column error for the sheet's likeliest header row (the first with two cells)."""
    where = f"sheet «{cols.shown(sheet)}»"
    first = next((r for r, row in enumerate(rows) if sum(bool(v) for v in row) >= 2), None)
    if first is None:
        raise GosuprError(f"{where} has no table (no row with two filled cells in its first "
                          f"{PEEK_ROWS} rows); choose another sheet with --sheet", path=source)
    try:
        cols.resolve(header_names(rows, first), override, source)
    except GosuprError as exc:
        raise GosuprError(f"{where}: {str(exc).removeprefix(f'{source}: ')}", path=source) from None
    raise GosuprError(f"{where}: no header row found; name the columns with --case/--activity/"
                      f"--timestamp", path=source)
