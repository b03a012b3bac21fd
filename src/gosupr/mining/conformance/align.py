"""Alignment-based fitness on variants, only on request and within a time budget."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from gosupr.mining.conformance.replay import (
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


@dataclass
class VariantAlignment:
    """One variant's optimal alignment: `moves` are (log label, model label) pairs, None where the
    side does not move (a model move has no log label; a log move no model label; silent model
    transitions are left out)."""

    index: int  # the variant's index in the Variants aligned
    count: int
    cost: float
    bwc: float
    fitness: float
    moves: list[tuple[str | None, str | None]]


@dataclass
class Alignments:
    """Alignments of the variants the budget allowed, most frequent first, and what they cover."""

    variants: list[VariantAlignment]
    coverage: Coverage
    timed_out: int = 0


def align_variants(
    model: ModelLike,
    log: LogLike,
    *,
    time_budget_s: float = 30.0,
    per_trace_s: float | None = None,
    limits: ReplayLimits | None = None,
    algorithm: str | None = None,
) -> Alignments:
    """Optimal alignments (pm4py's A*, standard costs) of the variants, most frequent first, until
    `time_budget_s` is spent. A variant whose search exceeds its share of the budget is counted as
    timed out. Coverage says which share of the cases the alignments rest on. `algorithm` names one
    of pm4py's alignment variants (default: its A* on the state equation); "dijkstra_less_memory"
    finds alignments of the same (optimal) deviation cost many times faster on nets with many
    silent transitions."""
    from gosupr._pm4py import pm4py, quiet

    pm4py()
    limits = limits or ReplayLimits()
    net, im, fm = as_net(model, log)
    variants = as_variants(log, limits)
    k, reason = select_variants(variants, limits)
    variants = on_model_labels(variants, visible_labels(net), k)
    from pm4py.algo.conformance.alignments.petri_net import algorithm as ali
    from pm4py.objects.log.obj import Event, Trace
    from pm4py.util import exec_utils

    search = exec_utils.get_variant(
        ali.DEFAULT_VARIANT if algorithm is None else getattr(ali.Variants, "VERSION_" + algorithm.upper())
    )
    t0 = time.monotonic()
    with quiet():  # the standard (A*) best worst cost: what pm4py's fitness divides by
        bwc = ali.__dict__["__get_best_worst_cost"](net, im, fm, ali.DEFAULT_VARIANT, {ali.Parameters.ACTIVITY_KEY: ACT})
    if bwc is None:  # no run of the model reaches its final marking: nothing can be aligned
        cov = Coverage(cases=int(np.sum(variants.counts)), variants=len(variants),
                       reason="the model cannot reach its end (final marking unreachable)")
        return Alignments([], cov, 0)
    done: list[VariantAlignment] = []
    timed_out = 0
    for i in range(k):
        left = time_budget_s - (time.monotonic() - t0)
        if left <= 0:
            reason = f"time budget {time_budget_s:g} s reached"
            break
        budget = left if per_trace_s is None else min(left, per_trace_s)
        params = {ali.Parameters.ACTIVITY_KEY: ACT, ali.Parameters.PARAM_MAX_ALIGN_TIME_TRACE: budget}
        trace = Trace([Event({ACT: a}) for a in variants.traces[i]])
        with quiet():  # the search alone: pm4py's apply_trace recomputes the best worst cost per trace
            res = search.apply(trace, net, im, fm, parameters=params)
        if res is None or "cost" not in res:
            timed_out += 1
            continue
        done.append(_variant_alignment(i, int(variants.counts[i]), len(trace), res, float(bwc)))
    cov = Coverage(
        cases=int(np.sum(variants.counts)), variants=len(variants), cases_replayed=int(sum(v.count for v in done)),
        variants_replayed=len(done), reason=None,
    )
    if cov.cases_replayed < cov.cases:
        cov.reason = reason or "alignment search timed out"
    return Alignments(done, cov, timed_out)


def _variant_alignment(i: int, count: int, n_events: int, res: dict[str, Any], bwc: float) -> VariantAlignment:
    """pm4py's bookkeeping (apply_trace) for one search result: cost in standard units (10 000 per
    visible deviation, 1 per silent step; searches differ in how they count the silent ones), the
    trace's best worst cost, fitness = 1 − ⌊cost⌋ / ⌊bwc⌋ in deviations."""
    from pm4py.objects.petri_net.utils import align_utils

    unit = align_utils.STD_MODEL_LOG_MOVE_COST
    pairs = res["alignment"]
    silent = sum(1 for lg, md in pairs if lg == ">>" and md is None)
    dev = sum(1 for lg, md in pairs if (lg == ">>") != (md == ">>") and not (lg == ">>" and md is None))
    cost = float(dev * unit + silent)
    t_bwc = n_events * unit + bwc
    fit = 1 - (cost // unit) / (t_bwc // unit) if t_bwc // unit > 0 else 0.0
    moves = [(None if lg == ">>" else lg, None if md == ">>" else md) for lg, md in pairs if not (lg == ">>" and md is None)]
    return VariantAlignment(i, count, cost, t_bwc, fit, moves)


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
    al = align_variants(model, log, time_budget_s=time_budget_s, per_trace_s=per_trace_s, limits=limits)
    return summarise_alignments(al)


def summarise_alignments(al: Alignments) -> AlignmentResult:
    """pm4py's log fitness (1 − Σcost/Σbwc), mean trace fitness and fitting share, case-weighted."""
    cov = al.coverage
    if not al.variants:
        return AlignmentResult(None, None, None, cov, al.timed_out, partial=True)
    w = np.array([v.count for v in al.variants], dtype=np.float64)
    f = np.array([v.fitness for v in al.variants])
    sum_bwc = float(np.dot(w, [v.bwc for v in al.variants]))
    log_fit = 1.0 - float(np.dot(w, [v.cost for v in al.variants])) / sum_bwc if sum_bwc > 0 else 0.0
    return AlignmentResult(
        log_fitness=log_fit,
        average_trace_fitness=float(np.dot(w, f) / w.sum()),
        fitting_case_share=float(w[f == 1.0].sum() / w.sum()),
        coverage=cov,
        variants_timed_out=al.timed_out,
        partial=not cov.complete,
    )
