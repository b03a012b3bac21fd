"""Statutory terms against the log: who is over, by how much, and where the time went.

For each term every case is measured once, vectorised: the window runs from the first event (or
the first `start` step) to the last event (or the first `end` step after the start). Durations are
counted in whole days, working days on the production calendar or calendar days, from date to date
(a step done the day its clock starts took 0 days). The days between consecutive events of a case
sum exactly to its window, so the overrun can be split among the steps (the wait before a step and
the step itself: logs record completions) and the departments that did them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from gosupr.eventlog import CASE, DEPARTMENT, TIMESTAMP, EventLog
from gosupr.regulation import CALENDAR, Term
from gosupr.workdays import WorkCalendar

TOP = 5
MIN_CASES = 5  # fewer measured cases than this: "insufficient evidence", whatever the shares say


@dataclass
class Consumer:
    """Days a step (or department) takes inside the window: in cases over the term vs on time."""

    name: str
    mean_days_over: float
    mean_days_on_time: float | None

    @property
    def excess(self) -> float:
        return self.mean_days_over - (self.mean_days_on_time or 0.0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "mean_days_overdue_cases": round(self.mean_days_over, 3),
            "mean_days_on_time_cases": None if self.mean_days_on_time is None else round(self.mean_days_on_time, 3),
            "excess_days": round(self.excess, 3),
        }


@dataclass
class TermResult:
    term: Term
    start_steps: list[str]
    end_steps: list[str]
    cases: int  # cases in the log
    cases_measured: int  # cases where the window exists (both steps present, in order)
    cases_over: int
    median_days: float | None
    median_overrun: float | None  # over the cases over the term
    p90_overrun: float | None
    steps: list[Consumer] = field(default_factory=list)
    departments: list[Consumer] = field(default_factory=list)
    per_case: pd.DataFrame | None = None  # case_id, days, overrun (measured cases only)

    @property
    def share_over(self) -> float:
        return self.cases_over / self.cases_measured if self.cases_measured else 0.0

    @property
    def evidence(self) -> str:
        return "insufficient" if self.cases_measured < MIN_CASES else "sufficient"

    def to_dict(self) -> dict[str, Any]:
        r = _r
        return {
            **self.term.to_dict(),
            "from_steps": self.start_steps,
            "to_steps": self.end_steps,
            "cases": self.cases,
            "cases_measured": self.cases_measured,
            "cases_over": self.cases_over,
            "share_over": round(self.share_over, 6),
            "evidence": self.evidence,
            "median_days": r(self.median_days),
            "median_overrun_days": r(self.median_overrun),
            "p90_overrun_days": r(self.p90_overrun),
            "overrun_by_step": [c.to_dict() for c in self.steps],
            "overrun_by_department": [c.to_dict() for c in self.departments],
        }


def _r(v: float | None) -> float | None:
    return None if v is None else round(float(v), 3)


def measure_term(
    log: EventLog, names: pd.Categorical, term: Term, start_steps: list[str], end_steps: list[str], cal: WorkCalendar
) -> TermResult:
    """`names`: the activity of every event, as the model's task where one matched (categorical:
    steps are found by their codes)."""
    df = log.df
    starts, lengths = log.case_bounds
    n_cases = len(starts)
    case_of = np.repeat(np.arange(n_cases), lengths)
    row = np.arange(len(df))
    day = df[TIMESTAMP].to_numpy().astype("datetime64[D]")
    ends = starts + lengths - 1

    codes = names.codes
    s_row = starts.copy() if term.start is None else _first(np.isin(codes, _codes(names, start_steps)), case_of, n_cases)
    if term.end is None:
        e_row = np.where(s_row >= 0, ends, -1)
    else:
        after = np.zeros(len(df), dtype=bool)
        ok = s_row[case_of] >= 0
        after[ok] = row[ok] > s_row[case_of][ok]
        e_row = _first(np.isin(codes, _codes(names, end_steps)) & after, case_of, n_cases)
    measured = (s_row >= 0) & (e_row >= 0)
    idx = np.flatnonzero(measured)
    days = _span(day[s_row[idx]], day[e_row[idx]], term.unit, cal)
    over = days > term.amount
    overrun = days - term.amount
    case_ids = df[CASE].cat.categories[df[CASE].cat.codes.to_numpy()[starts[idx]]]
    per_case = pd.DataFrame({"case_id": np.asarray(case_ids, dtype=object), "days": days, "overrun": overrun})
    res = TermResult(
        term, list(start_steps), list(end_steps), n_cases, int(len(idx)), int(over.sum()),
        float(np.median(days)) if len(days) else None,
        float(np.median(overrun[over])) if over.any() else None,
        float(np.percentile(overrun[over], 90)) if over.any() else None,
        per_case=per_case,
    )
    if over.any():
        # days between consecutive events, charged to the later event, inside each case's window
        gap = np.zeros(len(df), dtype=np.int64)
        if len(df) > 1:
            gap[1:] = _span(day[:-1], day[1:], term.unit, cal)
            gap[starts] = 0
        lo = np.full(n_cases, -1)
        hi = np.full(n_cases, -2)
        lo[idx], hi[idx] = s_row[idx], e_row[idx]
        inside = (row > lo[case_of]) & (row <= hi[case_of])
        flag = np.zeros(n_cases, dtype=bool)
        flag[idx[over]] = True
        n_over, n_ok = int(over.sum()), int((~over).sum())
        steps = np.asarray(names.categories, dtype=object)[codes[inside]]
        res.steps = _consumers(steps, gap[inside], flag[case_of][inside], n_over, n_ok)
        if log.has_department:
            dept = df[DEPARTMENT].astype(object).to_numpy()
            res.departments = _consumers(dept[inside], gap[inside], flag[case_of][inside], n_over, n_ok)
    return res


def _codes(names: pd.Categorical, steps: list[str]) -> np.ndarray:
    return np.flatnonzero(np.isin(np.asarray(names.categories, dtype=object), steps))


def _first(mask: np.ndarray, case_of: np.ndarray, n_cases: int) -> np.ndarray:
    """Row of the first event per case where `mask` holds (-1 where none)."""
    out = np.full(n_cases, -1, dtype=np.int64)
    rows = np.flatnonzero(mask)
    if len(rows):
        c, first = np.unique(case_of[rows], return_index=True)
        out[c] = rows[first]
    return out


def _span(a: np.ndarray, b: np.ndarray, unit: str, cal: WorkCalendar) -> np.ndarray:
    if unit == CALENDAR:
        return (b - a).astype("timedelta64[D]").astype(np.int64)
    return cal.working_days_between(a, b)


def _consumers(key: np.ndarray, gap: np.ndarray, over: np.ndarray, n_over: int, n_ok: int) -> list[Consumer]:
    """Mean days per case charged to each key, in overdue and on-time cases; largest excess first."""
    f = pd.DataFrame({"key": key.astype(object), "gap": gap, "over": over})
    s = f.groupby(["key", "over"], sort=True)["gap"].sum()
    out = []
    for k in sorted({k for k, _ in s.index}):
        d_over = float(s.get((k, True), 0)) / n_over
        d_ok = float(s.get((k, False), 0)) / n_ok if n_ok else None
        if d_over > 0:
            out.append(Consumer(str(k), d_over, d_ok))
    out.sort(key=lambda c: (-c.excess, -c.mean_days_over, c.name))
    return out[:TOP]
