"""`compare`: matching and the diff on real BPMN files from many tools and on hand-made before/after pairs.

tests/data/compare holds a ministry licensing process (bpmn.io style, with DI and Russian labels):
before.bpmn and after_* variants, each with one known edit.
"""

from __future__ import annotations

import itertools
import json
from collections import Counter
from pathlib import Path

import pytest

from compare_variants import rewrite_ids
from gosupr.bpmn.model import ProcessModel
from gosupr.bpmn.reader import read_bpmn
from gosupr.bpmn.writer import write_bpmn
from gosupr.errors import GosuprError
from gosupr.mining.compare.gates import parse_gates
from gosupr.mining.compare.matching import normalise_label
from gosupr.mining.compare.models import ModelDiff, compare_models, evaluate_gates
from gosupr.report.diff_render import (
    diff_document,
    diff_json,
    diff_markdown,
    diff_table,
)
from material import needs_shared

DATA = Path(__file__).parent / "data" / "compare"
SHARED_BPMN = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "bpmn"
BPMN_FILES = sorted(SHARED_BPMN.glob("*.bpmn"))
# the project's own models: the licensing process and its edits, the examples' normative models, the office
OWN_BPMN = sorted(DATA.glob("*.bpmn")) + sorted((DATA.parent.parent / "examples" / "logs").glob("*.normative.bpmn")) + [
    DATA.parent / "logs" / "office.bpmn"
]


def fixture(name: str) -> ProcessModel:
    return read_bpmn(DATA / f"{name}.bpmn")


def behaviour(diff: ModelDiff) -> set[tuple]:
    """Every behavioural change as a comparable tuple of what a person reads."""
    out: set[tuple] = set()
    out |= {("element", c.change, c.kind, c.name, c.before, c.after) for c in diff.elements}
    out |= {("flow", c.change, c.source, c.target) for c in diff.flows}
    out |= {(c.kind, c.change, c.name) for c in diff.containers}
    return out


# -- every real file ----------------------------------------------------------------------------
@needs_shared
def test_shared_bpmn_files_present():
    assert len(BPMN_FILES) >= 10


@pytest.mark.parametrize("path", OWN_BPMN + BPMN_FILES, ids=lambda p: p.name)
def test_real_file_compared_with_itself_is_unchanged(path):
    diff = compare_models(read_bpmn(path), read_bpmn(path))
    assert diff.unchanged, diff.summary()
    assert diff.summary()["verdict"] == "no changes"
    assert {m.how for m in diff.node_matches} == {"id"}
    assert len(diff.node_matches) == len(read_bpmn(path).flow_nodes())
    assert all(d.delta in (0, None) for d in diff.metrics.values())


@pytest.mark.parametrize("path", OWN_BPMN + BPMN_FILES, ids=lambda p: p.name)
def test_real_file_with_all_ids_rewritten_matches_by_label_and_place(path):
    before = read_bpmn(path)
    for seed in (None, 1, 2):
        after, ren = rewrite_ids(read_bpmn(path), seed=seed)
        diff = compare_models(before, after)
        assert diff.behavioural_changes == 0, (seed, behaviour(diff))
        assert diff.layout_changes == 0
        wrong = [(m.before, m.after) for m in diff.node_matches if ren[m.before] != m.after]
        assert not wrong
        assert len(diff.node_matches) == len(before.flow_nodes())
        assert {m.how for m in diff.node_matches} <= {"label", "similar-label+context", "type+context", "content"}


@needs_shared
def test_a10_ids_rewritten_all_matched_by_label():
    before = read_bpmn(SHARED_BPMN / "A.1.0.bpmn")
    after, _ = rewrite_ids(before)
    diff = compare_models(before, after)
    assert [m.how for m in diff.node_matches] == ["label"] * 5
    assert diff.unchanged


@pytest.mark.parametrize("path", BPMN_FILES + sorted(DATA.glob("*.bpmn")), ids=lambda p: p.name)
def test_round_trip_through_gosupr_writer_has_no_behavioural_change(path, tmp_path):
    out = tmp_path / "round.bpmn"
    write_bpmn(read_bpmn(path), out)
    diff = compare_models(read_bpmn(path), read_bpmn(out))
    assert diff.behavioural_changes == 0, behaviour(diff)
    with_artifacts = compare_models(read_bpmn(path), read_bpmn(out), include_artifacts=True)
    assert with_artifacts.behavioural_changes == 0, behaviour(with_artifacts)


