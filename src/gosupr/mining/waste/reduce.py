"""Before/after: the to-be process with the waste taken out, what it saves, and what it costs.

The to-be model is rediscovered from the to-be log (today's log with the applied findings' own
occurrences removed) with the same miner and noise threshold as the as-is model. Both models are
then scored on today's log, and the loss is read from the logs (quality.py). The verdict:

- "no_loss" only when no protected step lost an event, the outcome distribution (last activity
  per case) moved by at most `max_outcome_shift` (total-variation distance, 2 points), and every
  applied finding has positive evidence;
- "loss" with the reasons when a protected step lost events or the outcomes moved;
- "insufficient_evidence" when something was applied without positive evidence (rare paths
  accepted by name).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from gosupr.bpmn.model import ProcessModel
from gosupr.errors import GosuprError
from gosupr.eventlog import EventLog
from gosupr.mining.findings import Finding
from gosupr.mining.waste.removal import CASE_KINDS, SCOPES, STEP_KINDS, Removal, remove_waste

#: kinds `reduce` can take out of a log (their SPEC.removal: a step, a loop's passes, or cases by name)
REMOVABLE_KINDS = tuple(SCOPES) + CASE_KINDS
MAX_OUTCOME_SHIFT = 0.02


@dataclass
class Reduction:
    """As-is against to-be: models, metrics, what was removed, what it cost, and the verdict."""

    as_is: ProcessModel
    to_be: ProcessModel
    essential_log: EventLog | None  # the to-be log (None when reduced from a summary: no events to write)
    applied: list[Finding]
    not_applied: list[Finding]
    removal: Removal
    before: dict[str, Any]
    after: dict[str, Any]
    change: dict[str, dict[str, float | None]]
    quality: dict[str, Any]
    noise: float
    figures: dict[str, Any] = field(default_factory=dict)  # the numbers behind the verdict (JSON: "headline")
    verdict: str = "insufficient_evidence"
    verdict_reasons: list[str] = field(default_factory=list)
    protect: list[str] = field(default_factory=list)


def select_findings(findings: Iterable[Finding], accept: Iterable[str] | None = None) -> tuple[list[Finding], list[Finding]]:
    """Removable findings of the accepted kinds (all removable kinds by default).

    Rare paths are never removable on the evidence alone (rare is not wrong); they are filtered
    only when `rare_path` is accepted by name, and the reduction then has no positive evidence.
    """
    by_name = set(accept or ()) & set(CASE_KINDS)  # rare paths: only when accepted by name
    kinds = set(accept) if accept else set(REMOVABLE_KINDS) - set(CASE_KINDS)
    unknown = kinds - set(REMOVABLE_KINDS)
    if unknown:
        raise GosuprError(
            f"--accept: unknown kind(s) {', '.join(sorted(unknown))}; use one of {', '.join(REMOVABLE_KINDS)}"
        )
    applied: list[Finding] = []
    rest: list[Finding] = []
    for f in findings:
        take = f.kind in kinds and (f.removable or f.kind in by_name)
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
    protect: list[str] | None = None,
) -> Reduction:
    """Build the to-be process from the accepted removable findings and measure both sides.

    `protect`: glob patterns of steps no removal may touch (added to the config's [protect])."""
    from gosupr.mining.discover import discover_model
    from gosupr.mining.metrics import log_work_metrics, model_metrics
    from gosupr.mining.waste.analyze import AnalyzeConfig, analyze_log
    from gosupr.mining.waste.facts import LogFacts
    from gosupr.mining.waste.protect import guard, protected_activities
    from gosupr.mining.waste.quality import log_loss, model_quality

    patterns = list(dict.fromkeys([*((analyze_config or AnalyzeConfig()).protect), *(protect or [])]))
    facts = LogFacts.of(log)
    # findings found elsewhere, perhaps before these patterns, are judged against them (idempotent)
    findings = analyze_log(log, analyze_config, facts=facts, protect=patterns) if findings is None else guard(facts, findings, patterns)
    applied, not_applied = select_findings(findings, accept)
    removal = remove_waste(log, applied, facts=facts)  # sets events_removed / cases_touched on `applied`
    for f in not_applied:
        f.events_removed, f.cases_touched, f.removed_by_activity = 0, 0, {}
    essential = removal.log
    assert essential is not None  # remove_waste always writes the to-be log
    if essential.n_events == 0:
        raise GosuprError("removing the accepted waste leaves no events; accept fewer kinds", path=log.audit.source)
    as_is = as_is or discover_model(log, noise=noise)
    nothing = removal.events_removed == 0 and removal.cases_removed == 0
    to_be = discover_model(essential, noise=noise, name=f"{log.name} (to-be)")
    before = {"model": model_metrics(as_is).to_dict(), "work": log_work_metrics(log)}
    after = {"model": model_metrics(to_be).to_dict(), "work": log_work_metrics(essential)}
    change = {
        part: {k: pct_change(v, after[part].get(k)) for k, v in before[part].items() if isinstance(v, (int, float))}
        for part in before
    }
    protected = {facts.labels[a]: why for a, why in protected_activities(facts, patterns).items()}
    assert removal.dropped is not None  # remove_waste always marks the events it takes
    kept = ~removal.dropped & _case_kept(log, removal)
    quality = {**model_quality(as_is, to_be, log, alignments_budget_s, same=nothing), **log_loss(log, kept, protected)}
    quality["saving"] = saving(removal)
    red = Reduction(
        as_is=as_is, to_be=to_be, essential_log=essential, applied=applied, not_applied=not_applied,
        removal=removal, before=before, after=after, change=change, quality=quality, noise=noise, protect=patterns,
    )
    red.verdict, red.verdict_reasons = verdict(red)
    red.figures = reduction_figures(red, log.n_events)
    return red


def saving(removal: Removal) -> dict[str, Any]:
    """What the removal saves per affected case (handling only, and with the steps' queues)."""
    n = removal.cases_touched
    return {
        "affected_cases": n,
        "per_affected_case_handling_s": round(removal.saving_handling_s / n, 3) if n else 0.0,
        "per_affected_case_with_queue_s": round(removal.saving_with_queue_s / n, 3) if n else 0.0,
        "headline_uses": "handling",
    }


def _case_kept(log: EventLog, removal: Removal) -> Any:
    """Per event: its case is still in the to-be log (rare paths accepted by name drop cases)."""
    import numpy as np

    from gosupr.eventlog import CASE

    if not removal.cases_removed:
        return np.ones(log.n_events, dtype=bool)
    assert removal.log is not None
    return log.df[CASE].isin(removal.log.df[CASE].unique()).to_numpy()


def verdict(red: Reduction, max_outcome_shift: float = MAX_OUTCOME_SHIFT) -> tuple[str, list[str]]:
    """no_loss | loss | insufficient_evidence, and the reasons (see the module docstring)."""
    q = red.quality
    loss = []
    if q["protected_lost"]:
        loss.append("protected steps lost events: " + ", ".join(f"«{x}»" for x in q["protected_lost"]))
    tv = q["outcomes"]["tv_distance"]
    if tv > max_outcome_shift:
        loss.append(f"the outcome distribution moved by {100 * tv:.1f} points (more than {100 * max_outcome_shift:.0f})")
    if loss:
        return "loss", loss
    thin = [f for f in red.applied if not f.removable]
    if thin:
        return "insufficient_evidence", [
            "applied without positive evidence: " + "; ".join(f"{f.kind} {' → '.join(f.activities)}" for f in thin)
        ]
    return "no_loss", []


def reduction_figures(red: Reduction, n_events: int) -> dict[str, Any]:
    """The numbers behind the one-line verdict; renderers word it. Counts are events (not steps);
    `n_events`: today's log's."""
    share = red.removal.events_removed / n_events if n_events else 0.0
    q = red.quality
    return {
        "verdict": red.verdict,
        "verdict_reasons": red.verdict_reasons,
        "events_removed": red.removal.events_removed,
        "events_removed_share": round(share, 4),
        "steps_removable_share": round(share, 4),  # the same share, under its gosupr.reduction/1 name
        "removed_steps": sorted({a for f in red.applied if f.kind in STEP_KINDS
                                 for a in f.activities[-1:]}),
        "cases_touched": red.removal.cases_touched,
        "cases_removed": red.removal.cases_removed,
        "held_back": sum(1 for f in red.not_applied if f.verdict in ("insufficient_evidence", "protected", "periodic", "outcomes_differ")),
        "outcome_preserved_share": q.get("outcome_preserved_share"),
        "outcome_tv_distance": q["outcomes"]["tv_distance"],
        "median_case_duration_before_s": red.before["work"].get("case_duration_median_s"),
        "median_case_duration_after_s": red.after["work"].get("case_duration_median_s"),
        "saving_per_affected_case_handling_s": q["saving"]["per_affected_case_handling_s"],
        "saving_per_affected_case_with_queue_s": q["saving"]["per_affected_case_with_queue_s"],
        "tasks_before": red.before["model"].get("tasks"),
        "tasks_after": red.after["model"].get("tasks"),
        "fitness_as_is": q["as_is"]["fitness"],
        "fitness_to_be": q["to_be"]["fitness"],
    }
