"""The normalised event log every part of gosupr works on.

Readers (``gosupr.ingest``) produce it; mining reads it. One flat pandas frame, sorted per case by
time (stable), with categorical case and activity columns so that aggregation stays vectorised.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

CASE = "case_id"
ACTIVITY = "activity"
TIMESTAMP = "timestamp"
RESOURCE = "resource"
DEPARTMENT = "department"
ROLES = (CASE, ACTIVITY, TIMESTAMP, RESOURCE, DEPARTMENT)


@dataclass
class IngestAudit:
    """What ingestion did to the file: nothing dropped silently."""

    source: str
    format: str
    rows_read: int = 0
    rows_kept: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    cases: int = 0
    events: int = 0
    activities: int = 0
    start: str | None = None
    end: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    reordered: bool = False
    sheet: str | None = None  # workbook sheet read (xlsx, xlsm, xls, ods)
    time_zone: str | None = None  # what was done about zones (None: times without offsets, as written)

    @property
    def rows_dropped(self) -> int:
        return sum(self.dropped.values())

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        if d["time_zone"] is None:
            del d["time_zone"]
        d["rows_dropped"] = self.rows_dropped
        d["dropped"] = dict(sorted(self.dropped.items()))
        return d


@dataclass
class Variants:
    """Distinct traces: each replayed or counted once, weighted by `counts`."""

    traces: list[tuple[str, ...]]
    counts: np.ndarray  # cases per variant, aligned with traces
    case_variant: pd.Series  # case_id -> index into traces

    def __len__(self) -> int:
        return len(self.traces)


class EventLog:
    """Events of one process: `df` has columns case_id, activity, timestamp[, resource, department]."""

    def __init__(self, df: pd.DataFrame, audit: IngestAudit | None = None, name: str = "log") -> None:
        self.df = df
        self.name = name
        self.audit = audit or IngestAudit(source=name, format="frame")
        if audit is None:
            self._fill_audit()

    @classmethod
    def from_frame(
        cls, df: pd.DataFrame, name: str = "log", audit: IngestAudit | None = None, sort: bool = True
    ) -> "EventLog":
        """Normalise dtypes and order of a frame that already has the canonical column names."""
        out = pd.DataFrame(
            {
                CASE: _as_category(df[CASE]),
                ACTIVITY: _as_category(df[ACTIVITY]),
                TIMESTAMP: pd.to_datetime(df[TIMESTAMP]).astype("datetime64[ns]"),
            }
        )
        for col in (RESOURCE, DEPARTMENT):
            if col in df.columns:
                out[col] = _as_category(df[col], fill="")
        for col in df.columns:
            if col not in out.columns:
                out[col] = df[col].to_numpy()
        if sort:
            out = sort_events(out)
        log = cls(out, audit, name)
        if audit is not None:
            log._fill_audit()
        return log

    def _fill_audit(self) -> None:
        a = self.audit
        a.events = len(self.df)
        if a.rows_kept == 0:
            a.rows_kept = len(self.df)
        if a.rows_read == 0:
            a.rows_read = a.rows_kept + a.rows_dropped
        a.cases = self.n_cases
        a.activities = int(self.df[ACTIVITY].nunique())
        if len(self.df):
            a.start = self.df[TIMESTAMP].min().isoformat()
            a.end = self.df[TIMESTAMP].max().isoformat()

    @property
    def n_events(self) -> int:
        return len(self.df)

    @cached_property
    def n_cases(self) -> int:
        return int(self.df[CASE].nunique())

    @property
    def activities(self) -> list[str]:
        return sorted(self.df[ACTIVITY].unique().tolist())

    @property
    def has_resource(self) -> bool:
        return RESOURCE in self.df.columns

    @property
    def has_department(self) -> bool:
        return DEPARTMENT in self.df.columns

    @cached_property
    def case_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Start offset and length of each case's run of rows (the frame is sorted by case)."""
        codes = self.df[CASE].cat.codes.to_numpy()
        if len(codes) == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        change = np.flatnonzero(np.diff(codes)) + 1
        starts = np.concatenate(([0], change))
        lengths = np.diff(np.concatenate((starts, [len(codes)])))
        return starts, lengths

    @cached_property
    def variants(self) -> Variants:
        """Group cases by their activity sequence without a Python loop over events."""
        df = self.df
        starts, lengths = self.case_bounds
        if len(starts) == 0:
            return Variants([], np.zeros(0, dtype=np.int64), pd.Series(dtype=np.int64))
        codes = df[ACTIVITY].cat.codes.to_numpy().astype(np.uint64) + np.uint64(1)
        pos = np.arange(len(codes), dtype=np.uint64) - np.repeat(starts, lengths).astype(np.uint64)
        # two independent polynomial-style hashes per case; collisions are then practically impossible
        with np.errstate(over="ignore"):
            h1 = codes * (pos * np.uint64(0x9E3779B97F4A7C15) + np.uint64(0x632BE59BD9B4E019))
            h1 ^= h1 >> np.uint64(29)
            h2 = (codes + np.uint64(0x51ED27)) * (pos * np.uint64(0xC2B2AE3D27D4EB4F) + np.uint64(0x165667B19E3779F9))
            h2 ^= h2 >> np.uint64(31)
            k1 = np.add.reduceat(h1, starts)
            k2 = np.add.reduceat(h2, starts)
        keys = pd.DataFrame({"a": k1, "b": k2, "n": lengths})
        vid, uniq = pd.factorize(pd.MultiIndex.from_frame(keys), sort=False)
        first_case = pd.Series(np.arange(len(vid))).groupby(vid).first().to_numpy()
        cats = np.asarray(df[ACTIVITY].cat.categories, dtype=object)
        acts = df[ACTIVITY].cat.codes.to_numpy()
        traces = [tuple(cats[acts[starts[i] : starts[i] + lengths[i]]].tolist()) for i in first_case]
        counts = np.bincount(vid, minlength=len(traces)).astype(np.int64)
        # stable, meaningful order: most frequent first, then lexicographic
        order = sorted(range(len(traces)), key=lambda i: (-counts[i], traces[i]))
        remap = np.empty(len(order), dtype=np.int64)
        remap[order] = np.arange(len(order))
        case_ids = df[CASE].cat.categories[df[CASE].cat.codes.to_numpy()[starts]]
        return Variants(
            traces=[traces[i] for i in order],
            counts=counts[order],
            case_variant=pd.Series(remap[vid], index=pd.Index(case_ids, name=CASE)),
        )

    def case_durations_s(self) -> pd.Series:
        """Seconds from first to last event, per case."""
        g = self.df.groupby(CASE, observed=True, sort=False)[TIMESTAMP]
        return (g.max() - g.min()).dt.total_seconds()

    def subset(self, mask: np.ndarray | pd.Series, name: str | None = None) -> "EventLog":
        """A log of the rows where `mask` is true, order kept, categories trimmed."""
        df = self.df[np.asarray(mask)].reset_index(drop=True)
        for col in df.columns:
            if isinstance(df[col].dtype, pd.CategoricalDtype):
                df[col] = _used_categories(df[col])
        return EventLog(df, None, name or self.name)

    def __repr__(self) -> str:
        return f"EventLog({self.name!r}, cases={self.n_cases}, events={self.n_events})"


