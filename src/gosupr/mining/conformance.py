"""Fitness and precision of a model against a log, replayed on variants.

Every distinct trace is replayed once and weighted by its number of cases, which gives exactly
pm4py's token-based numbers (`fitness_token_based_replay`, `precision_token_based_replay`) at a
fraction of the cost: pm4py spends most of its time regrouping a million-event frame into traces,
which `EventLog.variants` does vectorised. Hostile logs are capped (most frequent variants first, a
variant/event budget, an optional time budget); what was not replayed is reported, never hidden.
"""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Iterator, Sequence, Union

import numpy as np

from ..bpmn.model import ProcessModel
from ..errors import GosuprError
from ..eventlog import EventLog, Variants

ACT = "concept:name"
ModelLike = Union[ProcessModel, tuple]
LogLike = Union[EventLog, Variants]


@dataclass
class ReplayLimits:
    """Caps that keep replay bounded on hostile logs.

    Variants are taken most frequent first while all caps hold: at most `max_variants`, stopping
    once `coverage` of the cases is reached, at most `max_events` trace events (for precision: prefix
    events, which grow with the square of trace length). `time_budget_s` stops between chunks.
    """

    max_variants: int = 20_000
    coverage: float = 1.0
    max_events: int = 5_000_000
    time_budget_s: float | None = None
    chunk: int = 2000


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
class Coverage:
    """How much of the log a measure actually saw."""

    cases: int = 0
    variants: int = 0
    cases_replayed: int = 0
    variants_replayed: int = 0
    reason: str | None = None  # why some variants were not replayed

    @property
    def cases_not_replayed(self) -> int:
        return self.cases - self.cases_replayed

    @property
    def complete(self) -> bool:
        return self.cases_replayed == self.cases

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["cases_not_replayed"] = self.cases_not_replayed
        return d


