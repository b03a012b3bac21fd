"""The `gosupr` command end to end, as a user runs it: real files, exit codes, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from gosupr.bpmn.reader import read_bpmn
from material import DATA, OFFICE, SHARED, needs_shared

ROOT = Path(__file__).resolve().parents[1]


def gosupr(*args: str, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "gosupr", *map(str, args)],
        capture_output=True, text=True, cwd=cwd, env=env, timeout=600,
    )


def assert_one_line_error(p: subprocess.CompletedProcess, *fragments: str) -> None:
    assert p.returncode == 2, (p.returncode, p.stderr)
    lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, p.stderr
    assert "Traceback" not in p.stderr + p.stdout
    for frag in fragments:
        assert frag in lines[0], lines[0]


def test_help_lists_every_command():
    p = gosupr("--help")
    assert p.returncode == 0
    for cmd in ("discover", "analyze", "reduce", "compare", "render", "batch"):
        assert cmd in p.stdout


@pytest.mark.parametrize("path,cases,events", [
    (OFFICE.xes, OFFICE.cases, OFFICE.events),
    (OFFICE.csv, OFFICE.cases, OFFICE.events),
    *(pytest.param(SHARED / name, cases, events, marks=needs_shared, id=name) for name, cases, events in [
        ("logs/running-example.xes", 6, 42),
        ("logs/running-example.csv", 6, 42),
        ("logs/roadtraffic50traces.xes", 51, 201),
        ("logs/receipt.xes", 1434, 8577),
    ]),
], ids=lambda v: v.name if isinstance(v, Path) else None)
def test_discover_logs_json(tmp_path, path, cases, events):
    out = tmp_path / "model.bpmn"
    p = gosupr("discover", path, "-o", out, "--format", "json")
    assert p.returncode == 0, p.stderr
    assert p.stderr == ""  # nothing of pm4py's leaks
    doc = json.loads(p.stdout)
    assert doc["schema"] == "gosupr.discover/1"
    assert doc["tool"]["pm4py"].startswith("2.")
    assert doc["summary"]["cases"] == cases and doc["summary"]["events"] == events
    assert doc["log"]["rows_read"] == doc["log"]["rows_kept"] + doc["log"]["rows_dropped"]
    # round trip: the written model reads back with the tasks the log's activities name
    model = read_bpmn(out)
    assert {n.name for n in model.tasks()} <= set(doc_activities(path))
    assert doc["model"]["tasks"] == len(model.tasks())
    assert "reduction" in doc and 0.0 <= doc["reduction"]["quality"]["to_be"]["fitness"] <= 1.0


def doc_activities(path: Path) -> list[str]:
    from gosupr.ingest import read_log

    return read_log(path).activities


def test_discover_example_table_in_russian(examples_dir, tmp_path):
    out = tmp_path / "ll.bpmn"
    p = gosupr("discover", examples_dir / "land_lease.csv", "-o", out, "--lang", "ru")
    assert p.returncode == 0, p.stderr
    assert "Журнал загрузки" in p.stdout and "Регистрация заявления" in read_bytes_text(out)
    assert "cp1251" in p.stdout


def read_bytes_text(p: Path) -> str:
    return p.read_bytes().decode("utf-8")


def test_discover_is_deterministic(examples_dir, tmp_path):
    a, b = tmp_path / "a.bpmn", tmp_path / "b.bpmn"
    pa = gosupr("discover", examples_dir / "memo_approval.xes", "-o", a, "--format", "json", "--no-reduce")
    pb = gosupr("discover", examples_dir / "memo_approval.xes", "-o", b, "--format", "json", "--no-reduce")
    assert pa.returncode == pb.returncode == 0
    assert a.read_bytes() == b.read_bytes()
    assert pa.stdout.replace(str(a), "X") == pb.stdout.replace(str(b), "X")


def test_missing_file(tmp_path):
    p = gosupr("discover", tmp_path / "nope.csv", "-o", tmp_path / "x.bpmn")
    assert_one_line_error(p, "nope.csv")
    assert not (tmp_path / "x.bpmn").exists()


def test_empty_file(tmp_path):
    f = tmp_path / "empty.csv"
    f.write_text("")
    p = gosupr("discover", f, "-o", tmp_path / "x.bpmn")
    assert_one_line_error(p, "empty.csv")
    assert not (tmp_path / "x.bpmn").exists()


def test_not_a_log(tmp_path):
    f = tmp_path / "photo.csv"
    f.write_bytes(bytes(range(256)) * 64)
    p = gosupr("discover", f, "-o", tmp_path / "x.bpmn")
    assert_one_line_error(p, "photo.csv")


def test_no_usable_rows(tmp_path):
    f = tmp_path / "bad_dates.csv"
    f.write_text("case_id,activity,timestamp\n1,a,yesterday\n2,b,soon\n", encoding="utf-8")
    p = gosupr("discover", f, "-o", tmp_path / "x.bpmn")
    assert_one_line_error(p, "bad_dates.csv")


def test_missing_column_lists_headers(tmp_path):
    f = tmp_path / "cols.csv"
    f.write_text("Номер;Что;Когда\n1;a;27.11.2026 10:00\n", encoding="utf-8")
    p = gosupr("discover", f, "-o", tmp_path / "x.bpmn")
    assert_one_line_error(p, "cols.csv", "Номер")
    p2 = gosupr("discover", f, "-o", tmp_path / "x.bpmn", "--case", "Номер", "--activity", "Что", "--timestamp", "Когда",
                "-f", "json", "--no-reduce")
    assert p2.returncode == 0, p2.stderr
    assert json.loads(p2.stdout)["summary"]["events"] == 1


def test_input_never_overwritten(examples_dir, tmp_path):
    log = tmp_path / "log.xes"
    log.write_bytes((examples_dir / "memo_approval.xes").read_bytes())
    before = log.read_bytes()
    p = gosupr("discover", log, "-o", log)
    assert_one_line_error(p, "log.xes")
    assert log.read_bytes() == before


def test_analyze_json(examples_dir):
    p = gosupr("analyze", examples_dir / "construction_permit.csv", "--format", "json")
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert doc["schema"] == "gosupr.findings/2"
    kinds = {f["kind"] for f in doc["findings"]}
    assert {"duplicate_step", "redundant_approval"} <= kinds


@pytest.mark.parametrize("model", [DATA / "compare" / "before.bpmn", pytest.param(SHARED / "bpmn" / "C.2.0.bpmn", marks=needs_shared)],
                         ids=["before", "C.2.0"])
def test_analyze_model_rules_json(model):
    m = gosupr("analyze", model, "--format", "json")
    assert m.returncode == 0, m.stderr
    assert json.loads(m.stdout)["schema"] == "gosupr.findings/2"


def test_reduce_writes_both_models_and_markdown(examples_dir, tmp_path):
    to_be, as_is = tmp_path / "to-be.bpmn", tmp_path / "as-is.bpmn"
    p = gosupr("reduce", examples_dir / "memo_approval.xes", "-o", to_be, "--before", as_is, "--format", "markdown")
    assert p.returncode == 0, p.stderr
    assert "| Metric | As-is | To-be | Change |" in p.stdout
    assert len(read_bpmn(to_be).tasks()) < len(read_bpmn(as_is).tasks())


@pytest.mark.parametrize("a,b", [
    (DATA / "compare" / "before.bpmn", DATA / "compare" / "after_removed_approval.bpmn"),
    pytest.param(SHARED / "bpmn" / "A.2.0.bpmn", SHARED / "bpmn" / "A.2.1.bpmn", marks=needs_shared),
], ids=["removed_approval", "A.2.1"])
def test_compare_gate_and_bad_gate(a, b):
    same = gosupr("compare", a, a, "--fail-on", "any-change")
    assert same.returncode == 0, same.stderr
    changed = gosupr("compare", a, b, "--fail-on", "any-change", "--format", "json")
    assert changed.returncode == 1
    assert "any-change" in changed.stderr
    assert json.loads(changed.stdout)["schema"] == "gosupr.diff/2"
    bad = gosupr("compare", a, b, "--fail-on", "nonsense")
    assert_one_line_error(bad, "nonsense")


def test_render_svg_with_highlight(examples_dir, tmp_path):
    model, findings, svg = tmp_path / "m.bpmn", tmp_path / "f.json", tmp_path / "m.svg"
    assert gosupr("discover", examples_dir / "memo_approval.xes", "-o", model, "--no-reduce", "-f", "json").returncode == 0
    a = gosupr("analyze", examples_dir / "memo_approval.xes", "-f", "json")
    findings.write_text(a.stdout, encoding="utf-8")
    p = gosupr("render", model, "-o", svg, "--highlight", findings)
    assert p.returncode == 0, p.stderr
    from lxml import etree

    root = etree.fromstring(svg.read_bytes())
    marked = {
        "".join("".join(g.itertext()).split())
        for g in root.iter("{http://www.w3.org/2000/svg}g")
        if g.get("data-highlight") == "removable"
    }
    assert any("Визированиеруководителем" in m for m in marked), marked


def test_render_refuses_non_bpmn(tmp_path):
    f = tmp_path / "x.bpmn"
    f.write_text("<html><body>hi</body></html>")
    p = gosupr("render", f, "-o", tmp_path / "x.svg")
    assert_one_line_error(p, "x.bpmn")
    assert not (tmp_path / "x.svg").exists()
