"""Waste detectors, one module per finding kind, all with `detect(facts, cfg) -> list[Finding]`.

Each module has KIND, DEFAULTS (its thresholds), detect() and SPEC (what the kind is: see
gosupr.mining.kinds). The registry is every such module here plus those of extra kind packages, in
their SPEC's order: from the cheapest wins (duplicate and redundant steps) to the context (rare
paths, waiting).
"""

from __future__ import annotations

from types import ModuleType

from gosupr.mining.kinds import load_detectors

DETECTORS: dict[str, ModuleType] = load_detectors()

__all__ = ["DETECTORS"]
