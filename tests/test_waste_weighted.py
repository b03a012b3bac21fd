"""Weighted facts are the plain ones: a log whose cases are copied k times, analysed event by event,
gives the same findings as the original log's facts with each case weighted k.

This is what lets the waste analysis run on a log summary (rows = paths, weight = cases): every
count, share, median and verdict of every detector must weigh rows by their cases."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from tests.material import DATA, EXAMPLES, SHARED, needs_shared

from gosupr.eventlog import CASE, EventLog
from gosupr.ingest import read_log
from gosupr.mining.waste.analyze import AnalyzeConfig, analyze_facts, analyze_log
from gosupr.mining.waste.detectors import DETECTORS
from gosupr.mining.waste.facts import LogFacts

LOGS = [DATA / "logs" / "office.csv", EXAMPLES / "land_lease.csv", EXAMPLES / "memo_approval.xes",
        EXAMPLES / "construction_permit.csv",
        # real logs: repeated lab tests (periodic), approval chains with rejections, hand-overs between people
        pytest.param(SHARED / "logs" / "SEPSIS.xes.gz", marks=needs_shared, id="SEPSIS"),
        pytest.param(SHARED / "logs" / "DomesticDeclarations.xes.gz", marks=needs_shared, id="DomesticDeclarations")]
_CACHE: dict = {}


def pair(path) -> tuple[LogFacts, LogFacts]:
    """(facts of the copied log, the original log's facts weighted by the copies), built once per log."""
    if path not in _CACHE:
        log = read_log(str(path))
        big, k = copies(log)
        _CACHE[path] = (LogFacts.of(big), weighted(log, k, big))
    return _CACHE[path]


def copies(log: EventLog, seed: int = 7) -> tuple[EventLog, np.ndarray]:
    """The log with case i copied k_i ∈ 1..4 times (same times, new ids), and k per case in log order."""
    starts, _ = log.case_bounds
    ids = log.df[CASE].to_numpy()[starts]
    k = np.random.default_rng(seed).integers(1, 5, size=len(ids))
    df = log.df.copy()
    df[CASE] = df[CASE].astype(str)
    parts = [df] + [df[df[CASE].isin({str(i) for i, kk in zip(ids, k) if kk > j})].assign(
        **{CASE: lambda d, j=j: d[CASE] + f"~{j}"}) for j in range(1, 4)]
    big = EventLog.from_frame(pd.concat(parts, ignore_index=True), name=log.name)
    return big, k


def weighted(log: EventLog, k: np.ndarray, big: EventLog) -> LogFacts:
    plain = LogFacts.of(log)
    return dataclasses.replace(plain, weight=k.astype(np.int64), summary_median_case_s=LogFacts.of(big).median_case_s)


def canonical(findings: list) -> list[dict]:
    return sorted((f.to_dict() for f in findings), key=lambda d: (d["kind"], d["activities"]))


@pytest.mark.parametrize("kind", sorted(DETECTORS))
@pytest.mark.parametrize("path", LOGS, ids=lambda p: getattr(p, "name", str(p)))
def test_each_detector_weighs_rows_by_cases(path, kind) -> None:
    big, wf = pair(path)
    assert wf.n_rows < big.n_rows and wf.n_cases == big.n_cases
    expected = [f.to_dict() for f in DETECTORS[kind].detect(big)]
    assert [f.to_dict() for f in DETECTORS[kind].detect(wf)] == expected


@pytest.mark.parametrize("path", LOGS, ids=lambda p: getattr(p, "name", str(p)))
def test_weighted_findings_equal_copied_log(path) -> None:
    log = read_log(str(path))
    big, k = copies(log)
    assert k.max() > 1 and big.n_cases == int(k.sum())
    cfg = AnalyzeConfig()
    expected = canonical(analyze_log(big, cfg))
    got = canonical(analyze_facts(weighted(log, k, big), cfg))
    assert [(d["kind"], d["activities"]) for d in got] == [(d["kind"], d["activities"]) for d in expected]
    assert got == expected
