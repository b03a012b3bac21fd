"""Excel and OpenDocument workbooks (.xlsx, .xlsm, .xls, .ods) as event logs, via fastexcel (calamine, Rust).

Ministry registers export to Excel more than to anything else, with a title row («Журнал
регистрации …»), a blank row and a one- or two-row header whose cells are merged. So the header is
the first of the first 30 rows in which the project's column synonyms (see `columns`) find case,
activity and timestamp; an empty cell in it takes the text above it (a header cell merged down
over two rows keeps its text in the top cell). The sheet: `--sheet NAME|NUMBER` (1 = first), else
the first sheet with such a header row. Timestamps: date cells, Excel serial numbers (days since
1899-12-30, the 1900 date system) and text dates as the CSV path parses them; a time-of-day cell
(1899-12-30/31) is no timestamp. Rows below the header whose role cells are all empty are kept
and counted like any other unusable row.

A workbook is untrusted input, and calamine allocates a dense grid from the extent of the cells:
one cell at XFD1048576 makes a 5 KB file ask for 500 GB and abort the process. Before calamine
sees a zip workbook, every member is inflated once here, counted and CRC-checked (a member that
inflates past its declared size is refused, so headers cannot lie), the total is held to the size
cap and the compression-bomb ratio, and each worksheet's cell extent is bounded. Password-protected
workbooks (OLE2 with an EncryptedPackage) and .xlsb are refused by name.
"""

from __future__ import annotations

import logging
import mmap
import os
import re
import struct
import sys
import tempfile
import zipfile
import zlib
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
from gosupr.ingest.sniff import BOMB_FLOOR, BOMB_RATIO, CHUNK, bomb, too_big

ZIP_MAGIC = b"PK\x03\x04"
CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # OLE2 compound file: .xls, or an encrypted .xlsx
PEEK_ROWS = 30  # title rows, blank rows and a two-row header fit in these
MAX_MEMBERS = 10_000
SPARSE_FLOOR = 16_000_000  # grid cells calamine may allocate for a sheet before sparseness matters
SPARSE_RATIO = 4  # grid cells per written cell above which a big sheet is a cell bomb
_EPOCH_SERIAL = 25_569  # Excel serial day of 1970-01-01 (1900 date system)
_SERIAL_MIN, _SERIAL_MAX = 61, 132_863  # 1900-03-01 (before it Excel's 1900 leap bug) … 2263-10-01
_SERIAL = r"^\d{1,6}(\.\d+)?$"
_TIME_ONLY = r"^1899-12-3[01]([ T]|$)"  # how calamine renders a time-of-day cell
_SHEET_XML = re.compile(r"^xl/worksheets/[^/]+\.xml$")
_CELL_ROW = re.compile(rb'<c r="[A-Z]{1,3}(\d+)')
_CELL_COL = re.compile(rb'<c r="([A-Z]{1,3})\d')
_WIDE_COL = re.compile(rb'<c r="([A-Z]{3})\d')
_ROW_TAG = re.compile(rb'<row [^>]*?r="(\d+)"')
_FIX = "open it in Excel or LibreOffice and save it again"


def _col_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


# --- the container: what kind of workbook, and is it safe to hand to calamine ---------------------

def container(path: Path, source: str, max_bytes: int, size: int) -> str:
    """The workbook kind (xlsx, xlsm, ods, xls) after the safety checks; GosuprError otherwise."""
    if size > max_bytes:
        raise too_big(source, max_bytes)
    with path.open("rb") as fh:
        magic = fh.read(8)
    if magic == CFB_MAGIC:
        return _ole_kind(path, source)
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise GosuprError(f"corrupt workbook (not a readable ZIP: {cols.shown(str(exc), 80)}); {_FIX}",
                          path=source) from None
    names = {i.filename for i in infos}
    if "xl/workbook.bin" in names:
        raise GosuprError("is an Excel binary workbook (.xlsb); save it as .xlsx (Excel workbook) "
                          "and give that", path=source)
    if "xl/workbook.xml" in names:
        kind = "xlsm" if "xl/vbaProject.bin" in names or path.name.lower().endswith(".xlsm") else "xlsx"
    elif "content.xml" in names and ("mimetype" in names or "META-INF/manifest.xml" in names):
        kind = "ods"
    else:
        raise GosuprError("is a ZIP archive, not an Excel (.xlsx) or OpenDocument (.ods) workbook; "
                          "unpack it and give the event log inside", path=source)
    _check_members(path, source, infos, max_bytes, size)
    return kind


