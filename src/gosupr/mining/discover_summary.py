"""Discovery and the discover statistics from a `LogSummary` alone, whatever engine built it.

The miner is fed exactly what `mining.discover.discover_model` feeds it from an `EventLog` (the
variants with their counts, or for hostile shapes the noise-filtered directly-follows graph), so
the model is byte-identical to the one the per-event path writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from gosupr.bpmn.model import ProcessModel
from gosupr.engines.summary import QUANTILE_METHOD, SKETCH_RELATIVE_ERROR, LogSummary
from gosupr.mining.discover import check_discoverable, hostile_shape, method_text, tree_from_dfg


@dataclass
class SummaryDiscoverResult:
    """`discover --engine`: the model and statistics from a `LogSummary`, however it was built."""

    summary: LogSummary
    run: Any  # engines.RunInfo
    model: ProcessModel
    output: Path | None
    noise: float
    files: list[tuple[Path, bytes]] = field(default_factory=list)  # outputs, written unless commit=False
    findings: list[Any] | None = None  # waste findings from the summary's paths (None: not asked for)
    facts: Any = None  # waste.facts.LogFacts over the paths, for the findings' totals
    reduction: Any = None  # waste.reduce.Reduction from the summary (None: --no-reduce)


def is_hostile(s: LogSummary) -> bool:
    """The shapes `mining.discover` sends to IMd on a filtered DFG instead of IMf on variants."""
    return hostile_shape(len(s.variants), len(s.activities), s.longest_case)


def method(s: LogSummary) -> str:
    return method_text(is_hostile(s))


def discover_from_summary(s: LogSummary, noise: float = 0.2, name: str = "log") -> ProcessModel:
    """The BPMN model of the summarised log (pm4py inductive miner, silenced)."""
    from gosupr._pm4py import pm4py, quiet
    from gosupr.mining.discover import _tree_from_variants, model_from_tree

    check_discoverable(s.events, noise, s.source)
    pm4py()
    traces = [v.activities for v in s.variants]
    counts = np.array([v.cases for v in s.variants], dtype=np.int64)
    with quiet():
        tree = _tree_from_dfg(s, noise) if is_hostile(s) else _tree_from_variants(traces, counts, noise)
    return model_from_tree(tree, name)


def _tree_from_dfg(s: LogSummary, noise: float) -> Any:
    """`mining.discover._tree_from_dfg` on the summary's edges: same filter, same insertion order
    (count descending, then source and target as the per-event path's sorted categories give)."""
    strongest: dict[str, int] = {}
    for e in s.edges:
        strongest[e.source] = max(strongest.get(e.source, 0), e.count)
    kept = sorted((e for e in s.edges if e.count >= noise * strongest[e.source]),
                  key=lambda e: (-e.count, e.source, e.target))
    return tree_from_dfg({(e.source, e.target): e.count for e in kept},
                         dict(sorted(s.starts, key=lambda kv: (-kv[1], kv[0]))),
                         dict(sorted(s.outcomes, key=lambda kv: (-kv[1], kv[0]))))


def stats(s: LogSummary) -> dict[str, Any]:
    """The discover document's `summary` section, computed from the summary (same for every engine).

    Case-duration quantiles come from the sketch: `quantile_relative_error` bounds their error."""
    d = s.case_durations
    med, p90 = d.sketch.quantile(0.5), d.sketch.quantile(0.9)
    return {
        "cases": s.cases,
        "events": s.events,
        "activities": len(s.activities),
        "variants": len(s.variants),
        "median_case_duration_s": None if med is None else round(med / 1000, 3),
        "p90_case_duration_s": None if p90 is None else round(p90 / 1000, 3),
        "mean_case_duration_s": round(d.total_ms / d.count / 1000, 3) if d.count else None,
        "quantile_method": QUANTILE_METHOD,
        "quantile_relative_error": SKETCH_RELATIVE_ERROR,
    }


def log_section(s: LogSummary) -> dict[str, Any]:
    """What was read and dropped, engine-independent (the engine's own facts go under `engine`)."""
    full = s.to_dict()
    return {
        "source": s.source,
        "columns": full["columns"],
        "rows_read": s.rows_scanned,
        "rows_kept": s.rows_kept,
        "dropped": full["dropped"],
        "rows_dropped": s.rows_scanned - s.rows_kept,
        "cases": s.cases,
        "events": s.events,
        "activities": len(s.activities),
        "start": full["start"],
        "end": full["end"],
    }
