"""The narrow waist: a `LogSummary` whose size grows with variants and activities, not events.

Every engine (memory, duckdb, spark, postgres) hands the same few aggregate frames to `assemble`,
which derives the rest (per-activity counts, starts, outcomes) in one place and orders everything
canonically, so two engines reading the same log give equal objects (`==`) and equal `to_dict()`.

Times are integer milliseconds (`floor(epoch_ns / 1e6)` per event; a duration is the difference of
two such values), so sums, minima and maxima add up exactly across engines and partitions.
Quantiles come from a deterministic log-binned sketch (`Sketch`): every value below
2**(BITS+1) ms keeps its own bin, larger values share a bin with neighbours within 1/2**BITS of
them, so the reported quantile (the bin's midpoint) is within `SKETCH_RELATIVE_ERROR` of the exact
order statistic. Bins are pure integer/power-of-two arithmetic, identical in numpy and SQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd

SCHEMA = "gosupr.log-summary/1"
#: sub-bins per power of two: 2**7 = 128, so a bin's midpoint is within 1/256 ≈ 0.39 % of any value in it
BITS = 7
SKETCH_RELATIVE_ERROR = 1.0 / 2 ** (BITS + 1)
QUANTILE_METHOD = (f"nearest rank on a log-binned sketch ({2 ** BITS} bins per doubling; exact below "
                   f"{2 ** (BITS + 1)} ms, else within {SKETCH_RELATIVE_ERROR:.2%})")


# ---------------------------------------------------------------------------------------------------
# the sketch


def sketch_bins(ms: np.ndarray) -> np.ndarray:
    """Bin index of each non-negative integer (ms): exact below 2**(BITS+1), else
    (e - BITS) * 2**BITS + floor(v / 2**(e - BITS)) with e = floor(log2 v). Same formula as the SQL one."""
    v = np.asarray(ms, dtype=np.int64)
    v = np.maximum(v, 0)
    e = np.zeros(len(v), dtype=np.int64)
    big = v >= 2 ** (BITS + 1)
    if big.any():
        vb = v[big]
        eb = np.floor(np.log2(vb.astype(np.float64))).astype(np.int64)
        # log2 may round across a power of two: correct with exact integer comparisons
        eb = np.where((np.int64(1) << eb) > vb, eb - 1, eb)
        eb = np.where((np.int64(1) << (eb + 1)) <= vb, eb + 1, eb)
        e[big] = eb
    shift = np.maximum(e - BITS, 0)
    return np.where(big, (e - BITS) * 2**BITS + (v >> shift), v)


def bin_bounds(b: int) -> tuple[int, int]:
    """Smallest and largest integer value falling into bin `b`."""
    if b < 2 ** (BITS + 1):
        return b, b
    k, sub = divmod(b, 2**BITS)  # k = e - BITS + 1 ... recover e and the top bits
    e = k + BITS - 1
    top = sub + 2**BITS
    width = 1 << (e - BITS)
    return top * width, (top + 1) * width - 1


@dataclass(frozen=True)
class Sketch:
    """Mergeable quantile sketch: (bin, count) pairs sorted by bin, counts integers."""

    bins: tuple[tuple[int, int], ...] = ()

    @property
    def count(self) -> int:
        return sum(c for _, c in self.bins)

    def merge(self, other: "Sketch") -> "Sketch":
        acc: dict[int, int] = dict(self.bins)
        for b, c in other.bins:
            acc[b] = acc.get(b, 0) + c
        return Sketch(tuple(sorted(acc.items())))

    def quantile(self, q: float) -> float | None:
        """The nearest-rank q-quantile (rank ceil(q·n), at least 1), as its bin's midpoint."""
        n = self.count
        if n == 0:
            return None
        rank = max(1, int(np.ceil(q * n - 1e-9)))
        seen = 0
        for b, c in self.bins:
            seen += c
            if seen >= rank:
                lo, hi = bin_bounds(b)
                return (lo + hi) / 2
        return None  # unreachable

    @classmethod
    def from_values(cls, ms: np.ndarray) -> "Sketch":
        b, c = np.unique(sketch_bins(ms), return_counts=True)
        return cls(tuple(zip(b.tolist(), c.tolist())))

    def to_list(self) -> list[list[int]]:
        return [[b, c] for b, c in self.bins]


