"""Checking the input file and telling its format from its content, with bounded reads.

The extension is only a hint: a `.xes` that is not XML, or a `.parquet` that is not Parquet, is an
error; any other name is read as what its first bytes say (gzip, Parquet, XES, else CSV).
Compressed input is always streamed and counted, so a tiny gzip that expands to gigabytes is
refused once the running total passes the cap, or as soon as it inflates past 64 MiB at more than
200 times its compressed size (real event logs compress 5-50x; bombs 200-1000x); the gzip ISIZE
trailer is never trusted.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from pathlib import Path

from gosupr.errors import GosuprError

DEFAULT_MAX_BYTES = 2 * 1024**3
CHUNK = 1 << 20
HEAD = 1 << 16
GZIP_MAGIC = b"\x1f\x8b"
BOMB_RATIO = 200  # decompressed/compressed above this, past BOMB_FLOOR bytes, is refused
BOMB_FLOOR = 64 * 1024**2
_XES_ROOT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?log[\s>/]")
_NAME = re.compile(rb"<([A-Za-z_][\w.:-]*)")
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def _size(n: int) -> str:
    return f"{n / 1024**3:.1f} GiB" if n >= 1024**3 else f"{n / 1024**2:.1f} MiB"


def too_big(source: str, limit: int, what: str = "file") -> GosuprError:
    return GosuprError(f"{what} is larger than the {_size(limit)} limit; split the log or raise the "
                       f"size limit", path=source)


def bomb(source: str) -> GosuprError:
    return GosuprError(f"gzip data inflates more than {BOMB_RATIO} times its size (a compression "
                       f"bomb?), over the safety limit; decompress it yourself and check it",
                       path=source)


def check_file(path: Path, source: str) -> int:
    """Size of a readable, non-empty regular file; GosuprError otherwise (never opens a pipe)."""
    if not path.exists():
        raise GosuprError("file not found; check the path", path=source)
    if path.is_dir():
        raise GosuprError("is a directory; give an event log file (CSV, XES, XES.gz, Parquet or a workbook)",
                          path=source)
    if not path.is_file():  # a FIFO or `<(zcat log.csv.gz)`: opening it could block forever
        raise GosuprError("is a pipe or device, not a file; save the log to a file first (gosupr "
                          "reads .gz itself: no need for zcat)", path=source)
    try:
        size = path.stat().st_size
        with path.open("rb"):
            pass
    except OSError as exc:
        raise GosuprError(f"cannot read the file ({exc.strerror}); check its permissions",
                          path=source) from None
    if size == 0:
        raise GosuprError("file is empty; export the event log again", path=source)
    return size


def stream(path: Path, source: str, max_bytes: int) -> Iterator[bytes]:
    """The file's bytes in chunks, gunzipped (all members) if it is gzip; stops past max_bytes."""
    total = 0
    with path.open("rb") as fh:
        first = fh.read(CHUNK)
        if not first.startswith(GZIP_MAGIC):
            chunk = first
            while chunk:
                total += len(chunk)
                if total > max_bytes:
                    raise too_big(source, max_bytes)
                yield chunk
                chunk = fh.read(CHUNK)
            return
        inflater = zlib.decompressobj(wbits=31)
        data = first
        while True:
            try:
                out = inflater.decompress(data, CHUNK)
            except zlib.error as exc:
                raise GosuprError(f"corrupt gzip data ({exc}); compress the log again",
                                  path=source) from None
            data = inflater.unconsumed_tail
            total += len(out)
            if total > max_bytes:
                raise too_big(source, max_bytes, "decompressed data")
            if total > BOMB_FLOOR and total > BOMB_RATIO * max(fh.tell() - len(data), 1):
                raise bomb(source)
            if out:
                yield out
            if inflater.eof:  # another gzip member may follow; zero padding is allowed
                # at the end CPython leaves a stale copy of the rest in unconsumed_tail: use unused_data
                data = inflater.unused_data.lstrip(b"\x00") or fh.read(CHUNK).lstrip(b"\x00")
                if not data:
                    return
                inflater = zlib.decompressobj(wbits=31)
            elif not data and len(out) < CHUNK:  # zlib wants more input
                data = fh.read(CHUNK)
                if not data:
                    raise GosuprError("gzip data ends early (truncated file); compress the log "
                                      "again", path=source)


def head(path: Path, source: str) -> bytes:
    """Up to the first 64 KiB of content (decompressed if gzip)."""
    buf = b""
    for chunk in stream(path, source, max_bytes=1 << 62):
        buf += chunk
        if len(buf) >= HEAD:
            break
    return buf[:HEAD]


def detect(path: Path, source: str) -> tuple[str, bool]:
    """(format, gzipped) with format one of csv, xes, parquet, excel (a ZIP or OLE2 container:
    `ingest.excel_safety` tells a workbook from any other archive)."""
    with path.open("rb") as fh:
        magic = fh.read(4)
    gz = magic.startswith(GZIP_MAGIC)
    name = path.name.lower()
    if magic == b"PAR1":
        fmt = "parquet"
    elif magic.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):  # ZIP (xlsx, ods) or OLE2 (xls)
        fmt = "excel"
    else:
        text = head(path, source)
        fmt = _sniff_text(text, source)
    if name.endswith((".xes", ".xes.gz")) and fmt != "xes":
        raise GosuprError("is not an XES event log (no XML <log> element at the start); export it "
                          "again as XES", path=source)
    if name.endswith((".parquet", ".pq")) and fmt != "parquet":
        raise GosuprError("is not a Parquet file (no PAR1 signature); export it again as Parquet",
                          path=source)
    return fmt, gz


def _first_element(body: bytes) -> bytes | None:
    """Name of the first element after the XML prolog; b"!" for a DOCTYPE; None if unclear."""
    i = 0
    while i < len(body):
        while i < len(body) and body[i:i + 1].isspace():
            i += 1
        if body.startswith(b"<?", i):
            end = body.find(b"?>", i)
            i = end + 2 if end >= 0 else len(body)
        elif body.startswith(b"<!--", i):
            end = body.find(b"-->", i)
            i = end + 3 if end >= 0 else len(body)
        elif body.startswith(b"<!", i):
            return b"!"
        else:
            m = _NAME.match(body, i)
            return m.group(1) if m else None
    return None


def _sniff_text(text: bytes, source: str) -> str:
    body = text
    for bom in _BOMS:
        if body.startswith(bom):
            body = body[len(bom):]
            break
    body = body.replace(b"\x00", b"") if b"\x00" in body[:64] else body
    if body.lstrip()[:1] == b"<":
        first = _first_element(body)
        if first is not None and first.rsplit(b":", 1)[-1] == b"log":
            return "xes"
        if first == b"!" and _XES_ROOT.search(body):
            return "xes"  # the XES scan refuses the DOCTYPE with a clear message
        raise GosuprError("is XML but not an XES event log (no <log> root element); give an XES, "
                          "CSV or Parquet event log", path=source)
    return "csv"
