"""Model rules: each on a hand-made model it flags and one it leaves alone; then every real BPMN file,
checked against counts taken straight from the XML (an oracle independent of ProcessModel)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from lxml import etree

from analyze_helpers import make_model
from gosupr.mining.lint.rules import RULES
from gosupr.mining.waste.analyze import AnalyzeConfig, lint_model
from material import DATA, EXAMPLES, SHARED, needs_shared

BPMN_DIR = SHARED / "bpmn"
BPMN_FILES = sorted(BPMN_DIR.glob("*.bpmn"))
# the project's own valid models: every clone has them
OWN_BPMN = sorted((DATA / "compare").glob("*.bpmn")) + sorted(EXAMPLES.glob("*.normative.bpmn")) + [DATA / "logs" / "office.bpmn"]
NS = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"


def check(rule: str, model) -> list[list[str]]:
    return [f.elements for f in RULES[rule].check(model, {})]


SEQ = [("s", "startEvent"), ("t1", "task"), ("t2", "task"), ("e", "endEvent")]


def test_superfluous_gateway():
    flagged = make_model(SEQ + [("g", "exclusiveGateway")], [("s", "t1"), ("t1", "g"), ("g", "t2"), ("t2", "e")])
    assert check("superfluous-gateway", flagged) == [["g"]]
    assert RULES["superfluous-gateway"].check(flagged)[0].removable
    split = make_model(SEQ + [("g", "exclusiveGateway")], [("s", "t1"), ("t1", "g"), ("g", "t2"), ("g", "e"), ("t2", "e")])
    assert check("superfluous-gateway", split) == []


def test_no_duplicate_sequence_flows():
    flagged = make_model(SEQ, [("s", "t1"), ("t1", "t2"), ("t1", "t2"), ("t2", "e")])
    assert check("no-duplicate-sequence-flows", flagged) == [["f2", "t1", "t2"]]
    conditions = make_model(SEQ, [("s", "t1"), ("t1", "t2", "x > 1"), ("t1", "t2", "x <= 1"), ("t2", "e")])
    assert check("no-duplicate-sequence-flows", conditions) == []


def test_no_disconnected():
    flagged = make_model(SEQ + [("lost", "userTask")], [("s", "t1"), ("t1", "t2"), ("t2", "e")])
    assert check("no-disconnected", flagged) == [["lost"]]
    excused = make_model(
        SEQ + [("comp", "task"), ("esp", "subProcess"), ("adhoc", "adHocSubProcess"), ("inner", "task")],
        [("s", "t1"), ("t1", "adhoc"), ("adhoc", "t2"), ("t2", "e")],
        comp={"compensation": True}, esp={"triggered_by_event": True}, inner={"parent": "adhoc"},
    )
    assert check("no-disconnected", excused) == []


def test_fake_join():
    flagged = make_model(SEQ + [("g", "exclusiveGateway")], [("s", "g"), ("g", "t1"), ("g", "t2"), ("t1", "e"), ("t2", "e")])
    assert check("fake-join", flagged) == [["e"]]
    joined = make_model(
        SEQ + [("g", "parallelGateway"), ("j", "parallelGateway")],
        [("s", "g"), ("g", "t1"), ("g", "t2"), ("t1", "j"), ("t2", "j"), ("j", "e")],
    )
    assert check("fake-join", joined) == []


def test_no_implicit_split():
    flagged = make_model(SEQ + [("e2", "endEvent")], [("s", "t1"), ("t1", "t2"), ("t1", "e2"), ("t2", "e")])
    assert check("no-implicit-split", flagged) == [["t1"]]
    conditional = make_model(
        SEQ + [("e2", "endEvent")], [("s", "t1"), ("t1", "t2", "ok"), ("t1", "e2"), ("t2", "e")], t1={"default": "f2"}
    )
    assert check("no-implicit-split", conditional) == []


def test_dead_element():
    nodes = SEQ + [("orphan", "task"), ("after", "task"), ("trap1", "task"), ("trap2", "task"), ("g", "exclusiveGateway")]
    flows = [("s", "t1"), ("t1", "g"), ("g", "t2"), ("g", "trap1"), ("trap1", "trap2"), ("trap2", "trap1"),
             ("t2", "e"), ("orphan", "after"), ("after", "e")]
    found = {f.elements[0]: f for f in RULES["dead-element"].check(make_model(nodes, flows), {})}
    assert set(found) == {"orphan", "after", "trap1", "trap2"}
    assert found["orphan"].evidence == {"reachable_from_start": False, "reaches_end": True}
    assert found["trap1"].evidence == {"reachable_from_start": True, "reaches_end": False}
    alive = make_model(
        SEQ + [("sp", "subProcess"), ("in_s", "startEvent"), ("in_t", "task"), ("in_e", "endEvent"),
               ("b", "boundaryEvent"), ("fix", "task"), ("e2", "endEvent")],
        [("s", "t1"), ("t1", "sp"), ("sp", "t2"), ("t2", "e"), ("in_s", "in_t"), ("in_t", "in_e"), ("b", "fix"), ("fix", "e2")],
        in_s={"parent": "sp"}, in_t={"parent": "sp"}, in_e={"parent": "sp"}, b={"attached_to": "sp"},
    )
    assert check("dead-element", alive) == []


def test_kinds_select_rules():
    m = make_model(SEQ + [("g", "exclusiveGateway"), ("lost", "task")], [("s", "t1"), ("t1", "g"), ("g", "t2"), ("t2", "e")])
    assert {f.kind for f in lint_model(m)} == {"superfluous-gateway", "no-disconnected", "dead-element"}
    assert {f.kind for f in lint_model(m, AnalyzeConfig(kinds=["no-disconnected"]))} == {"no-disconnected"}


# -- real BPMN files ----------------------------------------------------------------------------
def _oracle(path: Path) -> dict[str, set[str]]:
    """What bpmnlint's rules flag, counted from the raw XML (top-level and nested processes alike)."""
    root = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True)).getroot()
    flows = list(root.iter(f"{NS}sequenceFlow"))
    inc = Counter(f.get("targetRef") for f in flows)
    plain_out = Counter(
        f.get("sourceRef") for f in flows
        if f.find(f"{NS}conditionExpression") is None
        and (root.find(f".//*[@id='{f.get('sourceRef')}']") is None
             or root.find(f".//*[@id='{f.get('sourceRef')}']").get("default") != f.get("id"))
    )
    out = Counter(f.get("sourceRef") for f in flows)
    tasks_events = {
        el.get("id") for el in root.iter()
        if isinstance(el.tag, str) and el.tag.startswith(NS)
        and (el.tag[len(NS):].endswith("Task") or el.tag[len(NS):] == "task" or el.tag[len(NS):].endswith("Event"))
        and el.tag[len(NS):] not in ("eventBasedGateway",)
        and el.getparent() is not None and el.getparent().tag[len(NS):] not in ("definitions",)
    }
    gateways = {el.get("id") for el in root.iter() if isinstance(el.tag, str) and el.tag.endswith("Gateway")}
    return {
        "fake-join": {i for i in tasks_events if inc[i] > 1},
        "no-implicit-split": {i for i in tasks_events if plain_out[i] > 1},
        "superfluous-gateway": {g for g in gateways if inc[g] == 1 and out[g] == 1},
    }


@pytest.mark.parametrize("path", OWN_BPMN + BPMN_FILES, ids=lambda p: p.name)
def test_rules_on_bpmn_files(path: Path):
    from gosupr.bpmn.reader import read_bpmn

    model = read_bpmn(path)
    found = lint_model(model)
    by_rule: dict[str, set[str]] = {}
    for f in found:
        assert f.kind in RULES and f.elements and f.message and "\n" not in f.message
        by_rule.setdefault(f.kind, set()).add(f.elements[0])
    oracle = _oracle(path)
    for rule, expected in oracle.items():
        assert by_rule.get(rule, set()) == expected, (rule, path.name)
    # ours, the MIWG reference models and the running example are valid, executable models
    assert "dead-element" not in by_rule, by_rule.get("dead-element")
    assert "no-disconnected" not in by_rule
    assert lint_model(model) == found  # deterministic


@needs_shared
def test_rules_see_known_defects_in_real_files():
    """Some reference models use an end event as an implicit join, or a task as an implicit split."""
    from gosupr.bpmn.reader import read_bpmn

    kinds = Counter(f.kind for p in BPMN_FILES for f in lint_model(read_bpmn(p)))
    assert kinds["fake-join"] > 0 and kinds["no-implicit-split"] > 0
