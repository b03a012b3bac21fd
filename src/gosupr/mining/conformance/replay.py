"""What every replay shares: inputs (model or net, log or variants), caps, coverage, pm4py glue.

Variants are replayed most frequent first; caps keep hostile logs bounded and what was left out is
reported in `Coverage`, never hidden.
"""

from __future__ import annotations

import contextlib
import copy
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from gosupr.bpmn.model import ProcessModel
from gosupr.eventlog import EventLog, Variants

ACT = "concept:name"
ModelLike = ProcessModel | tuple
LogLike = EventLog | Variants


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
    #: pm4py's token replay copies its firing sequence at every silent step: quadratic in trace
    #: length. Longer variants are not replayed (counted in the coverage, never hidden).
    max_trace_events: int = 2_000


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


def as_net(model: ModelLike, log: LogLike | None = None) -> tuple[Any, Any, Any]:
    """(net, im, fm) from a ProcessModel (our translation) or an accepting Petri net tuple.

    With a log, pools the log never mentions (no task of theirs among its activities) are left out:
    a log records one organisation's process, not its customers' or partners'.
    """
    if isinstance(model, ProcessModel):
        from gosupr.mining.conformance.petri import processes_in_log, to_petri_net

        keep = None
        if log is not None:
            acts = log.activities if isinstance(log, EventLog) else {a for t in log.traces for a in t}
            keep = processes_in_log(model, acts)
        return to_petri_net(model, processes=keep)
    if isinstance(model, tuple) and len(model) == 3:
        return model
    raise TypeError("model must be a ProcessModel or a (net, initial_marking, final_marking) tuple")


def as_variants(log: LogLike, limits: ReplayLimits | None = None) -> Variants:
    """The log's variants; with `limits`, those longer than `max_trace_events` moved last (in
    their order), where `select_variants` stops before them."""
    if isinstance(log, EventLog):
        v = log.variants
    elif isinstance(log, Variants):
        v = log
    else:
        raise TypeError("log must be an EventLog or its Variants")
    if limits is None or not len(v):
        return v
    long = np.fromiter((len(t) > limits.max_trace_events for t in v.traces), bool, len(v))
    if not long.any():
        return v
    order = np.concatenate([np.flatnonzero(~long), np.flatnonzero(long)])
    new_index = np.empty(len(v), dtype=np.int64)
    new_index[order] = np.arange(len(v))
    case_variant = pd.Series(new_index[v.case_variant.to_numpy()], index=v.case_variant.index)
    return Variants([v.traces[i] for i in order], np.asarray(v.counts)[order], case_variant)


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
    too_long = np.flatnonzero(np.fromiter((len(t) for t in variants.traces[:k]), np.int64, k)
                              > limits.max_trace_events)
    if len(too_long):  # as_variants(log, limits) put them last
        k, reason = int(too_long[0]), f"cases longer than {limits.max_trace_events} events"
    cum = np.cumsum(costs[:k])
    k_ev = int(np.searchsorted(cum, limits.max_events, side="right"))
    if k_ev < k:
        k, reason = k_ev, f"event budget {limits.max_events} reached"
    return k, reason


def pm4py_log(traces: Sequence[Sequence[str]]) -> Any:
    from pm4py.objects.log.obj import Event, Trace
    from pm4py.objects.log.obj import EventLog as PmLog

    return PmLog([Trace([Event({ACT: a}) for a in t]) for t in traces])


def replay_parameters(net: Any, **flags: Any) -> dict[Any, Any]:
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
MAX_SILENT_STEPS = 10_000  # steps of one enabled-set search through silent transitions


@contextlib.contextmanager
def bounded_replay(net: Any = None) -> Iterator[None]:
    """pm4py's token replay, made cheaper and bounded while our replay runs.

    pm4py ends every replayed trace by searching which visible transitions its last marking
    eventually enables. Neither fitness nor our precision reads that result, and on a net whose
    silent transitions create tokens the search never ends: it is skipped. With `net`, pm4py's
    `enabled_transitions` (called for every event, it rescans every transition through property
    accessors) is answered from the net's preset table; same set, same iteration order."""
    from pm4py.objects.petri_net import semantics
    from pm4py.objects.petri_net.utils import align_utils

    original = align_utils.get_visible_transitions_eventually_enabled_by_marking
    enabled = semantics.enabled_transitions
    with _PATCH_LOCK:
        align_utils.get_visible_transitions_eventually_enabled_by_marking = lambda net, marking: set()
        if net is not None:
            semantics.enabled_transitions = _enabled_from_presets(net, enabled)
        try:
            yield
        finally:
            align_utils.get_visible_transitions_eventually_enabled_by_marking = original
            semantics.enabled_transitions = enabled


def _enabled_from_presets(net: Any, fallback: Callable[[Any, Any], set[Any]]) -> Callable[[Any, Any], set[Any]]:
    presets = [(t, tuple((a.source, a.weight) for a in t.in_arcs)) for t in net.transitions]

    def enabled_transitions(pn: Any, m: Any) -> set[Any]:
        if pn is not net:
            return fallback(pn, m)
        out = set()
        for t, pre in presets:
            for place, weight in pre:
                if m[place] < weight:
                    break
            else:
                out.add(t)
        return out

    return enabled_transitions


def visible_enabled(net: Any, marking: Any, max_steps: int = MAX_SILENT_STEPS) -> tuple[set[str], bool]:
    """Labels of the visible transitions `marking` eventually enables through silent transitions, and
    whether the search finished. A port of pm4py's `get_visible_transitions_eventually_enabled_by_marking`
    kept step for step (it remembers one marking per transition, so its answer can differ from a plain
    reachability search, and precision must agree with pm4py), plus a step bound: on a net whose
    silent transitions create tokens pm4py's search never ends."""
    from pm4py.objects.petri_net import semantics

    def ordered(ts: Any) -> list[Any]:
        return sorted(ts, key=lambda x: (str(x.name), id(x)))

    todo = ordered(semantics.enabled_transitions(net, marking))
    at = {t: marking for t in todo}
    visible: set[str] = set()
    visited: set[tuple[Any, str]] = set()
    i = 0
    while i < len(todo):
        if i >= max_steps:
            return visible, False
        t = todo[i]
        m = copy.copy(at[t])
        key = (t, repr(m))
        if key not in visited:
            if t.label is not None:
                visible.add(t.label)
            elif semantics.is_enabled(t, net, m):
                new = semantics.execute(t, net, m)
                for t2 in ordered(semantics.enabled_transitions(net, new)):
                    todo.append(t2)
                    at[t2] = new
            visited.add(key)
        i += 1
    return visible, True


def visible_labels(net: Any) -> set[str]:
    return {t.label for t in net.transitions if t.label is not None}


def on_model_labels(variants: Variants, labels: set[str], k: int) -> Variants:
    """The first `k` variants with each activity spelled as the model's task when only case, spaces,
    quotes or ё/е differ (as `compare` matches labels); exact matches and unknown activities stay."""
    from gosupr.mining.compare.matching import normalise_label

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
