"""Same answers everywhere: memory, duckdb, spark (local) and postgresql build equal summaries.

Every example log and every log in ../shared/data is read once by gosupr's own ingestion, then
written as Parquet (read by memory, duckdb and spark) and loaded into a throwaway PostgreSQL
cluster (read by the postgresql engine), with the headers of the original file, so every engine
starts from the same rows and timestamps. One Spark session serves the whole module.

Errors of a database source (server refused, bad query, missing column) are one line, exit 2, and
never show the password.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from gosupr.cli import main
from gosupr.engines import EngineOptions, build_summary
from gosupr.engines.summary import LogSummary
from gosupr.errors import GosuprError
from gosupr.ingest import read_log
from pg_cluster import PgCluster, find_bindir, pg_cluster

# pandas 3 deprecation notices raised inside pyspark and ibis, not by gosupr
pytestmark = [pytest.mark.filterwarnings("ignore:The copy keyword is deprecated:DeprecationWarning"),
              pytest.mark.filterwarnings("ignore:The 'future.infer_string' option is deprecated:DeprecationWarning")]

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "logs"
SHARED = ROOT.parent / "shared" / "data" / "logs"
_ROLE_OF = {"case_id": "case", "activity": "activity", "timestamp": "timestamp", "resource": "resource",
            "department": "department"}


def _logs() -> list[Path]:
    found = sorted([*EXAMPLES.glob("*.csv"), *EXAMPLES.glob("*.xes")])
    found += sorted(p for p in SHARED.iterdir() if p.is_file()) if SHARED.is_dir() else []
    return found


LOGS = _logs()


def _table_name(path: Path) -> str:
    name = path.name.lower()
    for ext in (".xes.gz", ".csv", ".xes"):
        name = name.removesuffix(ext)
    return "log_" + "".join(ch if ch.isalnum() else "_" for ch in name)


def ingested(path: Path) -> pd.DataFrame:
    """The log as gosupr's ingestion reads it (rows kept, times in UTC), under the original headers."""
    log = read_log(path)
    df = log.df
    out = pd.DataFrame({log.audit.columns[_ROLE_OF[c]]: (df[c] if c == "timestamp" else df[c].astype(str))
                        for c in _ROLE_OF if c in df.columns})
    return out


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, pd.DataFrame]]:
    """name → (Parquet file, frame) for every log."""
    folder = tmp_path_factory.mktemp("parquet")
    out = {}
    for p in LOGS:
        df = ingested(p)
        target = folder / f"{_table_name(p)}.parquet"
        pq.write_table(pa.Table.from_pandas(df, preserve_index=False), target, coerce_timestamps="us")
        out[p.name] = (target, df)
    return out


@pytest.fixture(scope="module")
def pg(loaded: dict[str, tuple[Path, pd.DataFrame]]) -> PgCluster:
    bindir = find_bindir()
    if bindir is None:
        pytest.skip("no PostgreSQL server binaries (initdb, pg_ctl) on this machine: install Debian's postgresql")
    with pg_cluster(bindir) as cluster:
        for name, (_, df) in loaded.items():
            cluster.load_frame(_table_name(Path(name)), df)
        yield cluster


@pytest.fixture(scope="module")
def spark():
    """One local Spark session for the module: two cores, little memory, no UI, quiet; stopped at the end."""
    from gosupr.engines.spark import start_session

    # the logs here are small: interpreted plans start faster than generated code, one partition per shuffle
    session = start_session("local[2]", driver_memory="1g", shuffle_partitions=1,
                            conf={"spark.sql.codegen.wholeStage": "false", "spark.sql.adaptive.enabled": "false"})
    yield session
    session.stop()


def comparable(s: LogSummary) -> dict:
    """The summary as a document, without where it was read from (a file name or a masked URL)."""
    d = s.to_dict()
    d.pop("source")
    return d