@needs_shared
def test_artifacts_compared_only_when_asked():
    path = SHARED_BPMN / "C.5.0.bpmn"
    before = read_bpmn(path)
    n_art = sum(1 for n in before.nodes.values() if n.kind == "artifact")
    assert n_art > 0
    after = read_bpmn(path)
    gone = next(n.id for n in after.nodes.values() if n.kind == "artifact")
    del after.nodes[gone]
    for f in [f for f in after.flows.values() if gone in (f.source, f.target)]:
        del after.flows[f.id]
    assert compare_models(before, after).behavioural_changes == 0
    full = compare_models(before, after, include_artifacts=True)
    assert [(c.change, c.before_id) for c in full.elements] == [("removed", gone)]
    assert len(full.node_matches) == len(before.nodes) - 1


# -- hand-made pairs with known differences --------------------------------------------------------
AGREE = "Согласовать с заместителем министра"
DRAFT = "Подготовить проект решения"
SIGN = "Утвердить решение"


def test_fixtures_compared_with_themselves_are_unchanged():
    for path in sorted(DATA.glob("*.bpmn")):
        assert compare_models(read_bpmn(path), read_bpmn(path)).unchanged, path.name


def test_removed_approval():
    diff = compare_models(fixture("before"), fixture("after_removed_approval"))
    assert behaviour(diff) == {
        ("element", "removed", "task", AGREE, AGREE, None),
        ("flow", "removed", DRAFT, AGREE),
        ("flow", "removed", AGREE, SIGN),
        ("flow", "added", DRAFT, SIGN),
    }
    assert diff.layout == []
    assert diff.summary()["tasks_removed"] == 1
    assert diff.metrics["tasks"].delta == -1


def test_renamed_task():
    diff = compare_models(fixture("before"), fixture("after_renamed_task"))
    assert behaviour(diff) == {
        ("element", "renamed", "task", "Проверить полноту пакета документов",
         "Проверить комплектность документов", "Проверить полноту пакета документов"),
    }
    assert diff.elements[0].how == "id"
    assert diff.layout == []


def test_renamed_task_with_new_ids_found_by_similar_label_and_place():
    after, ren = rewrite_ids(fixture("after_renamed_task"))
    diff = compare_models(fixture("before"), after)
    assert len(diff.elements) == 1 and diff.flows == [] and diff.containers == []
    change = diff.elements[0]
    assert (change.change, change.before_id, change.after_id) == ("renamed", "Task_Check", ren["Task_Check"])
    assert change.how == "similar-label+context" and 0.6 < change.score < 1.0


def test_task_moved_between_lanes():
    diff = compare_models(fixture("before"), fixture("after_moved_lane"))
    assert behaviour(diff) == {
        ("element", "lane-changed", "task", DRAFT, "Отдел лицензирования", "Руководство министерства"),
    }
    moved = [(c.change, c.after_id) for c in diff.layout]
    assert ("moved", "Task_Draft") in moved
    assert diff.summary()["layout"] == {"moved": 1, "waypoints": 2}
    assert diff.metrics["lane_handovers"].delta == 0  # the handover moves from after the step to before it


def test_added_gateway():
    diff = compare_models(fixture("before"), fixture("after_added_gateway"))
    gw = "Требуется согласование?"
    assert behaviour(diff) == {
        ("element", "added", "gateway", gw, None, gw),
        ("flow", "removed", DRAFT, AGREE),
        ("flow", "added", DRAFT, gw),
        ("flow", "added", gw, AGREE),
        ("flow", "added", gw, SIGN),
    }
    assert diff.metrics["gateways"].delta == 1
    assert diff.metrics["cfc"].delta == 2  # one more XOR split with two branches


