"""Reading gosupr.toml: one place turns a missing, malformed or non-UTF-8 file into one clear line."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from .errors import GosuprError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10 needs the tomli backport
    import tomli as tomllib


def read_toml(path: str | os.PathLike, what: str = "config file") -> dict[str, Any]:
    """The parsed file; errors name the file and what to fix (exit 2)."""
    src = str(path)
    p = Path(path)
    if not p.is_file():
        raise GosuprError(f"{what} not found; check the --config path", path=src)
    try:
        with open(p, "rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as e:
        raise GosuprError(f"not valid TOML: {e}", path=src) from None
    except UnicodeDecodeError:
        raise GosuprError("not valid TOML: the file must be UTF-8", path=src) from None
