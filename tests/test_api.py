"""The public Python API: every name documented, the documented example runs, `import gosupr`
stays light, and each function returns its typed result on an example log."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

import gosupr
from gosupr import pipeline
from gosupr.batch.task import Task
from gosupr.batch.worker import process_input
from gosupr.bpmn.model import ProcessModel
from gosupr.errors import GosuprError
from gosupr.eventlog import EventLog
from gosupr.mining.compare.models import ModelDiff
from gosupr.mining.findings import Finding, Findings
from gosupr.mining.waste.analyze import findings_document
from gosupr.mining.waste.reduce import Reduction

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "python-api.md"
EXAMPLES = ROOT / "examples" / "logs"
LOG = EXAMPLES / "land_lease.csv"
NORMATIVE = EXAMPLES / "land_lease.normative.bpmn"


def _doc() -> str:
    return DOC.read_text(encoding="utf-8")


def test_every_public_name_is_documented() -> None:
    """Each name in __all__ has its own `### `name` heading in docs/python-api.md."""
    headings = set(re.findall(r"^### `([A-Za-z_]\w*)", _doc(), flags=re.M))
    missing = [n for n in gosupr.__all__ if n not in headings]
    assert not missing, f"not documented in {DOC.name}: {missing}"
    assert set(gosupr.__all__) >= {"read_log", "discover", "analyze", "lint", "reduce", "compare", "render_svg",
                                   "read_bpmn", "write_bpmn", "EventLog", "ProcessModel", "Findings", "Reduction",
                                   "ModelDiff"}


def test_public_names_resolve_and_are_listed() -> None:
    for name in gosupr.__all__:
        assert getattr(gosupr, name) is not None
    assert set(gosupr.__all__) <= set(dir(gosupr))
    assert gosupr.Findings is Findings and gosupr.Reduction is Reduction and gosupr.ModelDiff is ModelDiff
    with pytest.raises(AttributeError, match="no_such_name"):
        gosupr.no_such_name  # noqa: B018


