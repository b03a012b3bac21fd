"""no-disconnected (bpmnlint): a task, gateway, sub-process or event with no sequence flow at all.

Event sub-processes, compensation handlers and boundary events, and activities inside ad-hoc
sub-processes are connected in other ways and are not reported.
"""

from __future__ import annotations

from typing import Any

from gosupr.bpmn.model import EVENT, GATEWAY, SUBPROCESS, TASK, ProcessModel
from gosupr.mining.findings import Finding
from gosupr.mining.kinds import Kind, Removal, subjects
from gosupr.mining.lint.rules._common import BPMNLINT_TASKS, describe, flows_by_node, rule_finding

RULE = "no-disconnected"
DEFAULTS: dict[str, Any] = {}


def check(model: ProcessModel, cfg: dict[str, Any] | None = None) -> list[Finding]:
    incoming, outgoing = flows_by_node(model)
    out = []
    for n in model.nodes.values():
        if not (n.type in BPMNLINT_TASKS or n.kind in (GATEWAY, SUBPROCESS, EVENT)):
            continue
        if n.attrs.get("triggered_by_event") or n.attrs.get("compensation"):
            continue
        if n.type == "boundaryEvent" and n.attrs.get("event_definitions") == ["compensate"]:
            continue
        parent = model.nodes.get(n.parent) if n.parent else None
        if parent is not None and parent.type == "adHocSubProcess" and n.kind in (TASK, SUBPROCESS):
            continue
        if not incoming[n.id] and not outgoing[n.id]:
            out.append(rule_finding(
                model, RULE, [n.id],
                f"{describe(model, n.id)} is not connected to any sequence flow; it can never run.",
                severity="high", removable=True,
            ))
    return out


def message_ru(f: Finding) -> str:
    return f"{subjects(f)[0]} не связан ни с одним потоком управления и никогда не выполнится."


SPEC = Kind(
    name=RULE,
    title=("no-disconnected", "несвязанный элемент (no-disconnected)"),
    category="model",
    about="a task, gateway, sub-process or event with no sequence flow at all",
    removal=Removal("element"),
    messages={"ru": message_ru},
    order=30,
)
