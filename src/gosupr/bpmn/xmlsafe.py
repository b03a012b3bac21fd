"""Hardened XML parsing for files users hand us (BPMN, and any other XML reader that wants it).

BPMN files come from unknown tools and people. A DOCTYPE can declare external entities (read local
files, reach the network) or nested entities that expand to gigabytes, so any DOCTYPE is refused:
BPMN never needs one. The check runs twice: on the raw prolog before lxml sees the bytes, and on
the parsed tree; lxml itself runs with entities, DTD loading and the network switched off.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from lxml import etree

from gosupr.errors import GosuprError

MAX_BYTES = 50 * 1024 * 1024

# whitespace, the XML declaration, processing instructions and comments may precede a DOCTYPE
_PROLOG_ITEM = re.compile(rb"\s+|<\?.*?\?>|<!--.*?-->", re.S)
_BOMS = (b"\xef\xbb\xbf",)
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        dtd_validation=False,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
    )


def _read(source: str | os.PathLike | bytes, max_bytes: int, what: str) -> tuple[bytes, str | None]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        if len(data) > max_bytes:
            raise GosuprError(f"{what} data is {len(data)} bytes, more than the {max_bytes}-byte limit; split or simplify it")
        return data, None
    path = Path(source)
    name = str(source)
    if not path.exists():
        raise GosuprError("file not found; check the path", path=name)
    if not path.is_file():
        raise GosuprError(f"is not a file; give the path of a {what} file", path=name)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise GosuprError(
                f"{what} file is {size} bytes, more than the {max_bytes}-byte limit; split or simplify it", path=name
            )
        with path.open("rb") as fh:
            data = fh.read(max_bytes + 1)
    except PermissionError:
        raise GosuprError("cannot read the file (permission denied); check its permissions", path=name) from None
    except IsADirectoryError:
        raise GosuprError(f"is a folder; give the path of a {what} file", path=name) from None
    if len(data) > max_bytes:  # grew while we read it
        raise GosuprError(f"{what} file is more than the {max_bytes}-byte limit; split or simplify it", path=name)
    return data, name


def _prolog_text(data: bytes) -> bytes:
    """The bytes to scan for a DOCTYPE, as ASCII-compatible text (UTF-16 files are decoded first)."""
    head = data[:4]
    if head.startswith(_UTF16_BOMS) or head in (b"<\x00?\x00", b"\x00<\x00?"):
        enc = "utf-16" if head.startswith(_UTF16_BOMS) else ("utf-16-le" if head[0] == 0x3C else "utf-16-be")
        return data.decode(enc, errors="replace").encode("utf-8", errors="replace")
    for bom in _BOMS:
        if data.startswith(bom):
            return data[len(bom):]
    return data


def has_doctype(data: bytes) -> bool:
    """True when the document prolog (before the root element) declares a DOCTYPE."""
    text = _prolog_text(data)
    pos = 0
    while True:
        m = _PROLOG_ITEM.match(text, pos)
        if not m or m.end() == pos:
            break
        pos = m.end()
    return text[pos:pos + 9].upper() == b"<!DOCTYPE"


def _refuse_doctype(what: str, name: str | None) -> GosuprError:
    return GosuprError(
        f"{what} file declares a DOCTYPE; gosupr refuses DTDs and entities in untrusted XML "
        "(they can read local files or expand without bound): remove the <!DOCTYPE ...> part or export the file again",
        path=name,
    )


def parse(
    source: str | os.PathLike | bytes,
    *,
    max_bytes: int = MAX_BYTES,
    what: str = "BPMN",
    name: str | None = None,
) -> etree._Element:
    """Parse untrusted XML from a path or bytes into an lxml root element.

    Refuses any DOCTYPE, files over `max_bytes`, and XML that is not well-formed, each with a
    GosuprError naming the file (`name` labels bytes input), the line, and what to do.
    """
    data, path_name = _read(source, max_bytes, what)
    label = name or path_name
    if not data.strip():
        raise GosuprError(f"{what} file is empty; export it again", path=label)
    if has_doctype(data):
        raise _refuse_doctype(what, label)
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        line = exc.lineno or (exc.position[0] if exc.position else 0)
        msg = (exc.msg or str(exc)).splitlines()[0].strip()
        msg = re.sub(r",? line \d+, column \d+$", "", msg)
        if "Entity" in msg and "not defined" in msg:
            hint = "entities other than &amp; &lt; &gt; &quot; &apos; are not allowed; replace them with the characters"
        else:
            hint = "the file is damaged or not XML; export it again from the modelling tool"
        raise GosuprError(f"{what} file is not well-formed XML at line {line}: {msg}; {hint}", path=label) from None
    except ValueError as exc:  # e.g. unsupported encoding declaration
        raise GosuprError(f"{what} file cannot be parsed as XML ({exc}); save it as UTF-8", path=label) from None
    if root is None:
        raise GosuprError(f"{what} file has no root element; export it again", path=label)
    if root.getroottree().docinfo.doctype:
        raise _refuse_doctype(what, label)
    return root
