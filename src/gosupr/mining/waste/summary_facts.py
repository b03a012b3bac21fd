"""The waste analysis's arrays built from a `LogSummary`'s paths instead of events.

Each row is a path (cases with one activity sequence and one department sequence), weighted by
its cases; inside a row, times are the per-position means (`Path.gaps_ms / cases`). What is exact:
every count of cases and events, outcomes, presences, orders, hand-overs between departments.
What is not: a median over cases becomes a median over path means (`EXACTNESS` says so in the
findings), and hand-overs between people are not seen (the summary carries departments only).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from gosupr.errors import GosuprError
from gosupr.eventlog import Variants
from gosupr.mining.waste import words

#: what a finding computed from a summary states about its times (evidence "exactness")
EXACTNESS = ("counts, outcomes and hand-overs between departments are exact; times are per-path means "
             "(medians over paths weighted by their cases), hand-overs between people are not seen")


def arrays_of_summary(summary: Any) -> dict[str, Any]:
    """Keyword arguments of `LogFacts` for the summary's paths (Python loops over paths only)."""
    paths = summary.paths
    if paths is None:
        raise GosuprError("this log summary was built without its paths; build it with paths for the waste analysis",
                          path=summary.source)
    labels = sorted(a.name for a in summary.activities)
    index = {a: i for i, a in enumerate(labels)}
    lengths = np.array([len(p.activities) for p in paths], dtype=np.int64)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64) if len(paths) else np.zeros(0, np.int64)
    n = int(lengths.sum())
    act = np.fromiter((index[a] for p in paths for a in p.activities), dtype=np.int64, count=n)
    case = np.repeat(np.arange(len(paths), dtype=np.int64), lengths)
    pos = np.arange(n, dtype=np.int64) - np.repeat(starts, lengths)
    last = np.zeros(n, dtype=bool)
    first = pos == 0
    if n:
        last[starts + lengths - 1] = True
    next_act = np.full(n, -1, dtype=np.int64)
    prev_act = np.full(n, -1, dtype=np.int64)
    if n:
        next_act[:-1], prev_act[1:] = act[1:], act[:-1]
    next_act[last], prev_act[first] = -1, -1
    weight = np.array([p.cases for p in paths], dtype=np.int64)
    gap_next = np.full(n, np.nan)
    means = np.fromiter((g / p.cases / 1000.0 for p in paths for g in p.gaps_ms), dtype=float, count=n - len(paths))
    gap_next[~last] = means
    gap_prev = np.full(n, np.nan)
    if n:
        gap_prev[1:] = gap_next[:-1]
    gap_prev[first] = np.nan
    steps = np.where(np.isnan(gap_next), 0.0, gap_next)
    before = np.concatenate(([0.0], np.cumsum(steps)[:-1])) if n else np.zeros(0)
    ts_s = before - np.repeat(before[starts], lengths) if n else before
    dept, dept_labels = None, []
    if paths and paths[0].departments is not None:
        dept_labels = sorted({d for p in paths for d in (p.departments or ())})
        unknown = {d for d in dept_labels if d.strip().lower() in words.PLACEHOLDERS}
        dindex = {d: (-1 if d in unknown else i) for i, d in enumerate(dept_labels)}
        dept = np.fromiter((dindex[d] for p in paths for d in (p.departments or ())), dtype=np.int64, count=n)
        if (dept < 0).all():
            dept = None
    median = summary.case_durations.sketch.quantile(0.5)
    return dict(log=None, labels=labels, act=act, case=case, pos=pos, starts=starts, lengths=lengths,
                next_act=next_act, prev_act=prev_act, ts_s=ts_s, gap_next_s=gap_next, gap_prev_s=gap_prev,
                dept=dept, dept_labels=dept_labels, res=None, weight=weight,
                summary_median_case_s=None if median is None else median / 1000.0)


def variants_of_rows(facts: Any) -> Variants:
    """Distinct activity sequences over the rows, with their cases (paths of one sequence merge)."""
    labels = np.asarray(facts.labels, dtype=object)
    traces = [tuple(labels[facts.act[s:s + n]].tolist()) for s, n in zip(facts.starts, facts.lengths)]  # per row
    codes, uniq = pd.factorize(pd.Series(traces, dtype=object), sort=False)
    counts = np.bincount(codes, weights=facts.w, minlength=len(uniq)).astype(np.int64)
    order = sorted(range(len(uniq)), key=lambda i: (-counts[i], uniq[i]))
    remap = np.empty(len(order), dtype=np.int64)
    remap[order] = np.arange(len(order))
    return Variants(traces=[uniq[i] for i in order], counts=counts[order],
                    case_variant=pd.Series(remap[codes]))