@dataclass(frozen=True)
class Durations:
    """Integer-millisecond aggregates that add up across partitions: count, sum, min, max, sketch."""

    count: int = 0
    total_ms: int = 0
    min_ms: int | None = None
    max_ms: int | None = None
    sketch: Sketch = field(default_factory=Sketch)

    def merge(self, other: "Durations") -> "Durations":
        mins = [x for x in (self.min_ms, other.min_ms) if x is not None]
        maxs = [x for x in (self.max_ms, other.max_ms) if x is not None]
        return Durations(self.count + other.count, self.total_ms + other.total_ms,
                         min(mins) if mins else None, max(maxs) if maxs else None,
                         self.sketch.merge(other.sketch))

    def to_dict(self) -> dict[str, Any]:
        return {"count": self.count, "total_ms": self.total_ms, "min_ms": self.min_ms,
                "max_ms": self.max_ms, "sketch": self.sketch.to_list()}


@dataclass(frozen=True)
class Variant:
    """One distinct activity sequence: how many cases follow it and how long they took."""

    activities: tuple[str, ...]
    cases: int
    duration: Durations


@dataclass(frozen=True)
class Edge:
    """A directly-follows pair: how often `target` came right after `source`, and the gap."""

    source: str
    target: str
    count: int
    gap: Durations


@dataclass(frozen=True)
class Path:
    """Cases that share their activity sequence and their department sequence: what the waste
    analysis reads instead of events (a hand-over is a change of department between two steps).

    `departments` holds each event's department as read ("" when empty), None without a department
    column; `gaps_ms[i]` is the sum over the path's cases of the time from event i to event i+1, so
    per-position means are exact and add up across partitions (medians inside a path are not kept)."""

    activities: tuple[str, ...]
    departments: tuple[str, ...] | None
    cases: int
    duration: Durations
    gaps_ms: tuple[int, ...]


@dataclass(frozen=True)
class Count:
    """Events and distinct cases of one activity (or department)."""

    name: str
    events: int
    cases: int


