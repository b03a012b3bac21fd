"""What a reduction costs in quality, measured on today's log with the as-is baseline beside it.

Scoring the to-be model on the waste-free log it was mined from is circular (near 1.0 by
construction), so both models are replayed on the same real log; the loss is read from the logs
themselves: which activities lost events, which cases end differently, how far the outcome
distribution (last activity per case) moved.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gosupr.bpmn.model import ProcessModel
from gosupr.eventlog import ACTIVITY, EventLog, Variants

REMOVED_CASE = "(case removed)"


#: Replay is per variant (~5-10 ms each): a log of 50,000 variants would take minutes. The most
#: frequent variants are replayed first until a cap; the coverage says how many cases the numbers rest on.
def quality_limits() -> Any:
    from gosupr.mining.conformance.measure import ReplayLimits

    return ReplayLimits(max_variants=3000, time_budget_s=30.0, chunk=250)


def model_quality(
    as_is: ProcessModel, to_be: ProcessModel, today: EventLog | Variants, alignments_budget_s: float | None = None,
    same: bool = False,
) -> dict[str, Any]:
    """Fitness and precision of both models on today's log (token replay on variants); `same`: the
    to-be log is today's log, so the to-be model is the as-is one and is not replayed twice."""
    from gosupr.mining.conformance.measure import alignment_fitness, as_net, fitness, precision

    limits = quality_limits()
    out: dict[str, Any] = {"on": "today's log"}
    for side, model in (("as_is", as_is), ("to_be", to_be)):
        if same and side == "to_be" and not alignments_budget_s:
            out["to_be"] = dict(out["as_is"])
            continue
        net = as_net(model)
        fit = fitness(net, today, limits=limits)
        prec = precision(net, today, limits=limits)
        out[side] = {
            "fitness": round(fit.log_fitness, 6),
            "precision": None if prec.precision is None else round(prec.precision, 6),
        }
        out["method"], out["coverage"] = fit.method, fit.coverage.to_dict()
        if alignments_budget_s and side == "to_be":
            out["alignments_to_be"] = alignment_fitness(net, today, time_budget_s=alignments_budget_s).to_dict()
    return out


def log_loss(today: EventLog, kept: np.ndarray, protected: dict[str, str]) -> dict[str, Any]:
    """Per-activity loss, cases whose last activity changes, and the outcome distributions.

    `kept`: per event of `today`, whether it is in the to-be log; `protected`: label → why."""
    df = today.df
    labels = [str(c) for c in df[ACTIVITY].cat.categories]
    act = df[ACTIVITY].cat.codes.to_numpy().astype(np.int64)
    starts, lengths = today.case_bounds
    return rows_loss(labels, act, starts, lengths, None, kept, protected)


def rows_loss(labels: list[str], act: np.ndarray, starts: np.ndarray, lengths: np.ndarray, weight: np.ndarray | None,
              kept: np.ndarray, protected: dict[str, str]) -> dict[str, Any]:
    """`log_loss` over rows of events (cases, or a summary's paths standing for `weight` cases each)."""
    A = len(labels)
    n_rows = len(starts)
    ew = None if weight is None else np.repeat(weight, lengths)
    before = np.bincount(act, weights=ew, minlength=A).astype(np.int64)
    after = np.bincount(act[kept], weights=None if ew is None else ew[kept], minlength=A).astype(np.int64)
    loss: list[dict[str, Any]] = [
        {"activity": labels[a], "before": int(before[a]), "after": int(after[a]),
         "lost_share": round(float(1 - after[a] / before[a]), 6), "protected": protected.get(labels[a])}
        for a in np.flatnonzero(after < before)
    ]
    loss.sort(key=lambda r: (-r["lost_share"], r["activity"]))
    n = n_rows if weight is None else int(weight.sum())
    case = np.repeat(np.arange(n_rows), lengths)
    last_before = act[starts + lengths - 1]
    idx = np.full(n_rows, -1, dtype=np.int64)
    rows = np.flatnonzero(kept)
    np.maximum.at(idx, case[rows], rows)
    last_after = np.where(idx >= 0, act[np.maximum(idx, 0)], A)  # A: the case is gone
    changed = last_after != last_before
    changed_share = (float(changed.mean()) if weight is None else float(weight[changed].sum()) / n) if n else 0.0
    names = labels + [REMOVED_CASE]
    dist_b = np.bincount(last_before, weights=weight, minlength=A + 1) / max(n, 1)
    dist_a = np.bincount(last_after, weights=weight, minlength=A + 1) / max(n, 1)
    tv = 0.5 * float(np.abs(dist_b - dist_a).sum())
    shown = np.flatnonzero((dist_b > 0) | (dist_a > 0))
    return {
        "activity_loss": loss,
        "protected_lost": [r["activity"] for r in loss if r["protected"]],
        "last_activity_changed_share": round(changed_share, 6),
        "outcome_preserved_share": round(1 - changed_share, 6) if n else 1.0,
        "outcomes": {
            "before": {names[k]: round(float(dist_b[k]), 6) for k in shown},
            "after": {names[k]: round(float(dist_a[k]), 6) for k in shown},
            "tv_distance": round(tv, 6),
        },
    }
