"""BPMN pictures: every real file draws, labels survive wrapping, highlights land on the right steps."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest
from lxml import etree

from gosupr.bpmn.model import Bounds, Diagram, Flow, Lane, Node, Participant, ProcessModel
from gosupr.errors import GosuprError
from gosupr.mining.findings import Finding
from gosupr.report.svg import Highlight, render_svg
from gosupr.report.svg_highlight import flows_between
from material import DATA, EXAMPLES, needs_shared

SAFE = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
SHARED_BPMN = sorted((Path(__file__).resolve().parents[2] / "shared" / "data" / "bpmn").glob("*.bpmn"))


def _parse(svg: str) -> etree._Element:
    root = etree.fromstring(svg.encode("utf-8"), SAFE)
    assert etree.QName(root).localname == "svg"
    return root


def _norm(s: str) -> str:
    return " ".join(s.split())


def _group(root: etree._Element, element_id: str) -> etree._Element | None:
    found = [g for g in root.iter("{http://www.w3.org/2000/svg}g") if g.get("data-element") == element_id]
    assert len(found) <= 1, f"{element_id} drawn twice"
    return found[0] if found else None


def _text_of(g: etree._Element) -> str:
    """Joined text of a group's <text> elements: wrapped labels are split over <tspan>s."""
    texts = g.iter("{http://www.w3.org/2000/svg}text")
    return _norm(" ".join(" ".join(t.itertext()) for t in texts))


def _squash(s: str) -> str:
    """Wrapping may split a long word without a space: compare labels without whitespace."""
    return re.sub(r"\s+", "", s)


def _viewbox(root: etree._Element) -> tuple[float, float, float, float]:
    x, y, w, h = (float(v) for v in root.get("viewBox").split())
    return x, y, x + w, y + h


def _read(path: Path) -> ProcessModel:
    from gosupr.bpmn.reader import read_bpmn

    return read_bpmn(path)


def office_model() -> ProcessModel:
    """A ministry process drawn by hand: a pool with two lanes, Cyrillic names, a loop back."""
    m = ProcessModel(name="Выдача справки")
    m.participants["pool"] = Participant("pool", "Министерство социального развития", "p1")
    m.lanes["l1"] = Lane("l1", "Канцелярия", "p1")
    m.lanes["l2"] = Lane("l2", "Отдел проверки", "p1")
    dg = Diagram("d")
    dg.shapes["pool"] = Bounds(0, 0, 900, 320, horizontal=True)
    dg.shapes["l1"] = Bounds(30, 0, 870, 160, horizontal=True)
    dg.shapes["l2"] = Bounds(30, 160, 870, 160, horizontal=True)

    def node(nid: str, typ: str, name: str, x: float, y: float, w: float, h: float, lane: str, **attrs) -> None:
        m.add_node(Node(nid, typ, name, "p1", None, lane, attrs))
        dg.shapes[nid] = Bounds(x, y, w, h)

    def flow(fid: str, a: str, b: str, wps: list[tuple[float, float]], name: str = "") -> None:
        m.add_flow(Flow(fid, a, b, "sequence", name, process="p1"))
        dg.edges[fid] = wps

    node("s", "startEvent", "Заявление получено", 90, 62, 36, 36, "l1", event_definitions=["message"])
    node("t1", "userTask", "Регистрация заявления в журнале входящей корреспонденции", 170, 40, 120, 80, "l1")
    node("g1", "exclusiveGateway", "Полный комплект?", 330, 55, 50, 50, "l1", default="f4")
    node("t2", "task", "Проверка документов «Ж/Ш/Щ» & <подписи>", 420, 200, 120, 80, "l2")
    node("t3", "task", "Повторная проверка", 600, 200, 120, 80, "l2")
    node("t4", "task", "Выдача справки", 600, 40, 120, 80, "l1")
    node("e", "endEvent", "Справка выдана", 780, 62, 36, 36, "l1")
    node("tm", "boundaryEvent", "3 дня", 262, 102, 36, 36, "l1", attached_to="t1", event_definitions=["timer"], cancel_activity=False)
    flow("f1", "s", "t1", [(126, 80), (170, 80)])
    flow("f2", "t1", "g1", [(290, 80), (330, 80)])
    flow("f3", "g1", "t2", [(355, 105), (355, 240), (420, 240)], "нет")
    flow("f4", "g1", "t4", [(380, 80), (600, 80)], "да")
    flow("f5", "t2", "t3", [(540, 240), (600, 240)])
    flow("f6", "t3", "t2", [(660, 280), (660, 300), (480, 300), (480, 280)])
    flow("f7", "t3", "t4", [(660, 200), (660, 120)])
    flow("f8", "t4", "e", [(720, 80), (780, 80)])
    m.diagrams.append(dg)
    return m