def _discover(source: str, engine: str, name: str, out: Path, extra: dict | None = None):
    """The library call behind `gosupr discover --engine`: (summary, JSON document, BPMN bytes)."""
    from gosupr.pipeline import run_discover_engine
    from gosupr.report import discover_summary_render as r

    res = run_discover_engine(source, out, engine=engine, options=EngineOptions(extra=extra or {}), name=name,
                              commit=False)
    doc = json.loads(r.to_json(res))
    assert doc["engine"]["name"] == engine and doc["engine"]["rows_scanned"] == doc["log"]["rows_read"]
    del doc[r.ENGINE_KEY]
    del doc["log"]["source"]
    [(path, bpmn)] = res.files
    assert path == out
    return res.summary, doc, bpmn


@pytest.mark.slow
@pytest.mark.parametrize("log", LOGS, ids=[p.name for p in LOGS])
def test_same_answers_across_engines(log: Path, loaded, pg: PgCluster, spark, tmp_path: Path) -> None:
    """Summary, discover JSON (but the engine key and the source's name) and BPMN bytes are equal."""
    parquet, df = loaded[log.name]
    table, out = _table_name(log), tmp_path / "model.bpmn"
    runs = {
        "memory": _discover(str(parquet), "memory", table, out),
        "duckdb": _discover(str(parquet), "duckdb", table, out),
        "spark": _discover(str(parquet), "spark", table, out, {"spark_master": "local[2]"}),
        "postgresql": _discover(pg.url, "postgresql", table, out, {"table": table}),
    }
    memory, doc, bpmn = runs["memory"]
    assert memory.events == len(df) and memory.cases > 0 and b"<bpmn:process" in bpmn
    expected = comparable(memory)
    differ = {name: sorted(k for k, v in comparable(s).items() if v != expected[k]) for name, (s, _, _) in runs.items()}
    assert {name: keys for name, keys in differ.items() if keys} == {}
    assert {name: d for name, (_, d, _) in runs.items() if d != doc} == {}
    assert {name: len(b) for name, (_, _, b) in runs.items() if b != bpmn} == {}
    in_pg = runs["postgresql"][0]
    assert in_pg.source == f"{pg.url_without_password.replace('gosupr@', 'gosupr:***@')} (table {table})"
    assert pg.password not in json.dumps(in_pg.to_dict())


