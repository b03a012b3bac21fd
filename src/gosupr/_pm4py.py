"""The one door to pm4py: imported lazily, with its banner, progress bars and warnings silenced.

pm4py prints a licence banner, tqdm bars and UserWarnings (see shared notes); none of it may reach
our stdout/stderr, which belong to tables for people and JSON for machines.

`import pm4py` costs ~2 s and ~200 MiB because every package `__init__` imports the whole library
(matplotlib, polars, cvxopt, the LP solvers, every importer and visualiser). gosupr needs a few
modules (the inductive miner, token replay, BPMN objects), so it imports them without running the
package `__init__` files (`_LazyPackages`): a package is created empty, its submodules import on
demand, and its real `__init__` runs only when a name that is not a submodule is asked for. Code
that does `import pm4py; pm4py.read_xes(...)` afterwards still gets the whole library.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import io
import os
import sys
import threading
import warnings
from collections.abc import Iterator, Sequence
from types import ModuleType
from typing import Any

_pm4py: Any = None
_ROOT = "pm4py"
#: modules imported at the top of modules gosupr uses but needed only by paths gosupr rarely takes:
#: `align_utils` (token replay imports it) loads the LP solvers (scipy.optimize, cvxopt, ~0.4 s)
#: that only alignments use. They execute on first attribute access.
_ON_FIRST_USE = frozenset({"pm4py.util.lp.solver"})
_init_lock = threading.RLock()


class _DeferredInit(importlib.abc.Loader):
    """Creates a pm4py package without executing its `__init__`; runs it on first unknown name."""

    def __init__(self, real: importlib.machinery.ModuleSpec) -> None:
        self.real = real

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        real = self.real

        def __getattr__(name: str) -> Any:
            if name.startswith("__"):
                raise AttributeError(name)
            sub = f"{module.__name__}.{name}"
            if importlib.machinery.PathFinder.find_spec(sub, module.__path__) is not None:
                return importlib.import_module(sub)
            with _init_lock:
                if module.__dict__.pop("__getattr__", None) is not None:
                    with quiet():
                        real.loader.exec_module(module)  # type: ignore[union-attr]
            try:
                return module.__dict__[name]
            except KeyError:
                raise AttributeError(f"module {module.__name__!r} has no attribute {name!r}") from None

        module.__getattr__ = __getattr__  # type: ignore[method-assign]


class _LazyPackages(importlib.abc.MetaPathFinder):
    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != _ROOT and not fullname.startswith(_ROOT + "."):
            return None
        real = importlib.machinery.PathFinder.find_spec(fullname, path)
        if real is None or real.loader is None:
            return None
        if fullname in _ON_FIRST_USE:
            real.loader = importlib.util.LazyLoader(real.loader)
            return real
        if real.submodule_search_locations is None:
            return None  # a plain module: the normal import machinery handles it
        spec = importlib.machinery.ModuleSpec(fullname, _DeferredInit(real), origin=real.origin, is_package=True)
        spec.submodule_search_locations = real.submodule_search_locations
        spec.has_location = real.has_location
        return spec


def _install_lazy_packages() -> None:
    if _ROOT in sys.modules or os.environ.get("GOSUPR_PM4PY_FULL_IMPORT"):
        return  # already imported by the caller (or asked for): use it as it is
    if not any(isinstance(f, _LazyPackages) for f in sys.meta_path):
        sys.meta_path.insert(0, _LazyPackages())


def pm4py() -> Any:
    """Make pm4py importable cheaply and quietly; returns the (possibly not yet initialised) package."""
    global _pm4py
    if _pm4py is None:
        os.environ.setdefault("PM4PY_SHOW_PROGRESS_BAR", "false")
        os.environ.setdefault("PM4PY_SHOW_INTERNAL_WARNINGS", "false")
        sys._pm4py_welcome_shown = True  # type: ignore[attr-defined]
        _install_lazy_packages()
        with quiet():
            import pm4py as _mod
            from pm4py.util import constants

            constants.SHOW_PROGRESS_BAR = False
            constants.SHOW_INTERNAL_WARNINGS = False
        _pm4py = _mod
    return _pm4py


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as _v

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
