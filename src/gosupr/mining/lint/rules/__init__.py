"""Model rules: bpmnlint's structural checks under their names, plus dead-element.

Each module has RULE (the name users know from bpmnlint), DEFAULTS, `check(model, cfg) -> list[Finding]`
with Finding.kind = RULE and elements = element ids, and SPEC (what the kind is: gosupr.mining.kinds).
The registry is every such module here plus those of extra kind packages, in their SPEC's order.
"""

from __future__ import annotations

from types import ModuleType

from gosupr.mining.kinds import load_rules

RULES: dict[str, ModuleType] = load_rules()

__all__ = ["RULES"]
