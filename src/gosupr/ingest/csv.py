"""CSV as ministries export it: `;`, `,`, tab or `|`; UTF-8 (with or without BOM), cp1251, UTF-16.

The delimiter and header come from a 64 KiB sample read with Python's csv module (so quoted
fields containing delimiters or line breaks do not mislead it); Arrow then reads only the role
columns (names as dictionaries, times as strings), multi-threaded, transcoding non-UTF-8 files as
it reads. Encoding: BOMs first, then strict UTF-8 on the sample, then cp1251 (charset-normalizer
only when even cp1251 fails); a file whose sample is UTF-8 but whose body is not is re-read as
cp1251, unless it is mostly valid UTF-8 with a few corrupt bytes (those are replaced, and the
encoding says so); UTF-8 mixed with cp1251 words, in either order and anywhere in the file, is
refused, naming the first bad line (one of the two halves would silently turn into mojibake).
Rows with the wrong number of fields are dropped and
counted as `malformed_row`. An Excel `sep=;` first line is honoured, title lines above the header
(one field wide) are skipped, and a trailing delimiter on every data row (or only on the header)
is tolerated.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from gosupr.errors import GosuprError
from gosupr.ingest import columns as cols
from gosupr.ingest.build import RawLog
from gosupr.ingest.sniff import HEAD, stream, too_big

DELIMITERS = (";", ",", "\t", "|")
DELIMITER_NAMES = {";": ";", ",": ",", "\t": "tab", "|": "|"}
_BARE_TIME = re.compile(r"^\d{1,2}:\d{2}(:\d{2}([.,]\d+)?)?$")
_BINARY = "binary data, not a text table; give a CSV, XES, XES.gz or Parquet event log"


def _detect_encoding(data: bytes | bytearray, source: str) -> tuple[str, int]:
    """(encoding, BOM length) from BOMs and a strict decode of the sample."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", 3
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", 0
    sample = data[:HEAD]
    if b"\x00" in sample:
        raise GosuprError(_BINARY, path=source)
    try:
        codecs.getincrementaldecoder("utf-8")("strict").decode(sample, final=len(data) <= HEAD)
        return "utf-8", 0
    except UnicodeDecodeError:
        _check_mixed(sample.decode("utf-8", errors="replace"), source)
    try:
        sample.decode("cp1251")
        return "cp1251", 0
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(sample).best()
    if best is None:
        raise GosuprError(_BINARY, path=source)
    return best.encoding, 0


def _to_utf8(data: bytes | bytearray, encoding: str) -> bytes:
    return data.decode(encoding, errors="replace").encode("utf-8")


def _is_utf8(encoding: str) -> bool:
    return encoding in ("utf-8", "utf-8-sig")


# Three UTF-8 Cyrillic letters in a row: in cp1251 these bytes read «Р»/«С» + a sign or rare
# letter (Ђ‚…Ё«»№…) three times over, which no real text has.
_UTF8_CYRILLIC = re.compile(rb"(?:[\xd0\xd1][\x80-\xbf]){3}")


def _check_no_utf8(data: bytes | bytearray, encoding: str, source: str) -> None:
    """A one-byte encoding decodes any byte, so UTF-8 rows after the sample would silently become
    mojibake activities: the whole file is searched (at C speed) and the first such line named."""
    if encoding.lower().replace("-", "").replace("_", "") not in ("cp1251", "windows1251"):
        return
    m = _UTF8_CYRILLIC.search(data)
    if m is None:
        return
    line = data.count(b"\n", 0, m.start()) + 1
    raise GosuprError(f"mixed encodings: line {line} is UTF-8 while the file starts in {encoding}; "
                      f"re-export the file in one encoding", path=source)


_UTF8_WORD = re.compile(r"[\u0400-\u04ff]{3,}")  # 3 Cyrillic letters: never cp1251 by accident


def _check_mixed(text: str, source: str) -> None:
    """Refuse a file stitched from UTF-8 and cp1251 exports: either way half of it would turn
    into mojibake. Mixed = real UTF-8 Cyrillic words (≥ 4 of ≥ 3 letters; cp1251 bytes pair into
    valid UTF-8 only by accident, one letter at a time) plus runs of ≥ 3 undecodable bytes
    (words in a one-byte encoding, not a stray corrupt byte)."""
    if text.count("\ufffd" * 3) < 2 or len(list(itertools.islice(_UTF8_WORD.finditer(text), 4))) < 4:
        return
    line = text.count("\n", 0, text.index("\ufffd")) + 1
    raise GosuprError(f"mixed encodings: line {line} and others are not UTF-8 (looks like "
                      f"cp1251) while the rest is UTF-8; re-export the file in one encoding",
                      path=source)