# -- real files from other tools ------------------------------------------------------------------


@needs_shared
def test_shared_files_are_there():
    assert len(SHARED_BPMN) >= 10


# the project's own models with DI (bpmn.io style, and gosupr's writer): every clone has them
OWN_BPMN = sorted((DATA / "compare").glob("*.bpmn")) + sorted(EXAMPLES.glob("*.normative.bpmn")) + [DATA / "logs" / "office.bpmn"]


@pytest.mark.parametrize("path", OWN_BPMN + SHARED_BPMN, ids=lambda p: p.name)
def test_every_bpmn_renders_with_each_task_label(path: Path):
    model = _read(path)
    assert model.diagrams, f"{path.name} carries DI"
    drawn: set[str] = set()
    for i, dg in enumerate(model.diagrams):
        root = _parse(render_svg(model, diagram_index=i))
        x0, y0, x1, y1 = _viewbox(root)
        for nid, b in dg.shapes.items():
            if nid not in model.nodes:
                continue
            # the picture frames every shape it draws, negative coordinates included
            assert x0 <= b.x and y0 <= b.y and b.x + b.width <= x1 and b.y + b.height <= y1, (path.name, nid)
        for task in model.activities():
            if task.id not in dg.shapes:
                continue
            g = _group(root, task.id)
            assert g is not None, f"{path.name}: {task.id} not drawn"
            drawn.add(task.id)
            if task.name.strip():
                assert _squash(task.name) in _squash(_text_of(g)), (path.name, task.name, _text_of(g))
    shaped = {t.id for t in model.activities() if any(t.id in dg.shapes for dg in model.diagrams)}
    assert drawn == shaped
    assert any(t.kind == "task" for t in model.activities() if t.id in drawn)


@pytest.mark.parametrize("name", ["B.2.0.bpmn", "C.2.0.bpmn", "A.4.0.bpmn"])
def test_shapes_of_every_kind_are_drawn(name: str, shared_data: Path):
    """Events as circles, gateways as diamonds, pools and lanes with their names, message flows dashed."""
    model = _read(shared_data / "bpmn" / name)
    root = _parse(render_svg(model))
    svg = "{http://www.w3.org/2000/svg}"
    for n in model.nodes.values():
        if n.id not in model.diagrams[0].shapes:
            continue
        g = _group(root, n.id)
        assert g is not None, n.id
        if n.kind == "event":
            assert g.find(f"{svg}circle") is not None, n.id
        elif n.kind == "gateway":
            assert g.find(f"{svg}polygon") is not None, n.id
    for f in model.message_flows():
        g = _group(root, f.id)
        if g is not None:
            assert g.find(f"{svg}path").get("stroke-dasharray"), f.id
    for container in list(model.participants.values()) + list(model.lanes.values()):
        g = _group(root, container.id)
        if g is not None and container.name.strip():
            assert _squash(container.name) in _squash(_text_of(g)), container.name


def test_end_events_thick_start_thin_intermediate_double(shared_data: Path):
    model = _read(shared_data / "bpmn" / "B.2.0.bpmn")
    root = _parse(render_svg(model))
    svg = "{http://www.w3.org/2000/svg}"
    seen = set()
    for n in model.events():
        g = _group(root, n.id)
        if g is None:
            continue
        circles = g.findall(f"{svg}circle")
        width = float(circles[0].get("stroke-width"))
        if n.type == "startEvent":
            assert width < 2 and len(circles) == 1 or n.attrs.get("event_definitions")
        elif n.type == "endEvent":
            assert width >= 3
        else:
            assert len(circles) >= 2
        seen.add(n.type)
    assert {"startEvent", "endEvent", "boundaryEvent"} <= seen


