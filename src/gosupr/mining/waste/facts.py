"""LogFacts: the log aggregated once, so that every waste detector reads arrays, not events.

Everything here is vectorised over events (numpy/pandas); Python loops run over activities or
directly-follows edges only, never over events.

A "row" is one case of the log (`LogFacts.of`), or one path of a log summary standing for
`weight[row]` cases (`LogFacts.of_summary`: the same detectors on aggregates whose size follows
the distinct paths, not the events). Detectors count cases with `count`/`count_rows`, events with
`count_events`, and take medians with `weighted.wmedian`; without weights these are numpy's own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from gosupr.eventlog import ACTIVITY, DEPARTMENT, RESOURCE, TIMESTAMP, EventLog, Variants
from gosupr.mining.waste import words


@dataclass
class Edges:
    """Directly-follows edges a→b: one row each, with event and case counts and gap statistics."""

    src: np.ndarray
    dst: np.ndarray
    events: np.ndarray
    cases: np.ndarray
    median_s: np.ndarray
    p85_s: np.ndarray
    mean_s: np.ndarray

    def __len__(self) -> int:
        return len(self.src)


@dataclass
class LogFacts:
    """Per-event arrays (aligned with `log.df`), per-case arrays and per-activity counts."""

    log: EventLog | None  # None when built from a summary
    labels: list[str]  # activity label by code
    act: np.ndarray  # activity code per event
    case: np.ndarray  # case index per event (0..n_cases-1, in frame order)
    pos: np.ndarray  # position of the event in its case
    starts: np.ndarray  # first row of each case
    lengths: np.ndarray  # events per case
    next_act: np.ndarray  # activity code of the next event in the case, -1 at the end
    prev_act: np.ndarray  # activity code of the previous event, -1 at the start
    ts_s: np.ndarray  # seconds since the log's first event (float64)
    gap_next_s: np.ndarray  # seconds to the next event in the case, NaN at the end
    gap_prev_s: np.ndarray  # seconds since the previous event in the case, NaN at the start
    dept: np.ndarray | None  # department code per event, -1 when unknown; None without departments
    dept_labels: list[str] = field(default_factory=list)
    res: np.ndarray | None = None  # resource code per event, -1 when unknown; None without resources
    weight: np.ndarray | None = None  # cases per row (a summary's path); None: each row is one case
    summary_median_case_s: float | None = None  # from the summary's duration sketch (rows are paths)

    # -- construction -----------------------------------------------------------------------------
    @classmethod
    def of(cls, log: EventLog) -> LogFacts:
        df = log.df
        n = len(df)
        starts, lengths = log.case_bounds
        act = df[ACTIVITY].cat.codes.to_numpy().astype(np.int64)
        case = np.repeat(np.arange(len(starts), dtype=np.int64), lengths)
        pos = np.arange(n, dtype=np.int64) - np.repeat(starts, lengths)
        last = np.zeros(n, dtype=bool)
        if n:
            last[starts + lengths - 1] = True
        first = pos == 0
        next_act = np.full(n, -1, dtype=np.int64)
        prev_act = np.full(n, -1, dtype=np.int64)
        if n:
            next_act[:-1] = act[1:]
            prev_act[1:] = act[:-1]
        next_act[last] = -1
        prev_act[first] = -1
        ns = df[TIMESTAMP].to_numpy().astype("datetime64[ns]").astype(np.int64)
        ts_s = (ns - (ns.min() if n else 0)) / 1e9
        gap_next = np.full(n, np.nan)
        if n:
            gap_next[:-1] = np.diff(ts_s)
        gap_next[last] = np.nan
        gap_prev = np.full(n, np.nan)
        if n:
            gap_prev[1:] = gap_next[:-1]
        gap_prev[first] = np.nan
        dept, dept_labels = _codes(df, DEPARTMENT)
        res, _ = _codes(df, RESOURCE)
        return cls(
            log=log,
            labels=[str(c) for c in df[ACTIVITY].cat.categories],
            act=act,
            case=case,
            pos=pos,
            starts=starts,
            lengths=lengths,
            next_act=next_act,
            prev_act=prev_act,
            ts_s=ts_s,
            gap_next_s=gap_next,
            gap_prev_s=gap_prev,
            dept=dept,
            dept_labels=dept_labels,
            res=res,
        )

    @classmethod
    def of_summary(cls, summary: Any) -> LogFacts:
        """Facts over a `LogSummary`'s paths: one row per path, weighted by its cases. Times inside a
        row are the path's per-position means (medians over cases become medians over path means)."""
        from gosupr.mining.waste.summary_facts import arrays_of_summary

        return cls(**arrays_of_summary(summary))

    # -- sizes ----------------------------------------------------------------------------------
    @property
    def n_rows(self) -> int:
        """Rows of the per-case arrays (cases, or a summary's paths)."""
        return len(self.starts)

    @cached_property
    def n_cases(self) -> int:
        """Cases the facts stand for."""
        return len(self.starts) if self.weight is None else int(self.weight.sum())

    @cached_property
    def w(self) -> np.ndarray:
        """Cases per row (ones for a plain log)."""
        return np.ones(len(self.starts), dtype=np.int64) if self.weight is None else self.weight

    @cached_property
    def ew(self) -> np.ndarray:
        """Cases per event (the weight of its row)."""
        return self.w[self.case]

    def count(self, rows: np.ndarray) -> int:
        """Cases in a boolean per-row mask."""
        return int(rows.sum()) if self.weight is None else int(self.weight[rows].sum())

    def count_rows(self, rows: np.ndarray) -> int:
        """Cases among (possibly repeated) row indices."""
        u = np.unique(rows)
        return len(u) if self.weight is None else int(self.weight[u].sum())

    def count_events(self, events: np.ndarray) -> int:
        """Events in a boolean per-event mask, each counted for the cases of its row."""
        return int(events.sum()) if self.weight is None else int(self.ew[events].sum())

    def event_weights(self, events: np.ndarray) -> np.ndarray | None:
        """Weights of the selected events (a mask or indices) for bincounts and `weighted.*` (None for a plain log)."""
        return None if self.weight is None else self.ew[events]

    def tally(self, codes: np.ndarray, events: np.ndarray) -> dict[int, int]:
        """Per value of `codes` (one per event) among the selected events: how many events, each
        counted for the cases of its row."""
        v, inv, k = np.unique(codes[events], return_inverse=True, return_counts=True)
        if self.weight is not None:
            k = np.bincount(inv, weights=self.ew[events], minlength=len(v)).astype(np.int64)
        return {int(x): int(y) for x, y in zip(v, k)}

    def row_weights(self, rows: np.ndarray) -> np.ndarray | None:
        """Weights of the given rows for `weighted.wmedian` (None for a plain log)."""
        return None if self.weight is None else self.weight[np.asarray(rows, dtype=np.int64)]

    @property
    def n_events(self) -> int:
        return len(self.act)

    @property
    def n_activities(self) -> int:
        return len(self.labels)

    # -- per case -------------------------------------------------------------------------------
    @cached_property
    def first_act(self) -> np.ndarray:
        return self.act[self.starts] if self.n_rows else np.zeros(0, dtype=np.int64)

    @cached_property
    def last_act(self) -> np.ndarray:
        """The outcome of a case as far as the log tells: its last activity."""
        return self.act[self.starts + self.lengths - 1] if self.n_rows else np.zeros(0, dtype=np.int64)

    @cached_property
    def durations_s(self) -> np.ndarray:
        if not self.n_rows:
            return np.zeros(0)
        return self.ts_s[self.starts + self.lengths - 1] - self.ts_s[self.starts]

    @cached_property
    def median_case_s(self) -> float | None:
        if self.weight is not None:
            return self.summary_median_case_s
        d = self.durations_s
        return float(np.median(d)) if len(d) else None

    @cached_property
    def variants(self) -> Variants:
        if self.log is not None and self.weight is None:
            return self.log.variants
        from gosupr.mining.waste.summary_facts import variants_of_rows

        return variants_of_rows(self)

    # -- per activity ---------------------------------------------------------------------------
    @cached_property
    def occurrences(self) -> np.ndarray:
        """Events per activity."""
        if self.weight is None:
            return np.bincount(self.act, minlength=self.n_activities)
        return np.bincount(self.act, weights=self.ew, minlength=self.n_activities).astype(np.int64)

    @cached_property
    def case_act(self) -> np.ndarray:
        """Unique (case, activity) keys: case * n_activities + activity, sorted."""
        return unique_keys(self.case * self.n_activities + self.act, self.n_rows * self.n_activities)

    @cached_property
    def case_freq(self) -> np.ndarray:
        """Cases in which each activity occurs at least once."""
        A = max(self.n_activities, 1)
        if self.weight is None:
            return np.bincount(self.case_act % A, minlength=self.n_activities)
        return np.bincount(self.case_act % A, weights=self.weight[self.case_act // A],
                           minlength=self.n_activities).astype(np.int64)

    def cases_with(self, a: int) -> np.ndarray:
        """Boolean per case: activity `a` occurs in it (computed once per activity)."""
        got = self._presence.get(a)
        if got is None:
            got = np.zeros(self.n_rows, dtype=bool)
            got[self.case[self.act == a]] = True
            self._presence[a] = got
        return got.copy()

    @cached_property
    def _presence(self) -> dict[int, np.ndarray]:
        return {}

    @cached_property
    def first_share(self) -> np.ndarray:
        """Share of cases that start with each activity."""
        return np.bincount(self.first_act, weights=self.weight, minlength=self.n_activities) / max(self.n_cases, 1)

    @cached_property
    def last_share(self) -> np.ndarray:
        """Share of cases that end with each activity."""
        return np.bincount(self.last_act, weights=self.weight, minlength=self.n_activities) / max(self.n_cases, 1)

    @cached_property
    def order(self) -> np.ndarray:
        """Process-order rank per activity: median relative position of its first occurrence."""
        A = max(self.n_activities, 1)
        out = np.full(self.n_activities, 2.0)
        if not self.n_events:
            return out
        keys, first = self.first_pos_table
        rel = first / np.maximum(self.lengths[keys // A] - 1, 1)
        if self.weight is None:
            med = pd.Series(rel).groupby(keys % A).median()
            out[med.index.to_numpy()] = med.to_numpy()
            return out
        from gosupr.mining.waste.weighted import wmedian

        act, w = keys % A, self.weight[keys // A]
        for a in np.unique(act):  # per activity, not per event
            sel = act == a
            out[a] = wmedian(rel[sel], w[sel])
        return out

    @cached_property
    def _key_order(self) -> tuple[np.ndarray, np.ndarray]:
        """(case, activity) key per event and the stable order that sorts it: events of one key stay
        in case order."""
        key = self.case * max(self.n_activities, 1) + self.act
        return key, np.argsort(key, kind="stable")

    @cached_property
    def first_pos_table(self) -> tuple[np.ndarray, np.ndarray]:
        """Sorted (case, activity) keys and the position of that activity's first event in the case."""
        key, order = self._key_order
        k = key[order]
        first = np.ones(len(k), dtype=bool)
        first[1:] = k[1:] != k[:-1]
        return k[first], self.pos[order][first]

    @cached_property
    def _first_pos_by_act(self) -> tuple[np.ndarray, np.ndarray]:
        """Rows of `first_pos_table` grouped by activity (stable) and each activity's bounds."""
        keys, _ = self.first_pos_table
        A = max(self.n_activities, 1)
        rows = np.argsort(keys % A, kind="stable")
        bounds = np.concatenate(([0], np.cumsum(np.bincount(keys % A, minlength=A))))
        return rows, bounds

    def first_positions(self, a: int) -> np.ndarray:
        """Per case: position of the first event of activity `a`, -1 where it does not occur."""
        keys, pos = self.first_pos_table
        rows, bounds = self._first_pos_by_act
        sel = rows[bounds[a] : bounds[a + 1]]  # only the cases that have `a`
        out = np.full(self.n_rows, -1, dtype=np.int64)
        out[keys[sel] // max(self.n_activities, 1)] = pos[sel]
        return out

    def in_order(self, codes: list[int] | np.ndarray) -> list[str]:
        """Labels in process order: x before y when x starts first in most cases having both.

        Pairwise precedence (Copeland score), then the global median position, then the label.
        """
        uniq = sorted({int(c) for c in codes})
        if len(uniq) > 1:
            fp = {a: self.first_positions(a) for a in uniq}
            wins = {a: 0 for a in uniq}
            for i, x in enumerate(uniq):
                for y in uniq[i + 1 :]:
                    both = (fp[x] >= 0) & (fp[y] >= 0)
                    xy = self.count(both & (fp[x] < fp[y]))
                    yx = self.count(both & (fp[y] < fp[x]))
                    if xy != yx:
                        wins[x if xy > yx else y] += 1
            uniq.sort(key=lambda a: (-wins[a], self.order[a], self.labels[a]))
        return [self.labels[c] for c in uniq]

    # -- directly-follows -----------------------------------------------------------------------
    @cached_property
    def edges(self) -> Edges:
        A = max(self.n_activities, 1)
        has = self.next_act >= 0
        code = self.act[has] * A + self.next_act[has]
        if not len(code):
            z = np.zeros(0, dtype=np.int64)
            return Edges(z, z, z, z, np.zeros(0), np.zeros(0), np.zeros(0))
        uniq, counts = key_counts(code, A * A)  # no A×A table: 200k activities would need 298 GiB
        inv = np.searchsorted(uniq, code)
        case_keys = unique_keys(self.case[has] * len(uniq) + inv, self.n_rows * len(uniq))
        if self.weight is None:
            cases = np.bincount(case_keys % len(uniq), minlength=len(uniq))
            gaps = pd.Series(self.gap_next_s[has]).groupby(inv)
            return Edges(src=uniq // A, dst=uniq % A, events=counts, cases=cases, median_s=gaps.median().to_numpy(),
                         p85_s=gaps.quantile(0.85).to_numpy(), mean_s=gaps.mean().to_numpy())
        from gosupr.mining.waste.weighted import wmean, wmedian, wquantile

        w = self.ew[has]
        events = np.bincount(inv, weights=w, minlength=len(uniq)).astype(np.int64)
        cases = np.bincount(case_keys % len(uniq), weights=self.weight[case_keys // len(uniq)],
                            minlength=len(uniq)).astype(np.int64)
        order = np.argsort(inv, kind="stable")
        bounds = np.concatenate(([0], np.cumsum(np.bincount(inv, minlength=len(uniq)))))
        g, gw = self.gap_next_s[has][order], w[order]
        parts = [(g[bounds[k]:bounds[k + 1]], gw[bounds[k]:bounds[k + 1]]) for k in range(len(uniq))]  # per edge
        return Edges(src=uniq // A, dst=uniq % A, events=events, cases=cases,
                     median_s=np.array([wmedian(v, x) for v, x in parts]),
                     p85_s=np.array([wquantile(v, x, 0.85) for v, x in parts]),
                     mean_s=np.array([wmean(v, x) for v, x in parts]))

    def successors(self, a: int) -> dict[int, int]:
        """Next activity (-1 = case ends) → events, for events of activity `a`."""
        return self._neighbours(self.next_act, a)

    def predecessors(self, a: int) -> dict[int, int]:
        """Previous activity (-1 = case starts) → events, for events of activity `a`."""
        return self._neighbours(self.prev_act, a)

    def _neighbours(self, side: np.ndarray, a: int) -> dict[int, int]:
        sel = self.act == a
        counts = np.bincount(side[sel] + 1, weights=self.event_weights(sel),
                             minlength=self.n_activities + 1).astype(np.int64)
        return {int(k) - 1: int(counts[k]) for k in np.flatnonzero(counts)}

    # -- repetition -----------------------------------------------------------------------------
    @cached_property
    def prev_same_pos(self) -> np.ndarray:
        """Position of the previous occurrence of the same activity in the case, -1 if none."""
        key, order = self._key_order
        k, p = key[order], self.pos[order]
        prev = np.full(len(k), -1, dtype=np.int64)
        if len(k) > 1:
            prev[1:] = np.where(k[1:] == k[:-1], p[:-1], -1)
        out = np.empty_like(prev)
        out[order] = prev
        return out

    @cached_property
    def seen_before(self) -> np.ndarray:
        """Per event: the next activity already occurred earlier in the case (a loop back)."""
        A = max(self.n_activities, 1)
        keys, first = self.first_pos_table
        has = self.next_act >= 0
        out = np.zeros(self.n_events, dtype=bool)
        idx = np.searchsorted(keys, self.case[has] * A + self.next_act[has])  # the pair always exists
        out[has] = first[idx] <= self.pos[has]
        return out

    @cached_property
    def back_next(self) -> np.ndarray:
        """Per event: the case goes back next: to a step it already did, or to a return, correction or refusal."""
        rej = np.array([words.is_reject(x) for x in self.labels] + [False], dtype=bool)
        return self.seen_before | rej[self.next_act]  # -1 (case end) indexes the trailing False

    @cached_property
    def handover_next(self) -> np.ndarray:
        """Per event: the next event in the case is done by another department; where either
        department is unknown, by another person. False where neither is known."""
        out = np.zeros(self.n_events, dtype=bool)
        if self.n_events < 2:
            return out
        has = self.next_act >= 0
        decided = np.zeros(self.n_events, dtype=bool)
        for who in (self.dept, self.res):  # departments first, people where departments are unknown
            if who is None:
                continue
            nxt = np.full(self.n_events, -1, dtype=np.int64)
            nxt[:-1] = who[1:]
            known = has & ~decided & (who >= 0) & (nxt >= 0)
            out |= known & (who != nxt)
            decided |= known
        return out

    @cached_property
    def bounce(self) -> np.ndarray:
        """Per event i: a→b→a starts here (events i, i+1, i+2 in one case) with a hand-over in it."""
        out = np.zeros(self.n_events, dtype=bool)
        if self.n_events < 3:
            return out
        a, b, a2 = self.act[:-2], self.act[1:-1], self.act[2:]
        same_case = self.case[:-2] == self.case[2:]
        hand = self.handover_next[:-2] | self.handover_next[1:-1]
        out[:-2] = same_case & (a == a2) & (a != b) & hand
        return out

    # -- essential steps (see essential.py) -------------------------------------------------------
    @cached_property
    def essential(self) -> dict[int, str]:
        """Activities that must stay, with the reason (start, end, decision point, outcome, ...)."""
        from gosupr.mining.waste.essential import essential_steps

        return essential_steps(self)

    @cached_property
    def dominant_successor(self) -> tuple[np.ndarray, np.ndarray]:
        """Per activity: its most frequent next activity (-1 = case ends) and that one's share."""
        A = self.n_activities
        nxt = np.full(A, -1, dtype=np.int64)
        sh = np.zeros(A)
        if not self.n_events:
            return nxt, sh
        keys, counts = key_counts(self.act * (A + 1) + (self.next_act + 1), A * (A + 1))
        if self.weight is not None:  # events weighted by their path's cases
            counts = np.bincount(np.searchsorted(keys, self.act * (A + 1) + (self.next_act + 1)),
                                 weights=self.ew, minlength=len(keys)).astype(np.int64)
        src, dst = keys // (A + 1), keys % (A + 1)
        order = np.lexsort((dst, -counts, src))  # per activity: most frequent first, ties to the lowest
        top = order[np.r_[True, src[order][1:] != src[order][:-1]]]
        totals = np.bincount(src, weights=counts, minlength=A)
        nxt[src[top]] = dst[top] - 1
        sh[src[top]] = counts[top] / np.maximum(totals[src[top]], 1)
        return nxt, sh

    @cached_property
    def decision_points(self) -> list[int]:
        from gosupr.mining.waste.essential import decision_points

        return decision_points(self)

    @cached_property
    def outcome_alternatives(self) -> list[int]:
        from gosupr.mining.waste.essential import outcome_alternatives

        return outcome_alternatives(self)

    @cached_property
    def final_acts(self) -> list[int]:
        from gosupr.mining.waste.essential import final_acts

        return final_acts(self)

def key_counts(keys: np.ndarray, space: int) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct integer keys in [0, space) and how often each occurs (bincount when the
    space is small, else a sort: cost follows the events, never the square of the activities)."""
    if space <= 64_000_000:
        all_counts = np.bincount(keys, minlength=max(space, 1))
        uniq = np.flatnonzero(all_counts)
        return uniq, all_counts[uniq]
    return np.unique(keys, return_counts=True)


def unique_keys(keys: np.ndarray, space: int) -> np.ndarray:
    """Sorted distinct integer keys in [0, space): a bitmap when the space is small, else a sort."""
    if space <= 64_000_000:
        mark = np.zeros(max(space, 1), dtype=bool)
        mark[keys] = True
        return np.flatnonzero(mark)
    return np.unique(keys)




def _codes(df: pd.DataFrame, col: str) -> tuple[np.ndarray | None, list[str]]:
    """Category codes of an optional column, with placeholder values ("EMPTY", "-") as unknown (-1)."""
    if col not in df.columns:
        return None, []
    c = df[col]
    if not isinstance(c.dtype, pd.CategoricalDtype):
        c = c.astype("string").fillna("").astype("category")
    labels = [str(x) for x in c.cat.categories]
    codes = c.cat.codes.to_numpy().astype(np.int64)
    unknown = [i for i, x in enumerate(labels) if x.strip().lower() in words.PLACEHOLDERS]
    if unknown:
        codes = np.where(np.isin(codes, unknown), -1, codes)
    if (codes < 0).all():
        return None, labels
    return codes, labels