def test_cli_discover_same_on_every_engine(loaded, pg: PgCluster, spark, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """The command line end to end: --engine spark --spark-master, and a postgresql:// URL with --table
    and with --query, give the JSON and model of --engine memory; nothing else on stderr."""
    log = EXAMPLES / "land_lease.csv"
    parquet, _ = loaded[log.name]
    table = _table_name(log)
    headers = ", ".join(f'"{c}"' for c in loaded[log.name][1].columns)
    runs = {
        "memory": [str(parquet), "--engine", "memory"],
        "spark": [str(parquet), "--engine", "spark", "--spark-master", "local[2]"],
        "postgresql": [pg.url, "--table", table],
        "postgresql-query": [pg.url, "--query", f"select {headers} from {table}"],
    }
    docs, models = {}, {}
    for name, argv in runs.items():
        monkeypatch.chdir(tmp_path)
        code, out, err = _run(["discover", *argv, "-o", f"{name}.bpmn", "--format", "json"], capsys)
        assert (code, err) == (0, "")
        doc = json.loads(out)
        assert doc["engine"]["name"] == name.split("-")[0]
        source = doc["log"].pop("source")
        assert pg.password not in source
        del doc["engine"], doc["output"]
        docs[name], models[name] = doc, (tmp_path / f"{name}.bpmn").read_bytes()
    assert all(d == docs["memory"] for d in docs.values())
    # the model's name is the log's: the Parquet file's and the table's are the same here, the query's is "query"
    assert models["spark"] == models["memory"] == models["postgresql"]
    assert models["postgresql-query"] == models["memory"].replace(table.encode(), b"query")


# --- errors of database sources ----------------------------------------------------------------------


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


def _refused_url(pg: PgCluster) -> str:
    return pg.url.replace(f":{pg.port}/", f":{_free_port()}/")


@pytest.mark.parametrize("case", ["refused", "bad_query", "missing_table", "missing_column", "wrong_password"])
def test_database_errors_are_one_line_exit_2_without_password(case: str, pg: PgCluster, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    table = _table_name(EXAMPLES / "construction_permit.csv")
    url, extra, expect = pg.url, ["--table", table], ""
    if case == "refused":
        url, expect = _refused_url(pg), "cannot connect to PostgreSQL"
    elif case == "bad_query":
        extra, expect = ["--query", f"select case_id, activity, timestamp fro {table}"], "--query failed in PostgreSQL"
    elif case == "missing_table":
        extra, expect = ["--table", "no_such_table"], "table «no_such_table» does not exist"
    elif case == "missing_column":
        extra, expect = ["--table", table, "--case", "dossier"], "column «dossier» given for --case"
    elif case == "wrong_password":
        url, expect = pg.url.replace(pg.password, pg.password[::-1]), "password authentication failed"
    out_file = tmp_path / "m.bpmn"
    code, out, err = _run(["discover", url, *extra, "-o", str(out_file), "--format", "json"], capsys)
    assert code == 2, err
    assert err.count("\n") == 1 and err.startswith("gosupr: error: "), err
    assert expect in err, err
    assert "***" in err and pg.password not in err + out and pg.password[::-1] not in err + out
    assert out == "" and not out_file.exists()


def test_password_from_environment_is_used_and_never_shown(pg: PgCluster, monkeypatch: pytest.MonkeyPatch) -> None:
    """PGPASSWORD (as libpq reads it) stands in for a URL without password; the source shows none."""
    from gosupr.engines.postgres import summarize_source
    from gosupr.engines.sources import parse_source

    monkeypatch.setenv("PGPASSWORD", pg.password)
    table = _table_name(EXAMPLES / "construction_permit.csv")
    s = summarize_source(parse_source(pg.url_without_password, table=table))
    assert s.source == f"{pg.url_without_password} (table {table})"
    monkeypatch.delenv("PGPASSWORD")
    monkeypatch.setenv("PGPASSFILE", "/nonexistent")
    with pytest.raises(GosuprError, match="no password supplied"):
        summarize_source(parse_source(pg.url_without_password, table=table))


def test_query_reads_what_it_selects(pg: PgCluster, loaded) -> None:
    """--query: the server runs the select (here one department only); ties keep the query's order."""
    from gosupr.engines.memory import summarize_log
    from gosupr.engines.postgres import summarize_source
    from gosupr.engines.sources import parse_source
    from gosupr.eventlog import EventLog

    log = EXAMPLES / "construction_permit.csv"
    _, df = loaded[log.name]
    dep = sorted(df["department"].unique())[0]
    q = (f"select case_id, activity, timestamp, department from {_table_name(log)} "
         f"where department = '{dep}'")
    s = summarize_source(parse_source(pg.url, query=q))
    sub = df[df["department"] == dep].rename(columns={"case_id": "case_id"})
    expected = summarize_log(EventLog.from_frame(sub.drop(columns=["resource"]), name="x"))
    assert s.events == len(sub) and s.cases == sub["case_id"].nunique()
    assert [(v.activities, v.cases) for v in s.variants] == [(v.activities, v.cases) for v in expected.variants]
    assert s.edges == expected.edges


@pytest.mark.parametrize("bad", [
    ("postgresql://u:secret-pw@h/db", {}, "needs --query"),
    ("postgresql://u:secret-pw@h/db", {"query": "select 1", "table": "t"}, "needs --query"),
    ("postgresql://u:secret-pw@[::1/db", {"table": "t"}, "is not a valid PostgreSQL URL"),
    ("log.csv", {"table": "t"}, "--table reads from a database"),
])
def test_source_arguments_checked_before_connecting(bad) -> None:
    from gosupr.engines.sources import parse_source

    url, kw, expect = bad
    with pytest.raises(GosuprError, match=expect) as exc:
        parse_source(url, **kw)
    assert "secret-pw" not in str(exc.value)


def test_mask_url_hides_every_password_form() -> None:
    from gosupr.engines.sources import mask_url

    assert mask_url("postgresql://u:p%40ss@h:5/d") == "postgresql://u:***@h:5/d"
    assert mask_url("postgresql://u:p@ss@h/d") == "postgresql://u:***@h/d"
    assert mask_url("postgresql://u@h/d?sslmode=require&password=zz") == \
        "postgresql://u@h/d?sslmode=require&password=***"
    assert mask_url("postgres://h/d") == "postgres://h/d"


@pytest.mark.parametrize("case", ["spark_reads_csv_and_parquet", "master_without_spark", "url_with_other_engine",
                                  "table_with_a_file"])
def test_engine_arguments_refused_before_any_work(case: str, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """Wrong combinations are one line and exit 2 before Spark or a connection starts."""
    csv = str(EXAMPLES / "land_lease.csv")
    argv, expect = {
        "spark_reads_csv_and_parquet": ([str(EXAMPLES / "memo_approval.xes"), "--engine", "spark"],
                                        "--engine spark reads CSV and Parquet"),
        "master_without_spark": ([csv, "--spark-master", "local[2]"], "--spark-master applies to --engine spark"),
        "url_with_other_engine": (["postgresql://u:secret-pw@localhost/db", "--table", "t", "--engine", "duckdb"],
                                  "summarised inside PostgreSQL"),
        "table_with_a_file": ([csv, "--table", "t"], "--table reads from a database"),
    }[case]
    code, out, err = _run(["discover", *argv, "-o", str(tmp_path / "m.bpmn")], capsys)
    assert code == 2 and out == "" and err.count("\n") == 1 and expect in err, err
    assert "secret-pw" not in err and not (tmp_path / "m.bpmn").exists()


def test_spark_keeps_file_order_across_a_folder_of_parts(loaded, spark, tmp_path: Path) -> None:
    """Events at the same time keep the files' order when the log is split over several Parquet files
    (SEPSIS has many such ties): the spark summary of the folder equals memory's of the single file."""
    import dataclasses

    parquet, df = loaded["SEPSIS.xes.gz"]
    assert df.duplicated([df.columns[0], df.columns[2]]).sum() > 1000  # the ties that make order matter
    folder = tmp_path / "parts"
    folder.mkdir()
    bounds = [0, len(df) // 3, 2 * len(df) // 3, len(df)]
    for i in range(3):  # cases straddle the files: a case's tied events may sit in two of them
        part = pa.Table.from_pandas(df.iloc[bounds[i]:bounds[i + 1]], preserve_index=False)
        pq.write_table(part, folder / f"part-{i}.parquet", coerce_timestamps="us", row_group_size=1000)
    memory, _ = build_summary(str(parquet), "memory")
    sp, _ = build_summary(str(folder), "spark")
    assert dataclasses.replace(sp, source=memory.source) == memory


def test_postgresql_timezone_reads_naive_text_times_in_the_zone(pg: PgCluster, tmp_path: Path) -> None:
    """--timezone with a database source: text times without an offset are local times of the zone,
    converted to UTC inside the server as the memory path converts them (DST gap and fold included)."""
    from engine_logs import DST_ROWS, check_dst_summary, write_dst

    pg.load_frame("dst_text", pd.DataFrame(DST_ROWS, columns=["case", "activity", "timestamp"]))
    opts = {"timezone": "Europe/Berlin"}
    mem, _ = build_summary(str(write_dst(tmp_path)), "memory", options=EngineOptions(**opts))
    in_pg, _ = build_summary(pg.url, "postgresql", options=EngineOptions(**opts, extra={"table": "dst_text"}))
    assert comparable(in_pg) == comparable(mem)
    check_dst_summary(in_pg)
    with pytest.raises(GosuprError, match="mix times with a zone offset"):
        build_summary(pg.url, "postgresql", options=EngineOptions(extra={"table": "dst_text"}))