def _used_categories(col: pd.Series) -> pd.Series:
    """`cat.remove_unused_categories()` in numpy: the kept categories stay in their order."""
    return pd.Series(used_categorical(col.cat.codes.to_numpy(), col.cat.categories), name=col.name)


def used_categorical(codes: np.ndarray, categories: pd.Index) -> pd.Categorical:
    """A categorical of `codes` (-1 = missing) keeping only the categories they use, in order."""
    used = np.bincount(codes[codes >= 0], minlength=len(categories)) > 0
    if not used.all():
        new = (np.cumsum(used) - 1).astype(codes.dtype)
        codes, categories = np.where(codes >= 0, new[codes], -1), categories[used]
    return pd.Categorical.from_codes(codes, categories=categories, validate=False)


def _as_category(col: pd.Series, fill: str | None = None) -> pd.Series:
    """Sorted string categories; a column that already is one (as ingestion builds it) is kept as is."""
    dt = col.dtype
    if (
        isinstance(dt, pd.CategoricalDtype)
        and dt.categories.dtype == "str"
        and dt.categories.is_monotonic_increasing
        and not col.hasnans
    ):
        return col
    if fill is not None:
        return col.astype("string").fillna(fill).astype("category")
    return col.astype(str).astype("category")


def sort_events(df: pd.DataFrame) -> pd.DataFrame:
    """Sort by case then time, stable so same-time events keep file order."""
    if len(df) == 0:
        return df.reset_index(drop=True)
    order = np.lexsort((df[TIMESTAMP].to_numpy(), df[CASE].cat.codes.to_numpy()))
    return df.iloc[order].reset_index(drop=True)
