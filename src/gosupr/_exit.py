"""How gosupr ends on a signal, shared by the entry point (before the libraries load) and `cli.main`."""

from __future__ import annotations

import sys
from typing import NoReturn


def on_sigterm(signum: int, frame: object) -> NoReturn:  # pragma: no cover - exercised by subprocess tests
    raise SystemExit(143)


def interrupted() -> NoReturn:
    """Ctrl-C: one line on stderr, exit 130."""
    sys.stderr.write("gosupr: interrupted\n")
    sys.exit(130)
