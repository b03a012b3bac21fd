"""From role columns (as read from any format) to an `EventLog` with a complete audit.

Each row is dropped for the first reason that applies, in this order: `empty_case_id`,
`unparseable_timestamp`, `empty_activity`, `lifecycle_not_complete`; readers may already have
dropped rows (`malformed_row` in CSV). So rows_read == rows_kept + sum(dropped) always.

Lifecycle: when the log has a lifecycle column holding `complete` and also other transitions
(`start`, `schedule`, …), only `complete` events (and events without a transition) are kept, one
event per activity instance as pm4py's default classifier sees it; a log without any `complete`
keeps every event.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeAlias

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from gosupr.errors import GosuprError
from gosupr.eventlog import (
    ACTIVITY,
    CASE,
    DEPARTMENT,
    RESOURCE,
    TIMESTAMP,
    EventLog,
    IngestAudit,
    used_categorical,
)
from gosupr.ingest.columns import shown
from gosupr.ingest.dates import parse_timestamps
from gosupr.ingest.timezones import decide_zone

Column: TypeAlias = "pa.Array | pa.ChunkedArray"
_UNIT_NS = {"s": 1_000_000_000, "ms": 1_000_000, "us": 1_000, "ns": 1}


@dataclass
class RawLog:
    """Role columns straight from a reader; `data` keys: case, activity, timestamp[, resource,
    department, lifecycle]."""

    format: str
    columns: dict[str, str]
    data: dict[str, Column]
    rows_read: int
    dropped: dict[str, int] = field(default_factory=dict)
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None  # the workbook sheet the rows came from


def _array(col: Column) -> pa.Array:
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode()
    return arr


def text(col: Column) -> pa.Array:
    """Trimmed strings, null where empty."""
    arr = _array(col)
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        arr = arr.cast(pa.string())
    arr = pc.utf8_trim_whitespace(arr)
    # binary_length is ~50x faster than comparing with "" in Arrow 26
    return pc.if_else(pc.equal(pc.binary_length(arr), 0), pa.scalar(None, arr.type), arr)


def timestamps(col: Column, timezone: str | None = None, source: str = "") -> tuple[np.ndarray, str | None]:
    """datetime64[ns] naive UTC (NaT where missing or unparseable) from any column type, and what
    was decided about time zones (`ingest.timezones`; text columns, where zones are written)."""
    arr = _array(col)
    t = arr.type
    if pa.types.is_null(t):
        return np.full(len(arr), np.datetime64("NaT"), dtype="datetime64[ns]"), None
    if pa.types.is_timestamp(t) or pa.types.is_date(t):
        if pa.types.is_date32(t):
            raw, factor = arr.cast(pa.int32()).cast(pa.int64()), 86_400 * 10**9
        elif pa.types.is_date64(t):
            raw, factor = arr.cast(pa.int64()), 10**6
        else:  # tz-aware values are stored as UTC already
            raw, factor = arr.cast(pa.int64()), _UNIT_NS[t.unit]
        vals = pc.fill_null(raw, 0).to_numpy(zero_copy_only=False).astype(np.int64)
        limit = np.iinfo(np.int64).max // factor
        ok = arr.is_valid().to_numpy(zero_copy_only=False) & (np.abs(vals) < limit)
        out = np.where(ok, vals * factor, np.iinfo(np.int64).min)
        return out.view("datetime64[ns]"), None
    if not pa.types.is_string(t):
        arr = arr.cast(pa.string())
    arr = pc.utf8_trim_whitespace(arr)
    return decide_zone(arr, parse_timestamps(arr)[0], timezone, source)


def _dictionary(col: Column) -> pa.DictionaryArray:
    """The column dictionary-encoded over strings (as read, when the reader already encoded it)."""
    if isinstance(col, pa.ChunkedArray):
        if pa.types.is_dictionary(col.type):
            col = col.unify_dictionaries()
        col = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
    if pa.types.is_dictionary(col.type) and pa.types.is_string(col.type.value_type):
        return col
    arr = _array(col)
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        arr = arr.cast(pa.string())
    return arr.dictionary_encode()


def _lifecycle_bad(col: Column) -> np.ndarray:
    life = text(col).dictionary_encode()  # compare the few distinct values, not every row
    valid = life.is_valid().to_numpy(zero_copy_only=False)
    if len(life.dictionary) == 0:
        return np.zeros(len(life), dtype=bool)
    is_complete = np.array([v.lower() == "complete" for v in life.dictionary.to_pylist()])
    complete = valid & is_complete[pc.fill_null(life.indices, 0).to_numpy(zero_copy_only=False)]
    other = valid & ~complete
    return other if complete.any() and other.any() else np.zeros(len(life), dtype=bool)


def _case_time_order(codes: np.ndarray, ts: np.ndarray) -> tuple[np.ndarray, bool]:
    """The row order sorted by case then time (stable), and whether some case's events were out of
    time order in the file. One stable sort by case suffices when the file had each case in order."""
    order = np.argsort(codes, kind="stable")
    if len(codes) < 2:
        return order, False
    c, t = codes[order], ts[order].view(np.int64)
    reordered = bool(((c[1:] == c[:-1]) & (t[1:] < t[:-1])).any())
    if reordered:
        order = np.lexsort((ts.view(np.int64), codes))
    return order, reordered


@dataclass
class Coded:
    """A text column as sorted distinct values and a code per row (-1 where empty or missing)."""

    codes: np.ndarray
    words: list[str]

    @property
    def missing(self) -> np.ndarray:
        return self.codes < 0

    def categorical(self, keep: np.ndarray) -> pd.Categorical:
        """The kept rows as a categorical with only the values they use (as `astype` would give)."""
        return used_categorical(self.codes[keep], pd.Index(self.words, dtype="str"))


def coded(col: Column, fill: str | None = None) -> Coded:
    """`text(col)` as codes into its sorted distinct values; only the distinct values are trimmed.

    Only the distinct values become Python strings: a million rows of per-event strings would cost
    ~200 MiB that the allocator never hands back. Values sort as `astype("category")` sorts them.
    `fill` stands for empty and missing values (else they are coded -1).
    """
    enc = _dictionary(col)
    trimmed: list[str | None] = [v.strip() or None for v in enc.dictionary.to_pylist()]
    trimmed.append(None)  # where the row itself is null
    if fill is not None:
        trimmed = [fill if v is None else v for v in trimmed]
    idx = pc.fill_null(enc.indices, len(trimmed) - 1).to_numpy(zero_copy_only=False)
    present = np.bincount(idx, minlength=len(trimmed)) > 0
    words = sorted({v for v, p in zip(trimmed, present) if p and v is not None})
    rank = {w: i for i, w in enumerate(words)}
    remap = np.array([-1 if v is None else rank.get(v, -1) for v in trimmed], dtype=np.int32)
    return Coded(remap[idx], words)


def to_event_log(raw: RawLog, source: str, name: str, timezone: str | None = None) -> EventLog:
    """Drop and count unusable rows, sort each case by time, and build the EventLog."""
    data = raw.data
    case, activity = coded(data["case"]), coded(data["activity"])
    ts, zones = timestamps(data["timestamp"], timezone, source)
    n = len(case.codes)
    reasons = {
        "empty_case_id": case.missing,
        "unparseable_timestamp": np.isnat(ts),
        "empty_activity": activity.missing,
    }
    if "lifecycle" in data:
        reasons["lifecycle_not_complete"] = _lifecycle_bad(data["lifecycle"])
    dropped = dict(raw.dropped)
    keep = np.ones(n, dtype=bool)
    for reason, bad in reasons.items():
        count = int((keep & bad).sum())
        if count:
            dropped[reason] = dropped.get(reason, 0) + count
            keep &= ~bad
    kept = int(keep.sum())
    if kept == 0:
        raise GosuprError(_nothing_left(raw, dropped, data, reasons), path=source)
    cases = case.categorical(keep)
    frame = {CASE: cases, ACTIVITY: activity.categorical(keep), TIMESTAMP: ts[keep]}
    del case, activity
    for role, col in ((RESOURCE, "resource"), (DEPARTMENT, "department")):
        if col in data:
            frame[role] = coded(data[col], fill="").categorical(keep)
    order, reordered = _case_time_order(cases.codes, frame[TIMESTAMP])
    df = pd.DataFrame(frame).iloc[order].reset_index(drop=True)
    audit = IngestAudit(
        source=source, format=raw.format, rows_read=raw.rows_read, rows_kept=kept,
        dropped=dropped, encoding=raw.encoding, delimiter=raw.delimiter,
        columns=dict(raw.columns), reordered=reordered, sheet=raw.sheet, time_zone=zones,
    )
    return EventLog.from_frame(df, name=name, audit=audit, sort=False)


def _nothing_left(raw: RawLog, dropped: dict[str, int], data: dict[str, Column],
                  reasons: dict[str, np.ndarray]) -> str:
    if raw.rows_read == 0:
        return "no event rows (only a header?); export the log with its events"
    parts = ", ".join(f"{k} {v}" for k, v in sorted(dropped.items()))
    hint = "check the column choice (--case/--activity/--timestamp)"
    if set(dropped) == {"malformed_row"}:
        hint = "no row has as many fields as the header; check the delimiter and quoting"
    elif len(data["timestamp"]) and reasons["unparseable_timestamp"].all():
        vals = text(data["timestamp"]).drop_null()
        example = f" (e.g. «{shown(vals[0].as_py(), 40)}»)" if len(vals) else " (all empty)"
        hint = (f"timestamps in «{shown(raw.columns.get('timestamp', ''))}» did not parse{example}; use "
                f"dd.mm.yyyy hh:mm or ISO dates, or pick another column with --timestamp")
    return f"no usable rows: {raw.rows_read} read, all dropped ({parts}); {hint}"
