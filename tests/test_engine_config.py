"""Issue 15: `[engine]` in gosupr.toml (discover and batch), and a summary build's progress and resources.

The file chooses the engine as `--engine` does, each flag given overrides it, a typo is one line and
exit 2; a batch under `[engine]` summarises each log with that engine. A summary build tells its
stages, in order, to a progress callback; on a terminal they appear on stderr, never on stdout.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gosupr.batch import load_config, run_batch
from gosupr.engines import EngineOptions, build_summary
from gosupr.engines.config import EngineConfig, load_engine_config, parse_engine_section
from gosupr.errors import GosuprError

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "logs"
LOG = EXAMPLES / "land_lease.csv"  # cp1251, with a department column
PORTABLE_STAGES = ["scan", "order events", "directly-follows", "variants", "departments"]


def _gosupr(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gosupr", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=600)


def _toml(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# --- [engine] in gosupr.toml: the library ------------------------------------------------------------


def test_section_is_read_and_flags_override_it(tmp_path: Path) -> None:
    cfg = _toml(tmp_path / "gosupr.toml", '[analyze]\nmin_share = 0.1\n\n[engine]\nname = "spark"\n'
                'memory_limit = "2GB"\nthreads = 3\nspark_master = "spark://head:7077"\n')
    file = load_engine_config(cfg)
    assert file == EngineConfig("spark", "2GB", 3, "spark://head:7077")
    assert file.overridden() == file
    flags = file.overridden(name="duckdb", memory_limit="1GB")
    assert flags == EngineConfig("duckdb", "1GB", 3, None)  # the master applies to spark only
    assert file.overridden(threads=1).threads == 1
    assert file.overridden(database=True).name is None  # a postgresql:// source chooses its own engine
    opts = file.options(timezone="Europe/Moscow")
    assert opts == EngineOptions(memory_limit="2GB", threads=3, timezone="Europe/Moscow",
                                 extra={"spark_master": "spark://head:7077"})
    assert load_engine_config(_toml(tmp_path / "none.toml", "[analyze]\nmin_share = 0.1\n")) == EngineConfig()
    assert load_engine_config(None) == EngineConfig()


@pytest.mark.parametrize("text, words", [
    ('memory_limt = "4GB"', "unknown key 'engine.memory_limt' (did you mean 'memory_limit'?)"),
    ('name = "postgresql"', "'engine.name' must be one of memory, duckdb, spark"),
    ("memory_limit = 4", "'engine.memory_limit' must be a size in quotes"),
    ("threads = 0", "'engine.threads' must be a whole number"),
    ("threads = true", "'engine.threads' must be a whole number"),
    ('spark_master = ""', "'engine.spark_master' must be a master URL"),
])
def test_bad_section_is_one_error_naming_key_and_file(text: str, words: str) -> None:
    with pytest.raises(GosuprError) as e:
        parse_engine_section(dict(_parse(text)), "conf/gosupr.toml")
    assert words in str(e.value) and str(e.value).startswith("conf/gosupr.toml: ")
    assert "\n" not in str(e.value)


def _parse(text: str) -> dict:
    import tomllib

    return tomllib.loads(text)


# --- [engine] in gosupr.toml: discover ----------------------------------------------------------------


def test_file_sets_the_engine_of_discover(tmp_path: Path) -> None:
    cfg = _toml(tmp_path / "gosupr.toml", '[engine]\nname = "duckdb"\nmemory_limit = "1GB"\nthreads = 1\n')
    res = _gosupr("discover", str(LOG), "--config", str(cfg), "-o", "m.bpmn", "--format", "json", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert res.stderr == ""
    doc = json.loads(res.stdout)  # stdout is the one document, nothing else
    assert doc["schema"] == "gosupr.discover-summary/2"
    assert doc["engine"]["name"] == "duckdb"
    assert doc["engine"]["rows_scanned"] == doc["log"]["rows_read"] > 0
    assert doc["engine"]["peak_rss_mib"] > 0
    assert sorted(doc["engine"]) == ["name", "peak_rss_mib", "rows_scanned"]
    assert (tmp_path / "m.bpmn").is_file()


def test_flags_override_the_file(tmp_path: Path) -> None:
    # DuckDB refuses the file's memory limit: only a flag that overrides it lets the run succeed
    cfg = _toml(tmp_path / "gosupr.toml", '[engine]\nname = "duckdb"\nmemory_limit = "1XB"\n')
    bad = _gosupr("discover", str(LOG), "--config", str(cfg), "-o", "a.bpmn", "--format", "json", cwd=tmp_path)
    assert bad.returncode == 2 and "memory" in bad.stderr and len(bad.stderr.splitlines()) == 1
    limit = _gosupr("discover", str(LOG), "--config", str(cfg), "--memory-limit", "1GB", "-o", "b.bpmn",
                    "--format", "json", cwd=tmp_path)
    assert limit.returncode == 0, limit.stderr
    assert json.loads(limit.stdout)["engine"]["name"] == "duckdb"
    engine = _gosupr("discover", str(LOG), "--config", str(cfg), "--engine", "memory", "-o", "c.bpmn",
                     "--format", "json", cwd=tmp_path)
    assert engine.returncode == 0, engine.stderr
    assert json.loads(engine.stdout)["engine"]["name"] == "memory"
    assert (tmp_path / "b.bpmn").read_bytes() == (tmp_path / "c.bpmn").read_bytes()
    assert not (tmp_path / "a.bpmn").exists()


def test_unknown_key_is_one_line_exit_2_and_writes_nothing(tmp_path: Path) -> None:
    cfg = _toml(tmp_path / "typo.toml", '[engine]\nname = "duckdb"\nthread = 2\n')
    res = _gosupr("discover", str(LOG), "--config", str(cfg), "-o", "m.bpmn", cwd=tmp_path)
    assert res.returncode == 2
    assert res.stderr.splitlines() == [f"gosupr: error: {cfg}: unknown key 'engine.thread' (did you mean "
                                       "'threads'?); allowed here: memory_limit, name, spark_master, threads"]
    assert res.stdout == "" and not (tmp_path / "m.bpmn").exists()


def test_file_sets_the_engine_of_analyze_and_reduce_but_not_of_a_model(tmp_path: Path) -> None:
    cfg = _toml(tmp_path / "gosupr.toml", '[engine]\nname = "memory"\n')
    log = str(EXAMPLES / "memo_approval.xes")
    for argv in (["analyze", log], ["reduce", log]):
        res = _gosupr(*argv, "--config", str(cfg), "--format", "json", cwd=tmp_path)
        assert res.returncode == 0, res.stderr
        assert json.loads(res.stdout)["engine"]["name"] == "memory"  # the summary path (its own JSON key)
    plain = _gosupr("analyze", log, "--format", "json", cwd=tmp_path)
    assert plain.returncode == 0 and "engine" not in json.loads(plain.stdout)  # without the file: per-event
    model = _gosupr("analyze", str(EXAMPLES / "memo_approval.normative.bpmn"), "--config", str(cfg), "--format", "json",
                    cwd=tmp_path)
    assert model.returncode == 0, model.stderr
    assert "engine" not in json.loads(model.stdout)  # a model is linted, whatever [engine] says


# --- [engine] in a batch ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first 60 cases of an example log (UTF-8), fast to run."""
    import pandas as pd

    df = pd.read_csv(EXAMPLES / "construction_permit.csv", dtype=str)
    keep = df["case_id"].drop_duplicates().head(60)
    out = tmp_path_factory.mktemp("small") / "permit_small.csv"
    df[df["case_id"].isin(keep)].to_csv(out, index=False)
    return out


