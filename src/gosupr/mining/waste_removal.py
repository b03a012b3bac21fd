"""Taking accepted waste out of a log, one transformation per finding kind, vectorised.

The to-be process is rediscovered from this "essential" log. Removed events also take the wait
before them with them: later events of the case move earlier by that gap, so durations of the
to-be log estimate what the case would take without the waste.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..eventlog import ACTIVITY, CASE, TIMESTAMP, EventLog
from .findings import Finding


@dataclass
class EventFrame:
    """Per-event arrays the transformations share (computed once)."""

    case: np.ndarray  # case code per event
    act: np.ndarray  # activity code per event (category codes: no per-event strings)
    labels: dict[str, int]  # activity label -> code
    pos: np.ndarray  # position within case
    starts: np.ndarray  # row offset of each event's case
    gap_s: np.ndarray  # seconds since the previous event of the case (0 for the first)

    @classmethod
    def of(cls, log: EventLog) -> EventFrame:
        df = log.df
        starts, lengths = log.case_bounds
        row_start = np.repeat(starts, lengths)
        pos = np.arange(len(df)) - row_start
        ts = df[TIMESTAMP].to_numpy().astype("datetime64[ns]").astype(np.int64)
        gap = np.zeros(len(df), dtype=np.float64)
        if len(df) > 1:
            gap[1:] = (ts[1:] - ts[:-1]) / 1e9
        gap[pos == 0] = 0.0
        return cls(
            case=df[CASE].cat.codes.to_numpy(),
            act=df[ACTIVITY].cat.codes.to_numpy(),
            labels={str(c): i for i, c in enumerate(df[ACTIVITY].cat.categories)},
            pos=pos,
            starts=row_start,
            gap_s=gap,
        )

    def is_(self, *labels: str) -> np.ndarray:
        """Per event: is its activity one of `labels`?"""
        return np.isin(self.act, [self.labels[a] for a in labels if a in self.labels])

    def first_pos(self, mask: np.ndarray) -> np.ndarray:
        """Per event: position of the first event of its case where `mask` holds (-1 if none)."""
        return self._reduce_pos(mask, np.minimum, np.iinfo(np.int64).max)

    def last_pos(self, mask: np.ndarray) -> np.ndarray:
        return self._reduce_pos(mask, np.maximum, -1)

    def _reduce_pos(self, mask: np.ndarray, op: Callable, empty: int) -> np.ndarray:
        vals = np.where(mask, self.pos, empty).astype(np.int64)
        n_cases = int(self.case.max()) + 1 if len(self.case) else 0
        out = np.full(n_cases, empty, dtype=np.int64)
        op.at(out, self.case, vals)
        res = out[self.case]
        return np.where(res == empty, -1, res)


def _drop_repeats_in_run(ev: EventFrame, f: Finding) -> np.ndarray:
    """self_loop: keep the first of each run of the same activity."""
    a = set(f.activities)
    same_prev = np.zeros(len(ev.act), dtype=bool)
    same_prev[1:] = (ev.act[1:] == ev.act[:-1]) & (ev.pos[1:] > 0)
    return same_prev & ev.is_(*a)


def _collapse(ev: EventFrame, f: Finding, until_any_member: bool) -> np.ndarray:
    """Keep the first pass of the anchor step (the finding's first activity); drop the loop's steps
    after it, up to its last repetition (or up to the last of any member, for ping-pong)."""
    members = list(set(f.activities))
    in_loop = ev.is_(*members)
    is_anchor = ev.is_(f.activities[0])
    first = ev.first_pos(is_anchor)
    last = ev.last_pos(in_loop if until_any_member else is_anchor)
    return in_loop & (first >= 0) & (ev.pos > first) & (ev.pos <= last)


def _collapse_loop(ev: EventFrame, f: Finding) -> np.ndarray:
    """rework: the loop back to the anchor step is done once, right the first time."""
    return _collapse(ev, f, until_any_member=False)


def _cut_rounds(ev: EventFrame, f: Finding) -> np.ndarray:
    """ping_pong: the case goes over once; the rounds back and forth go."""
    return _collapse(ev, f, until_any_member=True)


def _drop_last(ev: EventFrame, f: Finding) -> np.ndarray:
    """duplicate_step: the second of the pair repeats the first's work."""
    return ev.is_(f.activities[-1])


def _drop_all(ev: EventFrame, f: Finding) -> np.ndarray:
    """redundant_approval, bypassable_step: the step itself goes."""
    return ev.is_(*f.activities)


TRANSFORMS: dict[str, Callable[[EventFrame, Finding], np.ndarray]] = {
    "self_loop": _drop_repeats_in_run,
    "rework": _collapse_loop,
    "ping_pong": _cut_rounds,
    "duplicate_step": _drop_last,
    "redundant_approval": _drop_all,
    "bypassable_step": _drop_all,
}


@dataclass
class Removal:
    """What taking the waste out did to the log."""

    log: EventLog
    events_removed: int
    events_removed_by_kind: dict[str, int] = field(default_factory=dict)
    cases_removed: int = 0  # cases filtered out entirely (rare paths)
    hours_removed: float = 0.0
    dropped: np.ndarray | None = None  # per event of the original log: taken out as waste


def remove_waste(log: EventLog, findings: list[Finding], name: str | None = None) -> Removal:
    """Apply every finding whose kind has a transformation; rare paths filter their cases."""
    ev = EventFrame.of(log)
    drop = np.zeros(log.n_events, dtype=bool)
    by_kind: dict[str, int] = {}
    for f in findings:
        fn = TRANSFORMS.get(f.kind)
        if fn is None or not f.activities:
            continue
        m = fn(ev, f) & ~drop
        by_kind[f.kind] = by_kind.get(f.kind, 0) + int(m.sum())
        drop |= m
    case_drop = _rare_case_mask(log, [f for f in findings if f.kind == "rare_path"])
    removed_gap = np.where(drop, ev.gap_s, 0.0)
    shift = pd.Series(removed_gap).groupby(ev.case).cumsum().to_numpy()
    keep = ~drop & ~case_drop
    df = log.df.copy()
    df[TIMESTAMP] = df[TIMESTAMP] - pd.to_timedelta(shift, unit="s")
    reduced = EventLog(df, None, name or f"{log.name} (to-be)").subset(keep)
    return Removal(
        log=reduced,
        events_removed=int((drop & ~case_drop).sum()),
        events_removed_by_kind=dict(sorted(by_kind.items())),
        cases_removed=int(pd.unique(ev.case[case_drop]).size),
        hours_removed=float(removed_gap[~case_drop].sum() / 3600.0),
        dropped=drop & ~case_drop,
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
