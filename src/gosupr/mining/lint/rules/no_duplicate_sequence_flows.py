"""no-duplicate-sequence-flows (bpmnlint): two sequence flows with the same source, target and condition."""

from __future__ import annotations

from typing import Any

from gosupr.bpmn.model import ProcessModel
from gosupr.mining.findings import Finding
from gosupr.mining.kinds import Kind, Removal, subjects
from gosupr.mining.lint.rules._common import describe, rule_finding

RULE = "no-duplicate-sequence-flows"
DEFAULTS: dict[str, Any] = {}


def check(model: ProcessModel, cfg: dict[str, Any] | None = None) -> list[Finding]:
    first: dict[tuple[str, str, str], str] = {}
    out = []
    for f in model.sequence_flows():
        key = (f.source, f.target, (f.condition or "").strip())
        if key not in first:
            first[key] = f.id
            continue
        out.append(rule_finding(
            model, RULE, [f.id, f.source, f.target],
            f"Sequence flow {f.id} duplicates {first[key]} from {describe(model, f.source)} to "
            f"{describe(model, f.target)}; one of them can be removed.",
            removable=True,
            evidence={"flow": f.id, "duplicate_of": first[key], "source": f.source, "target": f.target},
        ))
    return out


def message_ru(f: Finding) -> str:
    e, (a, b) = f.evidence or {}, subjects(f)
    return f"Поток {e.get('flow', '—')} дублирует {e.get('duplicate_of', '—')} от {a} к {b}; один из них можно убрать."


SPEC = Kind(
    name=RULE,
    title=("no-duplicate-sequence-flows", "дублирующий поток (no-duplicate-sequence-flows)"),
    category="model",
    about="two sequence flows with the same source, target and condition",
    removal=Removal("element"),
    messages={"ru": message_ru},
    order=20,
)
