"""superfluous-gateway (bpmnlint): a gateway with one incoming and one outgoing flow does nothing."""

from __future__ import annotations

from typing import Any

from gosupr.bpmn.model import GATEWAY, ProcessModel
from gosupr.mining.findings import Finding
from gosupr.mining.kinds import Kind, Removal, subjects
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


def message_ru(f: Finding) -> str:
    return f"У шлюза {subjects(f)[0]} один входящий и один исходящий поток; его можно убрать."


SPEC = Kind(
    name=RULE,
    title=("superfluous-gateway", "лишний шлюз (superfluous-gateway)"),
    category="model",
    about="a gateway with one incoming and one outgoing flow (it does nothing)",
    removal=Removal("element"),
    messages={"ru": message_ru},
    order=10,
)
