"""XES and XES.gz: a bounded safety scan, then the Rust reader, then a bounded lxml fallback.

XML is untrusted. Before any parser sees it, the (decompressed) stream is read in 1 MiB chunks,
counted against the size cap, and searched for `<!DOCTYPE`/`<!ENTITY`, which are refused (XES
needs no DTD, and entity expansion is the classic XML bomb). rustxes then reads the file; it
panics on malformed input (and prints to stderr), so it runs with stdout/stderr silenced and any
failure falls back to lxml iterparse (no entities, no network, no huge trees), which either reads
the file or reports the line of the XML error. Files declaring a non-UTF-8 encoding go straight
to lxml, since rustxes ignores the declaration.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import re
import sys
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from gosupr.errors import GosuprError
from gosupr.ingest import columns as cols
from gosupr.ingest.build import RawLog
from gosupr.ingest.sniff import stream

if TYPE_CHECKING:
    import polars as pl

_DECL = re.compile(rb'^\s*<\?xml[^>]*?encoding\s*=\s*["\']([A-Za-z0-9._-]+)["\']')
_DTD = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_UTF8 = {"utf-8", "utf8", "us-ascii", "ascii"}
_ATTRS = {"string", "date", "int", "float", "boolean", "id"}


def scan(path: Path, source: str, max_bytes: int) -> str | None:
    """Refuse DTDs and oversize input; return the declared encoding (lower case), if any."""
    declared: str | None = None
    tail = b""
    utf16 = False
    for i, chunk in enumerate(stream(path, source, max_bytes)):
        if i == 0:
            utf16 = chunk.startswith((b"\xff\xfe", b"\xfe\xff"))
            m = _DECL.match(chunk.lstrip(b"\xef\xbb\xbf"))
            declared = "utf-16" if utf16 else (m.group(1).decode().lower() if m else None)
        window = tail + chunk
        if utf16:
            window = window.replace(b"\x00", b"")
        if _DTD.search(window):
            raise GosuprError("contains a DOCTYPE/ENTITY declaration, refused for safety (XES "
                              "needs none); remove it and read the file again", path=source)
        tail = chunk[-32:]
    return declared


_quiet_lock = threading.Lock()
_quiet_depth = 0
_saved_fds: list[int] = []


@contextlib.contextmanager
def _silenced() -> Iterator[None]:
    """Send fds 1 and 2 to /dev/null: rustxes prints panics and parse warnings there.

    Reference-counted, so overlapping calls from threads restore the real fds exactly once.
    """
    global _quiet_depth
    with _quiet_lock:
        if _quiet_depth == 0:
            for stream_ in (sys.stdout, sys.stderr):
                with contextlib.suppress(Exception):
                    stream_.flush()
            _saved_fds[:] = [os.dup(1), os.dup(2)]
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, 1)
            os.dup2(null, 2)
            os.close(null)
        _quiet_depth += 1
    try:
        yield
    finally:
        with _quiet_lock:
            _quiet_depth -= 1
            if _quiet_depth == 0:
                os.dup2(_saved_fds[0], 1)
                os.dup2(_saved_fds[1], 2)
                for fd in _saved_fds:
                    os.close(fd)
                _saved_fds.clear()


def _rustxes(path: Path) -> pl.DataFrame | None:
    import rustxes

    try:
        with _silenced():
            frame, _meta = rustxes.import_xes(str(path))
    except (KeyboardInterrupt, SystemExit, MemoryError):
        raise
    except BaseException:  # noqa: BLE001 - pyo3's PanicException derives from BaseException
        return None
    if frame.width == 0 or frame.height == 0:
        return None
    return frame


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _iterparse(path: Path, source: str, gz: bool) -> pa.Table:
    """Safe, streaming lxml reader: one row per event, trace attributes prefixed `case:`."""
    from lxml import etree

    rows: list[dict[str, str]] = []
    keys: dict[str, None] = {}
    opener = gzip.open if gz else open
    try:
        with opener(path, "rb") as fh:
            ctx = etree.iterparse(fh, events=("end",), tag="{*}trace", resolve_entities=False,
                                  no_network=True, huge_tree=False, load_dtd=False,
                                  remove_comments=True, remove_pis=True)
            for _ev, trace in ctx:
                case = {f"case:{c.get('key')}": c.get("value") for c in trace
                        if _local(c.tag) in _ATTRS and c.get("key")}
                for event in trace:
                    if _local(event.tag) != "event":
                        continue
                    row = {c.get("key"): c.get("value") for c in event
                           if _local(c.tag) in _ATTRS and c.get("key")}
                    row.update(case)
                    keys.update(dict.fromkeys(row))
                    rows.append(row)
                trace.clear()
                while trace.getprevious() is not None:
                    del trace.getparent()[0]
            root = ctx.root
    except etree.XMLSyntaxError as exc:
        msg = re.sub(r",? line \d+, column \d+$", "", str(exc.msg))
        raise GosuprError(f"malformed XML at line {exc.lineno}: {msg}; the file may be "
                          f"truncated, export it again", path=source) from None
    except (OSError, EOFError, zlib.error) as exc:
        raise GosuprError(f"cannot read the XES data ({exc}); export it again",
                          path=source) from None
    if root is None or _local(root.tag) != "log":
        name = _local(root.tag) if root is not None else "nothing"
        raise GosuprError(f"XML root element is <{name}>, not an XES <log>; give an XES event log",
                          path=source)
    return pa.table({k: pa.array([r.get(k) for r in rows], pa.string()) for k in keys})


def read_xes(path: Path, source: str, override: cols.ColumnMap | None, max_bytes: int,
             gz: bool) -> RawLog:
    """Read events of an XES (or gzipped XES) log into role columns."""
    declared = scan(path, source, max_bytes)
    frame = _rustxes(path) if declared is None or declared in _UTF8 else None
    if frame is not None:
        mapping = cols.resolve(sorted(frame.columns), override, source)  # rustxes order varies
        table = frame.select(sorted(set(mapping.values()))).to_arrow()  # role columns only
        del frame
    else:
        table = _iterparse(path, source, gz)
        if table.num_rows == 0:
            raise GosuprError("XES log has no events; export the log with its events",
                              path=source)
        mapping = cols.resolve(sorted(table.column_names), override, source)
    return RawLog(
        format="xes.gz" if gz else "xes",
        columns=mapping,
        data={role: table[h] for role, h in mapping.items()},
        rows_read=table.num_rows,
        encoding=declared or "utf-8",
    )
