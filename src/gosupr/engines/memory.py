"""The `memory` engine: a `LogSummary` from an in-memory `EventLog`, vectorised numpy/pandas.

The log is already sorted per case by time (stable, so ties keep file order), which is the order
every other engine reproduces with (timestamp, original row) inside a case.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from gosupr.engines.summary import LogSummary, assemble, sketch_bins
from gosupr.eventlog import ACTIVITY, CASE, DEPARTMENT, TIMESTAMP, EventLog

_NS_PER_MS = 1_000_000
_M = 2_147_483_647  # 2**31 - 1


def event_ms(ts: np.ndarray) -> np.ndarray:
    """floor(epoch_ns / 1e6): the integer millisecond every engine gives an event."""
    return ts.astype("datetime64[ns]").view(np.int64) // _NS_PER_MS


def _aggregates(keys: pd.DataFrame, ms: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(keys…, n, total_ms, min_ms, max_ms) and the sketch (keys…, bin, n), grouped by `keys`."""
    names = list(keys.columns)
    frame = keys.assign(ms=ms, bin=sketch_bins(ms))
    g = frame.groupby(names, sort=False, observed=True)["ms"]
    agg = g.agg(n="size", total_ms="sum", min_ms="min", max_ms="max").reset_index()
    sk = frame.groupby([*names, "bin"], sort=False, observed=True).size().rename("n").reset_index()
    return agg, sk


def summarize_log(log: EventLog, paths: bool = False) -> LogSummary:
    """The summary of `log` (its audit gives rows scanned, drops and columns); `paths`: also the
    per-path table the waste analysis reads."""
    df = log.df
    audit = log.audit
    starts, lengths = log.case_bounds
    ms = event_ms(df[TIMESTAMP].to_numpy())
    v = log.variants
    if len(starts):
        durations = ms[starts + lengths - 1] - ms[starts]
        vid = v.case_variant.to_numpy()
    else:
        durations = np.zeros(0, dtype=np.int64)
        vid = np.zeros(0, dtype=np.int64)
    vagg, vsk = _aggregates(pd.DataFrame({"vid": vid}), durations)
    traces = pd.Series(v.traces, dtype=object)
    vagg["trace"] = traces.iloc[vagg["vid"].to_numpy()].to_numpy() if len(vagg) else []

    codes = df[ACTIVITY].cat.codes.to_numpy()
    cats = np.asarray(df[ACTIVITY].cat.categories, dtype=object)
    same = np.ones(len(codes), dtype=bool)
    same[starts] = False  # row i follows row i-1 in the same case unless i starts a case
    nxt = np.flatnonzero(same)
    pairs = pd.DataFrame({"a": codes[nxt - 1], "b": codes[nxt]})
    eagg, esk = _aggregates(pairs, ms[nxt] - ms[nxt - 1])
    for frame in (eagg, esk):
        frame["source"] = cats[frame.pop("a").to_numpy()] if len(frame) else []
        frame["target"] = cats[frame.pop("b").to_numpy()] if len(frame) else []

    deps = None
    if log.has_department:
        dep = df[DEPARTMENT]
        dcodes = dep.cat.codes.to_numpy()
        events = np.bincount(dcodes, minlength=len(dep.cat.categories))
        pair = pd.DataFrame({"d": dcodes, "c": df[CASE].cat.codes.to_numpy()}).drop_duplicates()
        cases = np.bincount(pair["d"].to_numpy(), minlength=len(dep.cat.categories))
        used = events > 0
        deps = pd.DataFrame({"name": np.asarray(dep.cat.categories, dtype=object)[used],
                             "events": events[used], "cases": cases[used]})
    ptab = psk = None
    if paths:
        ptab, psk = _paths(log, ms, vid, durations, traces)
    return assemble(
        source=audit.source,
        columns=audit.columns,
        rows_scanned=audit.rows_read,
        dropped=audit.dropped,
        first_ms=int(ms.min()) if len(ms) else None,
        last_ms=int(ms.max()) if len(ms) else None,
        variants=vagg, variant_sketch=vsk, edges=eagg, edge_sketch=esk, departments=deps,
        paths=ptab, path_sketch=psk,
    )


def _paths(log: EventLog, ms: np.ndarray, vid: np.ndarray, durations: np.ndarray,
           traces: pd.Series) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cases grouped by (variant, department sequence), with per-position gap sums: numpy over
    events, Python only over paths."""
    df = log.df
    starts, lengths = log.case_bounds
    n_cases = len(starts)
    depts: np.ndarray | None = None
    if log.has_department and n_cases:
        dep = df[DEPARTMENT]
        dcode = dep.cat.codes.to_numpy().astype(np.int64)
        depts = np.asarray(dep.cat.categories, dtype=object)
        case = np.repeat(np.arange(n_cases), lengths)
        pos = np.arange(len(df)) - np.repeat(starts, lengths)
        rng = np.random.default_rng(16)  # two 31-bit hashes of the department sequence (see portable._weighted)
        r = rng.integers(1, _M, size=(int(lengths.max()), 2), dtype=np.int64)
        c = rng.integers(1, _M, size=(len(depts) + 1, 2), dtype=np.int64)
        h = [np.bincount(case, weights=(r[pos, i] * c[dcode + 1, i]) % _M, minlength=n_cases).astype(np.int64) % _M
             for i in (0, 1)]
        keys = pd.DataFrame({"vid": vid, "h1": h[0], "h2": h[1]})
    else:
        keys = pd.DataFrame({"vid": vid})
    pid = keys.groupby(list(keys.columns), sort=True).ngroup().to_numpy() if n_cases else np.zeros(0, dtype=np.int64)
    agg, sk = _aggregates(pd.DataFrame({"pid": pid}), durations)
    rep = pd.Series(np.arange(n_cases)).groupby(pid).min()  # a representative case per path
    same = np.ones(len(df), dtype=bool)
    same[starts] = False
    nxt = np.flatnonzero(same)
    case_of = np.repeat(np.arange(n_cases), lengths)
    gpos = (nxt - 1) - starts[case_of[nxt]]
    gsum = pd.Series(ms[nxt] - ms[nxt - 1]).groupby([pid[case_of[nxt]], gpos]).sum()
    gaps: dict[int, list[int]] = {}
    for (p, _i), total in gsum.items():  # per path and position, already in position order
        gaps.setdefault(int(p), []).append(int(total))
    p_ids = agg["pid"].to_numpy()
    r_case = rep.loc[p_ids].to_numpy()
    agg["trace"] = traces.iloc[vid[r_case]].to_numpy() if len(agg) else []
    agg["depts"] = [None if depts is None else tuple(depts[dcode[starts[k]:starts[k] + lengths[k]]]) for k in r_case] \
        if len(agg) else []
    agg["gaps"] = [tuple(gaps.get(int(p), ())) for p in p_ids] if len(agg) else []
    return agg, sk


def summarize_path(source: str, columns: Any, options: Any) -> LogSummary:
    """Registry entry: gosupr's own readers (every format, the ingestion audit), then `summarize_log`.
    `options.extra["progress"]` (when set) is told its two stages, "scan" and "aggregate"."""
    from gosupr.ingest import read_log

    say = options.extra.get("progress") or (lambda _s, _rows=None: None)
    say("scan")
    log = read_log(source, columns, allow_huge_cases=options.allow_huge_cases, timezone=options.timezone)
    say("aggregate", log.audit.rows_read)
    return summarize_log(log, paths=options.paths)