def test_layout_only_changes_are_not_behavioural():
    diff = compare_models(fixture("before"), fixture("after_layout_only"))
    assert diff.behavioural_changes == 0
    assert diff.summary()["verdict"] == "layout only"
    kinds = {(c.change, c.name) for c in diff.layout}
    assert ("shifted", "") in kinds  # the whole drawing dragged by (40, 20): reported once
    assert ("resized", "Проверить комплектность документов") in kinds
    assert ("label-spelling", "Направить отказ в приеме") in kinds  # ё → е only
    assert {c.change for c in diff.layout} == {"shifted", "resized", "waypoints", "label-spelling"}
    shift = next(c for c in diff.layout if c.change == "shifted")
    assert shift.detail == {"dx": 40, "dy": 20}


def test_positional_ids_reused_for_other_steps_are_matched_by_label():
    before = fixture("before")
    after = fixture("before")
    a, b = after.nodes["Task_Register"], after.nodes["Task_Notify"]
    a.name, b.name = b.name, a.name  # same ids, swapped meaning (e.g. task_1, task_2 of another miner)
    a.type, b.type = b.type, a.type
    a.lane, b.lane = b.lane, a.lane
    diff = compare_models(before, after)
    pairs = {(m.before, m.after, m.how) for m in diff.node_matches}
    assert ("Task_Register", "Task_Notify", "label") in pairs
    assert not any(c.change == "renamed" for c in diff.elements)


def test_type_change_and_lane_rename():
    after = fixture("before")
    after.nodes["Gateway_Complete"].type = "inclusiveGateway"
    after.lanes["Lane_Mgmt"].name = "Руководство"
    diff = compare_models(fixture("before"), after)
    assert behaviour(diff) == {
        ("element", "type-changed", "gateway", "Документы полные?", "exclusiveGateway", "inclusiveGateway"),
        ("lane", "renamed", "Руководство"),
    }


def test_lane_with_new_id_and_name_matched_by_members():
    after = fixture("before")
    lane = after.lanes.pop("Lane_Dept")
    lane.id, lane.name = "Lane_Licensing", "Департамент разрешительной деятельности"
    after.lanes[lane.id] = lane
    for n in after.nodes.values():
        if n.lane == "Lane_Dept":
            n.lane = lane.id
    after.diagrams[0].shapes[lane.id] = after.diagrams[0].shapes.pop("Lane_Dept")
    diff = compare_models(fixture("before"), after)
    assert behaviour(diff) == {("lane", "renamed", "Департамент разрешительной деятельности")}


@needs_shared
def test_sub_process_children_compared_nested_unless_flattened():
    path = SHARED_BPMN / "A.4.0.bpmn"
    before = read_bpmn(path)
    child = next(n for n in before.nodes.values() if n.parent and n.kind == "task" and n.name)
    after, ren = rewrite_ids(read_bpmn(path))
    after.nodes[ren[child.id]].parent = None  # the step now sits outside its sub-process
    nested = compare_models(before, after)
    assert {(c.change, c.name) for c in nested.elements} == {("removed", child.name), ("added", child.name)}
    flat = compare_models(before, after, flatten=True)
    assert flat.elements == []
    same_id = read_bpmn(path)
    same_id.nodes[child.id].parent = None
    moved = compare_models(before, same_id)
    assert [(c.change, c.name) for c in moved.elements] == [("parent-changed", child.name)]


def test_normalise_label():
    assert normalise_label("  Согласовать «проект»\n решения ") == normalise_label('согласовать "проект" решения')
    assert normalise_label("Приём заявления") == normalise_label("ПРИЕМ ЗАЯВЛЕНИЯ")
    assert normalise_label("Проверка") != normalise_label("Проверить")


# -- gates -------------------------------------------------------------------------------------
def test_gates():
    removed = compare_models(fixture("before"), fixture("after_removed_approval"))
    violated = evaluate_gates(removed, ["added-tasks", "removed-tasks", "any-change", "complexity-up"])
    assert [v.split(":")[0] for v in violated] == ["removed-tasks", "any-change"]
    assert AGREE in violated[0]
    gateway = compare_models(fixture("before"), fixture("after_added_gateway"))
    assert [v.split(":")[0] for v in evaluate_gates(gateway, ["complexity-up,removed-tasks"])] == ["complexity-up"]
    layout = compare_models(fixture("before"), fixture("after_layout_only"))
    assert evaluate_gates(layout, ["any-change", "added-tasks", "removed-tasks", "complexity-up"]) == []


