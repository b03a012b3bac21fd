"""`gosupr batch` end to end: the example logs, a deliberately broken file and a real BPMN model.

Every output file is checked (summary.json fields, summary.md rows, junit.xml against the JUnit
schema in tests/data/junit), exit codes for passing and failing gates and a bad config, and
byte-identical output across two parallel runs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from lxml import etree

from gosupr.batch import load_config, run_batch
from gosupr.batch.config import glob_match
from gosupr.batch.inputs import expand_inputs
from gosupr.errors import GosuprError
from material import SHARED

ROOT = Path(__file__).resolve().parents[1]
XSD = ROOT / "tests" / "data" / "junit" / "jenkins-junit.xsd"
# a Signavio export with pools and lanes; without ../shared/data, the project's own licensing model with lanes
# (the argument given to batch from the repository root, and the label batch gives that input)
MODEL_ARG, MODEL = ((str(SHARED / "bpmn" / "C.1.0.bpmn"), "C.1.0.bpmn") if (SHARED / "bpmn" / "C.1.0.bpmn").is_file()
                    else ("tests/data/compare/before.bpmn", "tests/data/compare/before.bpmn"))
SMALL_LOG = "memo_approval.xes"
PERMIT = "construction_permit.csv"


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _truth(examples: Path) -> dict[str, dict]:
    out = {}
    for t in sorted(examples.glob("*.truth.json")):
        doc = json.loads(t.read_text(encoding="utf-8"))
        out[f"examples/logs/{doc['log']}"] = doc
    return out


def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD)))


@pytest.fixture(scope="module")
def small_csv(tmp_path_factory, examples_dir: Path) -> Path:
    """The first 80 cases of an example log: real waste (most cases carry a redundant approval), fast to run."""
    import pandas as pd

    df = pd.read_csv(examples_dir / PERMIT, dtype=str)
    keep = df["case_id"].drop_duplicates().head(80)
    out = tmp_path_factory.mktemp("small") / "permit_small.csv"
    df[df["case_id"].isin(keep)].to_csv(out, index=False)
    return out


@pytest.fixture(scope="module")
def full(tmp_path_factory, examples_dir: Path):
    """Two parallel runs over examples/logs + a broken CSV + a BPMN model, from the repo root."""
    tmp = tmp_path_factory.mktemp("batch")
    broken = _write(tmp / "broken.csv", "это не журнал событий\nпросто текст без столбцов\n")
    cfg = _write(
        tmp / "gosupr.toml",
        "[batch]\nnoise = 0.2\n\n[fail_if]\nremovable_share_above = 0.05\nfindings.kinds = [\"ping_pong\", \"fake-join\"]\n",
    )
    args = ["examples/logs", str(broken), MODEL_ARG]
    old = os.getcwd()
    os.chdir(ROOT)
    try:
        first = run_batch(args, config_path=str(cfg), out_dir=str(tmp / "out1"), jobs=2)
        second = run_batch(args, config_path=str(cfg), out_dir=str(tmp / "out2"), jobs=2)
    finally:
        os.chdir(old)
    return first, second, tmp


@pytest.mark.slow
def test_every_input_is_reported_and_a_bad_one_stops_nothing(full, examples_dir):
    res, _, _ = full
    truth = _truth(examples_dir)
    labels = [r["input"] for r in res.inputs]
    assert labels == sorted(labels)
    assert set(truth) <= set(labels), "every example log is an input"
    assert "broken.csv" in labels and MODEL in labels
    assert not any(lbl.endswith((".truth.json", ".md")) for lbl in labels)
    by = {r["input"]: r for r in res.inputs}
    assert by["broken.csv"]["status"] == "failed"
    assert "broken.csv" in by["broken.csv"]["reason"] and "/" not in by["broken.csv"]["reason"].split(":")[0]
    assert res.exit_code == 2  # a bad input outranks failed gates
    for label, doc in truth.items():
        r = by[label]
        assert r["status"] in ("ok", "gate-failed"), r["reason"]
        assert r["headline"]["cases"] == doc["cases"]
        assert r["headline"]["events"] == doc["events"]
        assert set(r["outputs"]) == {"as_is", "to_be", "findings", "reduction", "html"}
        share = r["headline"]["steps_removable_share"]
        gate = {g["name"]: g for g in r["gates"]}["removable_share_above"]
        assert gate["passed"] is (share <= 0.05)
        if "reform" not in doc:  # a waste example (not an after-reform period) carries well over 5%: the gate fails
            assert share > 0.05 and r["status"] == "gate-failed"
        kinds = {g["name"]: g for g in r["gates"]}["findings.kinds"]
        assert kinds["passed"] is not bool(r["findings"]["by_kind"].get("ping_pong") or r["findings"]["by_kind"].get("fake-join"))
    memo = by[f"examples/logs/{SMALL_LOG}"]
    assert memo["findings"]["by_kind"].get("ping_pong"), "memo_approval has an injected ping-pong"
    model = by[MODEL]
    assert model["kind"] == "model" and model["status"] in ("ok", "gate-failed")
    assert [g["name"] for g in model["gates"]] == ["findings.kinds"]  # log-only gates do not apply
    assert (model["status"] == "gate-failed") is bool(model["findings"]["by_kind"].get("fake-join"))
    assert model["headline"]["tasks"] > 0 and set(model["outputs"]) == {"findings", "html"}


@pytest.mark.slow
def test_summary_json(full):
    res, _, _ = full
    doc = json.loads((res.out_dir / "summary.json").read_text(encoding="utf-8"))
    assert doc["schema"] == "gosupr.batch/1"
    assert doc["tool"]["name"] == "gosupr" and doc["tool"]["pm4py"]
    assert doc["exit_code"] == res.exit_code == 2
    assert doc["config"] == "gosupr.toml"
    assert doc["gates"] == {"removable_share_above": 0.05, "findings": {"kinds": ["ping_pong", "fake-join"]}}
    assert doc["totals"]["inputs"] == len(doc["inputs"]) == doc["totals"]["ok"] + doc["totals"]["gate-failed"] + doc["totals"]["failed"]
    for r in doc["inputs"]:
        assert {"input", "kind", "status", "reason", "audit", "headline", "findings", "gates", "outputs"} <= set(r)
        assert (r["reason"] is None) == (r["status"] != "failed")
        for rel in r["outputs"].values():
            assert not Path(rel).is_absolute() and (res.out_dir / rel).is_file()
        if r["status"] != "failed":
            assert r["audit"]["source"] == r["input"]
            assert r["findings"]["total"] == sum(r["findings"]["by_kind"].values())
            findings = json.loads((res.out_dir / r["outputs"]["findings"]).read_text(encoding="utf-8"))
            assert len(findings["findings"]) == r["findings"]["total"]
    text = (res.out_dir / "summary.json").read_text(encoding="utf-8")
    assert str(ROOT) not in text and "/tmp" not in text and "/work/" not in text
    assert "Проверка оформления" in (res.out_dir / "memo_approval" / "findings.json").read_text(encoding="utf-8")


@pytest.mark.slow
def test_per_input_bpmn_files(full):
    from gosupr.bpmn.reader import read_bpmn

    res, _, _ = full
    for r in res.inputs:
        if r["kind"] != "log" or r["status"] == "failed":
            continue
        as_is = read_bpmn(res.out_dir / r["outputs"]["as_is"])
        to_be = read_bpmn(res.out_dir / r["outputs"]["to_be"])
        assert len(as_is.tasks()) == r["headline"]["tasks_before"]
        assert len(to_be.tasks()) == r["headline"]["tasks_after"]
        # the to-be process does not keep the redundant approval the truth names
    memo_to_be = read_bpmn(res.out_dir / "memo_approval" / "to-be.bpmn")
    assert "Визирование руководителем отдела" not in {n.name for n in memo_to_be.tasks()}


@pytest.mark.slow
def test_junit_valid_and_one_case_per_input_and_gate(full):
    res, _, _ = full
    doc = etree.parse(str(res.out_dir / "junit.xml"))
    schema = _schema()
    assert schema.validate(doc), schema.error_log
    suite = doc.getroot().find("testsuite")
    assert suite.get("name") == "gosupr"
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert len(cases) == len(suite.findall("testcase")) == int(suite.get("tests"))
    assert int(suite.get("failures")) == len(suite.findall("testcase/failure"))
    assert int(suite.get("errors")) == len(suite.findall("testcase/error"))
    assert int(suite.get("skipped")) == len(suite.findall("testcase/skipped"))
    for r in res.inputs:
        proc = cases[f"{r['input']} :: process"]
        err = proc.find("error")
        assert (err is not None) == (r["status"] == "failed")
        if err is not None:
            assert err.get("message") == r["reason"]
        for g in r["gates"]:
            fail = cases[f"{r['input']} :: gate {g['name']}"].find("failure")
            assert (fail is None) == g["passed"]
            if fail is not None:
                assert fail.get("message") == g["message"]
    skipped = [n for n in cases if n.startswith("broken.csv :: gate ")]
    assert sorted(skipped) == ["broken.csv :: gate findings.kinds", "broken.csv :: gate removable_share_above"]
    assert "time" not in doc.getroot().attrib and all("time" not in c.attrib for c in cases.values())


@pytest.mark.slow
def test_summary_md_has_a_row_per_input(full):
    res, _, _ = full
    md = (res.out_dir / "summary.md").read_text(encoding="utf-8")
    rows = [line for line in md.splitlines() if line.startswith("| `")]
    assert len(rows) == len(res.inputs)
    for r, row in zip(res.inputs, rows):
        assert row.startswith(f"| `{r['input']}` |")
    broken = next(row for row in rows if "broken.csv" in row)
    assert "failed" in broken
    assert "broken.csv" in md.split("### Problems", 1)[1]


@pytest.mark.slow
def test_two_parallel_runs_are_byte_identical(full):
    first, second, _ = full
    a, b = _tree(first.out_dir), _tree(second.out_dir)
    assert sorted(a) == sorted(b)
    assert {"summary.json", "summary.md", "junit.xml"} <= set(a)
    assert [k for k in a if a[k] != b[k]] == []


def test_exit_0_when_gates_pass_and_own_outputs_are_not_inputs(tmp_path, small_csv, monkeypatch):
    import shutil

    monkeypatch.chdir(tmp_path)
    shutil.copy(small_csv, tmp_path / small_csv.name)
    cfg = _write(tmp_path / "ok.toml", "[fail_if]\nremovable_share_above = 0.95\nfitness_below = 0.5\n")
    events = []
    res = run_batch(["."], config_path=str(cfg), out_dir="out", jobs=1, progress=events.append)
    assert res.exit_code == 0, res.inputs
    assert [(e.done, e.total, e.status) for e in events] == [(0, 1, "start"), (1, 1, "ok")]
    (r,) = res.inputs
    assert r["input"] == small_csv.name and r["status"] == "ok"
    assert [(g["name"], g["passed"]) for g in r["gates"]] == [("removable_share_above", True), ("fitness_below", True)]
    # the output folder sits inside the scanned folder: a rerun must not read its own BPMN files
    assert (tmp_path / "out" / "permit_small" / "as-is.bpmn").is_file()
    assert [i.label for i in expand_inputs(["."], exclude="out")] == [small_csv.name]
    assert "out/permit_small/as-is.bpmn" in [i.label for i in expand_inputs(["."])]


def test_analyze_and_accept_from_the_config_reach_every_input(tmp_path, small_csv, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = _write(tmp_path / "g.toml",
                 '[batch]\naccept = ["redundant_approval"]\n\n[analyze]\nkinds = ["redundant_approval", "self_loop"]\n')
    res = run_batch([str(small_csv)], config_path=str(cfg), out_dir="out", jobs=1)
    (r,) = res.inputs
    assert r["status"] == "ok", r["reason"]
    assert r["findings"]["by_kind"].get("redundant_approval"), "the example's redundant approval is found"
    assert set(r["findings"]["by_kind"]) <= {"redundant_approval", "self_loop"}
    red = json.loads((tmp_path / "out" / r["outputs"]["reduction"]).read_text(encoding="utf-8"))
    assert set(red["events_removed_by_kind"]) == {"redundant_approval"}
    assert {f["kind"] for f in red["removed"]} == {"redundant_approval"}


def test_timings_are_opt_in(tmp_path, small_csv, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = run_batch([str(small_csv)], config_path=None, out_dir="out", jobs=1, timings=True)
    doc = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert doc["seconds"] > 0 and doc["inputs"][0]["seconds"] > 0
    junit = etree.parse(str(tmp_path / "out" / "junit.xml"))
    assert _schema().validate(junit), _schema().error_log
    assert float(junit.getroot().find("testsuite").get("time")) == pytest.approx(res.seconds, abs=1e-3)
    assert "Time, s" in (tmp_path / "out" / "summary.md").read_text(encoding="utf-8")


def test_progress_lines_in_ci(monkeypatch):
    import io

    from gosupr.batch import ProgressEvent
    from gosupr.batch.progress import progress_reporter

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setenv("CI", "true")
    out = Tty()
    with progress_reporter(stream=out) as cb:
        cb(ProgressEvent(0, 2, "", "start"))
        cb(ProgressEvent(1, 2, "a.csv", "ok"))
        cb(ProgressEvent(2, 2, "b.csv", "failed", "b.csv: file not found"))
    assert out.getvalue().splitlines() == [
        "gosupr batch: 2 input(s)",
        "[1/2] a.csv ok",
        "[2/2] b.csv failed: b.csv: file not found",
    ]
    with progress_reporter(quiet=True) as cb:
        assert cb is None


def test_cli_exit_1_when_a_gate_fails(tmp_path, small_csv):
    cfg = _write(tmp_path / "strict.toml", "[fail_if]\nremovable_share_above = 0.05\n")
    out = tmp_path / "out"
    p = subprocess.run(
        [sys.executable, "-m", "gosupr.cli", "batch", str(small_csv), "--config", str(cfg), "--out", str(out), "--quiet"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "CI": "true"},
        cwd=tmp_path,
    )
    assert p.returncode == 1, p.stderr
    doc = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert doc["exit_code"] == 1 and doc["inputs"][0]["status"] == "gate-failed"
    assert _schema().validate(etree.parse(str(out / "junit.xml")))


def test_cli_exit_2_on_unknown_config_key(tmp_path, examples_dir):
    cfg = _write(tmp_path / "typo.toml", "[fail_if]\nfitness_bellow = 0.9\n")
    p = subprocess.run(
        [sys.executable, "-m", "gosupr.cli", "batch", str(examples_dir / SMALL_LOG), "--config", str(cfg), "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert p.returncode == 2
    assert "fail_if.fitness_bellow" in p.stderr and "typo.toml" in p.stderr and "Traceback" not in p.stderr


# -- config --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, key",
    [
        ("[fail_if]\nfitness_bellow = 0.9\n", "fail_if.fitness_bellow"),
        ("[fail_if.findings]\nkind = [\"ping_pong\"]\n", "fail_if.findings.kind"),
        ("[batch]\njobs = 2\n", "batch.jobs"),
        ("[gates]\nx = 1\n", "gates"),
        ("[columns.\"*.csv\"]\ncase_id = \"Номер\"\n", "columns.\"*.csv\".case_id"),
        ("[analyze]\nmin_shar = 0.1\n", "analyze.min_shar"),
        ("[analyze.rework]\nmin_repeatz = 2\n", "analyze.rework.min_repeatz"),
    ],
)
def test_unknown_keys_name_the_key_and_the_file(tmp_path, text, key):
    cfg = _write(tmp_path / "gosupr.toml", text)
    with pytest.raises(GosuprError) as e:
        load_config(str(cfg))
    assert key in str(e.value) and str(cfg) in str(e.value)


@pytest.mark.parametrize(
    "text, words",
    [
        ("[fail_if]\nfitness_below = 'high'\n", "fail_if.fitness_below"),
        ("[fail_if]\nremovable_share_above = 1.5\n", "from 0 to 1"),
        ("[fail_if]\nfindings.severity = \"critical\"\n", "high, medium, low"),
        ("[fail_if]\nfindings.kinds = [\"ping-pong\"]\n", "ping-pong"),
        ("[fail_if\n", "not valid TOML"),
    ],
)
def test_bad_values_are_errors(tmp_path, text, words):
    cfg = _write(tmp_path / "gosupr.toml", text)
    with pytest.raises(GosuprError) as e:
        load_config(str(cfg))
    assert words in str(e.value)


def test_no_inputs_and_out_as_a_file_are_errors(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(GosuprError, match="no inputs"):
        run_batch([], config_path=None, out_dir="out")
    _write(tmp_path / "taken", "")
    with pytest.raises(GosuprError, match="--out must be a folder"):
        run_batch([str(tmp_path)], config_path=None, out_dir="taken")


def test_bad_config_runs_nothing(tmp_path, examples_dir):
    cfg = _write(tmp_path / "bad.toml", "[fail_if]\nfitness_bellow = 0.9\n")
    with pytest.raises(GosuprError):
        run_batch([str(examples_dir)], config_path=str(cfg), out_dir=str(tmp_path / "out"))
    assert not (tmp_path / "out").exists()


def test_column_mapping_per_glob(tmp_path, examples_dir, monkeypatch):
    """A log with unrecognisable headers is read through the [columns."<glob>"] mapping."""
    import pandas as pd

    src = pd.read_csv(examples_dir / "construction_permit.csv")
    assert len(src.columns) >= 3
    renamed = src.rename(columns=dict(zip(src.columns[:3], ["A1", "B2", "C3"]))).head(600)
    (tmp_path / "ministry").mkdir()
    renamed.to_csv(tmp_path / "ministry" / "odd.csv", index=False)
    names = dict(zip(("case", "activity", "timestamp"), ["A1", "B2", "C3"]))
    body = "".join(f'{k} = "{v}"\n' for k, v in names.items())
    _write(tmp_path / "gosupr.toml", f'[batch]\npaths = ["ministry"]\n\n[columns."ministry/*.csv"]\n{body}')
    monkeypatch.chdir(tmp_path)
    conf = load_config(None)  # ./gosupr.toml is found by default
    assert conf.columns_for(tmp_path / "ministry" / "odd.csv") == names
    assert conf.columns_for(tmp_path / "other" / "odd.csv") is None
    res = run_batch([], config_path=None, out_dir="out", jobs=1)
    (r,) = res.inputs
    assert r["input"] == "ministry/odd.csv"
    assert r["status"] == "ok", r["reason"]
    assert r["headline"]["events"] == 600


# -- inputs --------------------------------------------------------------------------------------
def test_inputs_expand_sort_dedupe_and_skip(tmp_path, examples_dir, shared_data, monkeypatch):
    monkeypatch.chdir(examples_dir.parent)
    items = expand_inputs(["logs", "logs/*.csv", "logs/memo_approval.xes", "logs/nothing*.csv", "nope.csv"])
    labels = [i.label for i in items]
    assert labels == sorted(labels) and len(labels) == len(set(labels))
    assert {i.label for i in items if i.kind == "missing"} == {"logs/nothing*.csv", "nope.csv"}
    real = [i for i in items if i.kind != "missing"]
    assert {i.label for i in real} == {f"logs/{p.name}" for p in examples_dir.iterdir()
                                       if p.suffix in (".csv", ".xes", ".xlsx", ".bpmn")}
    assert len({i.stem for i in items}) == len(items)
    # outside the working folder: the shortest unique tail, never an absolute path
    bpmn = expand_inputs([str(shared_data / "bpmn" / "running-example.bpmn"), str(shared_data / "bpmn" / "A.1.0.bpmn")])
    assert [i.label for i in bpmn] == ["A.1.0.bpmn", "running-example.bpmn"] and all(i.kind == "model" for i in bpmn)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    _write(tmp_path / "a" / "x.csv", "")
    _write(tmp_path / "b" / "x.csv", "")
    monkeypatch.chdir(shared_data)
    same = expand_inputs([str(tmp_path / "a"), str(tmp_path / "b")])
    assert [i.label for i in same] == ["a/x.csv", "b/x.csv"]
    assert len({i.stem for i in same}) == 2


@pytest.mark.parametrize(
    "pattern, path, hit",
    [
        ("*.csv", "logs/minfin/a.csv", True),
        ("logs/*.csv", "logs/minfin/a.csv", False),
        ("logs/**/*.csv", "logs/minfin/a.csv", True),
        ("logs/**/*.csv", "logs/a.csv", True),
        ("logs/минфин/*.csv", "logs/минфин/отчёт.csv", True),
        ("logs/[ab].xes", "logs/c.xes", False),
    ],
)
def test_glob_match(pattern, path, hit):
    assert glob_match(pattern, path) is hit
