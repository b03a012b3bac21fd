"""Shared pieces of the model rules: flows per node in bpmnlint's terms, building a Finding."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from gosupr.bpmn.model import EVENT_TYPES, TASK_TYPES, Flow, Node, ProcessModel
from gosupr.mining.findings import Finding

# bpmnlint's bpmn:Task: every task type, not call activities or sub-processes
BPMNLINT_TASKS = TASK_TYPES - {"callActivity"}


def is_task_or_event(node: Node) -> bool:
    return node.type in BPMNLINT_TASKS or node.type in EVENT_TYPES


def flows_by_node(model: ProcessModel) -> tuple[dict[str, list[Flow]], dict[str, list[Flow]]]:
    """Incoming and outgoing sequence flows per node id, in file order."""
    incoming: dict[str, list[Flow]] = defaultdict(list)
    outgoing: dict[str, list[Flow]] = defaultdict(list)
    for f in model.sequence_flows():
        outgoing[f.source].append(f)
        incoming[f.target].append(f)
    return incoming, outgoing


def rule_finding(
    model: ProcessModel,
    rule: str,
    elements: list[str],
    message: str,
    *,
    severity: str = "medium",
    removable: bool = False,
    evidence: dict[str, Any] | None = None,
) -> Finding:
    labels = [" ".join(model.label(e).split()) for e in elements if e in model.nodes]
    return Finding(
        kind=rule,
        activities=labels,
        severity=severity,
        removable=removable,
        evidence=evidence or {},
        message=message,
        elements=list(elements),
    )


def describe(model: ProcessModel, node_id: str) -> str:
    """How a message names an element: its name and type, or its id."""
    n = model.nodes.get(node_id)
    if n is None:
        return node_id
    name = " ".join(n.name.split())  # names drawn on several lines read as one
    return f"{n.type} «{name}»" if name else f"{n.type} {n.id}"
