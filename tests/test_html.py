"""HTML reports: one self-contained file with the headline, both diagrams, findings, metrics, audit, charts."""

from __future__ import annotations

import copy
import re
import subprocess
import sys
from pathlib import Path

import lxml.html
import pytest

from gosupr.mining.compare.models import compare_models
from gosupr.pipeline import DiscoverResult, run_discover, run_reduce
from gosupr.report import diff_render, findings_render, reduce_render
from gosupr.report.html import (
    batch_input_html,
    compare_html,
    discover_html,
    reduce_html,
)
from material import needs_shared

ROOT = Path(__file__).resolve().parents[1]
MEMO = ROOT / "examples" / "logs" / "memo_approval.xes"
BPMN = ROOT.parent / "shared" / "data" / "bpmn"
CYRILLIC = re.compile("[А-Яа-яЁё]")
LATIN_WORD = re.compile("[A-Za-z]{2,}")


@pytest.fixture(scope="module")
def discovered(tmp_path_factory) -> DiscoverResult:
    return run_discover(MEMO, tmp_path_factory.mktemp("d") / "memo.bpmn", noise=0.2)


@pytest.fixture(scope="module")
def reduced(tmp_path_factory):
    return run_reduce(MEMO, tmp_path_factory.mktemp("r") / "to-be.bpmn", noise=0.2)


def _doc(html: str) -> lxml.html.HtmlElement:
    return lxml.html.document_fromstring(html.encode("utf-8"))


def _text(el: lxml.html.HtmlElement) -> str:
    return " ".join(el.text_content().split())


def _self_contained(html: str) -> None:
    doc = _doc(html)
    assert not doc.xpath("//script"), "no script"
    assert not doc.xpath("//link|//iframe|//object|//embed|//img"), "nothing loaded from elsewhere"
    for value in doc.xpath("//@src|//@href"):
        assert value.startswith("#"), f"only in-page links, got {value!r}"
    assert "xlink:href" not in html
    assert "http://" not in html and "https://" not in html
    assert "url(" not in html and "@import" not in html
    assert doc.xpath("//meta[@charset='utf-8']")
    csp = doc.xpath("//meta[@http-equiv='Content-Security-Policy']/@content")[0]
    assert csp.startswith("default-src 'none';") and "script" not in csp  # the browser refuses any script or fetch


def _diagrams(doc: lxml.html.HtmlElement) -> list:
    return doc.xpath("//section[@id='diagrams']//figure/svg")


def _highlighted(svg, element_id: str) -> str | None:
    g = svg.xpath(f".//g[@data-element='{element_id}']")
    assert g, f"{element_id} not drawn"
    return g[0].get("data-highlight")


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_discover_report(discovered, lang):
    html = discover_html(discovered, lang)
    _self_contained(html)
    doc = _doc(html)
    assert doc.get("lang") == lang
    red = discovered.reduction
    text = _text(doc)
    from gosupr.mining.waste.analyze import waste_totals

    assert findings_render.headline_text(waste_totals(discovered.findings, discovered.log), lang) in text
    assert reduce_render.headline_text(red, lang) in _text(doc.xpath("//div[@class='headline']")[0])
    # every finding's activities, in Cyrillic, in the findings table; one row per finding
    table = doc.xpath("//section[@id='findings']//table")[0]
    assert len(table.xpath(".//tbody/tr")) == len(discovered.findings)
    for f in discovered.findings:
        assert " → ".join(f.activities) in _text(table)
        assert CYRILLIC.search(f.activities[0])
    # before and after: two inline diagrams; the steps the to-be model lost are marked on the as-is
    as_is, to_be = _diagrams(doc)
    kept = {n.name for n in red.to_be.activities()}
    lost = [n for n in red.as_is.activities() if n.name not in kept]
    assert lost, "the example log has removable steps"
    for n in lost:
        assert _highlighted(as_is, n.id) in ("removable", "removed")
    had = {n.name for n in red.as_is.activities()}
    for n in red.to_be.activities():
        assert _highlighted(to_be, n.id) == (None if n.name in had else "added")
    # the metric table is the reduce renderer's, number for number
    metrics = doc.xpath("//section[@id='metrics']//table")[0]
    assert [[_text(td) for td in tr.xpath("td")] for tr in metrics.xpath(".//tbody/tr")] == reduce_render.metric_rows(red, lang)
    # charts: the duration histogram has bars of both series; one cost bar per costed finding
    charts = doc.xpath("//svg[@class='chart']")
    assert len(charts) == 2
    costed = [f for f in discovered.findings if f.time_cost_s and f.cases]
    assert len(charts[0].xpath("./rect[@rx]")) == min(len(costed), 15)
    colours = {r.get("fill") for r in charts[1].xpath("./rect[title]")}
    assert len(colours) == 2
    # the audit names the file and the rows read
    audit = _text(doc.xpath("//section[@id='audit']")[0])
    assert "memo_approval.xes" in audit and f"{discovered.log.audit.rows_read:,}" in audit


def test_russian_and_english_headings(discovered):
    ru = [_text(h) for h in _doc(discover_html(discovered, "ru")).xpath("//h2|//h3|//th")]
    en = [_text(h) for h in _doc(discover_html(discovered, "en")).xpath("//h2|//h3|//th")]
    assert "Находки" in ru and "До и после" in ru and "Журнал загрузки" in ru
    assert "Findings" in en and "Before / after" in en and "Ingestion audit" in en
    for h in ru:  # no English left in Russian headings (the CFC/CNC abbreviations aside)
        assert CYRILLIC.search(h), h
        assert not [w for w in LATIN_WORD.findall(h) if w not in ("CFC", "CNC", "P90")], h
    assert not any(CYRILLIC.search(h) for h in en)


