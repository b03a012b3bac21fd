"""Engines that build a `LogSummary` (the narrow waist) from a log, chosen by name.

`memory` reads the log with gosupr's own readers into an `EventLog` and aggregates it with numpy;
`duckdb` runs the portable definition (`engines.portable`, Ibis) out-of-core over Parquet files,
folders, globs and CSV; `spark` and `postgres` run the same definition on their backends. Heavy
libraries are imported inside the engine modules, only when that engine is chosen.
"""

from __future__ import annotations

import importlib
import os
import resource
import sys
from dataclasses import dataclass, field, replace
from typing import Any, Callable

from gosupr.engines.summary import LogSummary
from gosupr.errors import GosuprError

#: name → "module:function"; each function is (source, columns, options) → LogSummary
REGISTRY: dict[str, str] = {
    "memory": "gosupr.engines.memory:summarize_path",
    "duckdb": "gosupr.engines.duckdb_engine:summarize_path",
    "spark": "gosupr.engines.spark:summarize_path",
    "postgresql": "gosupr.engines.postgres:summarize_path",  # source: a postgresql:// URL; extra: query or table
}
DEFAULT = "memory"


@dataclass(frozen=True)
class EngineOptions:
    """Resources an engine may use; engines ignore what does not apply to them."""

    memory_limit: str | None = None  # e.g. "4GB" (duckdb, spark driver)
    temp_dir: str | None = None  # where an engine spills; a fresh temporary folder when None
    threads: int | None = None
    timezone: str | None = None
    allow_huge_cases: bool = False
    paths: bool = False  # also the per-path table (`LogSummary.paths`) the waste analysis reads
    extra: dict[str, Any] = field(default_factory=dict)  # engine-specific (spark_master, query, …)


@dataclass(frozen=True)
class RunInfo:
    """How the summary was built: differs between engines, so kept apart from the summary."""

    engine: str
    rows_scanned: int
    peak_rss_mib: float

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.engine, "rows_scanned": self.rows_scanned, "peak_rss_mib": round(self.peak_rss_mib, 1)}


def engine_function(name: str) -> Callable[..., LogSummary]:
    if name not in REGISTRY:
        raise GosuprError(f"unknown engine {name!r}; choose one of {', '.join(REGISTRY)}")
    module, func = REGISTRY[name].split(":")
    try:
        return getattr(importlib.import_module(module), func)
    except ModuleNotFoundError as exc:
        if _ours(exc):
            raise GosuprError(f"engine {name!r} is not available in this version of gosupr yet") from None
        raise _missing(name, exc) from None


def _ours(exc: ModuleNotFoundError) -> bool:
    """The missing module is part of gosupr (a bug or an unfinished engine), not an optional library."""
    return (exc.name or "").startswith("gosupr.")


#: the pyproject extra that brings each engine's libraries
EXTRAS = {"duckdb": "engines", "spark": "spark", "postgresql": "postgres"}


def _missing(engine: str, exc: ModuleNotFoundError) -> GosuprError:
    extra = EXTRAS.get(engine, "engines")
    return GosuprError(f"engine {engine!r} needs the Python package {exc.name!r}, which is not installed; "
                       f"install it with: pip install 'gosupr[{extra}]'")


def peak_rss_mib() -> float:
    """This process's peak resident memory (ru_maxrss: KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024**2 if sys.platform == "darwin" else peak / 1024


def build_summary(source: str, engine: str = DEFAULT, columns: Any = None,
                  options: EngineOptions | None = None,
                  progress: Callable[..., None] | None = None) -> tuple[LogSummary, RunInfo]:
    """The summary of the log at `source` (a file, a Parquet folder or a glob) built by `engine`.

    `progress` is told the name of each stage the engine starts (scan, order events, variants…), in
    order, and with one of them the rows scanned (`progress(name, rows)`); it travels to the engine as
    `options.extra["progress"]`, where every engine looks for it."""
    fn = engine_function(engine)
    options = options or EngineOptions()
    if progress is not None:
        options = replace(options, extra={**options.extra, "progress": progress})
    try:
        summary = fn(str(source), columns, options)
    except ModuleNotFoundError as exc:  # engines import their libraries when they start, not at registry look-up
        if _ours(exc):
            raise
        raise _missing(engine, exc) from None
    return summary, RunInfo(engine, summary.rows_scanned, peak_rss_mib())


def log_name(source: str) -> str:
    """The log's name for the model and the default output: the file's name without its extension,
    a folder's name, or for a glob the name of the folder it searches."""
    from pathlib import Path

    from gosupr.ingest import _log_name

    p = source.rstrip("/")
    if any(ch in p for ch in "*?["):
        head = p[: min(p.index(ch) for ch in "*?[" if ch in p)]
        return Path(head.rstrip("/") or ".").resolve().name or "log"
    if os.path.isdir(p):
        return Path(p).resolve().name or "log"
    return _log_name(Path(p))


def shown_source(source: str) -> str:
    """A source as output may show it: a URL with its password masked, an absolute path by its file
    name only (never a host's folders in a report), anything else as given."""
    if "://" in source:
        from gosupr.engines.sources import mask_url

        return mask_url(source)
    return os.path.basename(source.rstrip("/")) if os.path.isabs(source) else source


__all__ = ["DEFAULT", "REGISTRY", "EngineOptions", "LogSummary", "RunInfo", "build_summary", "engine_function", "log_name",
           "peak_rss_mib", "shown_source"]
