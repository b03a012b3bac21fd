"""bpmn-moddle (the model layer of bpmn.io and Camunda Modeler) imports what gosupr writes without a warning.

Needs node and `npm install --prefix tests/js` (CI runs it); skipped only when node itself is absent.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from bpmn_io_samples import BPMN_FILES, ODD_TYPES_BPMN, chain_model, ministry_model
from gosupr.bpmn.reader import read_bpmn
from gosupr.bpmn.writer import write_bpmn
from material import needs_shared

JS = Path(__file__).resolve().parent / "js"
NODE = shutil.which("node")

pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed")


def moddle(paths: list[Path]) -> tuple[int, list[dict]]:
    if not (JS / "node_modules" / "bpmn-moddle").is_dir():
        pytest.fail(f"bpmn-moddle missing: run `npm ci --prefix {JS}` (or npm install)")
    proc = subprocess.run(
        [NODE, str(JS / "check-moddle.mjs"), *map(str, paths)], capture_output=True, text=True, timeout=120
    )
    return proc.returncode, json.loads(proc.stdout)


def assert_clean(paths: list[Path]) -> None:
    code, results = moddle(paths)
    problems = {Path(r["file"]).name: (r["error"], r["warnings"]) for r in results if r["error"] or r["warnings"]}
    assert not problems, problems
    assert code == 0 and len(results) == len(paths)
    assert all(r["root"] == "bpmn:Definitions" for r in results)


def test_checker_reports_warnings(tmp_path):
    """The check is not vacuous: a dangling reference and an unknown attribute are caught."""
    bad = tmp_path / "bad.bpmn"
    bad.write_text(
        '<?xml version="1.0" encoding="UTF-8"?><bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"'
        ' id="d" targetNamespace="t"><bpmn:process id="p"><bpmn:task id="t" colour="red">'
        "<bpmn:incoming>nowhere</bpmn:incoming></bpmn:task></bpmn:process></bpmn:definitions>",
        encoding="utf-8",
    )
    code, results = moddle([bad])
    assert code == 1
    text = " ".join(results[0]["warnings"])
    assert "unresolved reference <nowhere>" in text and "unknown attribute <colour>" in text


@needs_shared
def test_corpus_rewritten_by_gosupr_imports_cleanly(tmp_path):
    paths = []
    for src in BPMN_FILES:
        out = tmp_path / src.name
        write_bpmn(read_bpmn(src), out)
        paths.append(out)
    assert_clean(paths)


@needs_shared
def test_corpus_laid_out_by_gosupr_imports_cleanly(tmp_path):
    paths = []
    for src in BPMN_FILES:
        m = read_bpmn(src)
        m.diagrams = []
        out = tmp_path / f"laid-{src.name}"
        write_bpmn(m, out)
        paths.append(out)
    assert_clean(paths)


def test_built_cyrillic_models_import_cleanly(tmp_path):
    ministry, chain, odd = tmp_path / "министерство.bpmn", tmp_path / "chain.bpmn", tmp_path / "odd.bpmn"
    write_bpmn(ministry_model(), ministry)
    write_bpmn(chain_model(60, loops=4), chain)
    write_bpmn(read_bpmn(ODD_TYPES_BPMN, name="odd.bpmn"), odd)
    assert "Министерство «Цифра»" in ministry.read_text(encoding="utf-8")
    assert_clean([ministry, chain, odd])
