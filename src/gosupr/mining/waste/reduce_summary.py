"""`reduce --engine`: the before/after reduction computed from a `LogSummary`'s paths.

The same findings, selection, scopes, protections and verdict as `reduce_process`, on rows that
stand for their cases (`LogFacts.of_summary`): the removal drops events from the paths, the to-be
paths are merged into a to-be summary, and both models are discovered from summaries alike
(`discover_from_summary`) and replayed on today's variants. Counts, outcomes and the verdict are
exact; times are per-path means (the work figures say so), and there is no to-be event log to
write.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import pandas as pd

from gosupr.engines.summary import LogSummary, assemble, sketch_bins
from gosupr.errors import GosuprError
from gosupr.mining.waste.facts import LogFacts
from gosupr.mining.waste.reduce import Reduction, pct_change, reduction_figures, saving, select_findings, verdict
from gosupr.mining.waste.removal import CASE_KINDS, SCOPES, Removal, handling_estimate, rare_variants, scope_findings
from gosupr.mining.waste.weighted import wmean, wmedian, wquantile


@dataclass
class SummaryReduceResult:
    """`reduce --engine`: the summary read, how it was built, the reduction, the outputs staged."""

    summary: LogSummary
    run: Any  # engines.RunInfo
    reduction: Reduction
    outputs: dict[str, str | None]
    files: list[tuple[Path, bytes]] = field(default_factory=list)


#: how the work figures of a summary-based reduction are computed (both sides alike)
WORK_METHOD = "per-path means weighted by cases (a log summary keeps no single case's times)"


def reduce_summary(
    summary: LogSummary,
    *,
    accept: Iterable[str] | None = None,
    noise: float = 0.2,
    analyze_config: Any = None,
    protect: list[str] | None = None,
    name: str = "log",
    facts: LogFacts | None = None,
    findings: list | None = None,
    as_is: Any = None,
) -> Reduction:
    """`reduce_process` on a summary (see the module docstring). `facts`, `findings`, `as_is`: already
    computed from this summary (discover does), so not computed twice; findings are judged against
    the protect patterns again (idempotent)."""
    from gosupr.mining.discover_summary import discover_from_summary
    from gosupr.mining.metrics import model_metrics
    from gosupr.mining.waste.analyze import AnalyzeConfig, analyze_facts
    from gosupr.mining.waste.protect import guard, protected_activities
    from gosupr.mining.waste.quality import model_quality, rows_loss

    patterns = list(dict.fromkeys([*((analyze_config or AnalyzeConfig()).protect), *(protect or [])]))
    facts = facts or LogFacts.of_summary(summary)
    findings = analyze_facts(facts, analyze_config, protect=patterns) if findings is None else \
        guard(facts, findings, patterns)
    applied, not_applied = select_findings(findings, accept)
    removal, kept, to_be_ts = _remove(facts, applied)
    for f in not_applied:
        f.events_removed, f.cases_touched, f.removed_by_activity = 0, 0, {}
    if not kept.any():
        raise GosuprError("removing the accepted waste leaves no events; accept fewer kinds", path=summary.source)
    to_be_summary, to_be_rows = _to_be(facts, kept, to_be_ts, summary)
    as_is = as_is or discover_from_summary(summary, noise=noise, name=name)
    to_be = discover_from_summary(to_be_summary, noise=noise, name=f"{name} (to-be)")
    nothing = removal.events_removed == 0 and removal.cases_removed == 0
    before = {"model": model_metrics(as_is).to_dict(), "work": _work(facts.lengths, facts.w, facts.durations_s)}
    after = {"model": model_metrics(to_be).to_dict(), "work": _work(*to_be_rows)}
    change = {
        part: {k: pct_change(v, after[part].get(k)) for k, v in before[part].items() if isinstance(v, (int, float))}
        for part in before
    }
    protected = {facts.labels[a]: why for a, why in protected_activities(facts, patterns).items()}
    quality = {**model_quality(as_is, to_be, facts.variants, same=nothing),
               **rows_loss(facts.labels, facts.act, facts.starts, facts.lengths, facts.w, kept, protected)}
    quality["saving"] = saving(removal)
    red = Reduction(
        as_is=as_is, to_be=to_be, essential_log=None, applied=applied, not_applied=not_applied,
        removal=removal, before=before, after=after, change=change, quality=quality, noise=noise, protect=patterns,
    )
    red.verdict, red.verdict_reasons = verdict(red)
    red.figures = reduction_figures(red, summary.events)
    return red


def _remove(facts: LogFacts, applied: list) -> tuple[Removal, np.ndarray, np.ndarray]:
    """`removal.remove_waste` on rows: what goes, what it saves (weighted), per event whether it
    stays, and its to-be time (later events move earlier by the handling time removed before them)."""
    from gosupr.mining.waste import words

    drop = scope_findings(facts, applied, applied)
    by_kind: dict[str, int] = {}
    for f in applied:
        if f.kind in SCOPES:
            by_kind[f.kind] = by_kind.get(f.kind, 0) + f.events_removed
    rare = [f for f in applied if f.kind in CASE_KINDS]
    row_gone = np.zeros(facts.n_rows, dtype=bool)
    if rare:
        v = facts.variants
        bad = np.isin(v.case_variant.to_numpy(), sorted(rare_variants(v.traces, rare)))
        row_gone[bad] = True
    case_drop = row_gone[facts.case]
    drop &= ~case_drop
    low = np.where(drop, handling_estimate(facts), 0.0)
    others = np.array([words.waits_for_others(x) for x in facts.labels] + [False], dtype=bool)[facts.act]
    high = np.where(drop & ~others, np.nan_to_num(facts.gap_prev_s, nan=0.0), low)
    ew = facts.ew
    removal = Removal(
        log=None,
        events_removed=facts.count_events(drop),
        events_removed_by_kind=dict(sorted(by_kind.items())),
        cases_removed=facts.count(row_gone),
        cases_touched=facts.count_rows(facts.case[drop]),
        saving_handling_s=float((low * ew).sum()),
        saving_with_queue_s=float((high * ew).sum()),
        hours_removed=float((low * ew).sum() / 3600.0),
        dropped=drop,
    )
    shift = pd.Series(low).groupby(facts.case).cumsum().to_numpy()
    return removal, ~drop & ~case_drop, facts.ts_s - shift


def _to_be(facts: LogFacts, kept: np.ndarray, ts: np.ndarray,
           summary: LogSummary) -> tuple[LogSummary, tuple[np.ndarray, ...]]:
    """The to-be summary (variants and directly-follows from the kept events, weighted) and the to-be
    rows' (lengths, weights, durations) for the work figures."""
    case, act, w = facts.case[kept], facts.act[kept], facts.w
    t_ms = np.round(ts[kept] * 1000).astype(np.int64)
    rows = np.unique(case)
    lengths = np.bincount(case, minlength=facts.n_rows)[rows]
    first = pd.Series(t_ms).groupby(case).min().to_numpy()
    last = pd.Series(t_ms).groupby(case).max().to_numpy()
    dur_ms = last - first
    labels = np.asarray(facts.labels, dtype=object)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    traces = [tuple(labels[act[s:s + n]].tolist()) for s, n in zip(starts, lengths)]  # per row
    vid, uniq = pd.factorize(pd.Series(traces, dtype=object), sort=False)
    rw = w[rows]
    frame = pd.DataFrame({"vid": vid, "w": rw, "d": dur_ms, "wd": rw * dur_ms})
    g = frame.groupby("vid", sort=True)
    variants = pd.DataFrame({"vid": g.size().index, "n": g["w"].sum().to_numpy(), "total_ms": g["wd"].sum().to_numpy(),
                             "min_ms": g["d"].min().to_numpy(), "max_ms": g["d"].max().to_numpy()})
    variants["trace"] = [uniq[i] for i in variants["vid"]]
    vsk = pd.DataFrame({"vid": vid, "bin": sketch_bins(dur_ms), "n": rw}).groupby(["vid", "bin"], as_index=False)["n"].sum()
    same = np.zeros(len(case), dtype=bool)
    same[1:] = case[1:] == case[:-1]
    nxt = np.flatnonzero(same)
    gap = t_ms[nxt] - t_ms[nxt - 1]
    ew = w[case[nxt]]
    pairs = pd.DataFrame({"source": labels[act[nxt - 1]], "target": labels[act[nxt]], "w": ew, "g": gap, "wg": ew * gap})
    e = pairs.groupby(["source", "target"], as_index=False).agg(n=("w", "sum"), total_ms=("wg", "sum"),
                                                                 min_ms=("g", "min"), max_ms=("g", "max"))
    esk = pairs.assign(bin=sketch_bins(gap)).groupby(["source", "target", "bin"], as_index=False)["w"].sum() \
        .rename(columns={"w": "n"})
    to_be = assemble(source=summary.source, columns=dict(summary.columns), rows_scanned=summary.rows_scanned,
                     dropped=dict(summary.dropped), first_ms=summary.first_ms, last_ms=summary.last_ms,
                     variants=variants[["vid", "trace", "n", "total_ms", "min_ms", "max_ms"]], variant_sketch=vsk,
                     edges=e, edge_sketch=esk, departments=None)
    return to_be, (lengths, rw, dur_ms / 1000.0)


def _work(lengths: np.ndarray, weights: np.ndarray, durations_s: np.ndarray) -> dict[str, Any]:
    """`metrics.log_work_metrics`'s figures over weighted rows (staff time and hand-overs need events)."""
    n = int(weights.sum())
    out: dict[str, Any] = {"cases": n, "events": int((lengths * weights).sum())}
    none = {"steps_per_case_mean": None, "steps_per_case_median": None, "case_duration_median_s": None,
            "case_duration_p90_s": None, "staff_hours_per_1000_cases": None, "staff_time_method": None,
            "department_handovers_per_case": None, "resource_handovers_per_case": None}
    if n == 0:
        return out | none
    return out | none | {
        "steps_per_case_mean": round(wmean(lengths, weights), 3),
        "steps_per_case_median": wmedian(lengths, weights),
        "case_duration_median_s": round(wmedian(durations_s, weights), 3),
        "case_duration_p90_s": round(wquantile(durations_s, weights, 0.9), 3),
        "duration_method": WORK_METHOD,
    }
