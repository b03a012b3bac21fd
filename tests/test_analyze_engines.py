"""`analyze --engine`: the waste findings from a log summary are the same whichever engine built it,
and they agree with the per-event analysis wherever the summary is exact (counts, outcomes, verdicts)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from tests.material import DATA, EXAMPLES, SHARED, needs_shared

from gosupr.engines import EngineOptions, build_summary
from gosupr.ingest import read_log
from gosupr.mining.waste.analyze import analyze_log
from gosupr.mining.waste.analyze_summary import ENGINE_KEY, SummaryAnalyzeResult, analyze_summary, summary_findings_document

LOGS = [DATA / "logs" / "office.csv", *(EXAMPLES / n for n in (
    "land_lease.csv", "construction_permit.csv", "memo_approval.xes", "land_lease_journal.xlsx"))]
SHARED_LOGS = [pytest.param(SHARED / "logs" / n, marks=needs_shared, id=n) for n in (
    "SEPSIS.xes.gz", "DomesticDeclarations.xes.gz", "receipt.xes", "running-example.csv", "roadtraffic50traces.xes")]
#: kinds whose verdict reads times (gaps, intervals): a summary keeps per-path means, not each case's times
TIMED = {"waiting", "periodic_repeat"}


def _document(path: Path, engine: str) -> dict:
    options = EngineOptions(paths=True, memory_limit="1GB", threads=1)
    summary, run = build_summary(str(path), engine, options=options)
    findings, facts = analyze_summary(summary)
    doc = summary_findings_document(SummaryAnalyzeResult(summary, run, findings, facts))
    assert doc.pop(ENGINE_KEY)["name"] == engine
    return doc


@pytest.mark.parametrize("path", [*LOGS, *SHARED_LOGS], ids=lambda p: getattr(p, "name", str(p)))
def test_findings_identical_across_engines(path: Path) -> None:
    mem = _document(path, "memory")
    assert mem["log"]["computed_from"] == "log summary (paths)" and "per-path means" in mem["log"]["exactness"]
    assert mem == _document(path, "duckdb")


@pytest.mark.parametrize("path", LOGS, ids=lambda p: p.name)
def test_summary_findings_agree_with_the_per_event_ones_where_exact(path: Path) -> None:
    """Case counts, verdicts and what a removal takes out rest on counts and outcomes, which the
    summary keeps exactly; only the kinds that read times may differ."""
    log = read_log(str(path))
    summary, _ = build_summary(str(path), "memory", options=EngineOptions(paths=True))
    got, _ = analyze_summary(summary)
    want = analyze_log(log)

    def key(fs: list) -> dict:
        return {(f.kind, tuple(f.activities)): (f.cases, f.verdict, f.events_removed, f.cases_touched)
                for f in fs if f.kind not in TIMED and f.evidence.get("between") != "departments"}

    assert key(got) == key(want)
    assert any(f.cases for f in got)


def _gosupr(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gosupr", *args], cwd=cwd, capture_output=True, text=True, timeout=600)


def test_cli_json_identical_across_engines_and_clean(tmp_path: Path) -> None:
    docs = {}
    for engine in ("memory", "duckdb"):
        res = _gosupr("analyze", str(EXAMPLES / "land_lease.csv"), "--engine", engine, "--format", "json",
                      "--memory-limit", "1GB", cwd=tmp_path)
        assert res.returncode == 0, res.stderr
        assert res.stderr == ""
        doc = json.loads(res.stdout)
        assert doc["schema"] == "gosupr.findings/2" and doc[ENGINE_KEY]["rows_scanned"] == doc["log"]["rows_read"]
        del doc[ENGINE_KEY]
        docs[engine] = doc
    assert docs["memory"] == docs["duckdb"]
    assert docs["memory"]["findings"] and docs["memory"]["headline"]["cases"] == docs["memory"]["log"]["cases"]
    assert list(tmp_path.iterdir()) == []  # analyze writes nothing


def test_cli_bad_engine_source_is_one_line(tmp_path: Path) -> None:
    res = _gosupr("analyze", str(tmp_path / "missing.parquet"), "--engine", "duckdb", cwd=tmp_path)
    assert res.returncode == 2 and len(res.stderr.strip().splitlines()) == 1 and "Traceback" not in res.stderr


# -- reduce --engine --------------------------------------------------------------------------------
EXACT_FIGURES = ("verdict", "events_removed", "events_removed_share", "removed_steps", "cases_touched", "cases_removed",
                 "held_back", "outcome_preserved_share", "outcome_tv_distance", "tasks_before", "tasks_after",
                 "fitness_as_is", "fitness_to_be")


def _reduction(path: Path, engine: str):
    from gosupr.mining.waste.reduce_summary import reduce_summary

    summary, _ = build_summary(str(path), engine, options=EngineOptions(paths=True, memory_limit="1GB", threads=1))
    return reduce_summary(summary)


@pytest.mark.parametrize("path", LOGS[:4], ids=lambda p: p.name)
def test_reduction_from_a_summary_agrees_with_the_per_event_one(path: Path) -> None:
    """What is removed, the verdict, the outcomes and both models' fitness rest on counts: exact."""
    from gosupr.mining.waste.reduce import reduce_process
    from gosupr.report.reduce_render import document_body

    got = _reduction(path, "memory")
    want = reduce_process(read_log(str(path)))
    assert {k: got.figures[k] for k in EXACT_FIGURES} == {k: want.figures[k] for k in EXACT_FIGURES}
    assert got.quality["activity_loss"] == want.quality["activity_loss"]
    assert got.removal.events_removed_by_kind == want.removal.events_removed_by_kind
    assert document_body(got)["after"]["work"]["duration_method"].startswith("per-path means")


@pytest.mark.parametrize("path", [LOGS[1], *SHARED_LOGS[:2]], ids=lambda p: getattr(p, "name", str(p)))
def test_reduction_identical_across_engines(path: Path) -> None:
    from gosupr.report.reduce_render import document_body

    assert document_body(_reduction(path, "memory")) == document_body(_reduction(path, "duckdb"))


def test_cli_reduce_engine_writes_both_models_and_refuses_what_needs_events(tmp_path: Path) -> None:
    log = str(EXAMPLES / "land_lease.csv")
    res = _gosupr("reduce", log, "--engine", "duckdb", "-o", "to-be.bpmn", "--before", "as-is.bpmn", "--format", "json",
                  cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert res.stderr == ""
    doc = json.loads(res.stdout)
    assert doc["schema"] == "gosupr.reduction/2" and doc[ENGINE_KEY]["name"] == "duckdb"
    assert doc["log"]["computed_from"] == "log summary (paths)" and doc["outputs"]["to_be_log"] is None
    assert (tmp_path / "to-be.bpmn").read_bytes().startswith(b"<?xml") and (tmp_path / "as-is.bpmn").exists()
    res = _gosupr("reduce", log, "--engine", "duckdb", "--to-be-log", "x.csv", "-o", "other.bpmn", cwd=tmp_path)
    assert res.returncode == 2 and "--to-be-log is not available with --engine" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "x.csv").exists() and not (tmp_path / "other.bpmn").exists()


def test_cli_engine_on_a_model_says_models_are_linted(tmp_path: Path) -> None:
    res = _gosupr("analyze", str(EXAMPLES / "land_lease.normative.bpmn"), "--engine", "duckdb", cwd=tmp_path)
    assert res.returncode == 2 and "a .bpmn model is linted without it" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