def test_model_without_diagram_is_laid_out(shared_data: Path):
    model = _read(shared_data / "bpmn" / "running-example.bpmn")
    bare = copy.deepcopy(model)
    bare.diagrams = []
    root = _parse(render_svg(bare))
    for t in bare.tasks():
        g = _group(root, t.id)
        assert g is not None and _squash(t.name) in _squash(_text_of(g))


def test_bad_diagram_index_is_a_user_error(shared_data: Path):
    model = _read(shared_data / "bpmn" / "A.1.0.bpmn")
    with pytest.raises(GosuprError, match="diagram 5"):
        render_svg(model, diagram_index=5)


# -- hand-made model: Cyrillic, escaping, extents, determinism ---------------------------------


def test_cyrillic_labels_are_utf8_text_and_wrapped_whole():
    m = office_model()
    svg = render_svg(m, title="Выдача справки")
    root = _parse(svg)
    assert "Регистрация" in svg and "&#" not in svg  # real characters, not character references
    for n in m.nodes.values():
        g = _group(root, n.id)
        assert g is not None
        assert _squash(n.name) in _squash(_text_of(g)), n.name
    long = _group(root, "t1")
    assert len(long.findall(".//{http://www.w3.org/2000/svg}tspan")) >= 3  # wrapped inside a 120 px box
    assert "&amp;" in svg and "&lt;подписи&gt;" in svg
    assert "DejaVu Sans" in root.get("font-family")
    for container in ("pool", "l1", "l2"):
        assert _text_of(_group(root, container))


def test_names_with_line_breaks_and_control_characters_still_parse():
    m = office_model()
    m.nodes["t4"].name = "Выдача\nсправки\x01 заявителю"
    root = _parse(render_svg(m))
    assert _text_of(_group(root, "t4")) == "Выдача справки заявителю"


def test_viewbox_follows_negative_coordinates():
    m = office_model()
    dg = m.diagrams[0]
    for key, b in list(dg.shapes.items()):
        dg.shapes[key] = Bounds(b.x - 1000, b.y - 500, b.width, b.height, b.expanded, b.horizontal)
    dg.edges = {k: [(x - 1000, y - 500) for x, y in v] for k, v in dg.edges.items()}
    x0, y0, x1, y1 = _viewbox(_parse(render_svg(m)))
    assert x0 <= -1000 and y0 <= -500
    assert x1 >= -1000 + 900 and y1 >= -500 + 320
    assert x1 < 0 and y1 < 0  # nothing beyond the drawing


def test_same_model_gives_same_bytes():
    hl = Highlight.from_findings([Finding("self_loop", ["Повторная проверка"], cases=3)])
    a = render_svg(office_model(), highlight=hl, lang="ru")
    b = render_svg(copy.deepcopy(office_model()), highlight=hl, lang="ru")
    assert a == b


def test_real_file_renders_deterministically(shared_data: Path):
    path = shared_data / "bpmn" / "C.1.0.bpmn"
    assert render_svg(_read(path)) == render_svg(_read(path))


# -- highlights ----------------------------------------------------------------------------------


def _findings() -> list[Finding]:
    return [
        Finding("duplicate_check", ["Повторная проверка"], cases=10, removable=True),
        Finding("ping_pong", ["Проверка документов «Ж/Ш/Щ» & <подписи>", "Повторная проверка"], cases=5),
        Finding("waiting", ["Регистрация заявления в журнале входящей корреспонденции", "Выдача справки"], cases=50, time_cost_s=3600),
        Finding("waiting", ["Заявление получено", "Регистрация заявления в журнале входящей корреспонденции"], cases=50, time_cost_s=600),
    ]


