"""Synthetic ministry event logs with known waste: the ground truth the detectors are measured against.

Three government processes (``PROCESSES``) are simulated column-wise: every step acts on the array
of cases that reach it, so a million events cost a few numpy calls per step, not a Python loop per
event. Each injected piece of waste is marked on its events while generating, and the ground truth
(``generate``'s second value) is counted from those marks, so it always matches the data.
Deterministic: a fixed seed and start date, no wall clock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from .eventlog import ACTIVITY, CASE, DEPARTMENT, RESOURCE, TIMESTAMP
from .synth_io import XLSX_SERIAL_EVERY, XLSX_SHEET, XLSX_TEXT_EVERY, write_csv, write_xes, write_xlsx

__all__ = [
    "DEFAULT_START",
    "PROCESSES",
    "TRUTH_SCHEMA",
    "WASTE_KINDS",
    "XLSX_SERIAL_EVERY",
    "XLSX_SHEET",
    "XLSX_TEXT_EVERY",
    "generate",
    "ground_truth",
    "hostile",
    "hostile_activities",
    "scale",
    "write_csv",
    "write_xes",
    "write_xlsx",
]

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


def _process(name: str) -> ProcessDef:
    from .synth_processes import DEFINITIONS

    if name not in DEFINITIONS:
        raise ValueError(f"unknown process {name!r}; choose one of {', '.join(PROCESSES)}")
    return DEFINITIONS[name]


PROCESSES: tuple[str, ...] = ("land_lease", "construction_permit", "memo_approval")


def generate(
    process: str,
    n_cases: int,
    seed: int = 42,
    start: datetime = DEFAULT_START,
    *,
    cases_per_day: float | None = None,
    mark_waste: bool = False,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """A log of `n_cases` cases of `process` and its ground truth (schema ``gosupr.truth/1``).

    The frame has the canonical columns case_id, activity, timestamp, resource, department (sorted by
    case and time); with `mark_waste` it also has `waste`: the key of the injected pattern an event
    belongs to ('' for the events a waste-free process would have).
    """
    if n_cases < 1:
        raise ValueError("n_cases must be at least 1")
    proc = _process(process)
    sim = Sim(proc, n_cases, seed, start, cases_per_day or proc.cases_per_day)
    proc.flow(sim, np.arange(n_cases))
    df = sim.frame()
    truth = ground_truth(proc, df, seed)
    return (df if mark_waste else df.drop(columns="waste")), truth


def ground_truth(proc: ProcessDef, df: pd.DataFrame, seed: int) -> dict[str, Any]:
    """Counted from the waste marks on the events, never from the probabilities that made them."""
    marks = df["waste"]
    waste = []
    for w in proc.waste:
        hit = (marks == w.key).to_numpy()
        waste.append(
            {
                "kind": w.kind,
                "activities": list(w.activities),
                "cases_affected": int(df.loc[hit, CASE].nunique()),
                "events": int(hit.sum()),
                "note": w.note,
            }
        )
    n_waste = int((marks != "").sum())
    acts = df[ACTIVITY]
    return {
        "schema": TRUTH_SCHEMA,
        "log": None,
        "process": proc.key,
        "title": proc.title,
        "ministry": proc.ministry,
        "seed": seed,
        "cases": int(df[CASE].nunique()),
        "events": len(df),
        "waste_events": n_waste,
        "waste_share": round(n_waste / len(df), 4),
        "waste": waste,
        "essential": list(proc.essential),
        "outcomes": {o: int((acts == o).sum()) for o in proc.outcomes},
    }


def scale(n_events: int, seed: int = 42, process: str = "land_lease", start: datetime = DEFAULT_START) -> pd.DataFrame:
    """About `n_events` events (never more, short by less than one case) of `process`, for benchmarks."""
    if n_events < 1:
        raise ValueError("n_events must be at least 1")
    pilot, _ = generate(process, 500, seed=seed + 1)
    per_case = len(pilot) / 500
    n_cases = max(1, int(np.ceil(n_events / per_case * 1.05)) + 5)
    df, _ = generate(process, n_cases, seed=seed, start=start, cases_per_day=max(4.0, n_cases / 365))
    lengths = np.bincount(df[CASE].cat.codes.to_numpy(), minlength=n_cases)
    keep_cases = int(np.searchsorted(np.cumsum(lengths), n_events, side="right"))
    df = df.iloc[: int(lengths[:keep_cases].sum())].copy()
    df[CASE] = df[CASE].cat.remove_unused_categories()
    return df


_VERBS = (
    "Регистрация", "Проверка", "Согласование", "Подготовка", "Направление", "Получение", "Рассмотрение",
    "Визирование", "Доработка", "Утверждение", "Уведомление", "Архивирование", "Экспертиза", "Сверка",
    "Подписание", "Корректировка", "Анализ", "Оформление", "Передача", "Учёт",
)  # fmt: skip
_OBJECTS = (
    "заявления", "договора аренды", "акта осмотра", "разрешения", "запроса в Росреестр", "служебной записки",
    "приказа", "протокола", "справки", "уведомления", "выписки из ЕГРН", "технического плана",
    "градостроительного плана", "сметы", "заключения", "доверенности", "реестра", "расчёта платы",
    "межевого плана", "проекта решения",
)  # fmt: skip
_HOSTILE_DEPTS = (
    "Отдел приёма и регистрации", "Отдел земельных отношений", "Юридический отдел", "Руководство",
    "Отдел делопроизводства", "Финансово-экономический отдел", "Отдел архитектуры",
    "Отдел градостроительной деятельности", "Отдел муниципального контроля", "Канцелярия",
    "Отдел информационных технологий", "Контрольно-ревизионный отдел",
)  # fmt: skip


def hostile_activities(n: int) -> list[str]:
    """`n` distinct, long Russian activity labels (verb × object, numbered once exhausted)."""
    base = [f"{v} {o}" for o in _OBJECTS for v in _VERBS]
    return [base[i % len(base)] + ("" if i < len(base) else f" ({i // len(base) + 1})") for i in range(n)]


def hostile(
    n_variants: int = 50_000,
    n_activities: int = 300,
    seed: int = 42,
    start: datetime = DEFAULT_START,
    min_len: int = 4,
    max_len: int = 20,
) -> pd.DataFrame:
    """A log hard on discovery and reports: one case per intended variant, `n_activities` labels.

    Traces are random walks that mostly step to one of 8 nearby activities and sometimes jump
    anywhere, so nearly every case is its own variant and the DFG is large but not complete.
    """
    if n_variants < 1 or n_activities < 2:
        raise ValueError("n_variants must be >= 1 and n_activities >= 2")
    rng = np.random.default_rng(seed)
    lengths = rng.integers(min_len, max_len + 1, n_variants)
    total = int(lengths.sum())
    case = np.repeat(np.arange(n_variants), lengths)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    step = rng.integers(1, 9, total)
    jump = rng.random(total) < 0.08
    step[jump] = rng.integers(0, n_activities, int(jump.sum()))
    step[starts] = rng.integers(0, n_activities, n_variants)
    cs = np.cumsum(step)
    act = (cs - np.repeat(cs[starts] - step[starts], lengths)) % n_activities
    gap = rng.integers(5, 3 * DAY, total)
    gap[starts] = (np.arange(n_variants) * 17 + rng.integers(0, 17, n_variants)) % (730 * DAY)
    tc = np.cumsum(gap)
    t = tc - np.repeat(tc[starts] - gap[starts], lengths)
    staff = [f"Сотрудник {i:03d}" for i in range(1, 121)]
    width = max(5, len(str(n_variants)))
    return pd.DataFrame(
        {
            CASE: pd.Categorical.from_codes(case, categories=[f"Д-{i + 1:0{width}d}" for i in range(n_variants)]),
            ACTIVITY: pd.Categorical.from_codes(act, categories=hostile_activities(n_activities)),
            TIMESTAMP: np.datetime64(start, "ns") + t.astype("timedelta64[m]"),
            RESOURCE: pd.Categorical.from_codes(rng.integers(0, len(staff), total), categories=staff),
            DEPARTMENT: pd.Categorical.from_codes(act % len(_HOSTILE_DEPTS), categories=list(_HOSTILE_DEPTS)),
        }
    )
