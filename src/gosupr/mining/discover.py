"""Process discovery: the only place pm4py's miner is called (lazily, silenced)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from gosupr.bpmn.model import ProcessModel
from gosupr.errors import GosuprError
from gosupr.eventlog import ACTIVITY, CASE, TIMESTAMP, EventLog


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


#: above these, pm4py's IMf recursion does not finish in reasonable time (its fall-throughs rebuild
#: the DFG in pure Python per candidate activity); discovery then runs IMd on a filtered DFG.
MAX_VARIANTS_FOR_IMF = 5_000
MAX_ACTIVITIES_FOR_IMF = 120
#: pm4py's IMf counts directly-follows pairs by looking each trace up in a dict per pair (a tuple's
#: hash costs its length): quadratic in case length, 69 s for one case of 50 000 events.
MAX_CASE_EVENTS_FOR_IMF = 1_000


def discover_model(log: EventLog, noise: float = 0.2, name: str | None = None) -> ProcessModel:
    """BPMN from pm4py's inductive miner, with stable ids and gosupr's own layout.

    The miner is fed the log's variants directly (each distinct trace once, with its count), which
    is what pm4py builds internally from a frame, at a fraction of the cost. Hostile shapes (tens of
    thousands of variants, hundreds of activities, cases of thousands of events) go to IMd on a noise-filtered directly-follows
    graph instead, so discovery stays bounded; `discovery_method(log)` says which path is taken.
    """
    from gosupr._pm4py import pm4py, quiet

    check_discoverable(log.n_events, noise, log.audit.source)
    pm4py()
    v = log.variants
    with quiet():
        tree = _tree_from_dfg(log, noise) if _hostile(log) else _tree_from_variants(v.traces, v.counts, noise)
    return model_from_tree(tree, name or log.name)


def model_from_tree(tree: Any, name: str) -> ProcessModel:
    """The BPMN of a pm4py process tree, with stable ids and gosupr's layout (engines reuse it)."""
    from gosupr._pm4py import pm4py, quiet
    from gosupr.bpmn.layout import layout
    from gosupr.mining.conformance.petri import from_pm4py_bpmn

    pm4py()
    from pm4py.objects.conversion.process_tree.variants import to_bpmn

    with quiet():
        bpmn = to_bpmn.apply(tree)
    model = from_pm4py_bpmn(bpmn)
    model.name = name
    model.diagrams = [layout(model)]
    return model


def check_discoverable(events: int, noise: float, source: str | None) -> None:
    """The two refusals of every discovery, whatever it is fed (an EventLog or a LogSummary)."""
    if events == 0:
        raise GosuprError("the log has no events to discover a model from", path=source)
    if not 0.0 <= noise <= 1.0:
        raise GosuprError(f"--noise must be between 0 and 1, got {noise}")


def hostile_shape(variants: int, activities: int, longest_case: int) -> bool:
    """Shapes that go to IMd on a filtered DFG instead of IMf on variants (the limits above)."""
    return (
        variants > MAX_VARIANTS_FOR_IMF
        or activities > MAX_ACTIVITIES_FOR_IMF
        or longest_case > MAX_CASE_EVENTS_FOR_IMF
    )


def _hostile(log: EventLog) -> bool:
    return hostile_shape(len(log.variants), len(log.activities), int(log.case_bounds[1].max(initial=0)))


def method_text(hostile: bool) -> str:
    """How the model was mined, for reports."""
    if hostile:
        return "inductive miner (IMd) on a noise-filtered directly-follows graph"
    return "inductive miner (IMf) on variants"


def discovery_method(log: EventLog) -> str:
    """Which path `discover_model` takes for this log, for reports."""
    return method_text(_hostile(log))


def _tree_from_variants(traces: list[tuple[str, ...]], counts: np.ndarray, noise: float) -> Any:
    from collections import Counter

    from pm4py.algo.discovery.inductive.dtypes.im_ds import IMDataStructureUVCL
    from pm4py.algo.discovery.inductive.variants.im import IMUVCL
    from pm4py.algo.discovery.inductive.variants.imf import IMFUVCL
    from pm4py.objects.process_tree.utils import generic as pt_util

    uvcl: Counter = Counter({t: int(c) for t, c in zip(traces, counts)})
    params = {"noise_threshold": noise, "multiprocessing": False, "disable_fallthroughs": False}
    miner = IMFUVCL(params) if noise > 0 else IMUVCL(params)
    tree = miner.apply(IMDataStructureUVCL(uvcl), params)
    tree = pt_util.fold(tree)
    pt_util.tree_sort(tree)
    return tree


def _tree_from_dfg(log: EventLog, noise: float) -> Any:
    """IMd on the directly-follows graph, edges below `noise` × the source's strongest edge dropped."""
    df = log.df
    starts, lengths = log.case_bounds
    codes = df[ACTIVITY].cat.codes.to_numpy()
    cats = df[ACTIVITY].cat.categories
    same_case = np.ones(len(codes), dtype=bool)
    same_case[starts] = False  # row i and i-1 belong to one case unless i starts a case
    src, dst = codes[:-1][same_case[1:]], codes[1:][same_case[1:]]
    pairs = pd.DataFrame({"a": src, "b": dst}).value_counts()
    strongest = pairs.groupby(level="a").transform("max")
    kept = pairs[pairs >= noise * strongest]
    graph = {(str(cats[a]), str(cats[b])): int(n) for (a, b), n in kept.items()}
    first = pd.Series(codes[starts]).value_counts()
    last = pd.Series(codes[starts + lengths - 1]).value_counts()
    return tree_from_dfg(graph, {str(cats[a]): int(n) for a, n in first.items()},
                         {str(cats[a]): int(n) for a, n in last.items()})


def tree_from_dfg(graph: dict[tuple[str, str], int], starts: dict[str, int], ends: dict[str, int]) -> Any:
    """pm4py's IMd on an already filtered directly-follows graph (insertion order matters to IMd:
    callers give edges by count descending, as `value_counts` does), folded and sorted."""
    from pm4py.algo.discovery.inductive.dtypes.im_dfg import InductiveDFG
    from pm4py.algo.discovery.inductive.dtypes.im_ds import IMDataStructureDFG
    from pm4py.algo.discovery.inductive.variants.imd import IMD
    from pm4py.objects.dfg.obj import DFG
    from pm4py.objects.process_tree.utils import generic as pt_util

    dfg = DFG(graph=graph, start_activities=starts, end_activities=ends)
    _fix_single_activity_leaf()
    tree = IMD({}).apply(IMDataStructureDFG(InductiveDFG(dfg=dfg, skip=False)), {})
    tree = pt_util.fold(tree)
    pt_util.tree_sort(tree)
    return tree


def _fix_single_activity_leaf() -> None:
    """pm4py 2.7's IMd base case "one activity, no edges" takes the activity from the start
    activities, but after a cut the sub-graph's only activity may be an end activity alone:
    IndexError on logs with cut-off cases (a journal with missing lines). Take it from either."""
    from pm4py.algo.discovery.inductive.base_case.single_activity import SingleActivityBaseCaseDFG
    from pm4py.objects.process_tree.obj import ProcessTree

    if getattr(SingleActivityBaseCaseDFG, "_gosupr_fixed", False):
        return

    def leaf(cls: Any, obj: Any, parameters: Any = None) -> Any:
        dfg = obj.dfg
        return ProcessTree(label=next(iter(dfg.start_activities or dfg.end_activities)))

    SingleActivityBaseCaseDFG.leaf = classmethod(leaf)
    SingleActivityBaseCaseDFG._gosupr_fixed = True