@dataclass
class FitnessResult:
    """Token-based replay fitness, as pm4py defines it, over the replayed cases.

    `log_fitness` = ½(1 − Σm/Σc) + ½(1 − Σr/Σp) over all replayed cases; `average_trace_fitness`
    the case-weighted mean of trace fitness; `fitting_case_share` the share of replayed cases that
    fit (no missing or remaining token). With `unknown_activities="penalise"` (gosupr's default) an
    event whose activity the model lacks counts as firing a disconnected transition (one missing, one
    remaining token) and makes its case unfit; pm4py ignores such events ("ignore").
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
class PrecisionResult:
    """ETConformance precision (Muñoz-Gama & Carmona 2010) as pm4py computes it, weighted by cases.

    precision = 1 − Σ escaping / Σ enabled over every log prefix (and the empty prefix), each prefix
    weighted by the cases that pass through it.
    """

    precision: float | None  # None when nothing was replayed or a time budget cut the replay short
    escaping: int
    enabled: int
    prefixes: int
    coverage: Coverage
    method: str = "ETConformance token-based, on a prefix tree of variants"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["precision"] = None if self.precision is None else round(self.precision, 6)
        d["coverage"] = self.coverage.to_dict()
        return d


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


# -- inputs -------------------------------------------------------------------------------------
def as_net(model: ModelLike, log: LogLike | None = None) -> tuple[Any, Any, Any]:
    """(net, im, fm) from a ProcessModel (our translation) or an accepting Petri net tuple.

    With a log, pools the log never mentions (no task of theirs among its activities) are left out:
    a log records one organisation's process, not its customers' or partners'.
    """
    if isinstance(model, ProcessModel):
        from .to_pm4py import processes_in_log, to_petri_net

        keep = None
        if log is not None:
            acts = log.activities if isinstance(log, EventLog) else {a for t in log.traces for a in t}
            keep = processes_in_log(model, acts)
        return to_petri_net(model, processes=keep)
    if isinstance(model, tuple) and len(model) == 3:
        return model
    raise TypeError("model must be a ProcessModel or a (net, initial_marking, final_marking) tuple")


def as_variants(log: LogLike) -> Variants:
    if isinstance(log, EventLog):
        return log.variants
    if isinstance(log, Variants):
        return log
    raise TypeError("log must be an EventLog or its Variants")


def select_variants(variants: Variants, limits: ReplayLimits, cost: Sequence[int] | None = None) -> tuple[int, str | None]:
    """How many of the (most-frequent-first) variants to replay, and why the rest were left out."""
    counts = np.asarray(variants.counts, dtype=np.int64)
    n = len(counts)
    if n == 0:
        return 0, None
    costs = np.asarray(cost if cost is not None else [len(t) for t in variants.traces], dtype=np.int64)
    k = min(n, max(0, limits.max_variants))
    reason = f"more than {limits.max_variants} variants" if k < n else None
    if limits.coverage < 1.0:
        share = np.cumsum(counts) / counts.sum()
        k_cov = int(np.searchsorted(share, limits.coverage, side="left")) + 1
        if k_cov < k:
            k, reason = k_cov, f"coverage {limits.coverage:g} of cases reached"
    cum = np.cumsum(costs[:k])
    k_ev = int(np.searchsorted(cum, limits.max_events, side="right"))
    if k_ev < k:
        k, reason = k_ev, f"event budget {limits.max_events} reached"
    return k, reason


def _pm4py_log(traces: Sequence[Sequence[str]]) -> Any:
    from pm4py.objects.log.obj import Event, EventLog as PmLog, Trace

    return PmLog([Trace([Event({ACT: a}) for a in t]) for t in traces])


def _replay_parameters(net: Any, **flags: Any) -> dict[Any, Any]:
    """Token-replay parameters; the hidden-transition shortest paths are computed once per net,
    not once per chunk (pm4py recomputes them on every call)."""
    from pm4py.algo.conformance.tokenreplay.variants import token_replay as tr

    with_paths = {
        tr.Parameters.ACTIVITY_KEY: ACT,
        tr.Parameters.CLEANING_TOKEN_FLOOD: False,
        tr.Parameters.SHOW_PROGRESS_BAR: False,
        tr.Parameters.PLACES_SHORTEST_PATH_BY_HIDDEN: tr.get_places_shortest_path_by_hidden(
            net, tr.TechnicalParameters.MAX_REC_DEPTH.value
        ),
    }
    with_paths.update({getattr(tr.Parameters, k): v for k, v in flags.items()})
    return with_paths


_PATCH_LOCK = threading.Lock()


@contextlib.contextmanager
def _memo_enabled_transitions(net: Any) -> Iterator[None]:
    """pm4py's replay ends every trace by searching which visible transitions its last marking
    eventually enables: most of precision's cost, and the same for every prefix that reaches the same
    marking. Memoise that pure function of (net, marking) while one replay runs."""
    from pm4py.objects.petri_net.utils import align_utils

    original = align_utils.get_visible_transitions_eventually_enabled_by_marking
    cache: dict[frozenset, set] = {}

    def memo(n: Any, marking: Any) -> set:
        if n is not net:
            return original(n, marking)
        key = frozenset((p, c) for p, c in marking.items() if c > 0)
        hit = cache.get(key)
        if hit is None:
            hit = cache[key] = original(n, marking)
        return set(hit)

    with _PATCH_LOCK:
        align_utils.get_visible_transitions_eventually_enabled_by_marking = memo
        try:
            yield
        finally:
            align_utils.get_visible_transitions_eventually_enabled_by_marking = original


def _visible_labels(net: Any) -> set[str]:
    return {t.label for t in net.transitions if t.label is not None}


def _on_model_labels(variants: Variants, labels: set[str], k: int) -> Variants:
    """The first `k` variants with each activity spelled as the model's task when only case, spaces,
    quotes or ё/е differ (as `compare` matches labels); exact matches and unknown activities stay."""
    from .matching import normalise_label

    by_norm: dict[str, list[str]] = {}
    for lab in labels:
        by_norm.setdefault(normalise_label(lab), []).append(lab)
    acts = {a for t in variants.traces[:k] for a in t} - labels
    rename = {}
    for a in acts:
        hit = by_norm.get(normalise_label(a), [])
        if len(hit) == 1:
            rename[a] = hit[0]
    if not rename:
        return variants
    traces = [tuple(rename.get(a, a) for a in t) for t in variants.traces[:k]] + list(variants.traces[k:])
    return Variants(traces, variants.counts, variants.case_variant)


# -- fitness ------------------------------------------------------------------------------------
def fitness(
    model: ModelLike,
    log: LogLike,
    *,
    limits: ReplayLimits | None = None,
    unknown_activities: str = "penalise",
) -> FitnessResult:
    """Token-based replay fitness of `log` on `model`, each variant replayed once."""
    from .._pm4py import pm4py, quiet

    if unknown_activities not in ("penalise", "ignore"):
        raise GosuprError(f"unknown_activities must be 'penalise' or 'ignore', got {unknown_activities!r}")
    limits = limits or ReplayLimits()
    pm4py()
    net, im, fm = as_net(model, log)
    labels = _visible_labels(net)
    variants = as_variants(log)
    k, reason = select_variants(variants, limits)
    variants = _on_model_labels(variants, labels, k)
    from pm4py.algo.conformance.tokenreplay.variants import token_replay as tr

    with quiet():
        params = _replay_parameters(net, CONSIDER_REMAINING_IN_FITNESS=True)
    fold = _fold_places(net, fm)
    per: list[VariantFit] = []
    t0 = time.monotonic()
    for lo in range(0, k, max(1, limits.chunk)):
        if limits.time_budget_s is not None and time.monotonic() - t0 > limits.time_budget_s:
            reason = f"time budget {limits.time_budget_s:g} s reached"
            break
        chunk = variants.traces[lo : min(k, lo + limits.chunk)]
        with quiet(), _memo_enabled_transitions(net):
            res = tr.apply(_pm4py_log(chunk), net, im, fm, parameters=dict(params))
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


# -- precision ----------------------------------------------------------------------------------
def precision(model: ModelLike, log: LogLike, *, limits: ReplayLimits | None = None) -> PrecisionResult:
    """ETConformance precision as pm4py's `precision_token_based_replay`, from a weighted prefix tree.

    pm4py builds the prefixes of every case; here each distinct prefix is built once from the
    variants and carries the number of cases through it, so the value is the same (pm4py joins
    prefixes with "," and so misreads activity names containing a comma; this does not).
    """
    from .._pm4py import pm4py, quiet

    limits = limits or ReplayLimits()
    pm4py()
    net, im, fm = as_net(model, log)
    variants = as_variants(log)
    quad = [len(t) * (len(t) - 1) // 2 for t in variants.traces]
    k, reason = select_variants(variants, limits, cost=quad)
    variants = _on_model_labels(variants, _visible_labels(net), k)

    # prefix tree: node -> (parent, activity); per node the cases through it and the activities that follow
    child: dict[tuple[int, str], int] = {}
    parent: list[int] = [-1]
    act: list[str] = [""]
    weight: list[int] = [0]
    follows: list[set[str]] = [set()]
    starts: set[str] = set()
    n_cases = 0
    for trace, cnt in zip(variants.traces[:k], variants.counts[:k]):
        cnt = int(cnt)
        n_cases += cnt
        if trace:
            starts.add(trace[0])
        node = 0
        for i, a in enumerate(trace[:-1]):
            key = (node, a)
            nxt = child.get(key)
            if nxt is None:
                nxt = len(parent)
                child[key] = nxt
                parent.append(node)
                act.append(a)
                weight.append(0)
                follows.append(set())
            weight[nxt] += cnt
            follows[nxt].add(trace[i + 1])
            node = nxt

    def prefix(nid: int) -> list[str]:
        out = []
        while nid > 0:
            out.append(act[nid])
            nid = parent[nid]
        return out[::-1]

    from pm4py.algo.conformance.tokenreplay.variants import token_replay as tr
    from pm4py.objects.petri_net.utils.align_utils import get_visible_transitions_eventually_enabled_by_marking

    with quiet():
        params = _replay_parameters(
            net, CONSIDER_REMAINING_IN_FITNESS=False, TRY_TO_REACH_FINAL_MARKING_THROUGH_HIDDEN=False,
            STOP_IMMEDIATELY_UNFIT=True, WALK_THROUGH_HIDDEN_TRANS=True,
        )
        initial = {t.label for t in get_visible_transitions_eventually_enabled_by_marking(net, im)}
    sum_at = n_cases * len(initial)
    sum_ee = n_cases * len(initial - starts)
    ids = list(range(1, len(parent)))
    t0 = time.monotonic()
    for lo in range(0, len(ids), max(1, limits.chunk)):
        if limits.time_budget_s is not None and time.monotonic() - t0 > limits.time_budget_s:
            return _partial_precision(variants, k, reason, len(parent) - 1, limits)
        chunk = ids[lo : lo + limits.chunk]
        with quiet(), _memo_enabled_transitions(net):
            res = tr.apply(_pm4py_log([prefix(i) for i in chunk]), net, im, fm, parameters=dict(params))
        for nid, r in zip(chunk, res):
            if not r["trace_is_fit"]:
                continue
            enabled = {t.label for t in r["enabled_transitions_in_marking"] if t.label is not None}
            sum_at += len(enabled) * weight[nid]
            sum_ee += len(enabled - follows[nid]) * weight[nid]
    value: float | None = 1.0 - sum_ee / sum_at if sum_at > 0 else 1.0  # pm4py: 1.0 when nothing is enabled
    if n_cases == 0:
        value = None  # nothing replayed: no evidence either way
    cov = Coverage(
        cases=int(np.sum(variants.counts)), variants=len(variants), cases_replayed=n_cases,
        variants_replayed=k, reason=reason if k < len(variants) else None,
    )
    return PrecisionResult(value, int(sum_ee), int(sum_at), len(parent) - 1, cov)


def _partial_precision(variants: Variants, k: int, reason: str | None, prefixes: int, limits: ReplayLimits) -> PrecisionResult:
    """Precision is not additive over a half-replayed prefix tree: report it as unknown."""
    cov = Coverage(
        cases=int(np.sum(variants.counts)), variants=len(variants), cases_replayed=0, variants_replayed=0,
        reason=f"time budget {limits.time_budget_s:g} s reached",
    )
    return PrecisionResult(None, 0, 0, prefixes, cov)


# -- alignments ---------------------------------------------------------------------------------
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
    variants = as_variants(log)
    k, reason = select_variants(variants, limits)
    variants = _on_model_labels(variants, _visible_labels(net), k)
    from pm4py.algo.conformance.alignments.petri_net import algorithm as ali
    from pm4py.objects.log.obj import Event, Trace

    variant = ali.DEFAULT_VARIANT
    t0 = time.monotonic()
    with quiet():
        bwc = ali.__dict__["__get_best_worst_cost"](net, im, fm, variant, {ali.Parameters.ACTIVITY_KEY: ACT})
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
    from .._pm4py import version

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
