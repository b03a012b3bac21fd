"""Before/after pairs in gosupr.toml: `gosupr batch` measures each reform like `gosupr compare BEFORE AFTER`.

    [[effect]]
    before = "logs/land_lease.csv"          # relative to gosupr.toml
    after = "logs/land_lease.after.csv"
    plan = "plans/land_lease.reduce.json"    # optional: the reduce JSON or a to-be .bpmn
    model = "models/land_lease.to-be.bpmn"   # optional: conformance of AFTER to it
    fail_on = ["plan-realised-below=0.8", "duration-up", "outcome-shift=0.02"]

Each pair is one batch input (kind "effect") with its folder: effect.json and report.html.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gosupr.batch.task import Task
from gosupr.errors import GosuprError

if TYPE_CHECKING:
    from gosupr.mining.waste.analyze import AnalyzeConfig

KEYS = {"before", "after", "plan", "model", "fail_on"}


@dataclass(frozen=True)
class EffectPair:
    before: str  # as written in the config (relative to it)
    after: str
    plan: str | None = None
    model: str | None = None
    fail_on: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.before} → {self.after}"


def parse_effect_pairs(value: Any, source: str) -> tuple[EffectPair, ...]:
    """`[[effect]]` tables: every key checked, gates parsed now so a typo fails before any work."""
    from gosupr.mining.compare.effect_gates import parse_effect_gates

    if not isinstance(value, list) or not all(isinstance(t, dict) for t in value):
        raise GosuprError("'effect' must be an array of tables ([[effect]] with before = ..., after = ...)", path=source)
    out = []
    for i, t in enumerate(value, 1):
        unknown = sorted(set(t) - KEYS)
        if unknown:
            raise GosuprError(f"unknown key 'effect.{unknown[0]}' in [[effect]] #{i}; allowed: {', '.join(sorted(KEYS))}",
                              path=source)
        for k in ("before", "after"):
            if not isinstance(t.get(k), str) or not t[k]:
                raise GosuprError(f"[[effect]] #{i} needs '{k}' = a log file path", path=source)
        for k in ("plan", "model"):
            if k in t and (not isinstance(t[k], str) or not t[k]):
                raise GosuprError(f"'effect.{k}' in [[effect]] #{i} must be a file path", path=source)
        gates = t.get("fail_on", [])
        if not isinstance(gates, list) or not all(isinstance(g, str) for g in gates):
            raise GosuprError(f"'effect.fail_on' in [[effect]] #{i} must be a list of gates", path=source)
        parse_effect_gates(gates)
        out.append(EffectPair(t["before"], t["after"], t.get("plan"), t.get("model"), tuple(gates)))
    return tuple(out)


def effect_tasks(pairs: tuple[EffectPair, ...], base_dir: str, out_dir: str, lang: str, timings: bool,
                 analyze: AnalyzeConfig | None = None) -> list[Task]:
    """One worker task per pair; paths resolved against the config's folder."""
    def path(p: str | None) -> str | None:
        return None if p is None else str((Path(base_dir) / p).resolve())

    tasks = []
    for i, p in enumerate(pairs, 1):
        stem = re.sub(r"[^\w.-]+", "_", f"effect-{Path(p.before).stem}-{Path(p.after).stem}")[:120]
        tasks.append(Task(
            path=path(p.before), after=path(p.after), plan=path(p.plan), model=path(p.model),
            fail_on=tuple(p.fail_on), label=p.label, kind="effect", stem=f"{stem}-{i}" if len(pairs) > 1 else stem,
            out_dir=out_dir, analyze=analyze, timings=timings, lang=lang,
        ))
    return tasks


def run_effect_task(task: Task) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any], str]:
    """(the row's figures, gate verdicts, the gosupr.effect/1 document, HTML page) of one pair."""
    from gosupr.mining.compare.effect_gates import evaluate_effect_gates, parse_effect_gates
    from gosupr.pipeline import run_effect
    from gosupr.report import effect_render as er
    from gosupr.report.effect_html import effect_html

    assert task.path is not None and task.after is not None
    eff = run_effect(task.path, task.after, plan=task.plan, model=task.model, analyze_config=task.analyze)
    gates = parse_effect_gates(list(task.fail_on))
    violated = evaluate_effect_gates(eff, gates)
    verdicts = []
    for g in gates:
        bad = [v for v in violated if v.startswith(f"{g}:")]
        verdicts.append({"name": str(g), "passed": not bad, "value": None, "threshold": g.threshold,
                         "message": bad[0] if bad else f"{g} holds"})
    med = eff.figure("case_duration_median_s")
    figures = {
        "cases": eff.before["cases"] + eff.after["cases"], "events": eff.before["events"] + eff.after["events"],
        "cases_before": eff.before["cases"], "cases_after": eff.after["cases"],
        "plan_realised_share": eff.plan.realised_share if eff.plan else None,
        "median_duration_change_s": med.change if med else None,
        "median_duration_change_significant": med.significant if med else None,
        "outcome_tv": eff.outcome_tv.get("value"), "text": er.effect_sentence(eff, "en"),
    }
    return figures, verdicts, er.document(eff, [str(g) for g in gates], violated), effect_html(eff, task.lang)
