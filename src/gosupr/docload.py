"""Reading the small documents users hand us (gosupr.toml, findings JSON): bounded in every way.

tomllib and json recurse once per nesting level and turn numbers of any length into ints, so a
hostile or broken file ends in RecursionError or a ValueError deep inside the parser. Here the
file must be a regular file below a size cap, the parse is guarded, and the parsed tree is walked
(iteratively) for depth, oversized integers and non-finite floats, each refused with one line
naming the file and the key.
"""

from __future__ import annotations

import math
import os
import re
import stat
from pathlib import Path
from typing import Any, Callable

from gosupr.errors import GosuprError

MAX_DEPTH = 32  # tables/arrays inside each other; real configs and findings use < 8
MAX_INT = 10**15  # thresholds, counts and ids are far below; a longer number is a broken file
MAX_BYTES = 20 * 1024 * 1024
_LONG_NUMBER = re.compile(rb"\d{60,}")


def read_small(path: str | os.PathLike, what: str, max_bytes: int = MAX_BYTES) -> bytes:
    """The bytes of a regular file of at most `max_bytes` (pipes and devices refused at once)."""
    name = str(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise GosuprError(f"{what} not found; check the path", path=name) from None
    except OSError as exc:
        raise GosuprError(f"cannot read the {what} ({exc.strerror}); check the path", path=name) from None
    if stat.S_ISDIR(st.st_mode):
        raise GosuprError(f"is a folder; give the path of a {what}", path=name)
    if not stat.S_ISREG(st.st_mode):
        raise GosuprError(f"is a pipe or device, not a file; save the {what} to a file first", path=name)
    if st.st_size > max_bytes:
        raise GosuprError(f"{what} is larger than {max_bytes // (1024 * 1024)} MiB; is it the right file?", path=name)
    try:
        with open(path, "rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise GosuprError(f"cannot read the {what} ({exc.strerror}); check its permissions", path=name) from None
    if len(data) > max_bytes:  # grew while we read it
        raise GosuprError(f"{what} is larger than {max_bytes // (1024 * 1024)} MiB; is it the right file?", path=name)
    return data


def _line_of(data: bytes, pos: int) -> int:
    return data.count(b"\n", 0, pos) + 1


_KEY = re.compile(rb'\s*"?([\w.\- ]{1,80}?)"?\s*[=:]')


def _place(data: bytes, pos: int) -> str:
    """"line N" and, when the line starts with one, "key K" (TOML `k =`, JSON `"k":`)."""
    line = _line_of(data, pos)
    start = data.rfind(b"\n", 0, pos) + 1
    m = _KEY.match(data, start)
    key = f", key {m.group(1).decode('utf-8', 'replace').strip()}" if m else ""
    return f"line {line}{key}"


def _deep_pos(data: bytes) -> int:
    """Where brackets open past MAX_DEPTH (strings ignored roughly: a hint, not a parse)."""
    depth = 0
    for i, ch in enumerate(data):
        if ch in b"[{":
            depth += 1
            if depth > MAX_DEPTH:
                return i
        elif ch in b"]}":
            depth = max(0, depth - 1)
    return 0


def _parse_failure(data: bytes, name: str, exc: BaseException) -> GosuprError:
    if isinstance(exc, RecursionError):
        return GosuprError(f"nested more than {MAX_DEPTH} levels deep ({_place(data, _deep_pos(data))}); "
                           f"fix the file", path=name)
    if "is not a number" in str(exc):
        return GosuprError(f"{exc}; give finite numbers", path=name)
    m = _LONG_NUMBER.search(data)
    where = f" ({_place(data, m.start())})" if m else ""
    return GosuprError(f"a number is too long{where}; fix the file", path=name)


def check_tree(doc: Any, name: str) -> None:
    """Depth, integer size and finite floats of a parsed document, naming the key at fault."""
    todo: list[tuple[Any, str, int]] = [(doc, "", 0)]
    while todo:
        node, key, depth = todo.pop()
        where = key or "(top level)"
        if depth > MAX_DEPTH:
            short = key if len(key) < 120 else key[:117] + "…"
            raise GosuprError(f"{short}: nested more than {MAX_DEPTH} levels deep; fix the file", path=name)
        if isinstance(node, dict):
            todo.extend((v, f"{key}.{k}" if key else str(k), depth + 1) for k, v in node.items())
        elif isinstance(node, list):
            todo.extend((v, f"{key}[{i}]", depth + 1) for i, v in enumerate(node))
        elif isinstance(node, bool):
            continue
        elif isinstance(node, int) and abs(node) > MAX_INT:
            raise GosuprError(f"{where}: the number {str(node)[:20]}… is too large; fix the file", path=name)
        elif isinstance(node, float) and not math.isfinite(node):
            raise GosuprError(f"{where}: {node} is not a usable number; give a finite value", path=name)


def _parsed(path: str | os.PathLike, what: str, max_bytes: int, kind: str, parse: Callable[[str], Any],
            syntax: type[Exception], detail: Callable[[Any], str]) -> Any:
    """read_small + parse + check_tree, every failure one line naming the file."""
    name = str(path)
    data = read_small(path, what, max_bytes)
    try:
        doc = parse(data.decode("utf-8-sig"))  # a BOM (Windows editors) is not content
    except UnicodeDecodeError:
        raise GosuprError(f"not valid {kind}: the file must be UTF-8", path=name) from None
    except syntax as e:
        raise GosuprError(f"not valid {kind}: {detail(e)}", path=name) from None
    except (RecursionError, ValueError) as e:  # the parser's recursion, or a number too long
        raise _parse_failure(data, name, e) from None
    check_tree(doc, name)
    return doc


def load_toml(path: str | os.PathLike, what: str = "config file") -> dict[str, Any]:
    """Parse a TOML file, bounded; GosuprError (exit 2) naming the file for anything wrong."""
    import tomllib

    return _parsed(path, what, MAX_BYTES, "TOML", tomllib.loads, tomllib.TOMLDecodeError, str)


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > 40:
        raise ValueError("number too long")
    return int(text)


def _no_constant(text: str) -> float:
    raise ValueError(f"{text} is not a number")


def load_json(path: str | os.PathLike | Path, what: str = "JSON file", max_bytes: int = MAX_BYTES) -> Any:
    """Parse a JSON file, bounded (depth, integer length, no NaN/Infinity)."""
    import json

    def parse(text: str) -> Any:
        return json.loads(text, parse_int=_bounded_int, parse_constant=_no_constant)

    return _parsed(path, what, max_bytes, "JSON", parse, json.JSONDecodeError,
                   lambda e: f"{e.msg} (line {e.lineno})")
