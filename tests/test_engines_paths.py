"""`LogSummary.paths` (cases by activity and department sequence, per-position gap sums) from the portable
definition equals the memory engine's on every engine: duckdb on the examples and the shared logs, spark
and postgresql on the examples (their fixtures — one Spark session, one throwaway PostgreSQL cluster —
come from test_engines_sql). A small hand-made log pins the values themselves, so both sides agreeing on
a wrong answer fails too.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

import test_engines_sql as sql
from gosupr.engines import EngineOptions, build_summary
from gosupr.engines.summary import Durations, LogSummary, Sketch
from gosupr.engines.summary import Path as SPath

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "logs"
SHARED_LOGS = ROOT.parent / "shared" / "data" / "logs"
LOG_SUFFIXES = (".csv", ".xes", ".xes.gz", ".xlsx", ".parquet")
DUCKDB_LOGS = sorted([*EXAMPLES.glob("*.csv"), *EXAMPLES.glob("*.xes"), *EXAMPLES.glob("*.xlsx"),
                      ROOT / "tests" / "data" / "logs" / "office.csv"])
SHARED = sorted(p for p in SHARED_LOGS.iterdir() if p.name.endswith(LOG_SUFFIXES)) if SHARED_LOGS.is_dir() else []
#: Spark starts slowly and plans each query for seconds: a log with departments of each kind of source
SPARK_LOGS = ["construction_permit.csv", "land_lease.csv", "memo_approval.xes"]
EXAMPLE_NAMES = [p.name for p in sql.LOGS if p.parent == sql.EXAMPLES]

# the module-scoped fixtures of test_engines_sql (Parquet copies of every log, the cluster, the session)
loaded, pg, spark = sql.loaded, sql.pg, sql.spark
pytestmark = sql.pytestmark

WITH_PATHS = EngineOptions(paths=True)


def _duckdb(path: Path | str, paths: bool = True) -> LogSummary:
    s, _ = build_summary(str(path), "duckdb", options=EngineOptions(memory_limit="1GB", threads=1, paths=paths))
    return s


def _memory(path: Path | str) -> LogSummary:
    s, _ = build_summary(str(path), "memory", options=WITH_PATHS)
    return s


def _assert_same(expected: LogSummary, got: LogSummary) -> None:
    got = dataclasses.replace(got, source=expected.source)
    assert got.to_dict() == expected.to_dict()  # first: a readable diff when they differ
    assert got == expected


@pytest.mark.parametrize("path", DUCKDB_LOGS, ids=lambda p: p.name)
def test_duckdb_paths_equal_memory_on_examples(path: Path) -> None:
    mem = _memory(path)
    assert mem.paths and sum(p.cases for p in mem.paths) == mem.cases
    _assert_same(mem, _duckdb(path))


@pytest.mark.skipif(not SHARED_LOGS.is_dir(), reason="../shared/data/logs is not beside this checkout")
@pytest.mark.parametrize("path", SHARED, ids=lambda p: p.name)
def test_duckdb_paths_equal_memory_on_shared_logs(path: Path) -> None:
    _assert_same(_memory(path), _duckdb(path))


def test_paths_only_when_asked() -> None:
    """Discovery does not pay for paths: without the option the summary has none, and is otherwise the same."""
    path = EXAMPLES / "land_lease.csv"
    plain, with_paths = _duckdb(path, paths=False), _duckdb(path)
    assert plain.paths is None and with_paths.paths
    assert dataclasses.replace(with_paths, paths=None) == plain
    assert "paths" not in plain.to_dict()


def _durations(*ms: int) -> Durations:
    return Durations(len(ms), sum(ms), min(ms), max(ms), Sketch.from_values(list(ms)))


HAND_MADE = """case_id,activity,timestamp,department
A,c,2024-01-01 10:01:00,Y
A,a,2024-01-01 10:00:00,X
A,b,2024-01-01 10:00:01.500,Y
B,a,2024-01-01 09:00:00,X
B,b,2024-01-01 09:00:10,Y
B,c,2024-01-01 09:00:10,Y
C,a,2024-01-02 08:00:00,X
C,b,2024-01-02 08:00:00.250,X
C,c,2024-01-02 12:00:00,
D,a,2024-01-03 08:00:00,
"""


@pytest.mark.parametrize("departments", [True, False], ids=["departments", "no-department-column"])
def test_paths_values_on_a_hand_made_log(tmp_path: Path, departments: bool) -> None:
    """Same activities with other departments are another path; an empty department is ""; events at one
    time keep the file's order; gaps add up over the path's cases, position by position."""
    text = HAND_MADE if departments else "\n".join(line.rsplit(",", 1)[0] for line in HAND_MADE.splitlines()) + "\n"
    log = tmp_path / "hand.csv"
    log.write_text(text, encoding="utf-8")
    abc = ("a", "b", "c")
    if departments:
        expected = (
            SPath(abc, ("X", "Y", "Y"), 2, _durations(60_000, 10_000), (1_500 + 10_000, 58_500 + 0)),
            SPath(("a",), ("",), 1, _durations(0), ()),
            SPath(abc, ("X", "X", ""), 1, _durations(4 * 3_600_000), (250, 4 * 3_600_000 - 250)),
        )
    else:
        expected = (
            SPath(abc, None, 3, _durations(60_000, 10_000, 4 * 3_600_000), (11_750, 58_500 + 4 * 3_600_000 - 250)),
            SPath(("a",), None, 1, _durations(0), ()),
        )
    mem = _memory(log)
    assert mem.paths == expected
    _assert_same(mem, _duckdb(log))


@pytest.mark.slow
@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_postgresql_paths_equal_memory(name: str, loaded, pg) -> None:
    from gosupr.engines.postgres import summarize_source
    from gosupr.engines.sources import parse_source

    parquet, _ = loaded[name]
    mem = _memory(parquet)
    assert mem.paths
    _assert_same(mem, summarize_source(parse_source(pg.url, table=sql._table_name(Path(name))), paths=True))


@pytest.mark.slow
@pytest.mark.parametrize("name", SPARK_LOGS)
def test_spark_paths_equal_memory(name: str, loaded, spark) -> None:
    parquet, _ = loaded[name]
    mem = _memory(parquet)
    assert mem.paths and mem.paths[0].departments is not None
    got, _ = build_summary(str(parquet), "spark", options=WITH_PATHS)
    _assert_same(mem, got)


def _analysis(summary: LogSummary) -> tuple[dict, dict]:
    """The findings document and the reduction's body computed from `summary` (engine key and source aside)."""
    from gosupr.engines import RunInfo
    from gosupr.mining.waste.analyze_summary import SummaryAnalyzeResult, analyze_summary, summary_findings_document
    from gosupr.mining.waste.reduce_summary import reduce_summary
    from gosupr.report.reduce_render import document_body

    summary = dataclasses.replace(summary, source="log")
    findings, facts = analyze_summary(summary)
    doc = summary_findings_document(SummaryAnalyzeResult(summary, RunInfo("any", 0, 0.0), findings, facts))
    del doc["engine"]
    return doc, document_body(reduce_summary(summary))


@pytest.mark.slow
@pytest.mark.parametrize("name", ["land_lease.csv", "construction_permit.csv"])
def test_postgresql_analyze_and_reduce_equal_memory(name: str, loaded, pg) -> None:
    """Issue 15, item 4: the findings and the reduction are the same inside PostgreSQL."""
    from gosupr.engines.postgres import summarize_source
    from gosupr.engines.sources import parse_source

    parquet, _ = loaded[name]
    want = _analysis(_memory(parquet))
    assert want[0]["findings"] and want[1]["removed"]
    assert _analysis(summarize_source(parse_source(pg.url, table=sql._table_name(Path(name))), paths=True)) == want


@pytest.mark.slow
def test_spark_analyze_and_reduce_equal_memory(loaded, spark) -> None:
    parquet, _ = loaded["land_lease.csv"]
    got, _ = build_summary(str(parquet), "spark", options=WITH_PATHS)
    assert _analysis(got) == _analysis(_memory(parquet))
