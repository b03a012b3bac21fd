"""The one door to pm4py: imported lazily, with its banner, progress bars and warnings silenced.

pm4py prints a licence banner, tqdm bars and UserWarnings (see shared notes); none of it may reach
our stdout/stderr, which belong to tables for people and JSON for machines.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import warnings
from typing import Any, Iterator

_pm4py: Any = None


def pm4py() -> Any:
    """Import pm4py once, quietly."""
    global _pm4py
    if _pm4py is None:
        os.environ.setdefault("PM4PY_SHOW_PROGRESS_BAR", "false")
        os.environ.setdefault("PM4PY_SHOW_INTERNAL_WARNINGS", "false")
        sys._pm4py_welcome_shown = True  # type: ignore[attr-defined]
        with quiet():
            import pm4py as _mod
            from pm4py.util import constants

            constants.SHOW_PROGRESS_BAR = False
            constants.SHOW_INTERNAL_WARNINGS = False
        _pm4py = _mod
    return _pm4py


def version() -> str:
    from importlib.metadata import PackageNotFoundError, version as _v

    try:
        return _v("pm4py")
    except PackageNotFoundError:  # pragma: no cover
        return "unknown"


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Swallow prints and warnings emitted inside pm4py calls."""
    sink = io.StringIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            yield
