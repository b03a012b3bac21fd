"""Fitness and precision of a model against a log, replayed on variants.

Every distinct trace is replayed once and weighted by its number of cases, which gives exactly
pm4py's token-based numbers (`fitness_token_based_replay`, `precision_token_based_replay`) at a
fraction of the cost: pm4py spends most of its time regrouping a million-event frame into traces,
which `EventLog.variants` does vectorised. Hostile logs are capped (most frequent variants first, a
variant/event budget, an optional time budget); what was not replayed is reported, never hidden.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from gosupr.errors import GosuprError
from gosupr.eventlog import Variants
from gosupr.mining.conformance.align import AlignmentResult, alignment_fitness
from gosupr.mining.conformance.precision import PrecisionResult, precision
from gosupr.mining.conformance.replay import (
    Coverage,
    LogLike,
    ModelLike,
    ReplayLimits,
    as_net,
    as_variants,
    bounded_replay,
    on_model_labels,
    pm4py_log,
    replay_parameters,
    select_variants,
    visible_labels,
)

__all__ = [
    "AlignmentResult", "Coverage", "FitnessResult", "PrecisionResult", "Quality", "ReplayLimits", "VariantFit",
    "alignment_fitness", "as_net", "as_variants", "fitness", "precision", "quality", "select_variants",
]


@dataclass
class VariantFit:
    trace: tuple[str, ...]
    count: int
    fit: bool
    fitness: float
    missing: int
    consumed: int
    remaining: int
    produced: int
    unknown_events: int = 0  # events whose activity no visible transition carries

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["trace"] = list(self.trace)
        d["fitness"] = round(self.fitness, 6)
        return d


@dataclass
class FitnessResult:
    """Token-based replay fitness, as pm4py defines it, over the replayed cases.

    `log_fitness` = ½(1 − Σm/Σc) + ½(1 − Σr/Σp) over all replayed cases; `average_trace_fitness`
    the case-weighted mean of trace fitness; `fitting_case_share` the share of replayed cases that
    fit (no missing or remaining token). With `unknown_activities="penalise"` (gosupr's default) an
    event whose activity the model lacks counts as firing a disconnected transition (one missing, one
    remaining token) and makes its case unfit; pm4py ignores such events ("ignore"). On nets from
    `to_petri_net` with concurrent end events, the silent fold of extra sink tokens that pm4py's
    replay never fires is counted as fired (elsewhere the numbers are pm4py's, to 1e-9).
    """

    log_fitness: float
    average_trace_fitness: float
    fitting_case_share: float
    unknown_activity_events: int
    coverage: Coverage
    per_variant: list[VariantFit] = field(default_factory=list)
    unknown_activities: str = "penalise"
    method: str = "token-based replay on variants"

    def to_dict(self, max_variants: int = 20) -> dict[str, Any]:
        return {
            "method": self.method,
            "log_fitness": round(self.log_fitness, 6),
            "average_trace_fitness": round(self.average_trace_fitness, 6),
            "fitting_case_share": round(self.fitting_case_share, 6),
            "unknown_activities": self.unknown_activities,
            "unknown_activity_events": self.unknown_activity_events,
            "coverage": self.coverage.to_dict(),
            "variants": [v.to_dict() for v in self.per_variant[:max_variants]],
        }


@dataclass
class Quality:
    """The pair a model is judged by, with how much of the log they rest on."""

    fitness: float | None
    fitting_case_share: float | None
    precision: float | None
    f_score: float | None
    cases: int
    cases_replayed: int
    pm4py_version: str
    method: str = "token-based replay on variants"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for k in ("fitness", "fitting_case_share", "precision", "f_score"):
            d[k] = None if d[k] is None else round(d[k], 6)
        return d


# -- fitness ------------------------------------------------------------------------------------
def fitness(
    model: ModelLike,
    log: LogLike,
    *,
    limits: ReplayLimits | None = None,
    unknown_activities: str = "penalise",
) -> FitnessResult:
    """Token-based replay fitness of `log` on `model`, each variant replayed once."""
    from gosupr._pm4py import pm4py, quiet

    if unknown_activities not in ("penalise", "ignore"):
        raise GosuprError(f"unknown_activities must be 'penalise' or 'ignore', got {unknown_activities!r}")
    limits = limits or ReplayLimits()
    pm4py()
    net, im, fm = as_net(model, log)
    labels = visible_labels(net)
    variants = as_variants(log, limits)
    k, reason = select_variants(variants, limits)
    variants = on_model_labels(variants, labels, k)
    from pm4py.algo.conformance.tokenreplay.variants import token_replay as tr

    with quiet():
        params = replay_parameters(net, CONSIDER_REMAINING_IN_FITNESS=True)
    fold = _fold_places(net, fm)
    per: list[VariantFit] = []
    replayed: dict[tuple[str, ...], Any] = {}  # by the trace on the model's labels
    t0 = time.monotonic()
    for lo in range(0, k, max(1, limits.chunk)):
        if limits.time_budget_s is not None and time.monotonic() - t0 > limits.time_budget_s:
            reason = f"time budget {limits.time_budget_s:g} s reached"
            break
        chunk = variants.traces[lo : min(k, lo + limits.chunk)]
        # pm4py's replay passes over events whose activity no transition carries (no token moves),
        # so variants that differ only in such events replay alike: each is replayed once
        on_model = [tuple(a for a in t if a in labels) for t in chunk]
        todo = [t for t in dict.fromkeys(on_model) if t not in replayed]
        if todo:
            with quiet(), bounded_replay(net):
                replayed.update(zip(todo, tr.apply(pm4py_log(todo), net, im, fm, parameters=dict(params))))
        res = [replayed[t] for t in on_model]
        for j, (trace, r) in enumerate(zip(chunk, res)):
            v = VariantFit(
                trace=tuple(trace), count=int(variants.counts[lo + j]), fit=bool(r["trace_is_fit"]),
                fitness=float(r["trace_fitness"]), missing=int(r["missing_tokens"]),
                consumed=int(r["consumed_tokens"]), remaining=int(r["remaining_tokens"]),
                produced=int(r["produced_tokens"]),
                unknown_events=sum(1 for a in trace if a not in labels),
            )
            _fold_extra_final_tokens(v, r["reached_marking"], fold, fm)
            per.append(v)
    return _summarise_fitness(per, variants, reason, unknown_activities)


def _fold_places(net: Any, fm: Any) -> set[Any]:
    """Final-marking places with a silent fold transition (2 tokens → 1), as `to_petri_net` adds for
    concurrent end events."""
    out = set()
    for t in net.transitions:
        if t.label is None and len(t.in_arcs) == 1 and len(t.out_arcs) == 1:
            a_in, a_out = next(iter(t.in_arcs)), next(iter(t.out_arcs))
            if a_in.source is a_out.target and a_in.weight == 2 and a_out.weight == 1 and a_in.source in fm:
                out.add(a_in.source)
    return out


def _fold_extra_final_tokens(v: VariantFit, reached: Any, fold: set[Any], fm: Any) -> None:
    """pm4py's replay never fires a transition to *shrink* the sink, so a case that ended all its
    parallel branches keeps extra sink tokens. Fire the fold transitions it skipped: each of the x
    extra tokens costs one firing (2 consumed, 1 produced, 1 remaining less)."""
    x = sum(max(0, int(reached.get(p, 0)) - int(fm[p])) for p in fold)
    if x <= 0:
        return
    v.consumed += 2 * x
    v.produced += x
    v.remaining -= x
    v.fit = v.missing == 0 and v.remaining == 0
    v.fitness = 0.5 * (1 - v.missing / v.consumed) + 0.5 * (1 - v.remaining / v.produced)


def _summarise_fitness(per: list[VariantFit], variants: Variants, reason: str | None, mode: str) -> FitnessResult:
    cov = Coverage(
        cases=int(np.sum(variants.counts)), variants=len(variants),
        cases_replayed=int(sum(v.count for v in per)), variants_replayed=len(per),
        reason=reason if len(per) < len(variants) else None,
    )
    if not per:
        return FitnessResult(0.0, 0.0, 0.0, 0, cov, [], mode)
    w = np.array([v.count for v in per], dtype=np.float64)
    m = np.array([v.missing for v in per], dtype=np.float64)
    c = np.array([v.consumed for v in per], dtype=np.float64)
    r = np.array([v.remaining for v in per], dtype=np.float64)
    p = np.array([v.produced for v in per], dtype=np.float64)
    u = np.array([v.unknown_events for v in per], dtype=np.float64)
    fit = np.array([v.fit for v in per], dtype=bool)
    tf = np.array([v.fitness for v in per], dtype=np.float64)
    if mode == "penalise" and u.any():
        # an unknown activity fires a disconnected transition: +1 missing/consumed/produced/remaining
        m, c, r, p = m + u, c + u, r + u, p + u
        tf = np.where(u > 0, 0.5 * (1 - m / c) + 0.5 * (1 - r / p), tf)
        fit = fit & (u == 0)
        for v, f_, t_ in zip(per, fit, tf):
            v.fit, v.fitness = bool(f_), float(t_)
    M, C, R, P = (float(np.dot(w, x)) for x in (m, c, r, p))
    n = float(w.sum())
    if C > 0 and P > 0:
        log_fit = 0.5 * (1 - M / C) + 0.5 * (1 - R / P)
        avg = float(np.dot(w, tf)) / n
        share = float(w[fit].sum()) / n
    else:  # pm4py reports zeros when nothing was consumed or produced
        log_fit = avg = share = 0.0
    return FitnessResult(log_fit, avg, share, int(np.dot(w, u)), cov, per, mode)


# -- both ---------------------------------------------------------------------------------------
def quality(
    model: ModelLike,
    log: LogLike,
    *,
    with_precision: bool = True,
    limits: ReplayLimits | None = None,
    unknown_activities: str = "penalise",
) -> Quality:
    """Fitness, precision and their harmonic mean for one model and log (one Petri net translation)."""
    from gosupr._pm4py import version

    net = as_net(model, log)
    fit = fitness(net, log, limits=limits, unknown_activities=unknown_activities)
    prec = precision(net, log, limits=limits).precision if with_precision else None
    f = fit.log_fitness
    f_score = 2 * f * prec / (f + prec) if prec is not None and (f + prec) > 0 else None
    return Quality(
        fitness=f,
        fitting_case_share=fit.fitting_case_share,
        precision=prec,
        f_score=f_score,
        cases=fit.coverage.cases,
        cases_replayed=fit.coverage.cases_replayed,
        pm4py_version=version(),
    )