def test_documented_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    """The notebook-sized example, extracted from the doc and run in a fresh folder beside the examples."""
    blocks = re.findall(r"```python\n(.*?)```", _doc(), flags=re.S)
    assert blocks, "docs/python-api.md has no python example"
    (tmp_path / "examples").symlink_to(ROOT / "examples", target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    exec(compile(blocks[0], str(DOC), "exec"), {"__name__": "__doc_example__"})
    out = capsys.readouterr().out
    assert "tasks discovered" in out and "behavioural changes" in out
    svg = (tmp_path / "as-is.svg").read_text(encoding="utf-8")
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert isinstance(gosupr.read_bpmn(tmp_path / "to-be.bpmn"), ProcessModel)


def test_import_gosupr_is_light() -> None:
    """Neither `import gosupr` nor the CLI module (what `gosupr --help` loads) imports pandas or pm4py."""
    code = "\n".join([
        "import sys",
        "heavy = lambda: sorted({m.split('.')[0] for m in sys.modules} & {'pandas', 'pm4py', 'numpy'})",
        "import gosupr",
        "dir(gosupr)",
        "print(heavy())",
        "import gosupr.cli",
        "print(heavy())",
        "gosupr.Findings",  # a light type loads alone
        "print(heavy())",
    ])
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["[]", "[]", "[]"]


@pytest.fixture(scope="module")
def log() -> EventLog:
    return gosupr.read_log(LOG)


@pytest.fixture(scope="module")
def findings(log: EventLog) -> Findings:
    return gosupr.analyze(log)


def test_read_log_and_discover(log: EventLog) -> None:
    assert isinstance(log, EventLog) and log.n_cases == 400
    model = gosupr.discover(log)
    assert isinstance(model, ProcessModel)
    assert set() < {n.name for n in model.tasks()} <= set(log.activities)
    named = gosupr.read_log(LOG, case="Номер дела", activity="Операция", timestamp="Дата и время")
    assert named.n_events == log.n_events


def test_analyze_returns_findings_counted_in_one_place(log: EventLog, findings: Findings) -> None:
    assert isinstance(findings, Findings) and findings.source == LOG.name
    assert all(isinstance(f, Finding) for f in findings) and len(findings) > 0
    assert findings.by_kind == dict(sorted(Counter(f.kind for f in findings).items()))
    assert sum(findings.by_severity.values()) == len(findings) and list(findings.by_severity) == ["high", "medium", "low"]
    assert findings.counts()["removable"] == sum(f.removable for f in findings) > 0
    # the CLI's JSON counts by the same code
    doc = findings_document(list(findings), log)
    assert doc["headline"]["by_kind"] == findings.by_kind and doc["headline"]["by_severity"] == findings.by_severity
    assert [f.to_dict() for f in pipeline.run_analyze(LOG).findings] == findings.to_list()
    only = gosupr.analyze(log, kinds="waiting")
    assert set(only.by_kind) == {"waiting"} and only.by_kind["waiting"] == findings.by_kind["waiting"]
    assert findings.of_kind("waiting").to_list() == only.to_list()


def test_lint_returns_findings() -> None:
    model = gosupr.read_bpmn(NORMATIVE)
    assert isinstance(model, ProcessModel) and model.tasks()
    linted = gosupr.lint(model)
    assert isinstance(linted, Findings)
    via_path = gosupr.analyze(NORMATIVE)
    assert isinstance(via_path, Findings) and via_path.source == NORMATIVE.name
    assert via_path.to_list() == linted.to_list()


def test_reduce_compare_render_write(log: EventLog, findings: Findings, tmp_path: Path) -> None:
    red = gosupr.reduce(log, findings=findings)
    assert isinstance(red, Reduction) and red.verdict in ("no_loss", "loss", "insufficient_evidence")
    assert red.figures["events_removed"] == red.removal.events_removed > 0
    again = gosupr.reduce(LOG)  # from a path, analysing itself: the same reduction
    assert again.figures == red.figures
    diff = gosupr.compare(red.as_is, red.to_be)
    assert isinstance(diff, ModelDiff) and diff.behavioural_changes > 0
    removed = {c.name for c in diff.elements if c.change == "removed" and c.kind == "task"}
    assert removed and removed <= set(log.activities)
    svg = gosupr.render_svg(red.as_is, highlight=findings)
    plain = gosupr.render_svg(red.as_is)
    assert svg.startswith("<svg") and svg != plain  # the findings are coloured in
    a, b = gosupr.write_bpmn(red.as_is, tmp_path / "a.bpmn"), gosupr.write_bpmn(red.to_be, tmp_path / "b.bpmn")
    assert a == tmp_path / "a.bpmn" and b.is_file()
    by_path = gosupr.compare(a, b)
    assert (by_path.before_name, by_path.after_name) == ("a.bpmn", "b.bpmn")
    assert by_path.behavioural_changes == diff.behavioural_changes


def test_bad_input_is_a_gosupr_error(tmp_path: Path) -> None:
    with pytest.raises(gosupr.GosuprError):
        gosupr.read_log(tmp_path / "missing.csv")
    broken = tmp_path / "broken.bpmn"
    broken.write_text("<definitions", encoding="utf-8")
    with pytest.raises(GosuprError, match="broken.bpmn"):
        gosupr.read_bpmn(broken)
    with pytest.raises(GosuprError, match="unknown kind"):
        gosupr.analyze(tmp_path / "missing.csv", kinds=["no_such_kind"])


def test_batch_task_is_frozen_and_runs_a_model(tmp_path: Path) -> None:
    """Tasks travel to workers as a frozen dataclass; a model input counts its findings with Findings."""
    import dataclasses
    import pickle

    task = Task(label=NORMATIVE.name, kind="model", stem="m", out_dir=str(tmp_path), path=str(NORMATIVE))
    with pytest.raises(dataclasses.FrozenInstanceError):
        task.kind = "log"  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(task)) == task
    row = process_input(task)
    assert row["status"] == "ok" and row["findings"] == gosupr.lint(NORMATIVE).counts()
    doc = json.loads((tmp_path / "m" / "findings.json").read_text(encoding="utf-8"))
    assert doc["model"]["name"] == NORMATIVE.name