@dataclass(frozen=True)
class LogSummary:
    """What every analysis after ingestion reads; equal across engines for the same log.

    `rows_scanned` counts rows the engine read, `dropped` says why some were not used
    (`empty_case_id`, `unparseable_timestamp`, `empty_activity`, `lifecycle_not_complete`, ...).
    """

    source: str
    columns: tuple[tuple[str, str], ...]
    rows_scanned: int
    dropped: tuple[tuple[str, int], ...]
    first_ms: int | None
    last_ms: int | None
    variants: tuple[Variant, ...]
    edges: tuple[Edge, ...]
    activities: tuple[Count, ...]
    departments: tuple[Count, ...] | None
    starts: tuple[tuple[str, int], ...]
    outcomes: tuple[tuple[str, int], ...]
    #: built only when asked for (`EngineOptions.paths`): the waste analysis needs it, discovery does not
    paths: tuple[Path, ...] | None = None

    # -- derived facts ------------------------------------------------------------------------------
    @property
    def cases(self) -> int:
        return sum(v.cases for v in self.variants)

    @property
    def events(self) -> int:
        return sum(a.events for a in self.activities)

    @property
    def rows_kept(self) -> int:
        return self.rows_scanned - sum(n for _, n in self.dropped)

    @property
    def case_durations(self) -> Durations:
        out = Durations()
        for v in self.variants:
            out = out.merge(v.duration)
        return out

    @property
    def longest_case(self) -> int:
        return max((len(v.activities) for v in self.variants), default=0)

    def dfg(self) -> dict[tuple[str, str], int]:
        return {(e.source, e.target): e.count for e in self.edges}

    def to_dict(self) -> dict[str, Any]:
        """Deterministic, JSON-ready; `from_dict` reads it back to an equal summary."""
        def iso(ms: int | None) -> str | None:
            if ms is None:
                return None
            return (datetime(1970, 1, 1) + timedelta(milliseconds=ms)).isoformat()

        return {
            "schema": SCHEMA,
            "source": self.source,
            "columns": dict(self.columns),
            "rows_scanned": self.rows_scanned,
            "rows_kept": self.rows_kept,
            "dropped": dict(self.dropped),
            "cases": self.cases,
            "events": self.events,
            "first_ms": self.first_ms, "last_ms": self.last_ms,
            "start": iso(self.first_ms), "end": iso(self.last_ms),
            "quantiles": QUANTILE_METHOD,
            "variants": [{"activities": list(v.activities), "cases": v.cases, "duration": v.duration.to_dict()}
                         for v in self.variants],
            "edges": [{"source": e.source, "target": e.target, "count": e.count, "gap": e.gap.to_dict()}
                      for e in self.edges],
            "activities": [{"name": a.name, "events": a.events, "cases": a.cases} for a in self.activities],
            "departments": None if self.departments is None else
            [{"name": d.name, "events": d.events, "cases": d.cases} for d in self.departments],
            "starts": dict(self.starts),
            "outcomes": dict(self.outcomes),
            **({} if self.paths is None else {"paths": [
                {"activities": list(p.activities), "departments": None if p.departments is None else list(p.departments),
                 "cases": p.cases, "duration": p.duration.to_dict(), "gaps_ms": list(p.gaps_ms)}
                for p in self.paths]}),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "LogSummary":
        def dur(x: Mapping[str, Any]) -> Durations:
            return Durations(x["count"], x["total_ms"], x["min_ms"], x["max_ms"],
                             Sketch(tuple((int(b), int(c)) for b, c in x["sketch"])))

        def counts(xs: Iterable[Mapping[str, Any]]) -> tuple[Count, ...]:
            return tuple(Count(x["name"], x["events"], x["cases"]) for x in xs)

        return cls(
            source=d["source"], columns=tuple(d["columns"].items()), rows_scanned=d["rows_scanned"],
            dropped=tuple(d["dropped"].items()), first_ms=d["first_ms"], last_ms=d["last_ms"],
            variants=tuple(Variant(tuple(v["activities"]), v["cases"], dur(v["duration"])) for v in d["variants"]),
            edges=tuple(Edge(e["source"], e["target"], e["count"], dur(e["gap"])) for e in d["edges"]),
            activities=counts(d["activities"]),
            departments=None if d["departments"] is None else counts(d["departments"]),
            starts=tuple(d["starts"].items()), outcomes=tuple(d["outcomes"].items()),
            paths=None if d.get("paths") is None else tuple(
                Path(tuple(p["activities"]), None if p["departments"] is None else tuple(p["departments"]),
                     p["cases"], dur(p["duration"]), tuple(int(g) for g in p["gaps_ms"])) for p in d["paths"]),
        )


# ---------------------------------------------------------------------------------------------------
# assembling from an engine's aggregate frames


def _durations(row: Any, sketch: dict[Any, Sketch], key: Any) -> Durations:
    n = int(row.n)
    return Durations(n, int(row.total_ms), int(row.min_ms) if n else None, int(row.max_ms) if n else None,
                     sketch.get(key, Sketch()))


def _sketches(frame: pd.DataFrame, keys: list[str]) -> dict[Any, Sketch]:
    """{key: Sketch} from rows (keys..., bin, n) — one sort, no per-event work."""
    out: dict[Any, Sketch] = {}
    if len(frame) == 0:
        return out
    frame = frame.sort_values([*keys, "bin"], kind="stable")
    cols = [frame[k].tolist() for k in keys]
    bins, ns = frame["bin"].astype("int64").tolist(), frame["n"].astype("int64").tolist()
    acc: dict[Any, list[tuple[int, int]]] = {}
    for i, (b, n) in enumerate(zip(bins, ns)):
        key = tuple(c[i] for c in cols) if len(cols) > 1 else cols[0][i]
        acc.setdefault(key, []).append((b, n))
    return {k: Sketch(tuple(v)) for k, v in acc.items()}


def assemble(
    *,
    source: str,
    columns: Mapping[str, str],
    rows_scanned: int,
    dropped: Mapping[str, int],
    first_ms: int | None,
    last_ms: int | None,
    variants: pd.DataFrame,
    variant_sketch: pd.DataFrame,
    edges: pd.DataFrame,
    edge_sketch: pd.DataFrame,
    departments: pd.DataFrame | None,
    paths: pd.DataFrame | None = None,
    path_sketch: pd.DataFrame | None = None,
) -> LogSummary:
    """The canonical summary from an engine's aggregates (any row order):

    - variants: vid, trace (tuple of activity names), n (cases), total_ms, min_ms, max_ms (case durations)
    - variant_sketch: vid, bin, n
    - edges: source, target, n, total_ms, min_ms, max_ms (gaps)
    - edge_sketch: source, target, bin, n
    - departments: name, events, cases (None when the log has no department column)
    - paths (optional): pid, trace, depts (tuple, or None without departments), n, total_ms, min_ms,
      max_ms (case durations), gaps (tuple of per-position gap sums, ms); path_sketch: pid, bin, n
    """
    vsk = _sketches(variant_sketch, ["vid"])
    vs = [Variant(tuple(r.trace), int(r.n), _durations(r, vsk, r.vid)) for r in variants.itertuples(index=False)]
    vs.sort(key=lambda v: (-v.cases, v.activities))
    esk = _sketches(edge_sketch, ["source", "target"])
    es = [Edge(str(r.source), str(r.target), int(r.n), _durations(r, esk, (r.source, r.target)))
          for r in edges.itertuples(index=False)]
    es.sort(key=lambda e: (e.source, e.target))
    events: dict[str, int] = {}
    cases: dict[str, int] = {}
    starts: dict[str, int] = {}
    outcomes: dict[str, int] = {}
    for v in vs:  # per variant, not per event
        for a, k in zip(*np.unique(np.asarray(v.activities, dtype=object), return_counts=True)):
            events[a] = events.get(a, 0) + int(k) * v.cases
            cases[a] = cases.get(a, 0) + v.cases
        if v.activities:
            starts[v.activities[0]] = starts.get(v.activities[0], 0) + v.cases
            outcomes[v.activities[-1]] = outcomes.get(v.activities[-1], 0) + v.cases
    deps = None
    if departments is not None:
        deps = tuple(sorted((Count(str(r.name), int(r.events), int(r.cases))
                             for r in departments.itertuples(index=False)), key=lambda c: c.name))
    ps = None
    if paths is not None:
        psk = _sketches(path_sketch if path_sketch is not None else pd.DataFrame(columns=["pid", "bin", "n"]), ["pid"])
        ps = tuple(sorted(
            (Path(tuple(r.trace), None if r.depts is None else tuple(str(x) for x in r.depts), int(r.n),
                  _durations(r, psk, r.pid), tuple(int(g) for g in r.gaps))
             for r in paths.itertuples(index=False)),
            key=lambda p: (-p.cases, p.activities, p.departments or ())))
    return LogSummary(
        source=source,
        columns=tuple(sorted(columns.items())),
        rows_scanned=int(rows_scanned),
        dropped=tuple(sorted((k, int(n)) for k, n in dropped.items() if n)),
        first_ms=None if first_ms is None else int(first_ms),
        last_ms=None if last_ms is None else int(last_ms),
        variants=tuple(vs),
        edges=tuple(es),
        activities=tuple(Count(a, events[a], cases[a]) for a in sorted(events)),
        departments=deps,
        starts=tuple(sorted(starts.items())),
        outcomes=tuple(sorted(outcomes.items())),
        paths=ps,
    )


# keep the module's public names explicit for the other engines
__all__ = ["BITS", "QUANTILE_METHOD", "SCHEMA", "SKETCH_RELATIVE_ERROR", "Count", "Durations", "Edge",
           "LogSummary", "Path", "Sketch", "Variant", "assemble", "bin_bounds", "sketch_bins"]
