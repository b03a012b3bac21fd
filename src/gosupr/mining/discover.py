"""Process discovery: the only place pm4py's miner is called (lazily, silenced)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..bpmn.model import ProcessModel
from ..errors import GosuprError
from ..eventlog import ACTIVITY, CASE, TIMESTAMP, EventLog


@dataclass
class LogSummary:
    """The facts a person asks of a log first."""

    cases: int
    events: int
    activities: int
    variants: int
    median_case_duration_s: float | None
    p90_case_duration_s: float | None

    def to_dict(self) -> dict[str, Any]:
        return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


def summarize(log: EventLog) -> LogSummary:
    d = log.case_durations_s()
    return LogSummary(
        cases=log.n_cases,
        events=log.n_events,
        activities=len(log.activities),
        variants=len(log.variants),
        median_case_duration_s=float(np.median(d)) if len(d) else None,
        p90_case_duration_s=float(np.percentile(d, 90)) if len(d) else None,
    )


def to_pm4py_frame(log: EventLog) -> pd.DataFrame:
    """The three columns pm4py needs, under its names, without `format_dataframe` (which mis-parses dates)."""
    df = pd.DataFrame(
        {
            "case:concept:name": log.df[CASE].astype(str),
            "concept:name": log.df[ACTIVITY].astype(str),
            "time:timestamp": log.df[TIMESTAMP],
        }
    )
    return df


def discover_model(log: EventLog, noise: float = 0.2, name: str | None = None) -> ProcessModel:
    """BPMN from pm4py's inductive miner, with stable ids and gosupr's own layout."""
    from .._pm4py import pm4py, quiet
    from ..bpmn.layout import layout
    from .to_pm4py import from_pm4py_bpmn

    if log.n_events == 0:
        raise GosuprError("the log has no events to discover a model from", path=log.audit.source)
    if not 0.0 <= noise <= 1.0:
        raise GosuprError(f"--noise must be between 0 and 1, got {noise}")
    pm = pm4py()
    frame = to_pm4py_frame(log)
    with quiet():
        bpmn = pm.discover_bpmn_inductive(
            frame,
            noise_threshold=noise,
            activity_key="concept:name",
            case_id_key="case:concept:name",
            timestamp_key="time:timestamp",
        )
    model = from_pm4py_bpmn(bpmn)
    model.name = name or log.name
    model.diagrams = [layout(model)]
    return model
