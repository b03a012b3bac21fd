"""`[engine]` in gosupr.toml: which engine builds the log summary, and with what resources.

    [engine]
    name = "duckdb"            # memory | duckdb | spark (as --engine)
    memory_limit = "4GB"       # duckdb: cap, spills to disk beyond it (as --memory-limit)
    threads = 2                # duckdb: worker threads (as --threads)
    spark_master = "local[*]"  # spark: the cluster's master URL (as --spark-master)

The same choices as the command-line flags, so a team writes them once beside its other settings;
a flag given on the command line overrides the file's value. Every key is checked: a typo such as
`memory_limt` would otherwise run silently without the cap the user asked for, so unknown keys are
refused with one line naming the key and the file. Values that do not apply to the chosen engine
(a `spark_master` when the engine is duckdb) are kept in the file for other runs and ignored here.
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass
from typing import Any

from gosupr.engines import EngineOptions
from gosupr.errors import GosuprError

SECTION = "engine"
#: engines a file may name; a postgresql:// source picks its engine by itself
NAMES = ("memory", "duckdb", "spark")
KEYS = ("name", "memory_limit", "threads", "spark_master")
_SIZE = re.compile(r"^\d+(\.\d+)?\s*[A-Za-z]{0,3}$")  # 4GB, 512MiB, 1.5GB, 2000000000


@dataclass(frozen=True)
class EngineConfig:
    """What `[engine]` says (None: not set). Frozen and plain, so a batch can send it to workers."""

    name: str | None = None
    memory_limit: str | None = None
    threads: int | None = None
    spark_master: str | None = None

    def overridden(self, *, name: str | None = None, memory_limit: str | None = None, threads: int | None = None,
                   spark_master: str | None = None, database: bool = False) -> EngineConfig:
        """The flags over the file: each flag given wins. For a database source (`database`) the
        file's `name` does not apply: the summary is computed inside the database."""
        chosen = name if name is not None else (None if database else self.name)
        master = spark_master if spark_master is not None else (self.spark_master if chosen == "spark" else None)
        return EngineConfig(
            name=chosen,
            memory_limit=memory_limit if memory_limit is not None else self.memory_limit,
            threads=threads if threads is not None else self.threads,
            spark_master=master,
        )

    def options(self, *, timezone: str | None = None, allow_huge_cases: bool = False,
                extra: dict[str, Any] | None = None) -> EngineOptions:
        """The `EngineOptions` an engine takes (spark's master travels in `extra`, as from the CLI)."""
        more = dict(extra or {})
        if self.spark_master is not None:
            more["spark_master"] = self.spark_master
        return EngineOptions(memory_limit=self.memory_limit, threads=self.threads, timezone=timezone,
                             allow_huge_cases=allow_huge_cases, extra=more)

    def to_dict(self) -> dict[str, Any]:
        """The keys set, in the file's order (for the batch summary's settings)."""
        return {k: getattr(self, k) for k in KEYS if getattr(self, k) is not None}


def parse_engine_section(section: Any, source: str) -> EngineConfig:
    """Check every key and value of a parsed `[engine]` table; any problem is one GosuprError."""
    if not isinstance(section, dict):
        raise GosuprError(f"'{SECTION}' must be a table ([{SECTION}])", path=source)
    for key in section:
        if key not in KEYS:
            close = difflib.get_close_matches(str(key), KEYS, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise GosuprError(f"unknown key '{SECTION}.{key}'{hint}; allowed here: {', '.join(sorted(KEYS))}",
                              path=source)
    name = section.get("name")
    if name is not None and name not in NAMES:
        raise GosuprError(f"'{SECTION}.name' must be one of {', '.join(NAMES)}, got {name!r}", path=source)
    limit = section.get("memory_limit")
    if limit is not None and (not isinstance(limit, str) or not _SIZE.match(limit.strip())):
        raise GosuprError(f"'{SECTION}.memory_limit' must be a size in quotes, e.g. \"4GB\", got {limit!r}",
                          path=source)
    threads = section.get("threads")
    if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int) or not 1 <= threads <= 4096):
        raise GosuprError(f"'{SECTION}.threads' must be a whole number from 1 to 4096, got {threads!r}", path=source)
    master = section.get("spark_master")
    if master is not None and (not isinstance(master, str) or not master.strip()):
        raise GosuprError(f"'{SECTION}.spark_master' must be a master URL, e.g. \"local[*]\" or "
                          f"\"spark://host:7077\", got {master!r}", path=source)
    return EngineConfig(name=name, memory_limit=limit.strip() if limit else None, threads=threads,
                        spark_master=master.strip() if master else None)


def engine_config(data: dict[str, Any], source: str) -> EngineConfig | None:
    """`[engine]` of a parsed gosupr.toml, checked; None when the file has no such section."""
    if SECTION not in data:
        return None
    return parse_engine_section(data[SECTION], source)


def load_engine_config(path: str | os.PathLike | None) -> EngineConfig:
    """`[engine]` of the gosupr.toml at `path` (an empty config when there is no path or no section)."""
    if path is None:
        return EngineConfig()
    from gosupr.docload import load_toml

    return engine_config(load_toml(path), str(path)) or EngineConfig()


__all__ = ["KEYS", "NAMES", "SECTION", "EngineConfig", "engine_config", "load_engine_config", "parse_engine_section"]
