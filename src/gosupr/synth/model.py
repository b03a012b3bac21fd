"""The simulation's building blocks: departments, acts, waste and the column-wise simulator.

Kept apart from `generator` so that the process definitions (`processes`) and the generator that
picks among them both build on it without importing each other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from gosupr.eventlog import ACTIVITY, CASE, DEPARTMENT, RESOURCE, TIMESTAMP

TRUTH_SCHEMA = "gosupr.truth/1"
WASTE_KINDS = ("self_loop", "rework", "ping_pong", "duplicate_step", "redundant_approval", "bypassable_step")
#: 9 January 2024: the first working day after the Russian New Year holidays.
DEFAULT_START = datetime(2024, 1, 9)
DAY = 1440  # minutes
_WORK_FROM, _WORK_TO = 9 * 60, 18 * 60


@dataclass(frozen=True)
class Department:
    name: str
    staff: tuple[str, ...]
    head: str


@dataclass(frozen=True)
class Act:
    """One activity: who does it and how long a case waits for it and then takes (medians, minutes)."""

    label: str
    department: str
    wait: float
    work: float
    role: str = "owner"  # owner: the case's specialist in that department; head; any: a random colleague


@dataclass(frozen=True)
class Waste:
    """One injected waste pattern; `activities` are labels in process order."""

    key: str
    kind: str
    activities: tuple[str, ...]
    note: str


@dataclass(frozen=True)
class ProcessDef:
    key: str
    title: str
    ministry: str
    prefix: str  # case-number prefix, e.g. ЗУ-00017
    departments: tuple[Department, ...]
    acts: tuple[Act, ...]
    waste: tuple[Waste, ...]
    essential: tuple[str, ...]
    outcomes: tuple[str, ...]  # the activity that marks each outcome; exactly one per case
    flow: Callable[[Sim, np.ndarray], None]
    cases_per_day: float = 4.0


class Sim:
    """Column-wise simulation state: one clock per case, events appended as arrays per step."""

    def __init__(self, proc: ProcessDef, n_cases: int, seed: int, start: datetime, cases_per_day: float) -> None:
        self.proc = proc
        self.rng = np.random.default_rng(seed)
        self.start = datetime(start.year, start.month, start.day)
        self.wd0 = self.start.weekday()
        self.n = n_cases
        self.acts = {a.label: (i, a) for i, a in enumerate(proc.acts)}
        self.depts = {d.name: d for d in proc.departments}
        self.resources: list[str] = sorted({p for d in proc.departments for p in (*d.staff, d.head)})
        self._res_code = {r: i for i, r in enumerate(self.resources)}
        self.waste_codes = {w.key: i + 1 for i, w in enumerate(proc.waste)}
        self.owner = {d.name: self.rng.integers(0, len(d.staff), n_cases) for d in proc.departments}
        # arrivals in working hours on working days; case numbers follow arrival order
        span = max(1.0, n_cases / cases_per_day)
        arrive = np.sort(self.rng.uniform(0, span, n_cases))
        minute = self.rng.integers(_WORK_FROM, _WORK_TO - 60, n_cases)
        self.t = self._snap(np.floor(arrive).astype(np.int64) * DAY + minute)
        self._ev: list[tuple[np.ndarray, int, np.ndarray, np.ndarray, int]] = []

    # --- time -------------------------------------------------------------------------------
    def _snap(self, t: np.ndarray) -> np.ndarray:
        """Move each moment forward into working hours (9–18, Monday–Friday)."""
        day, mod = np.divmod(t, DAY)
        early, late = mod < _WORK_FROM, mod >= _WORK_TO
        jitter = self.rng.integers(0, 45, len(t))
        mod = np.where(early | late, _WORK_FROM + jitter, mod)
        day = day + late
        wd = (day + self.wd0) % 7
        day = day + np.where(wd == 5, 2, np.where(wd == 6, 1, 0))
        return day * DAY + mod

    def _minutes(self, median: float, sigma: float, k: int, floor: int) -> np.ndarray:
        if median <= 0:
            return np.zeros(k, dtype=np.int64)
        x = median * np.exp(sigma * self.rng.standard_normal(k))
        return np.maximum(floor, np.rint(x)).astype(np.int64)

    # --- behaviour --------------------------------------------------------------------------
    def step(self, label: str, idx: np.ndarray, waste: str | None = None) -> None:
        """Cases `idx` wait, then do `label`; one event each at its completion time."""
        if len(idx) == 0:
            return
        code, act = self.acts[label]
        k = len(idx)
        t = self._snap(self.t[idx] + self._minutes(act.wait, 0.8, k, 0))
        t = self._snap(t + self._minutes(act.work, 0.6, k, 1))
        self.t[idx] = t
        dept = self.depts[act.department]
        if act.role == "head":
            res = np.full(k, self._res_code[dept.head])
        else:
            who = self.owner[dept.name][idx] if act.role == "owner" else self.rng.integers(0, len(dept.staff), k)
            res = np.array([self._res_code[s] for s in dept.staff])[who]
        self._ev.append((idx.copy(), code, t, res, self.waste_codes[waste] if waste else 0))

    def seq(self, idx: np.ndarray, *labels: str, waste: str | None = None) -> None:
        for label in labels:
            self.step(label, idx, waste)

    def split(self, idx: np.ndarray, p: float) -> tuple[np.ndarray, np.ndarray]:
        """(cases taking the branch with probability p, the others)."""
        hit = self.rng.random(len(idx)) < p
        return idx[hit], idx[~hit]

    def counts(self, idx: np.ndarray, p: float, extra: tuple[float, ...]) -> np.ndarray:
        """How many times each case repeats: 0 with 1-p, else 1.. with the shares in `extra`."""
        n = np.zeros(len(idx), dtype=np.int64)
        hit = self.rng.random(len(idx)) < p
        cum = np.cumsum(extra) / np.sum(extra)
        n[hit] = 1 + np.searchsorted(cum, self.rng.random(int(hit.sum())), side="right")
        return n

    def repeat(self, idx: np.ndarray, p: float, extra: tuple[float, ...], labels: tuple[str, ...], waste: str) -> None:
        """A loop body done again 1..len(extra) times by a share p of cases (rework, ping-pong, self-loop)."""
        n = self.counts(idx, p, extra)
        for it in range(1, len(extra) + 1):
            self.seq(idx[n >= it], *labels, waste=waste)

    def optional(self, label: str, idx: np.ndarray, p: float, waste: str | None = None) -> None:
        self.step(label, self.split(idx, p)[0], waste)

    def parallel(self, idx: np.ndarray, *branches: Callable[[np.ndarray], None]) -> None:
        """AND-split: every branch starts at the same moment; the join waits for the slowest."""
        t0 = self.t[idx].copy()
        ends = []
        for branch in branches:
            self.t[idx] = t0
            branch(idx)
            ends.append(self.t[idx].copy())
        self.t[idx] = np.maximum.reduce(ends)

    # --- result -----------------------------------------------------------------------------
    def frame(self) -> pd.DataFrame:
        """Events sorted by case, time, then emission order (parallel branches may share a minute)."""
        if not self._ev:
            raise ValueError("no events were generated")
        case = np.concatenate([e[0] for e in self._ev])
        act = np.concatenate([np.full(len(e[0]), e[1]) for e in self._ev])
        t = np.concatenate([e[2] for e in self._ev])
        res = np.concatenate([e[3] for e in self._ev])
        waste = np.concatenate([np.full(len(e[0]), e[4]) for e in self._ev])
        order = np.lexsort((np.arange(len(case)), t, case))
        case, act, t, res, waste = case[order], act[order], t[order], res[order], waste[order]
        labels = [a.label for a in self.proc.acts]
        dept_of = np.array([sorted(self.depts).index(a.department) for a in self.proc.acts])
        width = max(5, len(str(self.n)))
        ids = [f"{self.proc.prefix}-{i + 1:0{width}d}" for i in range(self.n)]
        return pd.DataFrame(
            {
                CASE: pd.Categorical.from_codes(case, categories=ids),
                ACTIVITY: pd.Categorical.from_codes(act, categories=labels),
                TIMESTAMP: (np.datetime64(self.start, "ns") + t.astype("timedelta64[m]")).astype("datetime64[ns]"),
                RESOURCE: pd.Categorical.from_codes(res, categories=self.resources),
                DEPARTMENT: pd.Categorical.from_codes(dept_of[act], categories=sorted(self.depts)),
                "waste": pd.Categorical.from_codes(waste, categories=["", *(w.key for w in self.proc.waste)]),
            }
        )