def _repair_utf8(data: bytes | bytearray, source: str) -> tuple[bytes, str]:
    """The sample was UTF-8 but the body is not: cp1251 after all, UTF-8 with a few bad bytes,
    or both encodings mixed (refused)?"""
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    multibyte = len(data) - len(text)  # ≈ number of valid non-ASCII UTF-8 characters
    _check_mixed(text, source)
    if bad * 10 < multibyte:  # mostly valid UTF-8 (e.g. Cyrillic): keep it, replace the junk
        return text.encode("utf-8"), "utf-8 (invalid bytes replaced)"
    return _to_utf8(data, "cp1251"), "cp1251"


def _sample_text(buf: bytes | bytearray, complete: bool, source: str) -> str:
    text = buf.decode("utf-8", errors="replace").lstrip("\ufeff")
    if not complete and "\n" in text:
        text = text[: text.rindex("\n") + 1]  # drop the partial last line
    controls = sum(1 for ch in text[:8192] if ord(ch) < 32 and ch not in "\t\r\n")
    if controls > max(2, len(text[:8192]) // 100) or "\ufffd" * 4 in text:
        raise GosuprError(_BINARY, path=source)
    return text


@dataclass
class Layout:
    """Where the table starts in the text and how it is split."""

    delimiter: str
    headers: list[str]
    rows: list[list[str]]  # sample data rows after the header
    skip_lines: int  # physical lines up to and including the header (Arrow's skip_rows)
    header_line: int = 1  # physical line the header starts on


def _parse(text: str, delim: str, offset: int = 0) -> Layout | None:
    """Header = first of the first 10 rows with ≥ 2 fields (title lines above it are skipped)."""
    reader = csv.reader(io.StringIO(text), delimiter=delim, quotechar='"')
    rows: list[list[str]] = []
    header: list[str] | None = None
    end = start = 0
    try:
        for row in reader:
            if header is None:
                if len(row) >= 2:
                    header, end = row, reader.line_num
                elif reader.line_num > 10:
                    return None
                else:
                    start = reader.line_num
            elif row:
                rows.append(row)
                if len(rows) >= 500:
                    break
    except csv.Error:
        return None
    if header is None:
        return None
    headers = [h.strip().lstrip("\ufeff") for h in header]
    return Layout(delim, _fit(headers, rows), rows, end + offset, start + 1 + offset)


def _fit(headers: list[str], rows: list[list[str]]) -> list[str]:
    """Match the header to the data when exports add or drop a trailing delimiter."""
    if not rows:
        return headers
    widths = [len(r) for r in rows]
    common = max(set(widths), key=widths.count)
    if common == len(headers) + 1 and all(not r[-1].strip() for r in rows if len(r) == common):
        return [*headers, ""]
    if common == len(headers) - 1 and not headers[-1]:
        return headers[:-1]
    return headers


def sniff(text: str) -> Layout | None:
    """The delimiter giving the most consistent field count (≥ 2 fields); Excel's `sep=` wins.

    No data rows score 0 (a wrong delimiter can swallow the whole sample into a quoted
    multi-line "header"); among equals a header on the first line wins, then more columns.
    """
    forced = re.match(r"\s*sep=(.)[ \t]*\r?\n", text)
    if forced:
        return _parse(text[forced.end():], forced.group(1), offset=1)
    best: tuple[tuple[float, bool, int, int], Layout] | None = None
    for rank, delim in enumerate(DELIMITERS):
        layout = _parse(text, delim)
        if layout is None:
            continue
        width = len(layout.headers)
        body = layout.rows
        consistent = sum(len(r) == width for r in body) / len(body) if body else 0.0
        score = (consistent, layout.header_line == 1, width, -rank)
        if best is None or score > best[0]:
            best = (score, layout)
    return best[1] if best else None


def _split_datetime(headers: list[str], mapping: dict[str, str], rows: list[list[str]]) -> str | None:
    """The «Время» header to join with a date-only «Дата» column, if the sample agrees."""
    pair = cols.split_datetime(headers, mapping)
    if pair is None:
        return None
    di, ti = headers.index(pair[0]), headers.index(pair[1])
    dates = [r[di].strip() for r in rows if len(r) > max(di, ti) and r[di].strip()]
    times = [r[ti].strip() for r in rows if len(r) > max(di, ti) and r[ti].strip()]
    if not dates or not times or any(":" in d for d in dates):
        return None
    if not all(_BARE_TIME.match(t) for t in times):
        return None
    mapping["timestamp"] = pair[0]
    return pair[1]


def _read_table(buf: pa.Buffer, names: list[str], wanted: dict[str, pa.DataType], delim: str,
                skip: int, encoding: str = "utf-8") -> tuple[pa.Table, int]:
    """The table and how many malformed rows (wrong number of fields) were skipped.

    Multi-threaded without a Python row handler first. Arrow can return an error while other
    parse threads still call a Python handler; if the interpreter is then exiting, such a thread
    dies trying to take the GIL and the process aborts ("terminate called without an active
    exception"). So malformed rows, when there are any, are counted in a second, single-threaded
    read, where no thread outlives the call.
    """
    try:
        return _arrow_read(buf, names, wanted, delim, skip, None, encoding), 0
    except pa.ArrowInvalid as exc:
        if "columns, got" not in str(exc):
            raise
    bad = itertools.count()

    def on_invalid(_row: object) -> str:
        next(bad)
        return "skip"

    # When a malformed row is not valid UTF-8, Arrow cannot hand it to the handler: it prints
    # "Exception ignored" through sys.unraisablehook and raises ArrowInvalid, which the caller
    # turns into a retry or one clear error. Keep that print off the user's stderr.
    hook, sys.unraisablehook = sys.unraisablehook, lambda _u: None
    try:
        table = _arrow_read(buf, names, wanted, delim, skip, on_invalid, encoding)
    finally:
        sys.unraisablehook = hook
    return table, next(bad)


def _arrow_read(buf: pa.Buffer, names: list[str], wanted: dict[str, pa.DataType], delim: str, skip: int,
                on_invalid: Callable[[object], str] | None, encoding: str = "utf-8") -> pa.Table:
    """Arrow transcodes a non-UTF-8 file block by block while it reads (no UTF-8 copy of the
    whole file: a cp1251 journal peaked at 4.7 times its size when converted up front)."""
    return pacsv.read_csv(
        pa.BufferReader(buf),
        read_options=pacsv.ReadOptions(column_names=names, skip_rows=skip,
                                       use_threads=on_invalid is None,
                                       encoding="utf8" if _is_utf8(encoding) else encoding),
        parse_options=pacsv.ParseOptions(delimiter=delim, quote_char='"', double_quote=True,
                                          newlines_in_values=True, ignore_empty_lines=True,
                                          invalid_row_handler=on_invalid),
        convert_options=pacsv.ConvertOptions(include_columns=list(wanted),
                                             column_types=wanted,
                                             strings_can_be_null=False,
                                             quoted_strings_can_be_null=False),
    )


def _load(path: Path, source: str, max_bytes: int, size: int,
          gz: bool) -> tuple[bytes | bytearray, str, int]:
    """(the file's bytes, their encoding, BOM length), with the size cap applied."""
    if gz:  # grown in place: no list of chunks plus a joined copy; bombs stop in stream()
        data: bytes | bytearray = bytearray()
        for chunk in stream(path, source, max_bytes):
            data += chunk
    else:
        if size > max_bytes:
            raise too_big(source, max_bytes)
        data = path.read_bytes()
    encoding, bom = _detect_encoding(data, source)
    if not _is_utf8(encoding):
        _check_no_utf8(data, encoding, source)
        bom = 0
    return data, encoding, bom


def _read_roles(data: bytes | bytearray, bom: int, encoding: str, layout: Layout,
                wanted: dict[str, pa.DataType], source: str) -> tuple[pa.Table, int, str]:
    """Arrow read of the wanted columns; (table, malformed rows, final encoding)."""
    names = [f"c{i}" for i in range(len(layout.headers))]
    args = (names, wanted, layout.delimiter, layout.skip_lines)
    try:
        try:
            return (*_read_table(pa.py_buffer(data).slice(bom), *args, encoding), encoding)
        except pa.ArrowInvalid as exc:
            if "utf8" not in str(exc).lower() or not encoding.startswith("utf-8"):
                raise
            fixed, encoding = _repair_utf8(data[bom:], source)
            return (*_read_table(pa.py_buffer(fixed), *args), encoding)
    except pa.ArrowInvalid as exc:
        msg = str(exc).splitlines()[0][:200]
        raise GosuprError(f"cannot parse as CSV ({msg}); check the delimiter and quoting",
                          path=source) from None


def read_csv(path: Path, source: str, override: cols.ColumnMap | None, max_bytes: int,
             size: int, gz: bool) -> RawLog:
    """Read the role columns of a delimited text log."""
    data, encoding, bom = _load(path, source, max_bytes, size, gz)
    sample = data[bom: bom + HEAD]
    text = _sample_text(sample if _is_utf8(encoding) else _to_utf8(sample, encoding),
                        len(data) - bom <= HEAD, source)
    if not text.strip():
        raise GosuprError("file has no text; export the event log again", path=source)
    layout = sniff(text)
    if layout is None:
        raise GosuprError("no column delimiter (; , tab) found in the first lines; give a CSV "
                          "event log with a header row", path=source)
    headers = layout.headers
    mapping = cols.resolve(headers, override, source)
    time_part = None if override and override.timestamp else _split_datetime(headers, mapping,
                                                                              layout.rows)
    col = {h: f"c{headers.index(h)}" for h in [*mapping.values(), *([time_part] if time_part else [])]}
    # names, ids and departments repeat: read as dictionaries (a code per row, each value once),
    # which keeps the table a fraction of the file; times stay strings for the date parser
    as_text = {col[mapping["timestamp"]], *([col[time_part]] if time_part else [])}
    wanted = {c: pa.string() if c in as_text else pa.dictionary(pa.int32(), pa.string())
              for c in sorted(set(col.values()))}
    table, malformed, encoding = _read_roles(data, bom, encoding, layout, wanted, source)
    del data
    if table.num_rows == 0 and malformed == 0:
        raise GosuprError("has a header but no data rows; export the log with its events",
                          path=source)
    data_cols = {role: table[col[h]] for role, h in mapping.items()}
    shown = dict(mapping)
    if time_part:
        data_cols["timestamp"] = pc.binary_join_element_wise(
            data_cols["timestamp"], table[col[time_part]], " ")
        shown["timestamp"] = f"{mapping['timestamp']} + {time_part}"
    return RawLog(
        format="csv.gz" if gz else "csv", columns=shown, data=data_cols,
        rows_read=table.num_rows + malformed,
        dropped={"malformed_row": malformed} if malformed else {},
        encoding=encoding,
        delimiter=DELIMITER_NAMES.get(layout.delimiter, layout.delimiter),
    )


@dataclass(frozen=True)
class FileLayout:
    """How a CSV file is laid out, told from its first 64 KiB exactly as `read_csv` tells it, for
    engines that read the file with their own CSV reader (Spark) and must find the same columns.

    `records_before`: CSV records up to and including the header (a `sep=` line and title lines
    above it count; empty lines do not), which such a reader skips; `time_part`: the «Время»
    column joined to a date-only timestamp column, as `read_csv` joins it."""

    encoding: str
    gz: bool
    layout: Layout
    mapping: dict[str, str]
    time_part: str | None
    records_before: int

    @property
    def shown(self) -> dict[str, str]:
        """role → header as the audit shows it (`date + time` when joined)."""
        out = dict(self.mapping)
        if self.time_part:
            out["timestamp"] = f"{self.mapping['timestamp']} + {self.time_part}"
        return out


def sniff_file(path: Path, source: str, override: cols.ColumnMap | None) -> FileLayout:
    """The layout of a CSV file from its head (decompressed if gzip); the whole file is not read,
    so a body that changes encoding after the head is not seen here (`read_csv` reads it all)."""
    from gosupr.ingest.sniff import GZIP_MAGIC, head

    with path.open("rb") as fh:
        gz = fh.read(2) == GZIP_MAGIC
    sample = head(path, source)
    encoding, bom = _detect_encoding(sample, source)
    text = _sample_text(sample[bom:] if _is_utf8(encoding) else _to_utf8(sample, encoding), len(sample) < HEAD, source)
    if not text.strip():
        raise GosuprError("file has no text; export the event log again", path=source)
    layout = sniff(text)
    if layout is None:
        raise GosuprError("no column delimiter (; , tab) found in the first lines; give a CSV "
                          "event log with a header row", path=source)
    mapping = cols.resolve(layout.headers, override, source)
    time_part = None if override and override.timestamp else _split_datetime(layout.headers, mapping, layout.rows)
    reader = csv.reader(io.StringIO(text), delimiter=layout.delimiter, quotechar='"')
    records = 0
    for row in reader:
        records += bool(row)
        if reader.line_num >= layout.skip_lines:
            break
    return FileLayout(encoding, gz, layout, mapping, time_part, records)