def test_russian_findings_are_worded_in_russian(discovered):
    doc = _doc(discover_html(discovered, "ru"))
    messages = [_text(td) for td in doc.xpath("//section[@id='findings']//td[contains(@class,'msg')]")]
    assert len(messages) == len(discovered.findings)
    for f, m in zip(findings_render.grouped(discovered.findings), messages):
        assert m == findings_render.finding_message(f, "ru")
        assert m != f.message
        # only the activity labels carry letters other than Cyrillic
        rest = m
        for a in f.activities:
            rest = rest.replace(a, "")
        assert not LATIN_WORD.search(rest.replace("P85", "")), m


def test_reduce_report(reduced):
    html = reduce_html(reduced, "ru")
    _self_contained(html)
    doc = _doc(html)
    red = reduced.reduction
    assert reduce_render.headline_text(red, "ru") in _text(doc)
    assert len(_diagrams(doc)) == 2
    removed = doc.xpath("//section[@id='metrics']//table")[1]
    assert [[_text(td) for td in tr.xpath("td")] for tr in removed.xpath(".//tbody/tr")] == reduce_render.removed_rows(red, "ru")
    assert len(doc.xpath("//section[@id='findings']//tbody/tr")) == len(red.applied) + len(red.not_applied)


def test_report_is_deterministic(reduced):
    assert reduce_html(reduced, "en") == reduce_html(reduced, "en")


def test_labels_are_escaped(discovered):
    res = copy.copy(discovered)
    evil = copy.deepcopy(discovered.findings[0])
    evil.activities = ['<script>alert("x")</script> & «Проверка»', evil.activities[-1]]
    evil.message = "<img src=x onerror=alert(1)>"
    res.findings = [evil] + list(discovered.findings[1:])
    for lang in ("en", "ru"):
        html = discover_html(res, lang)
        doc = _doc(html)
        assert not doc.xpath("//script|//img")
        assert '<script>alert("x")</script> & «Проверка»' in _text(doc.xpath("//section[@id='findings']")[0])


@needs_shared
def test_compare_report_marks_removed_and_added():
    from gosupr.bpmn.reader import read_bpmn

    before, after = read_bpmn(BPMN / "A.2.0.bpmn"), read_bpmn(BPMN / "A.2.1.bpmn")
    diff = compare_models(before, after)
    diff.before_name, diff.after_name = "A.2.0.bpmn", "A.2.1.bpmn"
    html = compare_html(diff, before, after, "en")
    _self_contained(html)
    doc = _doc(html)
    assert diff_render.verdict(diff, "en") in _text(doc.xpath("//p[@class='headline']")[0])
    _old, new = _diagrams(doc)
    added = [c for c in diff.flows if c.change == "added"]
    assert added
    for c in added:
        assert _highlighted(new, c.after_id) == "added"
    titles = [_text(h) for h in doc.xpath("//section[@id='changes']/h3")]
    assert titles == [title for title, _h, _r in diff_render.sections(diff, "en")]


def test_compare_discovered_as_is_against_to_be(discovered):
    red = discovered.reduction
    diff = compare_models(red.as_is, red.to_be, log=discovered.log)
    html = compare_html(diff, red.as_is, red.to_be, "ru")
    _self_contained(html)
    doc = _doc(html)
    old, _new = _diagrams(doc)
    removed = [c for c in diff.elements if c.change == "removed" and c.kind == "task"]
    assert removed
    for c in removed:
        assert _highlighted(old, c.before_id) == "removed"
        assert c.name in _text(doc.xpath("//section[@id='changes']")[0])
    assert doc.xpath("//section[@id='cost']//svg[@class='chart']")  # the removed steps the log runs, costed


@needs_shared
def test_batch_page_of_a_model_and_of_a_log(discovered):
    from gosupr.bpmn.reader import read_bpmn
    from gosupr.mining.waste.analyze import lint_model

    model = read_bpmn(BPMN / "C.4.0.bpmn")
    findings = lint_model(model)
    html = batch_input_html("models/C.4.0.bpmn", "ru", model=model, findings=findings)
    _self_contained(html)
    doc = _doc(html)
    assert "models/C.4.0.bpmn" in _text(doc.xpath("//h1")[0])
    from gosupr.mining.waste.analyze import waste_totals

    assert _text(doc.xpath("//p[@class='headline']")[0]) == findings_render.headline_text(waste_totals(findings, None), "ru")
    assert len(doc.xpath("//section[@id='findings']//tbody/tr")) == len(findings) > 0
    html = batch_input_html(
        "logs/memo.xes", "en", model=discovered.model, findings=discovered.findings, log=discovered.log,
        reduction=discovered.reduction,
    )
    _self_contained(html)
    assert str(MEMO) not in html and "examples/logs" not in html  # named by its batch label only
    assert "logs/memo.xes" in _text(_doc(html).xpath("//section[@id='audit']")[0])


@needs_shared
def test_cli_compare_writes_the_html(tmp_path):
    out = tmp_path / "diff.html"
    r = subprocess.run(
        [sys.executable, "-m", "gosupr", "compare", str(BPMN / "A.2.0.bpmn"), str(BPMN / "A.2.1.bpmn"), "--html", str(out), "--lang", "ru"],
        check=False, capture_output=True, text=True, timeout=300,
    )
    assert r.returncode == 0, r.stderr
    doc = _doc(out.read_text(encoding="utf-8"))
    assert doc.get("lang") == "ru"
    assert _text(doc.xpath("//h1")[0]).startswith("Сравнение моделей")