def test_batch_summarises_each_log_with_the_engine(tmp_path: Path, small_csv: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from gosupr.bpmn.writer import to_xml
    from gosupr.mining.waste import reduce_summary as rs
    from gosupr.mining.waste.reduce_summary import reduce_summary
    from gosupr.pipeline import run_discover_engine
    from gosupr.report.reduce_render import document as reduction_document

    accepted: list = []
    real = rs.reduce_summary

    def spy(*a, **k):  # the batch's accept must reach the reduction
        accepted.append(k.get("accept"))
        return real(*a, **k)

    monkeypatch.setattr(rs, "reduce_summary", spy)
    monkeypatch.chdir(tmp_path)
    cfg = _toml(tmp_path / "gosupr.toml", '[engine]\nname = "duckdb"\nmemory_limit = "1GB"\nthreads = 1\n\n'
                '[batch]\naccept = ["redundant_approval"]\n\n'
                "[fail_if]\nrows_dropped_share_above = 0.5\nfitness_below = 0.1\n")
    res = run_batch([str(small_csv)], config_path=str(cfg), out_dir="out", jobs=1)
    assert res.exit_code == 0, res.inputs
    (r,) = res.inputs
    assert r["status"] == "ok", r["reason"]
    assert sorted(r["outputs"]) == ["as_is", "discover", "findings", "reduction", "to_be"]
    assert r["engine"] == {"name": "duckdb", "rows_scanned": r["audit"]["rows_read"]}  # no peak memory: deterministic
    assert [(g["name"], g["passed"]) for g in r["gates"]] == [("fitness_below", True), ("rows_dropped_share_above", True)]
    out = tmp_path / "out"
    doc = json.loads((out / r["outputs"]["discover"]).read_text(encoding="utf-8"))
    assert doc["engine"]["name"] == "duckdb" and "peak_rss_mib" not in doc["engine"]
    assert doc["log"]["source"] == r["input"] and doc["output"] == r["outputs"]["as_is"]

    # the same as the memory engine's discover and reduce from its summary
    mem = run_discover_engine(str(small_csv), None, engine="memory", name="permit_small", commit=False,
                              with_reduction=False)
    red = reduce_summary(mem.summary, accept=["redundant_approval"], name="permit_small", facts=mem.facts,
                         findings=mem.findings, as_is=mem.model)
    assert r["headline"]["cases"] == mem.summary.cases and r["headline"]["events"] == mem.summary.events
    assert (out / r["outputs"]["as_is"]).read_bytes() == to_xml(mem.model)
    assert (out / r["outputs"]["to_be"]).read_bytes() == to_xml(red.to_be)
    found = json.loads((out / r["outputs"]["findings"]).read_text(encoding="utf-8"))
    assert found["findings"] == [f.to_dict() for f in mem.findings] and found["log"]["source"] == r["input"]
    assert r["findings"]["by_kind"].get("redundant_approval"), "the example's redundant approval is found"
    assert accepted[0] == ("redundant_approval",)
    reduction = json.loads((out / r["outputs"]["reduction"]).read_text(encoding="utf-8"))
    assert reduction["headline"] == reduction_document(red, {}, {})["headline"]
    assert r["headline"]["fitness"] == red.quality["to_be"]["fitness"]
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["settings"]["engine"] == {"name": "duckdb", "memory_limit": "1GB", "threads": 1}
    again = run_batch([str(small_csv)], config_path=str(cfg), out_dir="out2", jobs=1)
    assert again.exit_code == 0

    def tree(folder: Path) -> dict[str, bytes]:
        return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}

    assert tree(out) == tree(tmp_path / "out2")  # byte-identical: no peak memory without --timings


