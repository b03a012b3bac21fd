"""Waste detectors, one module per finding kind, all with `detect(facts, cfg) -> list[Finding]`.

Each module has KIND, DEFAULTS (its thresholds) and detect(). The registry keeps a stable order,
from the cheapest wins (duplicate and redundant steps) to the context (rare paths, waiting).
"""

from __future__ import annotations

from types import ModuleType

from gosupr.mining.waste.detectors import (
    bypassable_step,
    duplicate_step,
    periodic_repeat,
    ping_pong,
    rare_path,
    redundant_approval,
    rework,
    self_loop,
    waiting,
)

DETECTORS: dict[str, ModuleType] = {
    m.KIND: m
    for m in (
        self_loop,
        rework,
        ping_pong,
        duplicate_step,
        redundant_approval,
        bypassable_step,
        rare_path,
        waiting,
        periodic_repeat,
    )
}

__all__ = ["DETECTORS"]