def test_bad_gates_are_bad_input():
    diff = compare_models(fixture("before"), fixture("before"))
    with pytest.raises(GosuprError, match="valid gates: added-tasks, removed-tasks, any-change, complexity-up"):
        evaluate_gates(diff, ["tasks-removed"])
    with pytest.raises(GosuprError, match="between 0 and 1"):
        parse_gates(["fitness-drop=lots"])
    with pytest.raises(GosuprError, match="--log"):
        evaluate_gates(diff, ["fitness-drop=0.05"])
    assert [str(g) for g in parse_gates(["fitness-drop=0.05", "any-change"])] == ["fitness-drop=0.05", "any-change"]


# -- rendering -----------------------------------------------------------------------------------
def test_json_document_is_deterministic_and_counts_changes():
    a = diff_json(compare_models(fixture("before"), fixture("after_added_gateway")))
    b = diff_json(compare_models(fixture("before"), fixture("after_added_gateway")))
    assert a == b
    doc = json.loads(a)
    assert doc["schema"] == "gosupr.diff/2"
    assert list(doc)[:3] == ["schema", "tool", "summary"]
    assert doc["summary"]["behavioural_changes"] == 5 and doc["summary"]["layout_changes"] == 0
    assert [e["change"] for e in doc["elements"]] == ["added"]
    assert doc["metrics"]["cfc"] == {"before": 2, "after": 4, "delta": 2}
    same = diff_document(compare_models(fixture("before"), fixture("before")))
    assert same["summary"]["verdict"] == "no changes"
    assert same["elements"] == same["flows"] == same["layout"] == []


def test_markdown_and_terminal_output():
    from rich.console import Console

    diff = compare_models(fixture("before"), fixture("after_removed_approval"))
    md = diff_markdown(diff)
    assert "4 behavioural change(s), 0 layout change(s)" in md
    assert f"| removed | task | {AGREE} |" in md
    ru = diff_markdown(diff, lang="ru")
    assert f"| удалено | задача | {AGREE} |" in ru
    console = Console(record=True, width=200)
    console.print(*diff_table(diff))
    text = console.export_text()
    assert AGREE in text and "removed" in text
    assert "No changes" in diff_markdown(compare_models(fixture("before"), fixture("before")))


# -- with a log -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def running_log(shared_data):
    """The running example as an EventLog (built with pandas here so the test depends on no reader)."""
    import pandas as pd

    from gosupr.eventlog import EventLog

    df = pd.read_csv(shared_data / "logs" / "running-example.csv")
    ts = pd.to_datetime(df["time:timestamp"], utc=True).dt.tz_localize(None)
    frame = pd.DataFrame(
        {"case_id": df["case:concept:name"], "activity": df["concept:name"], "timestamp": ts, "resource": df["org:resource"]}
    )
    return EventLog.from_frame(frame, name="running-example")


def _without_task(model: ProcessModel, name: str) -> ProcessModel:
    """Drop a task of a chain, joining its predecessor to its successor (what a reform team does)."""
    task = next(n for n in model.tasks() if n.name == name)
    inc = next(f for f in model.flows.values() if f.target == task.id)
    out = next(f for f in model.flows.values() if f.source == task.id)
    inc.target = out.target
    del model.flows[out.id]
    del model.nodes[task.id]
    for d in model.diagrams:
        d.shapes.pop(task.id, None)
        d.edges.pop(out.id, None)
    return model


