"""Is a workbook safe to hand to calamine (under fastexcel)? What kind of workbook is it?

calamine allocates a dense grid from the extent of a sheet's cells (one cell at XFD1048576 makes
a 5 KB .xlsx ask for 500 GB and abort the process with a Rust OOM) and trusts ZIP headers. So
before it sees a ZIP workbook (.xlsx, .xlsm, .ods) every member is inflated once here, counted and
CRC-checked (a member that inflates past its declared size is refused, so headers cannot lie), the
total is held to the size cap and the compression-bomb ratio, and each sheet's extent is bounded:
an .xlsx worksheet's from its cell references as they inflate (vectorised over the bytes), an .ods
table's from its repeated rows and cells. OLE2 files (.xls: at most 65 536 × 256 cells) are bounded
by their size; password-protected workbooks (an OLE2 EncryptedPackage, or encrypted ZIP parts) and
.xlsb are refused by name.
"""

from __future__ import annotations

import mmap
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from gosupr.errors import GosuprError
from gosupr.ingest import columns as cols
from gosupr.ingest.sniff import BOMB_FLOOR, BOMB_RATIO, CHUNK, bomb, too_big

ZIP_MAGIC = b"PK\x03\x04"
CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # OLE2 compound file: .xls, or an encrypted .xlsx
MAX_MEMBERS = 10_000
SPARSE_FLOOR = 16_000_000  # grid cells calamine may allocate for a sheet before sparseness matters
SPARSE_RATIO = 4  # grid cells per written cell above which a big sheet is a cell bomb
FIX = "open it in Excel or LibreOffice and save it again"


def container(path: Path, source: str, max_bytes: int, size: int) -> tuple[str, bool]:
    """The workbook kind (xlsx, xlsm, ods, xls) after the safety checks, and whether an .xlsx
    counts days from 1904 (Mac Excel's date system) instead of 1900; GosuprError otherwise."""
    if size > max_bytes:
        raise too_big(source, max_bytes)
    with path.open("rb") as fh:
        magic = fh.read(8)
    if magic == CFB_MAGIC:
        return _ole_kind(path, source), False
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise GosuprError(f"corrupt workbook (not a readable ZIP: {cols.shown(str(exc), 80)}); {FIX}",
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
    _check_members(path, source, infos, max_bytes, size, kind)
    if kind == "ods":
        return kind, False
    with zipfile.ZipFile(path) as zf, zf.open("xl/workbook.xml") as fh:
        return kind, re.search(rb"""date1904\s*=\s*["'](1|true)["']""", fh.read(1 << 16)) is not None


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
                   size: int, kind: str) -> None:
    """Inflate every member once, counting: declared and real sizes under the cap, no bomb ratio,
    no member larger than it says, CRCs right, and no sheet with a cell-bomb extent (every part
    of an .xlsx is scanned as a worksheet: its relationships may name any part as one)."""
    if len(infos) > MAX_MEMBERS:
        raise GosuprError(f"workbook has {len(infos)} parts, more than a workbook ever needs "
                          f"({MAX_MEMBERS}); {FIX}", path=source)
    declared = sum(i.file_size for i in infos)
    if declared > max_bytes:
        raise too_big(source, max_bytes, "workbook (uncompressed)")
    if declared > BOMB_FLOOR and declared > BOMB_RATIO * size:
        raise bomb(source)
    total = 0
    with path.open("rb") as fh:
        for info in infos:
            scan: _Extent | _OdsExtent | None = (
                _Extent() if kind != "ods" else _OdsExtent(source) if info.filename == "content.xml" else None)
            total += _inflate(fh, info, source, scan)
            if total > max_bytes:
                raise too_big(source, max_bytes, "workbook (uncompressed)")
            if total > BOMB_FLOOR and total > BOMB_RATIO * size:
                raise bomb(source)


