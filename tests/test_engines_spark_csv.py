"""`--engine spark` reads CSV as gosupr reads it: the same summary as `--engine memory`.

The layout (delimiter, encoding, title lines, a date and a time column) comes from gosupr's own
sniffer; Spark decodes and splits the file with it. Dropped rows are counted alike, malformed
records (wrong number of fields) included. One local Spark session serves the module.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from engine_logs import AWKWARD, AWKWARD_DROPPED, check_dst_summary, write_awkward, write_dst
from gosupr.engines import EngineOptions, build_summary
from gosupr.engines.summary import LogSummary
from gosupr.errors import GosuprError

# pandas 3 deprecation notices raised inside pyspark and ibis, not by gosupr
pytestmark = [pytest.mark.filterwarnings("ignore:The copy keyword is deprecated:DeprecationWarning"),
              pytest.mark.filterwarnings("ignore:The 'future.infer_string' option is deprecated:DeprecationWarning")]

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "logs"


@pytest.fixture(scope="module")
def spark():
    """One local Spark session for the module (reused by the engine as the active session)."""
    pytest.importorskip("pyspark")
    from gosupr.engines.spark import start_session

    session = start_session("local[2]", driver_memory="1g", shuffle_partitions=1,
                            conf={"spark.sql.codegen.wholeStage": "false", "spark.sql.adaptive.enabled": "false"})
    yield session
    session.stop()


def _same(path: Path | str, options: EngineOptions | None = None) -> tuple[LogSummary, LogSummary]:
    mem, _ = build_summary(str(path), "memory", options=options)
    sp, _ = build_summary(str(path), "spark", options=options)
    assert sp.to_dict() == mem.to_dict()  # first: a readable diff
    assert sp == mem
    return mem, sp


@pytest.mark.slow
@pytest.mark.parametrize("name", ["land_lease.csv", "construction_permit.csv"])
def test_example_csv_summary_equals_memory(name: str, spark) -> None:
    """land_lease.csv: cp1251, `;`, CRLF, Russian headers, dd.mm.yyyy hh:mm; construction_permit: UTF-8."""
    mem, _ = _same(EXAMPLES / name)
    assert mem.events > 1000 and dict(mem.columns)["case"]


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(AWKWARD))
def test_awkward_csv_summary_equals_memory(name: str, spark, tmp_path: Path) -> None:
    """Title lines, Excel's sep= line, BOM, UTF-16, gzip, quoted line breaks, a joined date and time,
    malformed records, empty lines: the same rows kept and dropped, for the same reasons."""
    mem, sp = _same(write_awkward(tmp_path, name))
    assert sp.dropped == AWKWARD_DROPPED and sp.rows_scanned == 10
    assert dict(sp.columns)["timestamp"] == "Дата + Время"
    assert "Проверка\nдокументов" in {a.name for a in sp.activities}


@pytest.mark.slow
def test_csv_glob_equals_the_whole_file(spark, tmp_path: Path) -> None:
    """A cp1251 log split into files (each with its header, cases straddling them) read by a glob."""
    data = (EXAMPLES / "land_lease.csv").read_bytes()
    header, *rows = data.split(b"\r\n")
    rows = [r for r in rows if r]
    cut = [0, len(rows) // 3, 2 * len(rows) // 3, len(rows)]
    for i in range(3):
        (tmp_path / f"part-{i}.csv").write_bytes(b"\r\n".join([header, *rows[cut[i]:cut[i + 1]]]) + b"\r\n")
    mem, _ = build_summary(str(EXAMPLES / "land_lease.csv"), "memory")
    sp, _ = build_summary(str(tmp_path / "part-*.csv"), "spark")
    assert dataclasses.replace(sp, source=mem.source) == mem


@pytest.mark.slow
def test_timezone_reads_naive_times_in_the_zone(spark, tmp_path: Path) -> None:
    """--timezone with spark: naive local times to UTC across DST changes, as the memory path does."""
    _, sp = _same(write_dst(tmp_path), EngineOptions(timezone="Europe/Berlin"))
    check_dst_summary(sp)


@pytest.mark.parametrize("case", ["xes", "columns_differ", "gzip_without_gz", "unknown_zone"])
def test_refused_before_spark_starts(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What Spark cannot read as asked is one GosuprError naming the file, before any session starts."""
    pytest.importorskip("pyspark")
    import gzip

    options = None
    if case == "xes":
        source, expect = str(EXAMPLES / "memo_approval.xes"), "neither CSV nor Parquet"
    elif case == "columns_differ":
        (tmp_path / "a.csv").write_text("case;activity;timestamp;department\n1;x;01.02.2024 10:00;d\n")
        (tmp_path / "b.csv").write_text("case;activity;timestamp\n2;x;01.02.2024 10:00\n")
        source, expect = str(tmp_path / "*.csv"), "b.csv: its columns differ"
    elif case == "gzip_without_gz":
        (tmp_path / "log.csv").write_bytes(gzip.compress(b"case;activity;timestamp\n1;x;01.02.2024 10:00\n"))
        source, expect = str(tmp_path / "log.csv"), "not named .gz"
    else:
        source, expect = str(EXAMPLES / "land_lease.csv"), "unknown time zone"
        options = EngineOptions(timezone="Europe/Atlantis")
    from gosupr.engines import spark as engine

    def no_session(*_a: object, **_k: object) -> None:
        raise AssertionError("Spark was started before the input was checked")

    monkeypatch.setattr(engine, "spark_session", no_session)
    with pytest.raises(GosuprError, match=expect) as exc:
        build_summary(source, "spark", options=options)
    assert "\n" not in str(exc.value)
