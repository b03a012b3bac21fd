"""Engines (issue 15): the same `LogSummary`, model and discover JSON whichever engine built them."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from gosupr.engines import EngineOptions, build_summary
from gosupr.engines.summary import SKETCH_RELATIVE_ERROR, LogSummary, Sketch, bin_bounds, sketch_bins
from gosupr.errors import GosuprError

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "logs"
SHARED_LOGS = ROOT.parent / "shared" / "data" / "logs"
LOG_SUFFIXES = (".csv", ".xes", ".xes.gz", ".xlsx", ".parquet")


def _logs(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.name.endswith(LOG_SUFFIXES)) if folder.is_dir() else []


EXAMPLE_LOGS = _logs(EXAMPLES)
SHARED = _logs(SHARED_LOGS)


def _summaries(path: Path | str) -> tuple[LogSummary, LogSummary]:
    mem, _ = build_summary(str(path), "memory")
    duck, _ = build_summary(str(path), "duckdb", options=EngineOptions(memory_limit="1GB", threads=1))
    return mem, duck


def _assert_same(mem: LogSummary, duck: LogSummary) -> None:
    assert mem.to_dict() == duck.to_dict()  # first: a readable diff when they differ
    assert mem == duck


@pytest.mark.parametrize("path", EXAMPLE_LOGS, ids=lambda p: p.name)
def test_examples_summary_equal_across_engines(path: Path) -> None:
    mem, duck = _summaries(path)
    _assert_same(mem, duck)
    assert mem.events > 0 and mem.cases == sum(c for _, c in mem.outcomes)
    assert LogSummary.from_dict(json.loads(json.dumps(mem.to_dict()))) == mem


@pytest.mark.skipif(not SHARED_LOGS.is_dir(), reason="../shared/data/logs is not beside this checkout")
@pytest.mark.parametrize("path", SHARED, ids=lambda p: p.name)
def test_shared_logs_summary_equal_across_engines(path: Path) -> None:
    _assert_same(*_summaries(path))


def test_examples_are_there() -> None:
    assert len(EXAMPLE_LOGS) >= 8  # the parametrised test above must not silently run on nothing


def test_awkward_rows_are_dropped_and_ordered_alike(tmp_path: Path) -> None:
    """Drops counted per first reason, trimmed names, same-time events in file order, day-first
    dates, impossible dates, and a case whose rows are out of time order in the file."""
    rows = [
        "case;activity;timestamp;department",
        "A; start ;01.02.2024 10:00;x",
        "A;b;01.02.2024 10:00;x",  # same time as the row before: file order decides
        "A;c;01.02.2024 09:00;y",  # out of order in the file: comes first
        ";b;01.02.2024 11:00;x",  # empty case
        "B;start;31.02.2024 10:00;x",  # no such day
        "B;;01.02.2024 10:00;x",  # empty activity
        "B;start;02.02.2024 10:00:30,25;",  # fraction, empty department
        "B;b;02.02.2024 10:00:30,5;y",
        "C;b;03.02.2024 08:00;x",
        "C;start;03.02.2024 08:00;x",
        "  ;c; 04.02.2024 10:00 ;x",  # blank case
    ]
    log = tmp_path / "awkward.csv"
    log.write_text("\n".join(rows) + "\n", encoding="utf-8")
    mem, duck = _summaries(log)
    _assert_same(mem, duck)
    assert dict(mem.dropped) == {"empty_activity": 1, "empty_case_id": 2, "unparseable_timestamp": 1}
    assert {v.activities: v.cases for v in mem.variants} == {
        ("c", "start", "b"): 1, ("start", "b"): 1, ("b", "start"): 1}
    assert mem.departments is not None and {d.name: d.cases for d in mem.departments} == {"": 1, "x": 2, "y": 2}


def test_offsets_are_converted_alike(tmp_path: Path) -> None:
    log = tmp_path / "zones.csv"
    log.write_text("case,activity,timestamp\n1,a,2024-03-01T10:00:00+03:00\n1,b,2024-03-01T08:30:00Z\n"
                   "2,a,2024-03-01 07:00:00.123456-01:30\n2,b,2024-03-01T09:00:00+00:00\n", encoding="utf-8")
    mem, duck = _summaries(log)
    _assert_same(mem, duck)
    assert mem.first_ms == int(pd.Timestamp("2024-03-01T07:00:00").value // 10**6)


def test_timezone_reads_naive_times_in_the_zone_alike(tmp_path: Path) -> None:
    """--timezone: naive local times to UTC across DST changes (gap forward, fold dropped), offsets kept."""
    from engine_logs import check_dst_summary, write_dst

    log = write_dst(tmp_path)
    opts = EngineOptions(timezone="Europe/Berlin")
    mem, _ = build_summary(str(log), "memory", options=opts)
    duck, _ = build_summary(str(log), "duckdb", options=opts)
    _assert_same(mem, duck)
    check_dst_summary(duck)
    for zone in ("Asia/Yakutsk", "America/Sao_Paulo", "Australia/Lord_Howe"):  # no DST now; DST south; 30-min DST
        opts = EngineOptions(timezone=zone)
        _assert_same(build_summary(str(log), "memory", options=opts)[0], build_summary(str(log), "duckdb", options=opts)[0])
    with pytest.raises(GosuprError, match="mix times with a zone offset"):
        build_summary(str(log), "duckdb")
    with pytest.raises(GosuprError, match="unknown time zone"):
        build_summary(str(log), "duckdb", options=EngineOptions(timezone="Mars/Olympus"))


def test_zone_transitions_are_pinned_to_the_second() -> None:
    from engine_logs import ms as _ms
    from gosupr.engines.portable import zone_transitions

    first, found = zone_transitions("Europe/Berlin", _ms("2024-01-01") * 1000, _ms("2024-12-31") * 1000)
    assert first == 3600
    assert found == [(_ms("2024-03-31T01:00:00") // 1000, 3600, 7200), (_ms("2024-10-27T01:00:00") // 1000, 7200, 3600)]
    assert zone_transitions("Europe/Moscow", _ms("2020-01-01") * 1000, _ms("2024-12-31") * 1000) == (3 * 3600, [])


def test_one_resolver_for_files_folders_and_globs(tmp_path: Path) -> None:
    """duckdb reads one CSV at a time; a pattern of mixed kinds and a URI are refused by name."""
    from gosupr.engines.sources import resolve_files

    csv = EXAMPLES / "land_lease.csv"
    (tmp_path / "a.csv").write_bytes(csv.read_bytes())
    (tmp_path / "b.csv").write_bytes(csv.read_bytes())
    pq.write_table(_event_table(EXAMPLES / "construction_permit.csv"), tmp_path / "c.parquet")
    found = resolve_files(str(tmp_path / "*.csv"), "logs")
    assert found.kind == "csv" and [Path(f).name for f in found.files] == ["a.csv", "b.csv"]
    with pytest.raises(GosuprError, match="give one CSV file at a time"):
        build_summary(str(tmp_path / "*.csv"), "duckdb")
    with pytest.raises(GosuprError, match="files of one kind"):
        resolve_files(str(tmp_path / "*"), "logs")
    with pytest.raises(GosuprError, match="needs --engine spark"):
        build_summary("hdfs://cluster/logs/", "duckdb")
    assert resolve_files("s3a://bucket/logs", "s3a://bucket/logs", uris=True).paths == ("s3a://bucket/logs",)
    assert resolve_files(str(tmp_path), "t", whole_folders=True).paths == (str(tmp_path),)
    assert resolve_files(str(tmp_path), "t").paths == (str(tmp_path / "c.parquet"),)


def _event_table(path: Path) -> pa.Table:
    from gosupr.ingest import read_log

    df = read_log(path).df.sample(frac=1.0, random_state=1)  # file order ≠ case order
    return pa.table({"case_id": df["case_id"].astype(str).to_numpy(dtype=object),
                     "activity": df["activity"].astype(str).to_numpy(dtype=object),
                     "timestamp": pa.array(df["timestamp"].to_numpy(), pa.timestamp("us")),
                     "department": df["department"].astype(str).to_numpy(dtype=object)})


def test_parquet_folder_and_glob_equal_single_file(tmp_path: Path) -> None:
    table = _event_table(EXAMPLES / "construction_permit.csv")
    single = tmp_path / "single.parquet"
    pq.write_table(table, single)
    parts = tmp_path / "parts" / "year=2024"
    parts.mkdir(parents=True)
    bounds = np.linspace(0, table.num_rows, 4).astype(int)
    for i, (a, b) in enumerate(zip(bounds[:-1], bounds[1:])):
        pq.write_table(table.slice(a, b - a), parts / f"part-{i:05d}.parquet")
    mem, duck = _summaries(single)
    _assert_same(mem, duck)
    for source in (tmp_path / "parts", str(tmp_path / "parts" / "*" / "*.parquet")):
        folder, _ = build_summary(str(source), "duckdb")
        assert dataclasses.replace(folder, source=mem.source) == mem


def _gosupr(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gosupr", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=600)


@pytest.mark.parametrize("name", ["land_lease.csv", "memo_approval.xes"])
def test_discover_json_and_bpmn_identical_across_engines(tmp_path: Path, name: str) -> None:
    log = EXAMPLES / name
    docs, models = {}, {}
    for engine in ("memory", "duckdb"):
        res = _gosupr("discover", str(log), "--engine", engine, "-o", "model.bpmn", "--format", "json",
                      "--memory-limit", "1GB", cwd=tmp_path)
        assert res.returncode == 0, res.stderr
        assert res.stderr == ""  # no library noise
        doc = json.loads(res.stdout)
        assert doc["engine"]["name"] == engine and doc["engine"]["rows_scanned"] == doc["log"]["rows_read"]
        assert doc["engine"]["peak_rss_mib"] > 0
        del doc["engine"]
        docs[engine], models[engine] = doc, (tmp_path / "model.bpmn").read_bytes()
    assert docs["memory"] == docs["duckdb"]
    assert models["memory"] == models["duckdb"]
    assert docs["memory"]["summary"]["variants"] > 1
    res = _gosupr("discover", str(log), "-o", "default.bpmn", "--no-reduce", "--format", "json", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "default.bpmn").read_bytes() == models["memory"]  # the per-event path's model
    today = json.loads(res.stdout)["summary"]
    for key in ("cases", "events", "activities", "variants"):
        assert today[key] == docs["memory"]["summary"][key]
    for key in ("median_case_duration_s", "p90_case_duration_s"):  # exact vs sketch: within its accuracy
        assert docs["memory"]["summary"][key] == pytest.approx(today[key], rel=0.05)
    # with everything: findings and the reduction, from the summary's paths
    res = _gosupr("discover", str(log), "-o", "plain.bpmn", "--format", "json", cwd=tmp_path)
    plain = json.loads(res.stdout)
    got = docs["memory"]
    assert got["schema"] == "gosupr.discover-summary/2" and got["log"]["computed_from"] == "log summary (paths)"
    assert got["findings"] and got["reduction"]["verdict"] == plain["reduction"]["verdict"]
    for key in ("events_removed", "cases_touched", "removed_steps", "fitness_as_is", "fitness_to_be"):
        assert got["reduction"]["headline"][key] == plain["reduction"]["headline"][key]


@pytest.mark.parametrize("case", ["missing_column", "not_parquet", "broken_parquet", "no_match"])
def test_bad_input_is_one_line_exit_2(tmp_path: Path, case: str) -> None:
    log = str(EXAMPLES / "land_lease.csv")
    extra: list[str] = []
    if case == "missing_column":
        extra = ["--case", "no such column"]
    elif case == "not_parquet":
        log = str(tmp_path / "x.parquet")
        Path(log).write_text("case,activity\n")
    elif case == "broken_parquet":
        log = str(tmp_path / "y.parquet")
        Path(log).write_bytes(b"PAR1" + b"\0" * 64)
    else:
        log = str(tmp_path / "none" / "*.parquet")
    res = _gosupr("discover", log, "--engine", "duckdb", "-o", "out.bpmn", *extra, cwd=tmp_path)
    assert res.returncode == 2
    assert len(res.stderr.strip().splitlines()) == 1 and "Traceback" not in res.stderr
    assert not (tmp_path / "out.bpmn").exists()


# --- the sketch --------------------------------------------------------------------------------------


def test_sketch_bins_bound_their_values_and_quantiles_are_accurate() -> None:
    rng = np.random.default_rng(7)
    values = np.concatenate([np.arange(0, 600), rng.integers(0, 10**11, 20_000),
                             2 ** np.arange(1, 40), 2 ** np.arange(1, 40) - 1]).astype(np.int64)
    bins = sketch_bins(values)
    for v, b in zip(values.tolist(), bins.tolist()):
        lo, hi = bin_bounds(b)
        assert lo <= v <= hi
    sk = Sketch.from_values(values)
    ordered = np.sort(values)
    for q in (0.1, 0.5, 0.85, 0.9, 0.99):
        exact = ordered[max(1, int(np.ceil(q * len(values)))) - 1]
        assert abs(sk.quantile(q) - exact) <= exact * SKETCH_RELATIVE_ERROR + 0.5
    half = len(values) // 2
    assert Sketch.from_values(values[:half]).merge(Sketch.from_values(values[half:])) == sk


@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning")
def test_sql_bins_equal_numpy_bins() -> None:
    import ibis

    from gosupr.engines.portable import with_sketch_bin

    edges = np.concatenate([2 ** np.arange(0, 45), 2 ** np.arange(0, 45) - 1, 2 ** np.arange(0, 45) + 1])
    values = np.unique(np.concatenate([edges, np.random.default_rng(3).integers(0, 2**44, 5000)])).astype(np.int64)
    con = ibis.duckdb.connect()
    t = con.create_table("v", pd.DataFrame({"v": values}))
    got = with_sketch_bin(t, "v", "b").select("v", "b").to_pandas().sort_values("v")["b"].to_numpy()
    assert (got == sketch_bins(values)).all()


def test_hostile_log_takes_the_dfg_path_alike(tmp_path: Path) -> None:
    """Past the IMf limits discovery runs IMd on the filtered DFG: from a summary too, same bytes."""
    from gosupr.bpmn.writer import to_xml
    from gosupr.eventlog import EventLog
    from gosupr.mining.discover import discover_model
    from gosupr.mining.discover_summary import discover_from_summary, is_hostile
    from gosupr.synth import generator as synth

    df = synth.hostile(n_variants=5_200, n_activities=125, max_len=8)
    path = tmp_path / "hostile.parquet"
    df.to_parquet(path)
    mem, duck = _summaries(path)
    _assert_same(mem, duck)
    assert is_hostile(mem)
    log = EventLog.from_frame(df, name="hostile")
    assert to_xml(discover_from_summary(duck, name="hostile")) == to_xml(discover_model(log))


@pytest.mark.parametrize(
    ("argv", "extra"),
    [
        (["discover", str(EXAMPLES / "land_lease.csv"), "--engine", "duckdb"], "gosupr[engines]"),
        (["discover", "postgresql://u:secret@127.0.0.1:1/db", "--table", "t"], "gosupr[postgres]"),
    ],
)
def test_engine_without_its_libraries_says_what_to_install(tmp_path: Path, argv: list[str], extra: str) -> None:
    """A plain `pip install gosupr` has no ibis or psycopg: one line naming the extra, exit 2, nothing written."""
    hide = "import sys; sys.modules.update(ibis=None, psycopg=None, duckdb=None); from gosupr.__main__ import run; run()"
    out = tmp_path / "m.bpmn"
    p = subprocess.run([sys.executable, "-c", hide, *argv, "-o", str(out)], capture_output=True, text=True,
                       cwd=tmp_path, timeout=300)
    assert p.returncode == 2, p.stderr
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and extra in lines[0] and "Traceback" not in p.stderr, p.stderr
    assert "secret" not in p.stderr
    assert not out.exists()
