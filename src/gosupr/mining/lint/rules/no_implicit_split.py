"""no-implicit-split (bpmnlint): a task or event with several unconditional outgoing flows splits
the flow in parallel without saying so; model the split with a gateway."""

from __future__ import annotations

from typing import Any

from gosupr.bpmn.model import ProcessModel
from gosupr.mining.findings import Finding
from gosupr.mining.kinds import Kind, subjects
from gosupr.mining.lint.rules._common import describe, flows_by_node, is_task_or_event, rule_finding

RULE = "no-implicit-split"
DEFAULTS: dict[str, Any] = {}


def check(model: ProcessModel, cfg: dict[str, Any] | None = None) -> list[Finding]:
    _, outgoing = flows_by_node(model)
    out = []
    for n in model.nodes.values():
        if not is_task_or_event(n):
            continue
        plain = [f for f in outgoing[n.id] if f.condition is None and f.id != n.attrs.get("default")]
        if len(plain) > 1:
            out.append(rule_finding(
                model, RULE, [n.id],
                f"{describe(model, n.id)} splits into {len(plain)} unconditional flows implicitly; "
                "model the split with a gateway.",
                evidence={"outgoing": [f.id for f in plain]},
            ))
    return out


def message_ru(f: Finding) -> str:
    e = f.evidence or {}
    return (f"{subjects(f)[0]} ветвится неявно: безусловных исходящих потоков — {len(e.get('outgoing') or [])}; "
            "смоделируйте ветвление шлюзом.")


SPEC = Kind(
    name=RULE,
    title=("no-implicit-split", "неявное ветвление (no-implicit-split)"),
    category="model",
    about="a task or event with several unconditional outgoing flows (an implicit split)",
    messages={"ru": message_ru},
    order=50,
)
