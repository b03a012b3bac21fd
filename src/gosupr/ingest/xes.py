"""XES and XES.gz: a bounded safety scan, then the Rust reader, then a bounded lxml fallback.

XML is untrusted. Before any parser sees it, the (decompressed) stream is read in 1 MiB chunks,
counted against the size cap, and its prolog is searched for `<!DOCTYPE`/`<!ENTITY`, which are
refused (XES needs no DTD, and entity expansion is the classic XML bomb); UTF-16/32 files (with
or without a BOM) are searched whole, with their zero bytes removed. The same pass counts element
nesting with numpy and refuses more than 256 levels: rustxes recurses per level and overflows its
stack (SIGSEGV) on deep files. The count must see the tags rustxes (quick-xml) sees, so a body
that could be split differently (a '<' inside an attribute value, which quick-xml accepts, or a
comment, CDATA section or PI after the root element) is not given to rustxes. rustxes panics on
malformed input (and prints to stderr), so it runs with stdout/stderr silenced and any failure
falls back to lxml iterparse (no entities, no network, no huge trees: libxml2 limits depth
itself), which either reads the file or reports the line of the XML error. Files declaring a
non-UTF-8 encoding go straight to lxml, since rustxes ignores the declaration.
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
_PROLOG_ITEM = re.compile(rb"\s+|<\?.*?\?>|<!--.*?-->", re.DOTALL)  # before the root element
_TAG = re.compile(rb"<[^\s/>]*(?:[^>\"']|\"[^\"]*\"|'[^']*')*>")  # exact, for odd segments
_LT, _SLASH, _GT, _BANG, _QUERY, _DQ, _SQ = (ord(c) for c in "</>!?\"'")


def _wide(first: bytes) -> bool:
    """UTF-16/32, as libxml2 tells them from the first four bytes (a BOM or zero bytes)."""
    return first.startswith(_WIDE_BOMS) or b"\x00" in first[:4]


class _Depth:
    """Running maximum of element nesting in an XML body, vectorised per chunk, and whether the
    body is plain enough for rustxes.

    Fed from the root element on. Chunks are cut before their last '<'. Each '<' starts a tag,
    which ends at the first '>' after it with an even number of '"' in between (segments holding a
    "'" are matched exactly by regex): quick-xml, under rustxes, splits tags the same way exactly
    when every tag ends before the next '<'. A tag that does not ('<' inside an attribute value,
    which quick-xml accepts), or a comment, CDATA section or PI in the body (which may hide '<'),
    marks the body `irregular`: the file then goes to lxml, whose parser limits depth itself.
    '<name' is +1 and '</' is -1; a self-closing '<name .../>' is +1 only while it is open, which
    ends before the next '<', so no sort is needed.
    """

    def __init__(self) -> None:
        self.depth = 0
        self.rest = b""
        self.irregular = False
        self._buf = (np.empty(0, dtype=bool), np.empty(0, dtype=bool))

    def feed(self, chunk: bytes, final: bool = False) -> int:
        """Feed the next bytes; returns the deepest level reached so far in them."""
        if self.irregular:
            return self.depth
        data, self.rest = self.rest + chunk, b""
        cut = len(data) if final else data.rfind(b"<")
        if cut <= 0:
            self.rest = b"" if final else data
            return self.depth
        self.rest = data[cut:]
        # every '<' needs a next byte: the '<' at the cut, or one added at the end
        arr = np.frombuffer(data if cut < len(data) else data + b" ", dtype=np.uint8, count=cut + 1)
        body = arr[:-1]
        single = data.find(b"'", 0, cut) >= 0
        special = self._marks(body, (_LT, _GT, _DQ, _SQ) if single else (_LT, _GT, _DQ))
        where = np.flatnonzero(special)  # then work on the few marked positions only
        kind = body[where]
        is_lt = kind == _LT
        starts = np.flatnonzero(is_lt)  # index into `where` of each tag start
        if not len(starts):
            return self.depth
        nxt = arr[where[starts] + 1]
        if ((nxt == _BANG) | (nxt == _QUERY)).any():
            self.irregular = True
            return self.depth
        tag = np.cumsum(is_lt) - 1  # per marked position: the tag it follows (-1 before the first)
        quotes = np.cumsum(kind == _DQ)
        gts = np.flatnonzero((kind == _GT) & (tag >= 0))
        seg = tag[gts]
        even = ((quotes[gts] - quotes[starts[seg]]) & 1) == 0  # '"' between the tag start and '>'
        gts, seg = gts[even], seg[even]
        first = np.ones(len(seg), dtype=bool)
        first[1:] = seg[1:] != seg[:-1]
        ends, owner = where[gts[first]], seg[first]  # where each tag ends
        ended = np.zeros(len(starts), dtype=bool)
        ended[owner] = True
        selfclosing = np.zeros(len(starts), dtype=bool)
        selfclosing[owner[body[ends - 1] == _SLASH]] = True
        if single:  # rare: a "'" in the tag or after it: match those tags exactly
            lts = where[starts]
            odd = np.zeros(len(starts), dtype=bool)
            sq_tag = tag[kind == _SQ]
            odd[sq_tag[sq_tag >= 0]] = True
            for t in np.flatnonzero(odd):
                m = _TAG.match(data, int(lts[t]), cut)
                limit = int(lts[t + 1]) if t + 1 < len(lts) else cut
                ended[t] = m is not None and m.end() <= limit
                selfclosing[t] = m is not None and ended[t] and m.group().endswith(b"/>")
        if not ended.all():
            self.irregular = True
            return self.depth
        step = np.where(nxt == _SLASH, -1, np.where(selfclosing, 0, 1))
        levels = self.depth + np.cumsum(step)
        self.depth = int(levels[-1])
        return int((levels + selfclosing).max())

    def _marks(self, body: np.ndarray, chars: tuple[int, ...]) -> np.ndarray:
        """Where `body` holds any of `chars`, in buffers reused across chunks: fresh 1 MiB
        temporaries cost more in page faults than the comparisons themselves."""
        if len(self._buf[0]) < len(body):
            self._buf = (np.empty(len(body), dtype=bool), np.empty(len(body), dtype=bool))
        out, tmp = self._buf[0][: len(body)], self._buf[1][: len(body)]
        np.equal(body, chars[0], out=out)
        for c in chars[1:]:
            np.logical_or(out, np.equal(body, c, out=tmp), out=out)
        return out


def _prolog_end(head: bytes) -> int | None:
    """Where the root element starts, after the XML declaration, comments and PIs; None if not
    in `head` (or a DOCTYPE or something odd comes first)."""
    at = 0
    while True:
        m = _PROLOG_ITEM.match(head, at)
        if m is None:
            break
        at = m.end()
    return at if head.startswith(b"<", at) and head[at + 1 : at + 2] not in (b"!", b"?", b"") else None


def scan(path: Path, source: str, max_bytes: int) -> tuple[str | None, bool]:
    """Refuse DTDs, deep nesting and oversize input; return the declared encoding, if any, and
    whether rustxes may read the file (its body is plain: see `_Depth`)."""
    declared: str | None = None
    tail = b""
    wide = False
    in_prolog = True
    depth = _Depth()
    for i, chunk in enumerate(stream(path, source, max_bytes)):
        if i == 0:
            wide = _wide(chunk)
            chunk = chunk.removeprefix(b"\xef\xbb\xbf")
            m = _DECL.match(chunk)
            declared = "utf-16" if wide else (m.group(1).decode().lower() if m else None)
        if in_prolog or wide:  # a DOCTYPE can only come before the root element
            window = tail + chunk
            if wide:
                window = window.replace(b"\x00", b"")
            if _DTD.search(window):
                raise GosuprError("contains a DOCTYPE/ENTITY declaration, refused for safety (XES "
                                  "needs none); remove it and read the file again", path=source)
            tail = chunk[-32:]
        if wide:
            continue  # wide files go to lxml, which limits depth
        if in_prolog:
            root = _prolog_end(chunk) if i == 0 else None
            if root is None:  # a prolog longer than a chunk, or not XML: lxml reads or reports it
                continue
            in_prolog = False
            chunk = chunk[root:]
        if depth.feed(chunk) > MAX_DEPTH:
            raise _too_deep(source)
    if not wide and not in_prolog and depth.feed(b"", final=True) > MAX_DEPTH:
        raise _too_deep(source)
    return declared, not wide and not in_prolog and not depth.irregular


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
    if any("\x00" in c for c in frame.columns):  # polars panics selecting such a name; lxml refuses it
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
    declared, plain = scan(path, source, max_bytes)
    frame = _rustxes(path) if plain and (declared is None or declared in _UTF8) else None
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
