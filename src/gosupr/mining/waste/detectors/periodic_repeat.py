"""Periodic repeat: an activity repeated at regular intervals with nothing changing the case between.

Lab measurements every day (monitoring), instalments every month, weekly reminders: the repeats
are the process, not rework. A repeat is quiet when no step between it and the previous
occurrence changes the case (a return, correction, refusal, payment, penalty, decision, outcome).
Regular: spaced (median interval ≥ `min_interval_s`) and steady, either within cases that repeat
often (median coefficient of variation of their intervals ≤ `max_case_cv`) or across cases that
repeat once or twice (coefficient of variation of all intervals ≤ `max_global_cv`).
A return or correction is never periodic. Informational: never removable; loops through such a step are not removed either (see analyze).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from gosupr.mining.findings import Finding
from gosupr.mining.kinds import Kind, ru_cases, ru_pct, subjects
from gosupr.mining.waste import words
from gosupr.mining.waste.detectors._common import OUTCOME_REASONS, cases_text, duration, finding, pct, quote, settings
from gosupr.mining.waste.facts import LogFacts
from gosupr.mining.waste.weighted import wmean, wmedian, wstd

KIND = "periodic_repeat"
DEFAULTS: dict[str, Any] = {
    "min_cases": 5,
    "min_quiet_share": 0.8,  # repeats with no case-changing step since the previous occurrence
    "min_interval_s": 3600.0,  # a repeat within the hour is a duplicate entry, not a schedule
    "max_case_cv": 0.65,  # steadiness within cases having ≥ 2 intervals ...
    "min_multi_share": 0.3,  # ... when at least this share of the repeating cases has ≥ 2 intervals
    "max_global_cv": 0.35,  # steadiness over all intervals (instalments: one or two per case)
}


def changing_steps(facts: LogFacts) -> np.ndarray:
    """Per activity: a step after which the case is not the same (see the module docstring)."""
    return np.array(
        [words.changes_case(x) or facts.essential.get(a) in OUTCOME_REASONS for a, x in enumerate(facts.labels)],
        dtype=bool,
    )


def detect(facts: LogFacts, cfg: dict[str, Any] | None = None) -> list[Finding]:
    c = settings(DEFAULTS, cfg)
    if facts.n_events == 0:
        return []
    repeat = facts.prev_same_pos >= 0
    chg = changing_steps(facts)[facts.act]
    cum = np.cumsum(chg)
    out: list[Finding] = []
    for a in np.unique(facts.act[repeat]):
        if words.is_reject(facts.labels[a]):
            continue  # a correction or return that keeps coming back is rework, however regular
        i = np.flatnonzero(repeat & (facts.act == a))
        prev = facts.starts[facts.case[i]] + facts.prev_same_pos[i]
        quiet = (cum[i - 1] - cum[prev]) == 0
        cases = facts.case[i]
        ew = facts.event_weights(i)  # each event stands for its row's cases
        n = facts.count_rows(cases)
        quiet_share = wmean(quiet, ew)
        if n < c["min_cases"] or quiet_share < c["min_quiet_share"]:
            continue
        iv = facts.ts_s[i] - facts.ts_s[prev]
        med = wmedian(iv, ew)
        if med < c["min_interval_s"]:
            continue
        g = pd.Series(iv).groupby(cases)
        rw = facts.row_weights(g.count().index.to_numpy())
        multi = g.count() >= 2
        case_cv = (g.std() / g.mean().where(g.mean() > 0))[multi]
        mean_iv = wmean(iv, ew)
        global_cv = wstd(iv, ew) / mean_iv if mean_iv > 0 else float("inf")
        cv_within = None if case_cv.empty else wmedian(case_cv.to_numpy(), None if rw is None else rw[multi.to_numpy()])
        steady_within = wmean(multi.to_numpy(), rw) >= c["min_multi_share"] and float(cv_within or 0.0) <= c["max_case_cv"]
        if not (steady_within or global_cv <= c["max_global_cv"]):
            continue
        label = facts.labels[a]
        rows = np.unique(cases)
        per_case = np.bincount(cases)[rows] + 1
        out.append(finding(
            facts, KIND, [label], n, None,
            verdict="informational",
            reason="a regular repeat with nothing changing between: monitoring, instalments or reminders",
            evidence={
                "removal": None,
                "activity": label,
                "repeats": facts.count_events(repeat & (facts.act == a)),
                "quiet_share": round(quiet_share, 4),
                "interval_median_s": med,
                "interval_cv_within_cases": None if cv_within is None else round(cv_within, 4),
                "interval_cv_all": round(global_cv, 4),
                "occurrences_per_case_median": wmedian(per_case, facts.row_weights(rows)),
            },
            message=(
                f"{quote(label)} recurs about every {duration(med)} in {cases_text(n)} ({pct(n / facts.n_cases)}) "
                f"with nothing changing the case in between: a schedule (monitoring, instalments, reminders), not rework."
            ),
        ))
    return out


# -- what this kind is ----------------------------------------------------------------------------
def message_ru(f: Finding) -> str:
    from gosupr.durations import format_duration

    e, (a, _) = f.evidence or {}, subjects(f)
    every = format_duration(e.get("interval_median_s"), "ru")
    return (f"{a} повторяется примерно каждые {every} {ru_cases(f.cases)} ({ru_pct(f.case_share)}), и между повторами дело не меняется: "
            f"это график (наблюдение, платежи частями, напоминания), а не переделка.")


SPEC = Kind(
    name=KIND,
    title=("periodic repeat", "периодический повтор"),
    category="context",
    about="a step repeated on a schedule with nothing changing the case in between (monitoring, instalments, reminders); "
          "loops through it are not removed either",
    messages={"ru": message_ru},
    order=90,
)
