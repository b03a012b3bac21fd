"""Model rules: bpmnlint's structural checks under their names, plus dead-element.

Each module has RULE (the name users know from bpmnlint), DEFAULTS, `check(model, cfg) -> list[Finding]`
with Finding.kind = RULE and elements = element ids, and SPEC (what the kind is: gosupr.mining.kinds).
The registry is every such module here plus those of extra kind packages, in their SPEC's order.
"""

from __future__ import annotations

from types import ModuleType

from gosupr.mining.kinds import load_rules

RULES: dict[str, ModuleType]  # built on first use (PEP 562), so a kind module may import this package's _common


def __getattr__(name: str) -> dict[str, ModuleType]:
    if name == "RULES":
        registry = load_rules()
        globals()["RULES"] = registry
        return registry
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = ["RULES"]
