"""ETConformance precision (Muñoz-Gama & Carmona 2010) exactly as pm4py computes it, in linear time.

pm4py's `precision_token_based_replay` replays every distinct prefix of the log as its own trace:
quadratic in trace length, 34 s on a million events. Its token replay is online (what it fires for
an event depends only on the marking and that event), so the marking a prefix reaches is the marking
the whole trace passes through at that point. Here every variant is replayed once, the markings after
each visible step are rebuilt from the fired transitions, and each distinct prefix (a node of a
prefix tree weighted by cases) takes its marking from there; the visible transitions a marking
eventually enables are searched once per distinct marking, with a bound (pm4py's search never ends
on a net whose silent transitions create tokens). Same numbers, linear cost.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from gosupr.eventlog import Variants
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
    visible_enabled,
    visible_labels,
)


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
    truncated_searches: int = 0  # markings whose silent behaviour was too large to explore fully
    method: str = "ETConformance token-based, on a prefix tree of variants"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["precision"] = None if self.precision is None else round(self.precision, 6)
        d["coverage"] = self.coverage.to_dict()
        return d


class _PrefixTree:
    """Distinct proper prefixes of the variants; per node the cases through it, the activities that
    follow it in the log, and the marking its replay reaches (None: the prefix does not fit)."""

    def __init__(self) -> None:
        self.child: dict[tuple[int, str], int] = {}
        self.weight: list[int] = [0]
        self.follows: list[set[str]] = [set()]
        self.marking: list[Any] = [None]

    def step(self, node: int, activity: str) -> tuple[int, bool]:
        nxt = self.child.get((node, activity))
        if nxt is not None:
            return nxt, False
        nxt = len(self.weight)
        self.child[(node, activity)] = nxt
        self.weight.append(0)
        self.follows.append(set())
        self.marking.append(None)
        return nxt, True

    def __len__(self) -> int:
        return len(self.weight) - 1


def _markings_after_visible(fired: list[Any], im: Any) -> list[Any]:
    """Marking after 0, 1, 2, ... visible transitions of a replay (hidden ones fired to enable the
    next visible transition belong to the next prefix, as in pm4py's replay of that prefix)."""
    from pm4py.objects.petri_net.obj import Marking

    m: Counter[Any] = Counter(dict(im))
    out = [Marking({p: c for p, c in m.items() if c > 0})]
    for t in fired:
        for arc in t.in_arcs:
            m[arc.source] -= arc.weight
        for arc in t.out_arcs:
            m[arc.target] += arc.weight
        if t.label is not None:
            out.append(Marking({p: c for p, c in m.items() if c > 0}))
    return out


def precision(model: ModelLike, log: LogLike, *, limits: ReplayLimits | None = None) -> PrecisionResult:
    """pm4py's token-based precision, each variant replayed once (see module docstring).

    pm4py joins prefixes with "," and so misreads activity names containing a comma; this does not.
    """
    from pm4py.algo.conformance.tokenreplay.variants import token_replay as tr

    from gosupr._pm4py import pm4py, quiet

    limits = limits or ReplayLimits()
    pm4py()
    net, im, fm = as_net(model, log)
    labels = visible_labels(net)
    variants = as_variants(log, limits)
    k, reason = select_variants(variants, limits)
    variants = on_model_labels(variants, labels, k)
    with quiet():
        params = replay_parameters(
            net, CONSIDER_REMAINING_IN_FITNESS=False, TRY_TO_REACH_FINAL_MARKING_THROUGH_HIDDEN=False,
            STOP_IMMEDIATELY_UNFIT=True, WALK_THROUGH_HIDDEN_TRANS=True,
        )
    tree = _PrefixTree()
    starts: set[str] = set()
    n_cases = 0
    t0 = time.monotonic()
    for lo in range(0, k, max(1, limits.chunk)):
        if limits.time_budget_s is not None and time.monotonic() - t0 > limits.time_budget_s:
            return _partial_precision(variants, len(tree), limits)
        chunk = variants.traces[lo : min(k, lo + limits.chunk)]
        with quiet(), bounded_replay(net):
            res = tr.apply(pm4py_log(chunk), net, im, fm, parameters=dict(params))
        for j, (trace, r) in enumerate(zip(chunk, res)):
            cnt = int(variants.counts[lo + j])
            n_cases += cnt
            starts.add(trace[0])
            markings = _markings_after_visible(r["activated_transitions"], im)
            known, node = 0, 0
            for i, a in enumerate(trace[:-1]):
                known += a in labels
                node, new = tree.step(node, a)
                tree.weight[node] += cnt
                tree.follows[node].add(trace[i + 1])
                if new and known < len(markings):  # beyond: the replay stopped on a missing token
                    tree.marking[node] = markings[known]

    enabled_of: dict[frozenset, set[str]] = {}
    truncated = 0

    def enabled(marking: Any) -> set[str]:
        nonlocal truncated
        key = frozenset((p, c) for p, c in marking.items() if c > 0)
        if key not in enabled_of:
            enabled_of[key], complete = visible_enabled(net, marking)
            truncated += not complete
        return enabled_of[key]

    initial = enabled(im)
    sum_at = n_cases * len(initial)
    sum_ee = n_cases * len(initial - starts)
    for node in range(1, len(tree) + 1):
        if tree.marking[node] is None:
            continue
        en = enabled(tree.marking[node])
        sum_at += len(en) * tree.weight[node]
        sum_ee += len(en - tree.follows[node]) * tree.weight[node]
    value: float | None = 1.0 - sum_ee / sum_at if sum_at > 0 else 1.0  # pm4py: 1.0 when nothing is enabled
    if n_cases == 0:
        value = None  # nothing replayed: no evidence either way
    cov = Coverage(
        cases=int(np.sum(variants.counts)), variants=len(variants), cases_replayed=n_cases,
        variants_replayed=k, reason=reason if k < len(variants) else None,
    )
    return PrecisionResult(value, int(sum_ee), int(sum_at), len(tree), cov, truncated)


def _partial_precision(variants: Variants, prefixes: int, limits: ReplayLimits) -> PrecisionResult:
    """Precision is not additive over a half-replayed log: report it as unknown."""
    cov = Coverage(
        cases=int(np.sum(variants.counts)), variants=len(variants), cases_replayed=0, variants_replayed=0,
        reason=f"time budget {limits.time_budget_s:g} s reached",
    )
    return PrecisionResult(None, 0, 0, prefixes, cov)