@pytest.mark.parametrize("text, words", [
    ('[engine]\nname = "duckdb"\n\n[regulation]\nmodel = "normative.bpmn"\n', "[regulation] checks each log"),
    ('[engine]\nnme = "duckdb"\n', "unknown key 'engine.nme'"),
    ('[engines]\nname = "duckdb"\n', "unknown key 'engines'"),
])
def test_batch_config_refuses_what_an_engine_cannot_give(tmp_path: Path, text: str, words: str) -> None:
    cfg = _toml(tmp_path / "gosupr.toml", text)
    with pytest.raises(GosuprError) as e:
        load_config(str(cfg))
    assert words in str(e.value) and str(cfg) in str(e.value)


def test_batch_config_without_a_name_keeps_the_per_event_path(tmp_path: Path) -> None:
    cfg = load_config(str(_toml(tmp_path / "gosupr.toml", '[engine]\nmemory_limit = "4GB"\n')))
    assert cfg.engine is None


# --- progress and resources ------------------------------------------------------------------------------


@pytest.mark.parametrize("engine, stages", [("memory", ["scan", "aggregate"]), ("duckdb", PORTABLE_STAGES)])
def test_progress_is_told_each_stage_in_order(engine: str, stages: list[str]) -> None:
    seen: list[str] = []
    counts: list[int] = []

    def progress(name: str, rows: int | None = None) -> None:
        seen.append(name)
        counts.extend([] if rows is None else [rows])

    summary, run = build_summary(str(LOG), engine, options=EngineOptions(memory_limit="1GB", threads=1),
                                 progress=progress)
    assert seen == stages
    assert counts == [summary.rows_scanned]  # the rows scanned, told once, when the engine knows them
    assert run.rows_scanned == summary.rows_scanned > 0 and run.peak_rss_mib > 0


def test_summary_steps_reach_the_stage_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """What a terminal would show (the line's texts, in order), without a terminal."""
    from gosupr import stages
    from gosupr.pipeline import run_discover_engine

    shown: list[str] = []
    monkeypatch.setattr(stages, "_show", shown.append)
    monkeypatch.setattr(stages, "_lang", "ru")
    monkeypatch.setattr(stages, "_stage", "")
    run_discover_engine(str(LOG), None, engine="duckdb", options=EngineOptions(threads=1), commit=False)
    head = "построение сводки журнала"
    rows = " · 6\u202f736 строк"  # land_lease.csv: 6,736 rows, from the scan on
    assert shown == [head, f"{head}: чтение строк", f"{head}: упорядочение событий в делах{rows}",
                     f"{head}: пары непосредственного следования{rows}", f"{head}: варианты{rows}",
                     f"{head}: пути (последовательности действий и подразделений){rows}", f"{head}: подразделения{rows}",
                     "построение модели", "поиск потерь", "построение целевого процесса и его оценка"]


def test_progress_on_a_terminal_goes_to_stderr_only(tmp_path: Path) -> None:
    """stderr a terminal: the summary's stages appear there; stdout is the JSON document alone."""
    import pty
    import threading

    master, slave = pty.openpty()
    got = bytearray()

    def drain() -> None:
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the child closed the terminal
                return
            if not chunk:
                return
            got.extend(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    env = {"PATH": "/usr/bin:/bin", "COLUMNS": "120"}
    p = subprocess.run([sys.executable, "-m", "gosupr", "discover", str(LOG), "--engine", "duckdb", "--threads", "1",
                        "-o", "m.bpmn", "--format", "json"], stdout=subprocess.PIPE, stderr=slave, env=env,
                       cwd=tmp_path, timeout=600)
    os.close(slave)
    reader.join(timeout=30)
    os.close(master)
    assert p.returncode == 0
    doc = json.loads(p.stdout.decode("utf-8"))
    assert doc["engine"]["name"] == "duckdb"
    err = got.decode("utf-8", "replace")
    for words in ("building the log summary: scanning rows", "building the log summary: variants",
                  "discovering the model"):
        assert words in err
    assert "building the log summary" not in p.stdout.decode("utf-8")
