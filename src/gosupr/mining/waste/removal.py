"""Taking accepted waste out of a log: each finding removes only its own occurrences, vectorised.

Scope per kind (`finding_mask`): a self-loop's immediate repeats; a rework loop's later passes
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
from gosupr.mining.waste import words
from gosupr.mining.findings import Finding
from gosupr.mining.waste.facts import LogFacts

HANDLING_QUANTILE = 0.1


def _codes(facts: LogFacts, f: Finding) -> list[int]:
    index = {x: i for i, x in enumerate(facts.labels)}
    return [index[x] for x in f.activities if x in index]


def _self_loop(facts: LogFacts, f: Finding) -> np.ndarray:
    a = _codes(facts, f)[:1]
    return (facts.act == a[0]) & (facts.prev_act == a[0]) if a else np.zeros(facts.n_events, dtype=bool)


def _rework(facts: LogFacts, f: Finding) -> np.ndarray:
    """Later passes of the loop back to the reworked step (the finding's first activity)."""
    codes = _codes(facts, f)
    if not codes or f.activities[0] not in facts.labels:  # no reworked step in this log: nothing to remove
        return np.zeros(facts.n_events, dtype=bool)
    a = codes[0]
    is_a = facts.act == a
    back = is_a & (facts.prev_same_pos >= 0) & (facts.prev_same_pos < facts.pos - 1)
    bounce_end = np.zeros_like(back)
    bounce_end[2:] = facts.bounce[:-2]
    back &= ~bounce_end  # as the detector counts: a→b→a with a hand-over is a ping-pong
    affected = np.zeros(facts.n_cases, dtype=bool)
    affected[facts.case[back]] = True
    first = facts.first_positions(a)
    last = np.full(facts.n_cases, -1, dtype=np.int64)
    np.maximum.at(last, facts.case[is_a], facts.pos[is_a])
    c = facts.case
    return (affected[c] & np.isin(facts.act, codes) & (facts.prev_same_pos >= 0)
            & (facts.pos > first[c]) & (facts.pos <= last[c]))


def _ping_pong(facts: LogFacts, f: Finding) -> np.ndarray:
    """The rounds of a→b→a between the finding's two activities, first occurrences kept."""
    out = np.zeros(facts.n_events, dtype=bool)
    codes = _codes(facts, f)
    if f.evidence.get("between", "activities") != "activities" or len(set(codes)) != 2:
        return out
    i = np.flatnonzero(facts.bounce)
    pair = set(codes)
    i = i[np.isin(facts.act[i], list(pair)) & np.isin(facts.act[i + 1], list(pair))]
    out[i + 1] = True
    out[i + 2] = True
    return out & (facts.prev_same_pos >= 0)


def _duplicate(facts: LogFacts, f: Finding) -> np.ndarray:
    codes = _codes(facts, f)
    if len(codes) < 2:
        return np.zeros(facts.n_events, dtype=bool)
    return (facts.act == codes[-1]) & (facts.prev_act == codes[0])


def _whole_step(facts: LogFacts, f: Finding) -> np.ndarray:
    return np.isin(facts.act, _codes(facts, f))


SCOPES: dict[str, Callable[[LogFacts, Finding], np.ndarray]] = {
    "self_loop": _self_loop,
    "rework": _rework,
    "ping_pong": _ping_pong,
    "duplicate_step": _duplicate,
    "redundant_approval": _whole_step,
    "bypassable_step": _whole_step,
}
#: kinds whose removal takes a whole step out (the others remove repeats only)
STEP_KINDS = ("duplicate_step", "redundant_approval", "bypassable_step")


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
        f.events_removed = int(m.sum())
        f.cases_touched = int(np.unique(facts.case[m]).size)
        per = np.bincount(facts.act[m], minlength=facts.n_activities)
        f.removed_by_activity = {facts.labels[a]: int(per[a]) for a in np.flatnonzero(per)}
        drop |= m
    return drop


def handling_estimate(facts: LogFacts) -> np.ndarray:
    """Per event: the time it surely takes itself: the activity's low quantile of the time before
    it, at most the event's own gap (0 for a case's first event)."""
    gap = np.nan_to_num(facts.gap_prev_s, nan=0.0)
    ok = ~np.isnan(facts.gap_prev_s)
    q = np.zeros(facts.n_activities)
    if ok.any():
        per_act = pd.Series(facts.gap_prev_s[ok]).groupby(facts.act[ok]).quantile(HANDLING_QUANTILE)
        q[per_act.index.to_numpy()] = per_act.to_numpy()
    return np.minimum(q[facts.act], gap)


@dataclass
class Removal:
    """What taking the waste out did to the log."""

    log: EventLog
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
    case_drop = _rare_case_mask(log, [f for f in findings if f.kind == "rare_path"])
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


def _rare_case_mask(log: EventLog, rare: list[Finding]) -> np.ndarray:
    """Cases that take a rare directly-follows edge or a rare variant named in the findings."""
    mask = np.zeros(log.n_events, dtype=bool)
    if not rare:
        return mask
    v = log.variants
    bad_variants: set[int] = set()
    edges = {tuple(f.activities[:2]) for f in rare if len(f.activities) >= 2 and f.evidence.get("scope", "edge") == "edge"}
    variants = {tuple(f.activities) for f in rare if f.evidence.get("scope") == "variant"}
    for i, tr in enumerate(v.traces):  # one pass over distinct variants, not over events
        if tr in variants or any(e in edges for e in zip(tr, tr[1:])):
            bad_variants.add(i)
    if not bad_variants:
        return mask
    bad_cases = v.case_variant[v.case_variant.isin(bad_variants)].index
    return log.df[CASE].isin(bad_cases).to_numpy()
