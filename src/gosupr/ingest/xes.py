"""XES and XES.gz: a bounded safety scan, then the Rust reader, then a bounded lxml fallback.

XML is untrusted. Before any parser sees it, the (decompressed) stream is read in 1 MiB chunks,
counted against the size cap, and searched for `<!DOCTYPE`/`<!ENTITY`, which are refused (XES
needs no DTD, and entity expansion is the classic XML bomb); UTF-16/32 files (with or without a
BOM) are searched with their zero bytes removed. The same pass counts element nesting with numpy
(quoted attribute values, comments and CDATA blanked first) and refuses more than 256 levels:
rustxes recurses per level and overflows its stack (SIGSEGV) on deep files. rustxes then reads
the file; it
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

import numpy as np
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
_WIDE_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")
MAX_DEPTH = 256  # libxml2's own limit without XML_PARSE_HUGE; XES needs about 10
_MARKUP = re.compile(rb"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>", re.DOTALL)  # may hold '<'
_TAG = re.compile(rb"<[^\s/>]*(?:[^>\"']|\"[^\"]*\"|'[^']*')*>")  # exact, for odd segments
_LT, _SLASH, _GT, _BANG, _QUERY, _DQ, _SQ = (ord(c) for c in "</>!?\"'")


def _wide(first: bytes) -> bool:
    """UTF-16/32, as libxml2 tells them from the first four bytes (a BOM or zero bytes)."""
    return first.startswith(_WIDE_BOMS) or b"\x00" in first[:4]


class _Depth:
    """Running maximum of element nesting over a byte stream, vectorised per chunk.

    Chunks are cut before their last '<'. A raw '<' cannot occur inside an attribute value, so
    each '<' starts a tag outside quotes: the tag ends at the first '>' after it with an even
    number of '"' in between (segments holding a "'" are matched exactly by regex instead).
    '<name' is +1, '</' is -1, a tag ending in '/>' is -1; comments, CDATA and PIs are removed.
    """

    def __init__(self) -> None:
        self.depth = 0
        self.rest = b""

    def feed(self, chunk: bytes, final: bool = False) -> int:
        """Feed the next bytes; returns the deepest level reached so far in them."""
        data = self.rest + chunk
        cut = len(data) if final else data.rfind(b"<")
        if cut <= 0:
            self.rest = data
            return self.depth
        self.rest = b"" if final else data[cut:]
        if data.find(b"<!", 0, cut) >= 0 or data.find(b"<?", 0, cut) >= 0:
            data = _MARKUP.sub(b"", data[:cut])
            cut = len(data)
        if cut == len(data):
            data += b" "  # every '<' needs a next byte
        arr = np.frombuffer(data, dtype=np.uint8, count=cut + 1)
        body = arr[:-1]
        special = body == _LT
        for byte in (_GT, _DQ, _SQ) if data.find(b"'", 0, cut) >= 0 else (_GT, _DQ):
            special |= body == byte
        where = np.flatnonzero(special)  # then work on the few marked positions only
        kind = arr[where]
        lts, gts = where[kind == _LT], where[kind == _GT]
        dqs, sqs = where[kind == _DQ], where[kind == _SQ]
        if not len(lts):
            return self.depth
        nxt = arr[lts + 1]
        step = ((nxt != _SLASH) & (nxt != _BANG) & (nxt != _QUERY)).astype(np.int64)
        step[nxt == _SLASH] = -1
        gts = gts[gts > lts[0]]
        seg = np.searchsorted(lts, gts, side="right") - 1  # the tag each '>' follows
        quotes = np.searchsorted(dqs, gts) - np.searchsorted(dqs, lts)[seg]
        gts, seg = gts[(quotes & 1) == 0], seg[(quotes & 1) == 0]
        first_seg, first = np.unique(seg, return_index=True)
        ends = gts[first]
        closing = arr[ends - 1] == _SLASH
        odd = np.zeros(len(lts), dtype=bool)
        odd[np.searchsorted(lts, sqs[sqs > lts[0]], side="right") - 1] = True
        closing &= ~odd[first_seg]
        extra = []
        for t in np.flatnonzero(odd & (step == 1)):  # rare: a "'" in the tag or after it
            m = _TAG.match(data, int(lts[t]), cut)
            if m and m.group().endswith(b"/>"):
                extra.append(m.end() - 1)
        ends = np.concatenate([ends[closing], np.array(extra, dtype=lts.dtype)])
        pos = np.concatenate([lts, ends])
        order = np.argsort(pos, kind="stable")
        levels = np.cumsum(np.concatenate([step, np.full(len(ends), -1)])[order])
        peak = self.depth + int(levels.max())
        self.depth += int(levels[-1])
        return peak


def scan(path: Path, source: str, max_bytes: int) -> str | None:
    """Refuse DTDs, deep nesting and oversize input; return the declared encoding, if any."""
    declared: str | None = None
    tail = b""
    wide = False
    depth = _Depth()
    for i, chunk in enumerate(stream(path, source, max_bytes)):
        if i == 0:
            wide = _wide(chunk)
            m = _DECL.match(chunk.lstrip(b"\xef\xbb\xbf"))
            declared = "utf-16" if wide else (m.group(1).decode().lower() if m else None)
        window = tail + chunk
        if wide:
            window = window.replace(b"\x00", b"")
        if _DTD.search(window):
            raise GosuprError("contains a DOCTYPE/ENTITY declaration, refused for safety (XES "
                              "needs none); remove it and read the file again", path=source)
        tail = chunk[-32:]
        if not wide and depth.feed(chunk) > MAX_DEPTH:  # wide files go to lxml, which limits
            raise _too_deep(source)
    if not wide and depth.feed(b"", final=True) > MAX_DEPTH:
        raise _too_deep(source)
    return declared


def _too_deep(source: str) -> GosuprError:
    return GosuprError(f"XML elements nested deeper than {MAX_DEPTH} levels (depth limit), "
                       f"refused for safety (XES needs about 10); export the log again",
                       path=source)


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
        msg = re.sub(r",? line \d+, column \d+$", "", " ".join(str(exc.msg).split())).rstrip(" ,")
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
