"""fake-join (bpmnlint): a task or event with several incoming flows does not join them.

Each incoming token starts the task again; to wait for all branches a parallel gateway is needed.
"""

from __future__ import annotations

from typing import Any

from gosupr.bpmn.model import ProcessModel
from gosupr.mining.findings import Finding
from gosupr.mining.kinds import Kind, subjects
from gosupr.mining.lint.rules._common import describe, flows_by_node, is_task_or_event, rule_finding

RULE = "fake-join"
DEFAULTS: dict[str, Any] = {}


def check(model: ProcessModel, cfg: dict[str, Any] | None = None) -> list[Finding]:
    incoming, _ = flows_by_node(model)
    out = []
    for n in model.nodes.values():
        if is_task_or_event(n) and len(incoming[n.id]) > 1:
            out.append(rule_finding(
                model, RULE, [n.id],
                f"{describe(model, n.id)} has {len(incoming[n.id])} incoming flows but does not join them; "
                "model the join with a gateway.",
                evidence={"incoming": [f.id for f in incoming[n.id]]},
            ))
    return out


def message_ru(f: Finding) -> str:
    e = f.evidence or {}
    return f"{subjects(f)[0]}: входящих потоков — {len(e.get('incoming') or [])}, но элемент их не объединяет; смоделируйте слияние шлюзом."


SPEC = Kind(
    name=RULE,
    title=("fake-join", "неявное слияние (fake-join)"),
    category="model",
    about="a task or event with several incoming flows that does not join them",
    messages={"ru": message_ru},
    order=40,
)
