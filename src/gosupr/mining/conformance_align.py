"""Alignment-based fitness on variants, only on request and within a time budget."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from .conformance_replay import (
    ACT,
    Coverage,
    LogLike,
    ModelLike,
    ReplayLimits,
    as_net,
    as_variants,
    on_model_labels,
    select_variants,
    visible_labels,
)


@dataclass
class AlignmentResult:
    """Alignment-based fitness (pm4py's definition), case-weighted, within a time budget."""

    log_fitness: float | None
    average_trace_fitness: float | None
    fitting_case_share: float | None
    coverage: Coverage
    variants_timed_out: int = 0
    partial: bool = False
    method: str = "alignments on variants"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for k in ("log_fitness", "average_trace_fitness", "fitting_case_share"):
            d[k] = None if d[k] is None else round(d[k], 6)
        d["coverage"] = self.coverage.to_dict()
        return d


def alignment_fitness(
    model: ModelLike,
    log: LogLike,
    *,
    time_budget_s: float = 30.0,
    per_trace_s: float | None = None,
    limits: ReplayLimits | None = None,
) -> AlignmentResult:
    """Alignment fitness on variants, most frequent first, until `time_budget_s` is spent.

    Costly (A*/Dijkstra per variant): only on request. A variant whose search exceeds its share of
    the budget is counted as timed out; the result is then `partial`.
    """
    from .._pm4py import pm4py, quiet

    pm4py()
    limits = limits or ReplayLimits()
    net, im, fm = as_net(model, log)
    variants = as_variants(log, limits)
    k, reason = select_variants(variants, limits)
    variants = on_model_labels(variants, visible_labels(net), k)
    from pm4py.algo.conformance.alignments.petri_net import algorithm as ali
    from pm4py.objects.log.obj import Event, Trace

    variant = ali.DEFAULT_VARIANT
    t0 = time.monotonic()
    with quiet():
        bwc = ali.__dict__["__get_best_worst_cost"](net, im, fm, variant, {ali.Parameters.ACTIVITY_KEY: ACT})
    if bwc is None:  # no run of the model reaches its final marking: nothing can be aligned
        cov = Coverage(cases=int(np.sum(variants.counts)), variants=len(variants),
                       reason="the model cannot reach its end (final marking unreachable)")
        return AlignmentResult(None, None, None, cov, 0, partial=True)
    done_w: list[int] = []
    costs: list[float] = []
    bwcs: list[float] = []
    fits: list[float] = []
    timed_out = 0
    for i in range(k):
        left = time_budget_s - (time.monotonic() - t0)
        if left <= 0:
            reason = f"time budget {time_budget_s:g} s reached"
            break
        budget = left if per_trace_s is None else min(left, per_trace_s)
        params = {
            ali.Parameters.ACTIVITY_KEY: ACT,
            ali.Parameters.PARAM_MAX_ALIGN_TIME_TRACE: budget,
            ali.Parameters.BEST_WORST_COST_INTERNAL: bwc,
        }
        trace = Trace([Event({ACT: a}) for a in variants.traces[i]])
        with quiet():
            res = ali.apply_trace(trace, net, im, fm, parameters=params, variant=variant)
        if res is None or "fitness" not in res:
            timed_out += 1
            continue
        done_w.append(int(variants.counts[i]))
        costs.append(float(res["cost"]))
        bwcs.append(float(res["bwc"]))
        fits.append(float(res["fitness"]))
    cov = Coverage(
        cases=int(np.sum(variants.counts)), variants=len(variants), cases_replayed=int(sum(done_w)),
        variants_replayed=len(done_w), reason=None,
    )
    if cov.cases_replayed < cov.cases:
        cov.reason = reason or "alignment search timed out"
    if not done_w:
        return AlignmentResult(None, None, None, cov, timed_out, partial=True)
    w = np.array(done_w, dtype=np.float64)
    f = np.array(fits)
    sum_bwc = float(np.dot(w, bwcs))
    log_fit = 1.0 - float(np.dot(w, costs)) / sum_bwc if sum_bwc > 0 else 0.0
    return AlignmentResult(
        log_fitness=log_fit,
        average_trace_fitness=float(np.dot(w, f) / w.sum()),
        fitting_case_share=float(w[f == 1.0].sum() / w.sum()),
        coverage=cov,
        variants_timed_out=timed_out,
        partial=not cov.complete,
    )