def _ole_kind(path: Path, source: str) -> str:
    with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        if mm.find("EncryptedPackage".encode("utf-16-le")) >= 0:
            raise GosuprError("workbook is password-protected (encrypted); remove the password in "
                              "Excel (File → Info → Protect Workbook) and save it again", path=source)
        if mm.find("Workbook".encode("utf-16-le")) < 0 and mm.find("Book".encode("utf-16-le")) < 0:
            raise GosuprError("is an OLE2 file (an old Word or Outlook document?) without a workbook "
                              "in it; give an Excel workbook or CSV event log", path=source)
    return "xls"


def _check_members(path: Path, source: str, infos: list[zipfile.ZipInfo], max_bytes: int,
                   size: int) -> None:
    """Inflate every member once, counting: declared and real sizes under the cap, no bomb ratio,
    no member larger than it says, CRCs right, and no worksheet with a cell-bomb extent."""
    if len(infos) > MAX_MEMBERS:
        raise GosuprError(f"workbook has {len(infos)} parts, more than a workbook ever needs "
                          f"({MAX_MEMBERS}); {_FIX}", path=source)
    declared = sum(i.file_size for i in infos)
    if declared > max_bytes:
        raise too_big(source, max_bytes, "workbook (uncompressed)")
    if declared > BOMB_FLOOR and declared > BOMB_RATIO * size:
        raise bomb(source)
    total = 0
    with path.open("rb") as fh:
        for info in infos:
            total += _inflate(fh, info, source, _SHEET_XML.match(info.filename) is not None)
            if total > max_bytes:
                raise too_big(source, max_bytes, "workbook (uncompressed)")
            if total > BOMB_FLOOR and total > BOMB_RATIO * size:
                raise bomb(source)


def _corrupt(source: str, info: zipfile.ZipInfo, what: str) -> GosuprError:
    return GosuprError(f"corrupt workbook (part {cols.shown(info.filename)}: {what}); {_FIX}",
                       path=source)


def _member_chunks(fh: Any, info: zipfile.ZipInfo, source: str) -> Iterator[bytes]:
    """The member's bytes, inflated chunk by chunk (at most CHUNK each, and zlib's last few)."""
    fh.seek(info.header_offset)
    head = fh.read(30)
    if len(head) < 30 or not head.startswith(ZIP_MAGIC):
        raise _corrupt(source, info, "no local header where the directory points")
    name_len, extra_len = struct.unpack("<HH", head[26:30])
    fh.seek(info.header_offset + 30 + name_len + extra_len)
    inflater = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
    left, pending = info.compress_size, b""
    while left > 0 or pending:
        data = pending or fh.read(min(CHUNK, left))
        if not data:
            raise _corrupt(source, info, "the file ends inside it (truncated?)")
        if not pending:
            left -= len(data)
        if inflater is None:
            yield data
            continue
        try:
            yield inflater.decompress(data, CHUNK)
        except zlib.error as exc:
            raise _corrupt(source, info, f"bad compressed data: {exc}") from None
        pending = inflater.unconsumed_tail
    if inflater is not None:
        yield inflater.flush()


def _inflate(fh: Any, info: zipfile.ZipInfo, source: str, sheet: bool) -> int:
    """Bytes the member really inflates to; checks its CRC, and a worksheet's extent."""
    if info.flag_bits & 0x1:
        raise GosuprError("workbook is password-protected (encrypted ZIP parts); save it again "
                          "without a password", path=source)
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise _corrupt(source, info, f"unsupported compression method {info.compress_type}")
    extent = _Extent() if sheet else None
    out = crc = 0
    for chunk in _member_chunks(fh, info, source):
        out += len(chunk)
        if out > info.file_size:
            raise _corrupt(source, info, "inflates past its declared size")
        crc = zlib.crc32(chunk, crc)
        if extent is not None:
            extent.feed(chunk)
    if out != info.file_size or crc != info.CRC:
        raise _corrupt(source, info, "size or checksum does not match")
    if extent is not None:
        extent.check(fh, info, source)
    return out


