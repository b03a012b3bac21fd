"""`compare --log`: what the change means for the cases the log actually holds.

Replays the log on both models (fitness, share of cases that fit) and costs the removed steps the
log executes: how many cases run them and how long they take per case. With completion-only
timestamps a step's time is estimated from the gaps between events, as `reduce` estimates it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from gosupr.bpmn.model import ProcessModel
from gosupr.eventlog import ACTIVITY, CASE, TIMESTAMP, EventLog
from gosupr.mining.compare.matching import normalise_label


@dataclass
class StepUse:
    """A removed step as the log executes it."""

    activity: str
    element_id: str
    cases: int
    case_share: float
    median_time_s: float | None  # per case that runs it (all its occurrences in the case summed)
    total_time_s: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "activity": self.activity,
            "element_id": self.element_id,
            "cases": self.cases,
            "case_share": round(self.case_share, 6),
            "median_time_s": _r(self.median_time_s),
            "total_time_s": _r(self.total_time_s),
        }


@dataclass
class ReplayComparison:
    log: str
    cases: int
    fitness_before: float
    fitness_after: float
    fit_share_before: float
    fit_share_after: float
    removed_executed: list[StepUse] = field(default_factory=list)
    removed_not_in_log: list[str] = field(default_factory=list)
    cases_replayed: int = 0  # replay is capped on hostile logs (most frequent variants first)
    method: str = "token-based replay on variants"

    @property
    def fitness_drop(self) -> float:
        return self.fitness_before - self.fitness_after

    def to_dict(self) -> dict[str, Any]:
        return {
            "log": self.log,
            "cases": self.cases,
            "cases_replayed": self.cases_replayed,
            "method": self.method,
            "fitness_before": round(self.fitness_before, 6),
            "fitness_after": round(self.fitness_after, 6),
            "fitness_drop": round(self.fitness_drop, 6),
            "fit_share_before": round(self.fit_share_before, 6),
            "fit_share_after": round(self.fit_share_after, 6),
            "removed_executed": [s.to_dict() for s in self.removed_executed],
            "removed_not_in_log": list(self.removed_not_in_log),
        }


def _r(v: float | None) -> float | None:
    return None if v is None or not np.isfinite(v) else round(float(v), 3)


def replay_both(before: ProcessModel, after: ProcessModel, log: EventLog, diff: Any) -> ReplayComparison:
    """Fitness and fitting cases on both models, and the log's use of the removed steps."""
    fb, sb, nb = model_fitness(before, log)
    fa, sa, na = model_fitness(after, log)
    removed = [(c.before_id, c.name) for c in diff.element_changes("removed", ("task", "subprocess"))]
    used, unused = removed_step_use(log, removed)
    return ReplayComparison(log.name, log.n_cases, fb, fa, sb, sa, used, unused, min(nb, na))


def model_fitness(model: ProcessModel, log: EventLog) -> tuple[float, float, int]:
    """(log fitness, share of cases that fit, cases replayed): token replay of each variant once."""
    from gosupr.mining.conformance.measure import fitness

    res = fitness(model, log)
    return float(res.log_fitness), float(res.fitting_case_share), int(res.coverage.cases_replayed)


def removed_step_use(log: EventLog, removed: list[tuple[str, str]]) -> tuple[list[StepUse], list[str]]:
    """For removed steps (element id, label): cases that run them and their time per case.

    Labels meet activities by normalised label (case, spaces, quotes, ё/е), as in matching.
    """
    df = log.df
    cats = list(df[ACTIVITY].cat.categories)
    by_norm: dict[str, list[int]] = {}
    for code, act in enumerate(cats):
        by_norm.setdefault(normalise_label(str(act)), []).append(code)
    n_cases = log.n_cases
    codes = df[ACTIVITY].cat.codes.to_numpy()
    step_s = _step_seconds(log)
    case_codes = df[CASE].cat.codes.to_numpy()
    used: list[StepUse] = []
    unused: list[str] = []
    for eid, name in removed:
        hit = by_norm.get(normalise_label(name))
        if not name or not hit:
            unused.append(name or eid)
            continue
        mask = np.isin(codes, hit)
        per_case = pd.Series(step_s[mask]).groupby(case_codes[mask]).sum(min_count=1)
        times = per_case.dropna()
        used.append(
            StepUse(
                activity=", ".join(sorted(str(cats[c]) for c in hit)),
                element_id=eid,
                cases=int(per_case.size),
                case_share=per_case.size / n_cases if n_cases else 0.0,
                median_time_s=float(times.median()) if len(times) else None,
                total_time_s=float(times.sum()) if len(times) else None,
            )
        )
    used.sort(key=lambda s: (-(s.total_time_s or 0.0), -s.cases, s.activity, s.element_id))
    return used, sorted(unused)


def _step_seconds(log: EventLog) -> np.ndarray:
    """Working time per event, estimated as `reduce` does (so both reports agree).

    Falls back to the gap since the previous event of the case (NaN for a case's first event).
    """
    try:
        from gosupr.mining.metrics import _service_seconds
    except ImportError:  # pragma: no cover - metrics ships with gosupr
        pass
    else:
        return _service_seconds(log)[0]
    ts = log.df[TIMESTAMP].to_numpy().astype("datetime64[ns]").astype(np.int64)
    out = np.full(len(ts), np.nan)
    if len(ts) > 1:
        out[1:] = (ts[1:] - ts[:-1]) / 1e9
        starts, _ = log.case_bounds
        out[starts] = np.nan
    return out