@needs_shared
def test_log_replay_costs_the_removed_step(running_log):
    path = SHARED_BPMN / "running-example.bpmn"
    before = read_bpmn(path)
    after = _without_task(read_bpmn(path), "check ticket")
    diff = compare_models(before, after, log=running_log)
    rep = diff.replay
    assert rep is not None and rep.cases == running_log.n_cases
    assert rep.fitness_before == pytest.approx(1.0)
    assert rep.fitness_after < rep.fitness_before
    assert rep.fit_share_before == pytest.approx(1.0) and rep.fit_share_after < 1.0
    df = running_log.df
    runs = df.loc[df["activity"] == "check ticket", "case_id"].nunique()
    assert [(s.activity, s.cases) for s in rep.removed_executed] == [("check ticket", runs)]
    assert rep.removed_executed[0].median_time_s > 0
    assert rep.removed_not_in_log == []
    violated = evaluate_gates(diff, ["fitness-drop=0.05"])
    assert len(violated) == 1 and violated[0].startswith("fitness-drop=0.05: fitness 1.000 → ")
    assert evaluate_gates(diff, ["fitness-drop=0.5"]) == []
    doc = diff_document(diff)
    assert doc["replay"]["removed_executed"][0]["activity"] == "check ticket"
    assert "check ticket" in diff_markdown(diff)


def test_log_replay_reports_removed_steps_the_log_never_runs(running_log):
    diff = compare_models(fixture("before"), fixture("after_removed_approval"), log=running_log)
    assert diff.replay.removed_executed == []
    assert diff.replay.removed_not_in_log == [AGREE]
    assert diff.replay.fitness_drop == pytest.approx(0.0)


# -- positional ids, pools, discovered models --------------------------------------------------------
def _chain(labels: list[str]) -> ProcessModel:
    """Start → tasks → end with positional ids (task_1, task_2, …) as some tools and miners write."""
    from gosupr.bpmn.model import Flow, Node

    m = ProcessModel(name="chain")
    ids = ["start"] + [f"task_{i + 1}" for i in range(len(labels))] + ["end"]
    m.add_node(Node("start", "startEvent"))
    for nid, lab in zip(ids[1:-1], labels):
        m.add_node(Node(nid, "task", lab))
    m.add_node(Node("end", "endEvent"))
    for i, (s, t) in enumerate(itertools.pairwise(ids)):
        m.add_flow(Flow(f"flow_{i + 1}", s, t))
    return m


def test_positional_ids_are_not_trusted_when_labels_disagree():
    before = _chain(["Приём заявления", "Проверка", "Согласование", "Подписание", "Выдача"])
    after = _chain(["Приём заявления", "Проверка", "Подписание", "Выдача"])  # task_3 now names another step
    diff = compare_models(before, after)
    assert behaviour(diff) == {
        ("element", "removed", "task", "Согласование", "Согласование", None),
        ("flow", "removed", "Проверка", "Согласование"),
        ("flow", "removed", "Согласование", "Подписание"),
        ("flow", "added", "Проверка", "Подписание"),
    }
    assert {m.how for m in diff.node_matches} <= {"label", "similar-label+context", "type+context"}


@needs_shared
def test_task_moved_to_another_pool():
    path = SHARED_BPMN / "C.1.0.bpmn"
    before = read_bpmn(path)
    pools = list(before.participants.values())
    assert len(pools) == 2
    after = read_bpmn(path)
    task = next(n for n in after.tasks() if n.process == pools[0].process and n.name)
    task.process, task.lane = pools[1].process, None
    diff = compare_models(before, after)
    changes = {(c.change, c.name, c.before, c.after) for c in diff.elements}
    assert ("pool-changed", task.name, pools[0].name, pools[1].name) in changes
    assert {c.change for c in diff.elements} <= {"pool-changed", "lane-changed"}


def test_discovered_as_is_against_rediscovered_to_be_reports_the_removed_step(shared_data):
    from gosupr.ingest import read_log
    from gosupr.mining.discover import discover_model

    log = read_log(shared_data / "logs" / "running-example.xes")
    as_is = discover_model(log, noise=0.2)
    keep = (log.df["activity"].astype(str) != "check ticket").to_numpy()
    to_be = discover_model(log.subset(keep), noise=0.2)
    diff = compare_models(as_is, to_be)
    tasks = [(c.change, c.name) for c in diff.elements if c.kind == "task"]
    assert tasks == [("removed", "check ticket")]
    assert evaluate_gates(diff, ["removed-tasks"])[0].startswith("removed-tasks: 1 task(s) removed: «check ticket»")