def test_findings_colour_the_right_steps_and_flows():
    m = office_model()
    root = _parse(render_svg(m, highlight=Highlight.from_findings(_findings(), m), lang="ru"))
    marks = {g.get("data-element"): (g.get("data-highlight"), g.get("data-intensity")) for g in root.iter("{*}g") if g.get("data-element")}
    assert marks["t3"][0] == "removable"  # removable wins over its loop
    assert marks["t2"][0] == "loop"
    assert marks["f5"][0] == "loop" and marks["f6"][0] == "loop"
    # waiting runs through the gateway: register -> gateway -> issue, the heavier one at full intensity
    assert marks["f2"] == ("waiting", "1") and marks["f4"] == ("waiting", "1")
    assert marks["f1"][0] == "waiting" and 0 < float(marks["f1"][1]) < 1
    for untouched in ("t1", "t4", "f3", "f7", "f8", "g1", "e"):
        assert marks[untouched][0] is None, untouched
    red = _group(root, "t3").find("{*}rect").get("stroke")
    orange = _group(root, "t2").find("{*}rect").get("stroke")
    plain = _group(root, "t4").find("{*}rect").get("stroke")
    assert len({red, orange, plain}) == 3
    legend = [g for g in root.iter("{*}g") if g.get("data-role") == "legend"]
    assert len(legend) == 1
    assert {g.get("data-legend") for g in legend[0] if g.get("data-legend")} == {"removable", "loop", "waiting"}
    assert "ожидание" in _text_of(legend[0])


def test_no_legend_without_highlights():
    root = _parse(render_svg(office_model()))
    assert not [g for g in root.iter("{*}g") if g.get("data-role") == "legend"]
    assert not [g for g in root.iter("{*}g") if g.get("data-highlight")]


def test_findings_json_document_gives_the_same_marks():
    m = office_model()
    doc = json.loads(json.dumps({"schema": "gosupr.findings/1", "findings": [f.to_dict() for f in _findings()]}, ensure_ascii=False))
    assert Highlight.from_findings(doc, m) == Highlight.from_findings(_findings(), m)
    # without a model the marks stay by label, and resolve to the same elements later
    assert Highlight.from_findings(doc).resolve(m) == Highlight.from_findings(_findings(), m).by_id


def test_bad_findings_document_is_a_user_error():
    with pytest.raises(GosuprError):
        Highlight.from_findings({"schema": "gosupr.findings/1"})
    with pytest.raises(GosuprError, match="#2"):
        Highlight.from_findings({"findings": [{"kind": "rework", "activities": []}, {"activities": "x"}]})


def test_model_rule_findings_mark_elements_by_id():
    m = office_model()
    hl = Highlight.from_findings([Finding("redundant_gateway", [], removable=True, elements=["g1"])], m)
    assert hl.by_id == {"g1": hl.by_id["g1"]} and hl.by_id["g1"].category == "removable"


def test_added_and_removed_for_before_after():
    m = office_model()
    hl = Highlight().mark_label("Повторная проверка", "removed").mark_id("t4", "added")
    root = _parse(render_svg(m, highlight=hl))
    assert _group(root, "t3").get("data-highlight") == "removed"
    assert _group(root, "t3").find("{*}rect").get("stroke-dasharray")
    assert _group(root, "t4").get("data-highlight") == "added"
    with pytest.raises(ValueError):
        Highlight().mark_id("t4", "purple")


def test_loop_on_real_model_marks_the_loop_back(shared_data: Path):
    """running-example: decide -> reinitiate request -> check ticket, through pm4py's gateways."""
    m = _read(shared_data / "bpmn" / "running-example.bpmn")
    back = flows_between(m, "reinitiate request", "check ticket")
    assert back, "the loop back passes only gateways"
    for fid in back:
        f = m.flows[fid]
        assert m.nodes[f.source].name == "reinitiate request" or m.nodes[f.source].kind == "gateway"
        assert m.nodes[f.target].name == "check ticket" or m.nodes[f.target].kind == "gateway"
    hl = Highlight.from_findings([Finding("rework", ["check ticket", "decide", "reinitiate request"], cases=3)], m)
    root = _parse(render_svg(m, highlight=hl))
    for fid in back:
        assert _group(root, fid).get("data-highlight") == "loop"
    names = {m.nodes[k].name for k, v in hl.by_id.items() if k in m.nodes}
    assert names == {"check ticket", "decide", "reinitiate request"}
    assert not flows_between(m, "register request", "pay compensation")  # other steps lie between


