"""Merged cells of an .xlsx sheet, and the sheet's table with them filled in.

Registers merge cells down a column: a header cell over two header rows, and in the body «Номер
дела» over all of a case's operations. A merged range keeps its value only in its top cell, so
without this every other row of the case would be dropped for an empty case id. fastexcel does
not report merges; they are read here from the sheet's XML (`<mergeCell ref="A5:A8"/>`, after the
cell data) of a workbook `excel_safety` has already checked. .xls and .ods merges are not read
(their header cells are still found, see `excel.header_names`).
"""

from __future__ import annotations

import html
import posixpath
import re
import zipfile
from pathlib import Path

import numpy as np
import pyarrow as pa

Merge = tuple[int, int, int, int]  # first row, first column, last row, last column (0-based, sheet-absolute)

_SHEET = re.compile(rb"""<(?:\w+:)?sheet\b([^>]*)>""")
_NAME = re.compile(rb"""\bname\s*=\s*(["'])(.*?)\1""")
_RID = re.compile(rb"""\b\w+:id\s*=\s*["']([^"']+)""")
_REL = re.compile(rb"""<(?:\w+:)?Relationship\b([^>]*)>""")
_ATTR = re.compile(rb"""\b(Id|Target)\s*=\s*["']([^"']*)""")
_MERGE = re.compile(rb"""<(?:\w+:)?mergeCell\b[^>]*?\bref\s*=\s*["']([A-Z]{1,3})(\d{1,7}):([A-Z]{1,3})(\d{1,7})""")
_HEAD = 1 << 20  # workbook.xml and its relationships: a sheet list, never this long
CHUNK = 1 << 20
MAX_MERGES = 1_000_000


def _col(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n - 1


def sheet_part(path: Path, sheet: str) -> str | None:
    """The ZIP member holding the worksheet named `sheet`, from workbook.xml and its relationships."""
    with zipfile.ZipFile(path) as zf:
        try:
            with zf.open("xl/workbook.xml") as fh:
                book = fh.read(_HEAD)
            with zf.open("xl/_rels/workbook.xml.rels") as fh:
                rels = fh.read(_HEAD)
        except KeyError:
            return None
    rid = None
    for m in _SHEET.finditer(book):
        name, ref = _NAME.search(m.group(1)), _RID.search(m.group(1))
        if name and ref and html.unescape(name.group(2).decode("utf-8", "replace")) == sheet:
            rid = ref.group(1)
            break
    for rel in _REL.finditer(rels):
        attrs = dict(_ATTR.findall(rel.group(1)))
        if rid is not None and attrs.get(b"Id") == rid and b"Target" in attrs:
            target = attrs[b"Target"].decode("utf-8", "replace")
            return target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
    return None


def read_merges(path: Path, part: str) -> list[Merge]:
    """The merged ranges of one worksheet part (at most MAX_MERGES; the rest are left unmerged)."""
    found: set[Merge] = set()
    with zipfile.ZipFile(path) as zf:
        try:
            member = zf.open(part)
        except KeyError:
            return []
        with member:
            tail = b""
            while chunk := member.read(CHUNK):
                buf = tail + chunk
                if b"ergeCell" in buf:
                    for m in _MERGE.finditer(buf):
                        r1, r2 = int(m.group(2)) - 1, int(m.group(4)) - 1
                        c1, c2 = _col(m.group(1)), _col(m.group(3))
                        found.add((min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)))
                    if len(found) >= MAX_MERGES:
                        break
                tail = buf[-160:]
    return sorted(found)


def fill_merges(table: pa.RecordBatch, columns: list[int], merges: list[Merge]) -> pa.RecordBatch:
    """The table (row i = sheet row i, column j = sheet column columns[j]) with each range merged
    down one column holding its top value in every row. Ranges merged across columns (titles,
    group headings over sub-headers) are left alone: their text belongs to no single column.
    Vectorised: one `take` per column."""
    down = np.array([m for m in merges if m[1] == m[3] and m[2] > m[0] and m[0] < table.num_rows],
                    dtype=np.int64).reshape(-1, 4)
    if len(down) == 0:
        return table
    n = table.num_rows
    out = []
    for j, c in enumerate(columns):
        mine = down[down[:, 1] == c]
        if len(mine) == 0:
            out.append(table.column(j))
            continue
        mine = mine[np.argsort(mine[:, 0], kind="stable")]
        first, last = mine[:, 0], np.minimum(mine[:, 2], n - 1)
        reach = np.maximum.accumulate(last)
        alone = np.concatenate(([True], first[1:] > reach[:-1]))  # overlapping ranges (not Excel's): the first wins
        first, last = first[alone], last[alone]
        lengths = last - first + 1
        offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        src = np.arange(n)
        src[np.repeat(first, lengths) + offsets] = np.repeat(first, lengths)
        out.append(table.column(j).take(pa.array(src)))
    return pa.RecordBatch.from_arrays(out, names=table.schema.names)