class _Extent:
    """A cheap upper bound on the grid calamine allocates for one worksheet, from its XML.

    Written cells are counted; the height is bounded by the row tags seen (plus any cell whose row
    number has more digits than they do), the width by the column letters. Only when that bound is
    too big for the sheet's content is the sheet scanned exactly (a second pass)."""

    def __init__(self) -> None:
        self.cells = 0
        self.max_row_tag = 0
        self.long_rows = 0  # the highest cell row with more digits than any row tag so far
        self.wide = 26
        self.tail = b""

    def feed(self, chunk: bytes) -> None:
        buf = self.tail + chunk
        self.cells += chunk.count(b"<c ") + chunk.count(b"<c>")
        for m in _ROW_TAG.finditer(buf, max(0, buf.rfind(b"<row ") - 1)):
            self.max_row_tag = max(self.max_row_tag, int(m.group(1)))
        digits = len(str(self.max_row_tag)) + 1
        for m in re.finditer(rb'<c r="[A-Z]{1,3}(\d{%d,})' % digits, buf):
            self.long_rows = max(self.long_rows, int(m.group(1)))
        if self.wide < 702 and re.search(rb'<c r="[A-Z]{2}\d', buf):
            self.wide = 702
        for m in _WIDE_COL.finditer(buf):
            self.wide = max(self.wide, _col_number(m.group(1)))
        self.tail = buf[-48:]

    def bound(self) -> int:
        return max(10 ** len(str(self.max_row_tag)) - 1, self.long_rows) * self.wide

    def allowed(self, grid: int) -> bool:
        return grid <= max(SPARSE_FLOOR, SPARSE_RATIO * self.cells)

    def check(self, fh: Any, info: zipfile.ZipInfo, source: str) -> None:
        if self.allowed(self.bound()):
            return
        rows_seen: list[int] = []
        cols_seen: set[bytes] = set()
        with zipfile.ZipFile(fh) as zf, zf.open(info) as member:
            tail = b""
            while chunk := member.read(CHUNK):
                buf = tail + chunk
                rows_seen += [max(map(int, _CELL_ROW.findall(buf)), default=0)]
                cols_seen |= set(_CELL_COL.findall(buf))
                tail = buf[-48:]
        height = max(rows_seen, default=0)
        width = max((_col_number(c) for c in cols_seen), default=0)
        if not self.allowed(height * width):
            raise GosuprError(
                f"worksheet {cols.shown(info.filename)} spans {height:,} rows × {width:,} columns but "
                f"holds only {self.cells:,} cells (a cell bomb?); copy the data to a new sheet and "
                f"save it again", path=source)


# --- the sheet, its header and the role columns ----------------------------------------------------

def _reader_error(exc: Exception, source: str) -> GosuprError:
    text = str(exc)
    if "password" in text.lower() or "encrypt" in text.lower():
        return GosuprError("workbook is password-protected; remove the password in Excel and save "
                           "it again", path=source)
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return GosuprError(f"corrupt workbook ({cols.shown(first, 120)}); {_FIX}", path=source)


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


def excel_times(col: pa.Array) -> pa.Array:
    """Timestamp texts for the common parser: serial numbers become ISO text, time-of-day cells
    become empty (unparseable); date cells (rendered ISO by fastexcel) and text stay as they are."""
    text = pc.utf8_trim_whitespace(col)
    serial = pc.fill_null(pc.match_substring_regex(text, _SERIAL), False)
    if pc.any(serial).as_py():
        days = pc.cast(pc.if_else(serial, text, "0"), pa.float64()).to_numpy(zero_copy_only=False)
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


def join_date_time(dates: pa.Array, times: pa.Array) -> pa.Array | None:
    """«Дата» and «Время» in two columns as one timestamp text, when the first holds only dates
    and the second only times of day (time cells, fractions of a day, or text); None otherwise."""
    day = pc.replace_substring_regex(excel_times(dates), _MIDNIGHT, r"\1")
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

    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as scratch:
        os.dup2(scratch.fileno(), 2)
        try:
            yield
        except (fastexcel.FastExcelError, pa.ArrowException) as exc:
            raise _reader_error(exc, source) from None
        except BaseException as exc:
            if type(exc).__name__ != "PanicException":
                raise
            raise _reader_error(exc, source) from None
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def _load(reader: Any, idx: int, source: str) -> pa.RecordBatch:
    with _calamine(source):
        return reader.load_sheet(idx, header_row=None, skip_rows=0, dtypes="string").to_arrow()


def read_excel(path: Path, source: str, override: cols.ColumnMap | None, max_bytes: int,
               size: int) -> RawLog:
    """Read the role columns of a workbook's event-log sheet."""
    kind = container(path, source, max_bytes, size)
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
        raise GosuprError(f"workbook has no sheets; {_FIX}", path=source)
    wanted = override.sheet if override is not None else None
    if wanted:
        idx = pick_sheet(names, wanted, source)
        table = _load(reader, idx, source)
        rows = _grid(table)
        found = find_header(rows, override, source)
        if found is None:
            _no_header(rows, override, names[idx], source)
    else:
        for idx in range(len(names)):
            table = _load(reader, idx, source)
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
    data["timestamp"] = excel_times(data["timestamp"])
    shown = dict(mapping)
    pair = None if override and override.timestamp else cols.split_datetime(header, mapping)
    if pair and (joined := join_date_time(*(body.column(header.index(h)) for h in pair))) is not None:
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