def test_png_when_cairosvg_is_installed():
    pytest.importorskip("cairosvg")
    from gosupr.report.svg import svg_to_png

    png = svg_to_png(render_svg(office_model()))
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 1000


def test_before_after_marks_removed_and_added_steps(shared_data: Path):
    as_is = _read(shared_data / "bpmn" / "running-example.bpmn")
    to_be = copy.deepcopy(as_is)
    gone = next(n for n in to_be.tasks() if n.name == "reinitiate request")
    del to_be.nodes[gone.id]
    to_be.nodes[next(n.id for n in to_be.tasks() if n.name == "decide")].name = "decide online"
    old, new = Highlight.before_after(as_is, to_be)
    assert {as_is.nodes[k].name for k in old.by_id} == {"reinitiate request", "decide"}
    assert {to_be.nodes[k].name for k in new.by_id} == {"decide online"}
    root = _parse(render_svg(to_be, highlight=new))
    assert _group(root, next(iter(new.by_id))).get("data-highlight") == "added"
    assert _group(root, gone.id) is None


SHARED_DATA_BPMN = Path(__file__).resolve().parents[2] / "shared" / "data" / "bpmn"
ALL_BPMN = sorted(SHARED_DATA_BPMN.glob("*.bpmn")) + sorted(SHARED_DATA_BPMN.glob("exports/*/*.bpmn"))


@pytest.mark.parametrize("path", OWN_BPMN + ALL_BPMN,
                         ids=lambda p: str(p.relative_to(SHARED_DATA_BPMN)) if p.is_relative_to(SHARED_DATA_BPMN) else f"own/{p.name}")
def test_every_task_name_appears_whole_in_the_svg_text(path):
    """Over all diagrams of the file: each task's (and event's, gateway's) name is one <text> (lines joined) or a <title>."""
    from gosupr.bpmn.reader import read_bpmn
    from gosupr.report.svg import render_svg

    ws = re.compile(r"\s+")
    m = read_bpmn(path)
    texts: set[str] = set()
    for i in range(max(1, len(m.diagrams))):
        root = etree.fromstring(render_svg(m, diagram_index=i).encode("utf-8"))
        for t in root.iter("{http://www.w3.org/2000/svg}text"):
            joined = ws.sub(" ", " ".join(x.strip() for x in t.itertext())).strip()
            texts.add(joined)
            texts.update(line.lstrip("• ") for line in (x.strip() for x in t.itertext()))
        texts.update(ws.sub(" ", t.text or "").strip() for t in root.iter("{http://www.w3.org/2000/svg}title"))
    names = {ws.sub(" ", n.name).strip() for n in m.flow_nodes() if n.name.strip()}  # tasks, events, gateways, sub-processes
    assert names and not names - texts


def test_long_word_shrinks_before_it_is_split():
    from gosupr.report.svg_draw import fit_label, words_whole

    lines, size = fit_label("Approve advertisement", 86, 68)
    assert words_whole("Approve advertisement", lines) and size < 12


@needs_shared
def test_render_cli_draws_every_diagram_with_all_and_refuses_a_bad_choice(tmp_path):
    import subprocess
    import sys

    from gosupr.bpmn.reader import read_bpmn

    src = SHARED_DATA_BPMN / "C.4.0.bpmn"
    run = lambda *a: subprocess.run([sys.executable, "-m", "gosupr", "render", str(src), *a], capture_output=True, text=True)  # noqa: E731
    ok = run("-o", str(tmp_path / "c4.svg"), "--diagram", "all")
    assert ok.returncode == 0, ok.stderr
    drawn = sorted(p.name for p in tmp_path.glob("c4-*.svg"))
    assert drawn == [f"c4-{i}.svg" for i in range(len(read_bpmn(src).diagrams))] and len(drawn) > 1
    assert len({(tmp_path / n).read_text(encoding="utf-8") for n in drawn}) == len(drawn)
    bad = run("-o", str(tmp_path / "x.svg"), "--diagram", "second")
    assert bad.returncode == 2 and "--diagram" in bad.stderr and "Traceback" not in bad.stderr
    assert not (tmp_path / "x.svg").exists()