def _reduction(log):
    """As-is and to-be models as `reduce` builds them (its quality check is not needed here)."""
    try:
        from gosupr.mining.waste.reduce import reduce_process

        red = reduce_process(log)
        return red.as_is, red.to_be
    except ImportError:  # reduce's quality module still being written: the same steps by hand
        from gosupr.mining.discover import discover_model
        from gosupr.mining.waste.analyze import analyze_log
        from gosupr.mining.waste.reduce import remove_waste, select_findings

        applied, _ = select_findings(analyze_log(log))
        return discover_model(log, noise=0.2), discover_model(remove_waste(log, applied).log, noise=0.2)


def test_reduce_to_be_against_as_is_reports_the_removed_steps(examples_dir):
    from gosupr.ingest import read_log

    log = read_log(examples_dir / "memo_approval.xes")
    as_is, to_be = _reduction(log)
    before_acts = {normalise_label(n.name) for n in as_is.tasks()}
    after_acts = {normalise_label(n.name) for n in to_be.tasks()}
    assert before_acts - after_acts, "reduce removed no step from the memo approval process"
    diff = compare_models(as_is, to_be, log=log)
    removed = {normalise_label(c.name) for c in diff.element_changes("removed", ("task",))}
    added = {normalise_label(c.name) for c in diff.element_changes("added", ("task",))}
    assert removed == before_acts - after_acts
    assert added == after_acts - before_acts
    assert not diff.element_changes("renamed")
    executed = {normalise_label(s.activity) for s in diff.replay.removed_executed}
    assert executed == removed  # the removed steps came from this log, so it runs every one of them
    assert all(s.cases > 0 and s.median_time_s is not None for s in diff.replay.removed_executed)
    assert evaluate_gates(diff, ["removed-tasks"])


# -- issue 19: real tool exports, tool-like variants, labels ---------------------------------------
from compare_variants import change_keys, load_expected_exports, variants  # noqa: E402

EXPORT_PAIRS = load_expected_exports()


@needs_shared
@pytest.mark.parametrize("pair", EXPORT_PAIRS, ids=[p["tool"] for p in EXPORT_PAIRS])
def test_tool_export_reports_the_hand_checked_changes(pair):
    """Each export of a reference model, read by hand once: exactly these behavioural changes (or at least, when partial)."""
    diff = compare_models(read_bpmn(SHARED_BPMN / pair["reference"]), read_bpmn(SHARED_BPMN / pair["export"]))
    reported = change_keys(diff)
    expected = Counter(tuple(k) for k in pair["expected"])
    if pair["checked"] == "full":
        assert reported == expected, pair["note"]
    else:
        assert not expected - reported, pair["note"]


@needs_shared
def test_hand_checked_exports_cover_every_export():
    assert len(EXPORT_PAIRS) == len(list((SHARED_BPMN / "exports").glob("*/*.bpmn"))) == 28


@pytest.mark.parametrize("path", OWN_BPMN + BPMN_FILES, ids=lambda p: p.name)
def test_tool_like_variants_cosmetic_none_semantic_once(path):
    """Cosmetic edits (new ids, placeholders, unnamed sub-processes, spelling, pool-wide lanes) give no
    behavioural change; each semantic edit is reported exactly once, as what it is."""
    ref = read_bpmn(path)
    made = variants(path.name, ref)
    assert any(v.cosmetic for v in made) and any(not v.cosmetic for v in made)
    for v in made:
        assert change_keys(compare_models(v.before(ref), v.model)) == v.expected, v.edit


def test_placeholder_names_and_spelling():
    from gosupr.mining.labels import is_placeholder, name_change, spelling_only

    for s in ("Sequence Flow_12", "Parallel Gateway_81", "<ohne Namen>", "Task 3", "End Event3", "Event gateway", "",
              "Задача 3", "Конечное событие", "Endereignis_2"):
        assert is_placeholder(s), s
    for s in ("Invoice received", "Проверить заявление", "Yes", "Gateway (Split Flow)", "Задача решена?", "Событие получено"):
        assert not is_placeholder(s), s
    assert is_placeholder("to Task 2", target_name="Task 2") and not is_placeholder("to Task 2")
    assert spelling_only("Sub Process", "Sub-Process") and spelling_only("Succesful?", "Successful?")
    assert not spelling_only("Task 1", "Task 2") and not spelling_only("Approve", "Reject")
    assert not spelling_only("Packager", "Picker")
    assert name_change("End Event", "") == "default" and name_change("Start Event", "Start") == "default"
    assert name_change("Task 3", "Check application", step=True) == "renamed"
    assert name_change("Проверка заявления", "Проверка заявленя") == "spelling"
    assert name_change("Проверка заявления", "Выдача лицензии") == "renamed"


