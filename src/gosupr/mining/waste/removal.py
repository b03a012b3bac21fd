"""Taking accepted waste out of a log: each finding removes only its own occurrences, vectorised.

Scope per kind (`finding_mask`), as each detector declares it in SPEC.removal: a self-loop's immediate repeats; a rework loop's later passes
(second and later occurrences of its steps, between the first and the last execution of the
reworked step, in the cases the finding counted); a ping-pong's bounce rounds (the second and later
occurrences inside a→b→a); the second of a duplicate pair where it directly follows the first;
a redundant or bypassable step itself. A loop never removes an activity's first occurrence in a
case, so a loop never wipes an activity out of the log. Findings are applied in order; an event
two findings claim counts for the first (the per-finding counts add up to the total).

Time: a removed event saves its handling time for sure (the low estimate: the 10th percentile of
the time before that activity across the log, at most the actual gap) and at most the whole gap
before it, its queue included (the high estimate: an approver's inbox, a re-check's queue). Where
that wait is someone else's — before a correction or return (the applicant's), before a reply
(another agency's) — the high estimate stays at the handling time. The to-be log shifts later
events by the low estimate, so waits for the applicant, another agency or a fixed date stay.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from gosupr.eventlog import CASE, TIMESTAMP, EventLog
from gosupr.mining.findings import Finding
from gosupr.mining.waste import words
from gosupr.mining.waste.detectors import DETECTORS
from gosupr.mining.waste.facts import LogFacts

HANDLING_QUANTILE = 0.1


def _scopes() -> dict[str, Callable[[LogFacts, Finding], np.ndarray]]:
    return {k: m.SPEC.removal.scope for k, m in DETECTORS.items()
            if m.SPEC.removal.what in ("step", "repeats") and m.SPEC.removal.scope is not None}


#: kind → which events taking one of its findings out removes, as each detector declares it
#: (SPEC.removal.scope: a step, or a loop's later passes); kinds not here remove no events this way
SCOPES: dict[str, Callable[[LogFacts, Finding], np.ndarray]] = _scopes()
#: kinds whose removal takes a whole step out (the others remove repeats, cases or nothing)
STEP_KINDS: tuple[str, ...] = tuple(k for k, m in DETECTORS.items() if m.SPEC.removal.what == "step")
#: kinds whose removal takes a loop's later passes out (the step itself stays)
REPEAT_KINDS: tuple[str, ...] = tuple(k for k, m in DETECTORS.items() if m.SPEC.removal.what == "repeats")
#: kinds whose findings filter out their cases (only when accepted by name)
CASE_KINDS: tuple[str, ...] = tuple(k for k, m in DETECTORS.items() if m.SPEC.removal.what == "cases")


def finding_mask(facts: LogFacts, f: Finding) -> np.ndarray:
    """Per event of the log: would taking this finding out remove it? (All False for kinds that remove nothing.)"""
    fn = SCOPES.get(f.kind)
    if fn is None or not f.activities or f.evidence.get("removal") is None:
        return np.zeros(facts.n_events, dtype=bool)
    return fn(facts, f)


def scope_findings(facts: LogFacts, findings: list[Finding], applied: list[Finding]) -> np.ndarray:
    """Set `events_removed` and `cases_touched` on every finding (0 unless applied), in order;
    return the union of what the applied findings remove."""
    drop = np.zeros(facts.n_events, dtype=bool)
    ids = {id(f) for f in applied}
    for f in findings:
        f.events_removed, f.cases_touched, f.removed_by_activity = 0, 0, {}
        if id(f) not in ids:
            continue
        m = finding_mask(facts, f) & ~drop
        f.events_removed = facts.count_events(m)
        f.cases_touched = facts.count_rows(facts.case[m])
        per = np.bincount(facts.act[m], weights=facts.event_weights(m),
                          minlength=facts.n_activities).astype(np.int64)
        f.removed_by_activity = {facts.labels[a]: int(per[a]) for a in np.flatnonzero(per)}
        drop |= m
    return drop


def handling_estimate(facts: LogFacts) -> np.ndarray:
    """Per event: the time it surely takes itself: the activity's low quantile of the time before
    it, at most the event's own gap (0 for a case's first event)."""
    gap = np.nan_to_num(facts.gap_prev_s, nan=0.0)
    ok = ~np.isnan(facts.gap_prev_s)
    q = np.zeros(facts.n_activities)
    if ok.any() and facts.weight is None:
        per_act = pd.Series(facts.gap_prev_s[ok]).groupby(facts.act[ok]).quantile(HANDLING_QUANTILE)
        q[per_act.index.to_numpy()] = per_act.to_numpy()
    elif ok.any():
        from gosupr.mining.waste.weighted import wquantile

        act, g, w = facts.act[ok], facts.gap_prev_s[ok], facts.ew[ok]
        for a in np.unique(act):  # per activity
            sel = act == a
            q[a] = wquantile(g[sel], w[sel], HANDLING_QUANTILE)
    return np.minimum(q[facts.act], gap)


@dataclass
class Removal:
    """What taking the waste out did to the log."""

    log: EventLog | None  # the to-be log; None when reduced from a summary
    events_removed: int
    events_removed_by_kind: dict[str, int] = field(default_factory=dict)
    cases_removed: int = 0  # cases filtered out entirely (rare paths, only when accepted by name)
    cases_touched: int = 0
    saving_handling_s: float = 0.0  # total over the log: handling time of the removed events
    saving_with_queue_s: float = 0.0  # ... and the whole wait before each of them
    hours_removed: float = 0.0  # = saving_handling_s in hours (what the to-be log's times reflect)
    dropped: np.ndarray | None = None  # per event of the original log: taken out as waste


def remove_waste(
    log: EventLog, findings: list[Finding], name: str | None = None, facts: LogFacts | None = None
) -> Removal:
    """Apply every finding (each only to its own occurrences); rare paths filter their cases."""
    facts = facts or LogFacts.of(log)
    drop = scope_findings(facts, findings, findings)
    by_kind: dict[str, int] = {}
    for f in findings:
        if f.kind in SCOPES:
            by_kind[f.kind] = by_kind.get(f.kind, 0) + f.events_removed
    case_drop = _rare_case_mask(log, [f for f in findings if f.kind in CASE_KINDS])
    drop &= ~case_drop
    low = np.where(drop, handling_estimate(facts), 0.0)
    others = np.array([words.waits_for_others(x) for x in facts.labels] + [False], dtype=bool)[facts.act]
    high = np.where(drop & ~others, np.nan_to_num(facts.gap_prev_s, nan=0.0), low)
    shift = pd.Series(low).groupby(facts.case).cumsum().to_numpy()
    df = log.df.copy()
    df[TIMESTAMP] = df[TIMESTAMP] - pd.to_timedelta(shift, unit="s")
    reduced = EventLog(df, None, name or f"{log.name} (to-be)").subset(~drop & ~case_drop)
    return Removal(
        log=reduced,
        events_removed=int(drop.sum()),
        events_removed_by_kind=dict(sorted(by_kind.items())),
        cases_removed=int(pd.unique(facts.case[case_drop]).size),
        cases_touched=int(np.unique(facts.case[drop]).size),
        saving_handling_s=float(low.sum()),
        saving_with_queue_s=float(high.sum()),
        hours_removed=float(low.sum() / 3600.0),
        dropped=drop,
    )


def rare_variants(traces: list[tuple[str, ...]], rare: list[Finding]) -> set[int]:
    """Indices of the traces that take a rare directly-follows edge or are a rare variant named in the findings."""
    edges = {tuple(f.activities[:2]) for f in rare if len(f.activities) >= 2 and f.evidence.get("scope", "edge") == "edge"}
    variants = {tuple(f.activities) for f in rare if f.evidence.get("scope") == "variant"}
    return {i for i, tr in enumerate(traces)  # one pass over distinct variants, not over events
            if tr in variants or any(e in edges for e in zip(tr, tr[1:]))}


def _rare_case_mask(log: EventLog, rare: list[Finding]) -> np.ndarray:
    """Cases that take a rare directly-follows edge or a rare variant named in the findings."""
    mask = np.zeros(log.n_events, dtype=bool)
    if not rare:
        return mask
    v = log.variants
    bad_variants = rare_variants(v.traces, rare)
    if not bad_variants:
        return mask
    bad_cases = v.case_variant[v.case_variant.isin(bad_variants)].index
    return log.df[CASE].isin(bad_cases).to_numpy()
