"""Before/after: the to-be process with the waste taken out, and what it saves without loss of quality.

The to-be model is rediscovered from the essential log (the log with accepted waste removed) with
the same miner and noise threshold as the as-is model, so the two are comparable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from ..bpmn.model import ProcessModel
from ..errors import GosuprError
from ..eventlog import EventLog
from .findings import Finding
from .waste_removal import TRANSFORMS, Removal, remove_waste

REMOVABLE_KINDS = tuple(TRANSFORMS) + ("rare_path",)


@dataclass
class Reduction:
    """As-is against to-be: models, metrics, what was removed and what quality remains."""

    as_is: ProcessModel
    to_be: ProcessModel
    essential_log: EventLog
    applied: list[Finding]
    not_applied: list[Finding]
    removal: Removal
    before: dict[str, Any]
    after: dict[str, Any]
    change: dict[str, dict[str, float | None]]
    quality: dict[str, Any]
    noise: float
    headline: dict[str, Any] = field(default_factory=dict)


def select_findings(findings: Iterable[Finding], accept: Iterable[str] | None = None) -> tuple[list[Finding], list[Finding]]:
    """Removable findings of the accepted kinds (all removable kinds by default).

    Rare paths are never removable on the evidence alone (rare is not wrong); they are filtered
    only when `rare_path` is accepted by name, and the cases taking them then count as not preserved.
    """
    explicit_rare = bool(accept) and "rare_path" in set(accept or ())
    kinds = set(accept) if accept else set(REMOVABLE_KINDS) - {"rare_path"}
    unknown = kinds - set(REMOVABLE_KINDS)
    if unknown:
        raise GosuprError(
            f"--accept: unknown kind(s) {', '.join(sorted(unknown))}; use one of {', '.join(REMOVABLE_KINDS)}"
        )
    applied, rest = [], []
    for f in findings:
        take = f.kind in kinds and (f.removable or (f.kind == "rare_path" and explicit_rare))
        (applied if take else rest).append(f)
    return applied, rest


def pct_change(before: Any, after: Any) -> float | None:
    if not isinstance(before, (int, float)) or not isinstance(after, (int, float)) or before == 0:
        return None
    return round(100.0 * (after - before) / before, 2)


def reduce_process(
    log: EventLog,
    *,
    findings: list[Finding] | None = None,
    accept: Iterable[str] | None = None,
    noise: float = 0.2,
    as_is: ProcessModel | None = None,
    analyze_config: Any = None,
    alignments_budget_s: float | None = None,
) -> Reduction:
    """Build the to-be process from the accepted removable findings and measure both sides."""
    from .analyze import analyze_log
    from .discover import discover_model
    from .metrics import log_work_metrics, model_metrics
    from .quality import evaluate_quality

    if findings is None:
        findings = analyze_log(log, analyze_config)
    applied, not_applied = select_findings(findings, accept)
    removal = remove_waste(log, applied)
    essential = removal.log
    if essential.n_events == 0:
        raise GosuprError("removing the accepted waste leaves no events; accept fewer kinds", path=log.audit.source)
    as_is = as_is or discover_model(log, noise=noise)
    to_be = discover_model(essential, noise=noise, name=f"{log.name} (to-be)")
    before = {"model": model_metrics(as_is).to_dict(), "work": log_work_metrics(log)}
    after = {"model": model_metrics(to_be).to_dict(), "work": log_work_metrics(essential)}
    change = {
        part: {k: pct_change(v, after[part].get(k)) for k, v in before[part].items() if isinstance(v, (int, float))}
        for part in before
    }
    quality = evaluate_quality(to_be, essential=essential, today=log, alignments_budget_s=alignments_budget_s)
    red = Reduction(
        as_is=as_is,
        to_be=to_be,
        essential_log=essential,
        applied=applied,
        not_applied=not_applied,
        removal=removal,
        before=before,
        after=after,
        change=change,
        quality=quality,
        noise=noise,
    )
    red.headline = headline(red, log)
    return red


def headline(red: Reduction, log: EventLog) -> dict[str, Any]:
    """The numbers behind the one-line verdict; renderers word it."""
    steps_share = red.removal.events_removed / log.n_events if log.n_events else 0.0
    return {
        "steps_removable_share": round(steps_share, 4),
        "events_removed": red.removal.events_removed,
        "cases_removed": red.removal.cases_removed,
        "outcome_preserved_share": red.quality.get("outcome_preserved_share"),
        "median_case_duration_before_s": red.before["work"].get("case_duration_median_s"),
        "median_case_duration_after_s": red.after["work"].get("case_duration_median_s"),
        "tasks_before": red.before["model"].get("tasks"),
        "tasks_after": red.after["model"].get("tasks"),
        "fitness_essential": red.quality.get("fitness_essential"),
    }
