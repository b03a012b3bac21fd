"""superfluous-gateway (bpmnlint): a gateway with one incoming and one outgoing flow does nothing."""

from __future__ import annotations

from typing import Any

from gosupr.bpmn.model import GATEWAY, ProcessModel
from gosupr.mining.findings import Finding
from gosupr.mining.lint.rules._common import describe, flows_by_node, rule_finding

RULE = "superfluous-gateway"
DEFAULTS: dict[str, Any] = {}


def check(model: ProcessModel, cfg: dict[str, Any] | None = None) -> list[Finding]:
    incoming, outgoing = flows_by_node(model)
    out = []
    for n in model.nodes.values():
        if n.kind == GATEWAY and len(incoming[n.id]) == 1 and len(outgoing[n.id]) == 1:
            out.append(rule_finding(
                model, RULE, [n.id],
                f"{describe(model, n.id)} has only one incoming and one outgoing flow; it can be removed.",
                severity="low", removable=True,
                evidence={"incoming": [incoming[n.id][0].id], "outgoing": [outgoing[n.id][0].id]},
            ))
    return out