def test_spelling_and_placeholder_renames_are_layout_only():
    before = fixture("before")
    after, _ = rewrite_ids(before, "z")
    task = next(n for n in after.nodes.values() if n.kind == "task" and len(n.name) > 8)
    task.name = task.name[:3] + task.name[4:]  # a letter lost
    flow = next(iter(after.flows.values()))
    flow.name = "Sequence Flow_73"
    diff = compare_models(before, after)
    assert diff.behavioural_changes == 0
    assert {c.change for c in diff.layout} >= {"label-spelling", "label-default"}


def test_added_and_removed_flows_keep_their_condition_in_json():
    before = fixture("before")
    after, ren = rewrite_ids(before, "q")
    cond_flow = next(f for f in after.flows.values() if f.kind == "sequence")
    cond_flow.condition = "${amount > 1000}"
    cond_flow.target = cond_flow.source  # now a different flow: removed + added
    doc = json.loads(diff_json(compare_models(before, after)))
    assert doc["schema"] == "gosupr.diff/2"
    added = [f for f in doc["flows"] if f["change"] == "added"]
    assert [f["condition"] for f in added] == ["${amount > 1000}"]
    assert all("matched_by" in m and "score" in m for m in doc["matches"]["elements"])
    renamed = json.loads(diff_json(compare_models(before, fixture("after_renamed_task"))))["elements"]
    assert renamed and all("matched_by" in e and "how" not in e for e in renamed)


def test_reader_resolves_prefixed_qname_references():
    xml = b"""<?xml version="1.0"?>
<bpmn2:definitions xmlns:bpmn2="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">
  <bpmn2:collaboration id="c">
    <bpmn2:participant id="P1" processRef="bpmn2:p1"/><bpmn2:participant id="P2" processRef="bpmn2:p2"/>
    <bpmn2:messageFlow id="m" sourceRef="bpmn2:t1" targetRef="bpmn2:s2"/>
  </bpmn2:collaboration>
  <bpmn2:process id="p1"><bpmn2:task id="t1" name="Send"/></bpmn2:process>
  <bpmn2:process id="p2"><bpmn2:startEvent id="s2"/></bpmn2:process>
</bpmn2:definitions>"""
    m = read_bpmn(xml)
    assert (m.flows["m"].source, m.flows["m"].target) == ("t1", "s2")
    assert m.participants["P1"].process == "p1"


