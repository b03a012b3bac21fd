"""Model rules: bpmnlint's structural checks under their names, plus dead-element.

Each module has RULE (the name users know from bpmnlint), DEFAULTS and
`check(model, cfg) -> list[Finding]` with Finding.kind = RULE and elements = element ids.
"""

from __future__ import annotations

from types import ModuleType

from gosupr.mining.lint.rules import (
    dead_element,
    fake_join,
    no_disconnected,
    no_duplicate_sequence_flows,
    no_implicit_split,
    superfluous_gateway,
)

RULES: dict[str, ModuleType] = {
    m.RULE: m
    for m in (
        superfluous_gateway,
        no_duplicate_sequence_flows,
        no_disconnected,
        fake_join,
        no_implicit_split,
        dead_element,
    )
}

__all__ = ["RULES"]
