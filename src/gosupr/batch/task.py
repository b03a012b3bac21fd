"""One batch input as it travels to a worker process: a frozen, picklable record.

A dict would let a typo in a key pass silently (`task.get("analyse")` is None, the defaults run);
a frozen dataclass fails at once and tells a reader every field a worker may use. Everything in it
pickles (paths as text, the config's own dataclasses), because the process pool sends it across.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gosupr.engines.config import EngineConfig
    from gosupr.mining.waste.analyze import AnalyzeConfig
    from gosupr.regulation import Regulation

#: what an input is: an event log, a BPMN model, a [[effect]] before/after pair, or a path that was not found
KINDS = ("log", "model", "effect", "missing")


@dataclass(frozen=True)
class Task:
    """Everything a worker needs for one input; `label` names it in every message and output."""

    label: str
    kind: str  # one of KINDS
    stem: str  # the input's folder name under `out_dir`
    out_dir: str  # absolute
    path: str | None = None  # the input (for an effect pair: the BEFORE log)
    problem: str | None = None  # why a "missing" input is missing
    columns: dict[str, str] | None = None  # the [columns."<glob>"] mapping that matched
    noise: float = 0.2
    accept: tuple[str, ...] | None = None  # only these finding kinds are applied (None: all removable)
    analyze: AnalyzeConfig | None = None
    regulation: Regulation | None = None  # the log is also checked against it
    engine: EngineConfig | None = None  # [engine]: the log is summarised by this engine (discover --engine)
    timings: bool = False
    lang: str = "en"
    allow_huge_cases: bool = False
    timezone: str | None = None
    # a [[effect]] pair only
    after: str | None = None
    plan: str | None = None
    model: str | None = None
    fail_on: tuple[str, ...] = ()
