"""Waste detectors, one module per finding kind, all with `detect(facts, cfg) -> list[Finding]`.

Each module has KIND, DEFAULTS (its thresholds), detect() and SPEC (what the kind is: see
gosupr.mining.kinds). The registry is every such module here plus those of extra kind packages, in
their SPEC's order: from the cheapest wins (duplicate and redundant steps) to the context (rare
paths, waiting).
"""

from __future__ import annotations

from types import ModuleType

from gosupr.mining.kinds import load_detectors

DETECTORS: dict[str, ModuleType]  # built on first use (PEP 562), so a kind module may import this package's _common


def __getattr__(name: str) -> dict[str, ModuleType]:
    if name == "DETECTORS":
        registry = load_detectors()
        globals()["DETECTORS"] = registry
        return registry
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = ["DETECTORS"]
