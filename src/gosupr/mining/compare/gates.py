"""CI gates on a model diff: `--fail-on added-tasks|removed-tasks|any-change|complexity-up|fitness-drop=0.05`.

A gate is a rule a pull request must keep; a violated gate is named so the job log says why it failed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gosupr.bpmn.model import ACTIVITY_KINDS
from gosupr.errors import GosuprError
from gosupr.mining.gate_specs import Gate, parse_gate_specs, share

if TYPE_CHECKING:  # compare re-exports this module: a runtime import back would be a cycle
    from gosupr.mining.compare.models import ModelDiff

GATES = ("added-tasks", "removed-tasks", "any-change", "complexity-up", "fitness-drop")
GATE_HELP = "added-tasks, removed-tasks, any-change, complexity-up, fitness-drop=<0..1>"
# CFC and start-to-end paths grow with the choices a case faces. CNC and density are reported but
# not gated: both rise when a step is removed from a chain, i.e. when a model gets simpler.
COMPLEXITY_METRICS = ("cfc", "paths")


def parse_gates(specs: list[str] | tuple[str, ...]) -> list[Gate]:
    """Parse gate specs (repeatable, comma-separated); an unknown gate is bad input (exit 2)."""
    return parse_gate_specs(specs, GATES, {"fitness-drop": _threshold}, GATE_HELP)


def _threshold(item: str, value: str) -> float:
    """`fitness-drop` alone means any drop at all."""
    return share(item, value) if value.strip() else 0.0


def evaluate_gates(diff: ModelDiff, specs: list[str] | tuple[str, ...]) -> list[str]:
    """Descriptions of the violated gates, in the order given; empty when every gate holds."""
    out = []
    for gate in parse_gates(specs):
        msg = _check(diff, gate)
        if msg:
            out.append(f"{gate}: {msg}")
    return out


def _names(changes: list) -> str:
    names = [f"«{c.name or c.type}»" for c in changes[:5]]
    return ", ".join(names) + (f" and {len(changes) - 5} more" if len(changes) > 5 else "")


def _check(diff: ModelDiff, gate: Gate) -> str | None:
    if gate.name in ("added-tasks", "removed-tasks"):
        change = gate.name.split("-")[0]
        hit = diff.element_changes(change, ACTIVITY_KINDS)
        return f"{len(hit)} task(s) {change}: {_names(hit)}" if hit else None
    if gate.name == "any-change":
        n = diff.behavioural_changes
        return f"{n} behavioural change(s)" if n else None
    if gate.name == "complexity-up":
        ups = []
        for key in COMPLEXITY_METRICS:
            d = diff.metrics.get(key)
            if d is not None and d.delta is not None and d.delta > 0:
                ups.append(f"{key} {d.before:g} → {d.after:g}")
        return "; ".join(ups) if ups else None
    if gate.name == "fitness-drop":
        rep = diff.replay
        if rep is None:
            raise GosuprError("--fail-on fitness-drop needs an event log: add --log LOG")
        drop = rep.fitness_before - rep.fitness_after
        if drop > (gate.threshold or 0.0) + 1e-12:
            return f"fitness {rep.fitness_before:.3f} → {rep.fitness_after:.3f} (drop {drop:.3f} > {gate.threshold:g})"
        return None
    raise AssertionError(gate.name)  # pragma: no cover - parse_gates admits only GATES