def _corrupt(source: str, info: zipfile.ZipInfo, what: str) -> GosuprError:
    return GosuprError(f"corrupt workbook (part {cols.shown(info.filename)}: {what}); {FIX}",
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


def _inflate(fh: Any, info: zipfile.ZipInfo, source: str, extent: _Extent | _OdsExtent | None) -> int:
    """Bytes the member really inflates to; checks its CRC, and (with `extent`) its sheets' extent."""
    if info.flag_bits & 0x1:
        raise GosuprError("workbook is password-protected (encrypted ZIP parts); save it again "
                          "without a password", path=source)
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise _corrupt(source, info, f"unsupported compression method {info.compress_type}")
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
        extent.check(info, source)
    return out


_WS = (9, 10, 13, 32, 58)  # what may stand before an attribute name: XML white space, or ':' of a prefix
_SPACE = (9, 10, 13, 32)
_ANY_REF = re.compile(rb"[\s:]r\s*=\s*[\"']([A-Z]{1,3})(\d{1,9})")


def ref_extent(buf: bytes) -> tuple[int, int, int]:
    """(highest row, highest column, number) of the cell references (`r="XFD1048576"`, either
    quote) in a piece of worksheet XML, vectorised over its bytes; references near the end are
    left to the next piece, and its first byte only looked back at (callers overlap pieces by
    `_OVERLAP` + 1 bytes)."""
    a = np.frombuffer(buf, np.uint8)
    n = len(a) - _OVERLAP
    if n <= 1:
        return 0, 0, 0
    p = np.flatnonzero(a[1:n] == ord("r")) + 1
    p = p[np.isin(a[p - 1], _WS)]
    odd = np.isin(a[p + 1], _SPACE) | ((a[p + 1] == ord("=")) & np.isin(a[p + 2], _SPACE))
    p = p[(a[p + 1] == ord("=")) & ((a[p + 2] == ord('"')) | (a[p + 2] == ord("'")))]
    col, row = np.zeros(len(p), np.int64), np.zeros(len(p), np.int64)
    in_col, in_row = np.ones(len(p), bool), np.ones(len(p), bool)
    for k in range(3, 3 + 3 + 9):  # up to 3 letters, then up to 9 digits
        ch = a[p + k].astype(np.int64)
        letter = in_col & (ch >= ord("A")) & (ch <= ord("Z"))
        col = np.where(letter, col * 26 + ch - 64, col)
        in_col &= letter
        digit = ~letter & in_row & (ch >= ord("0")) & (ch <= ord("9"))
        row = np.where(digit, row * 10 + ch - 48, row)
        in_row &= letter | digit
    cell = col > 0  # a row's own r="5" has no letters
    top, wide, count = int(row[cell].max(initial=0)), int(col[cell].max(initial=0)), int(cell.sum())
    if odd.any():  # white space around '=' (legal XML, never written by Excel): the slow way
        for m in _ANY_REF.finditer(buf, 0, n):
            letters = m.group(1)
            top = max(top, int(m.group(2)))
            wide = max(wide, sum((ch - 64) * 26 ** i for i, ch in enumerate(reversed(letters))))
    return top, wide, count


_OVERLAP = 24  # longer than any cell reference with its attribute name


class _Extent:
    """The grid calamine will allocate for one worksheet (highest row × highest column of its
    cells, from the XML as it inflates) against the cells written there."""

    def __init__(self) -> None:
        self.cells = self.rows = self.cols = 0
        self.tail = b""

    def feed(self, chunk: bytes) -> None:
        buf = self.tail + chunk
        rows, cols_, cells = ref_extent(buf)
        self.rows, self.cols, self.cells = max(self.rows, rows), max(self.cols, cols_), self.cells + cells
        self.tail = buf[-_OVERLAP - 1:]  # scanned from its second byte on: the first one was done

    def check(self, info: zipfile.ZipInfo, source: str) -> None:
        self.feed(b"\x00" * _OVERLAP)  # the last piece's references
        if self.rows * self.cols > max(SPARSE_FLOOR, SPARSE_RATIO * self.cells):
            raise _cell_bomb(f"worksheet {cols.shown(info.filename)}", self.rows, self.cols, self.cells, source)


def _cell_bomb(what: str, rows: int, cols_: int, cells: int, source: str) -> GosuprError:
    return GosuprError(f"{what} spans {rows:,} rows × {cols_:,} columns but holds only {cells:,} cells "
                       f"(a cell bomb?); copy the data to a new sheet and save it again", path=source)


_ODS_TOKEN = re.compile(rb"<table:table[\s>]|<table:table-row\b([^>]*?)(?:/>|>(.*?)</table:table-row>)", re.S)
_ODS_CELL = re.compile(rb"<table:(?:covered-)?table-cell\b([^>]*?)(/?)>")
_ROWS_REPEATED = re.compile(rb"""number-rows-repeated\s*=\s*["'](\d{1,9})""")
_COLS_REPEATED = re.compile(rb"""number-columns-repeated\s*=\s*["'](\d{1,9})""")
_ODS_ROW_CAP = 64 << 20  # one table row longer than this is no event log


class _OdsExtent:
    """The grid calamine expands an OpenDocument table to: rows and cells repeat
    (`number-rows-repeated`, `number-columns-repeated`), so 900 bytes can ask for 50 million
    cells. Per table: height up to its last row with a value, width up to the last cell with a
    value, against the cell elements written."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.carry = b""
        self.table = 0
        self.rows = self.height = self.width = self.cells = 0

    def feed(self, chunk: bytes) -> None:
        buf = self.carry + chunk
        end = 0
        for m in _ODS_TOKEN.finditer(buf):
            end = m.end()
            if not m.group(0).startswith(b"<table:table-row"):  # the next table (sheet) begins
                self._check()
                self.table += 1
                self.rows = self.height = self.width = self.cells = 0
                continue
            self._row(m.group(1), m.group(2) or b"")
        self.carry = buf[end:]
        if len(self.carry) > _ODS_ROW_CAP:
            raise GosuprError(f"a table row in the spreadsheet is longer than {_ODS_ROW_CAP >> 20} MiB; "
                              f"{FIX}", path=self.source)

    def _row(self, attrs: bytes, body: bytes) -> None:
        repeat = int(m.group(1)) if (m := _ROWS_REPEATED.search(attrs)) else 1
        width = filled = 0
        for cell in _ODS_CELL.finditer(body):
            span = int(m.group(1)) if (m := _COLS_REPEATED.search(cell.group(1))) else 1
            self.cells += 1
            filled += span
            if b"value-type" in cell.group(1) or not cell.group(2):  # a value, or content
                width = filled
        self.rows += max(repeat, 1)
        if width:
            self.height, self.width = self.rows, max(self.width, width)

    def _check(self) -> None:
        if self.height * self.width > max(SPARSE_FLOOR, SPARSE_RATIO * self.cells):
            raise _cell_bomb(f"table {self.table} of the spreadsheet", self.height, self.width, self.cells,
                             self.source)

    def check(self, info: zipfile.ZipInfo, source: str) -> None:
        self._check()
