"""Synthetic ministry event logs with known waste: the ground truth the detectors are measured against.

Three government processes (``PROCESSES``) are simulated column-wise: every step acts on the array
of cases that reach it, so a million events cost a few numpy calls per step, not a Python loop per
event. Each injected piece of waste is marked on its events while generating, and the ground truth
(``generate``'s second value) is counted from those marks, so it always matches the data.
Deterministic: a fixed seed and start date, no wall clock.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from gosupr.eventlog import ACTIVITY, CASE, DEPARTMENT, RESOURCE, TIMESTAMP
from gosupr.synth.io import XLSX_SERIAL_EVERY, XLSX_SHEET, XLSX_TEXT_EVERY, write_csv, write_xes, write_xlsx

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

from gosupr.synth.model import DAY, DEFAULT_START, TRUTH_SCHEMA, WASTE_KINDS, ProcessDef, Sim


def _process(name: str) -> ProcessDef:
    from gosupr.synth.processes import DEFINITIONS

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