def test_compare_gates_imports_alone_in_a_fresh_interpreter():
    import subprocess
    import sys

    for mod in ("gosupr.mining.compare.gates", "gosupr.mining.compare.models"):
        r = subprocess.run([sys.executable, "-c", f"import {mod}"], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr


def test_explain_names_the_closest_candidate_and_the_missed_threshold():
    from gosupr.mining.compare.explain import explain_unpaired

    before, after = fixture("before"), fixture("after_removed_approval")
    diff = compare_models(before, after)
    expl = explain_unpaired(before, after, diff)
    removed = [c for c in diff.elements if c.change in ("added", "removed")]
    assert len(expl) == len(removed) > 0
    assert all(e.reasons for e in expl)
    doc = json.loads(diff_json(diff, expl))
    assert [e["element"] for e in doc["explain"]] == [e.element for e in expl]
    # a pair the matcher refused: a task renamed beyond recognition next to an unpaired neighbour
    after2, _ = rewrite_ids(before, "e")
    t = next(n for n in after2.nodes.values() if n.kind == "task")
    t.name = "Совсем другое действие"
    for f in [f for f in after2.flows.values() if t.id in (f.source, f.target)][:1]:
        del after2.flows[f.id]
    d2 = compare_models(before, after2)
    e2 = explain_unpaired(before, after2, d2)
    assert any(c.change == "removed" and c.kind == "task" for c in d2.elements)
    e = next(x for x in e2 if x.change == "removed" and x.closest_name == "Совсем другое действие")
    assert [r["code"] for r in e.reasons] == ["label-low"] and "label similarity" in e.reasons[0]["text"]


def test_lane_added_and_lane_dropped_are_reported_symmetrically():
    """A lane carved out of another: the lane plus each moved step, the same count both ways."""
    from gosupr.bpmn.model import Lane

    before = fixture("before")
    after, ren = rewrite_ids(before, "w")
    after.lanes["w_lane_legal"] = Lane("w_lane_legal", "Юридический отдел", after.lanes[ren["Lane_Dept"]].process)
    for nid in ("Task_Check", "Gateway_Complete"):
        after.nodes[ren[nid]].lane = "w_lane_legal"
    forward, backward = change_keys(compare_models(before, after)), change_keys(compare_models(after, before))
    assert forward[("lane", "added", "Юридический отдел")] == 1 and backward[("lane", "removed", "Юридический отдел")] == 1
    assert sum(v for k, v in forward.items() if k[1] == "lane-changed") == 2
    assert sum(forward.values()) == sum(backward.values()) == 3


def test_an_id_reused_for_the_other_pools_start_event_is_not_trusted():
    """Two pools each start with 'Invoice received'; the export swaps their ids: no change at all."""
    from gosupr.bpmn.model import Flow, Node, Participant

    def model(first: str, second: str) -> ProcessModel:
        m = ProcessModel(name="pools")
        for pool, proc, start, step in (("P_A", "proc_a", first, "Check invoice"), ("P_B", "proc_b", second, "Pay invoice")):
            m.processes[proc] = ""
            m.participants[pool] = Participant(pool, "Accounting" if pool == "P_A" else "Treasury", proc)
            m.add_node(Node(start, "startEvent", "Invoice received", proc))
            m.add_node(Node(f"{proc}_task", "task", step, proc))
            m.add_node(Node(f"{proc}_end", "endEvent", "", proc))
            m.add_flow(Flow(f"{proc}_f1", start, f"{proc}_task", process=proc))
            m.add_flow(Flow(f"{proc}_f2", f"{proc}_task", f"{proc}_end", process=proc))
        return m

    diff = compare_models(model("StartEvent_1", "StartEvent_2"), model("StartEvent_2", "StartEvent_1"))
    assert diff.behavioural_changes == 0, behaviour(diff)
    pairs = {(m.before, m.after) for m in diff.node_matches}
    assert ("StartEvent_1", "StartEvent_2") in pairs and ("StartEvent_2", "StartEvent_1") in pairs


@needs_shared
def test_compare_cli_explain_in_json_and_terminal():
    import subprocess
    import sys

    ref, export = SHARED_BPMN / "C.2.0.bpmn", SHARED_BPMN / "exports" / "BIC_Cloud_Design_6.2.0" / "C.2.0-export.bpmn"
    run = lambda *a: subprocess.run([sys.executable, "-m", "gosupr", "compare", str(ref), str(export), *a], capture_output=True, text=True)  # noqa: E731
    js = run("--format", "json", "--explain")
    assert js.returncode == 0, js.stderr
    doc = json.loads(js.stdout)
    send = [e for e in doc["explain"] if e["name"] == "Send Order" and e["change"] == "removed"]
    assert send and send[0]["reasons"][0]["code"] == "other-class" and "boundaryEvent" in send[0]["reasons"][0]["text"]
    assert "explain" not in json.loads(run("--format", "json").stdout)
    table = run("--explain", "--lang", "ru")
    assert table.returncode == 0 and "Почему не сопоставлено" in table.stdout and "элементы разных классов" in table.stdout


def test_lanes_exported_unnamed_pair_by_their_members():
    before = fixture("before")
    after, ren = rewrite_ids(before, "v", seed=2)
    for lane in after.lanes.values():
        lane.name = ""
    diff = compare_models(before, after)
    assert diff.behavioural_changes == 0, behaviour(diff)
    assert {m.how for m in diff.lane_matches} == {"content"} and len(diff.lane_matches) == len(before.lanes)
    assert sum(1 for c in diff.layout if c.change == "label-default" and c.element == "lane") == len(before.lanes)
