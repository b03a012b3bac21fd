"""Model metrics on hand-made models with values known by hand; log work metrics on hand-made and real logs."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from gosupr.bpmn.model import Flow, Lane, Node, ProcessModel
from gosupr.bpmn.reader import read_bpmn
from gosupr.eventlog import EventLog
from gosupr.ingest import read_log
from gosupr.mining.metrics import count_paths, log_work_metrics, model_metrics
from material import SmallLog


def build(nodes: list[tuple], flows: list[tuple[str, str]]) -> ProcessModel:
    """nodes: (id, type[, name[, attrs]]) with attrs keys parent/lane going to the Node itself."""
    m = ProcessModel(name="hand-made")
    for spec in nodes:
        nid, typ = spec[0], spec[1]
        name = spec[2] if len(spec) > 2 else ""
        attrs = dict(spec[3]) if len(spec) > 3 else {}
        parent, lane = attrs.pop("parent", None), attrs.pop("lane", None)
        m.add_node(Node(nid, typ, name, process="P", parent=parent, lane=lane, attrs=attrs))
    for i, (a, b) in enumerate(flows):
        m.add_flow(Flow(f"f{i}", a, b))
    return m


def split_model(gateway_type: str, branches: int) -> ProcessModel:
    nodes = [("s", "startEvent"), ("g", gateway_type), ("j", gateway_type), ("e", "endEvent")]
    flows = [("s", "g"), ("j", "e")]
    for i in range(branches):
        nodes.append((f"t{i}", "task", f"T{i}"))
        flows += [("g", f"t{i}"), (f"t{i}", "j")]
    return build(nodes, flows)


def test_cnc_density_cfc_on_twelve_nodes_thirteen_flows() -> None:
    m = build(
        [("s", "startEvent"), ("a", "task", "A"), ("x1", "exclusiveGateway"), ("b", "task", "B"),
         ("c", "task", "C"), ("x2", "exclusiveGateway"), ("p1", "parallelGateway"), ("d", "task", "D"),
         ("e", "task", "E"), ("p2", "parallelGateway"), ("f", "task", "F"), ("end", "endEvent")],
        [("s", "a"), ("a", "x1"), ("x1", "b"), ("x1", "c"), ("b", "x2"), ("c", "x2"), ("x2", "p1"),
         ("p1", "d"), ("p1", "e"), ("d", "p2"), ("e", "p2"), ("p2", "f"), ("f", "end")],
    )
    mm = model_metrics(m)
    assert (mm.size, mm.sequence_flows, mm.tasks, mm.gateways, mm.events) == (12, 13, 6, 4, 2)
    assert mm.to_dict()["cnc"] == 1.083
    assert mm.density == pytest.approx(13 / (12 * 11))
    assert (mm.cfc_xor, mm.cfc_and, mm.cfc_or, mm.cfc) == (2, 1, 0, 3)
    assert mm.paths == 4  # 2 XOR branches x 2 AND branches as graph paths


@pytest.mark.parametrize(
    ("gateway", "branches", "cfc"),
    [("exclusiveGateway", 3, 3), ("parallelGateway", 3, 1), ("inclusiveGateway", 2, 3),
     ("inclusiveGateway", 3, 7), ("eventBasedGateway", 2, 2), ("exclusiveGateway", 1, 0)],
)
def test_cfc_per_split_type(gateway: str, branches: int, cfc: int) -> None:
    assert model_metrics(split_model(gateway, branches)).cfc == cfc


def test_two_xor_splits_in_sequence_give_four_paths() -> None:
    nodes = [("s", "startEvent"), ("e", "endEvent")]
    flows = []
    prev = "s"
    for k in (1, 2):
        nodes += [(f"g{k}", "exclusiveGateway"), (f"j{k}", "exclusiveGateway"),
                  (f"a{k}", "task", f"A{k}"), (f"b{k}", "task", f"B{k}")]
        flows += [(prev, f"g{k}"), (f"g{k}", f"a{k}"), (f"g{k}", f"b{k}"), (f"a{k}", f"j{k}"), (f"b{k}", f"j{k}")]
        prev = f"j{k}"
    flows.append((prev, "e"))
    mm = model_metrics(build(nodes, flows))
    assert mm.paths == 4
    assert mm.cfc == 4


def test_loop_counts_once() -> None:
    # s -> A -> join -> B -> split -> (back to join | C -> e)
    looped = build(
        [("s", "startEvent"), ("a", "task", "A"), ("j", "exclusiveGateway"), ("b", "task", "B"),
         ("g", "exclusiveGateway"), ("c", "task", "C"), ("e", "endEvent")],
        [("s", "a"), ("a", "j"), ("j", "b"), ("b", "g"), ("g", "j"), ("g", "c"), ("c", "e")],
    )
    assert model_metrics(looped).paths == 1
    # the same loop after an XOR choice: the choice doubles, the loop does not multiply
    choice = build(
        [("s", "startEvent"), ("x", "exclusiveGateway"), ("a", "task", "A"), ("d", "task", "D"),
         ("j", "exclusiveGateway"), ("b", "task", "B"), ("g", "exclusiveGateway"), ("e", "endEvent")],
        [("s", "x"), ("x", "a"), ("x", "d"), ("a", "j"), ("d", "j"), ("j", "b"), ("b", "g"), ("g", "j"), ("g", "e")],
    )
    assert model_metrics(choice).paths == 2


def test_nested_subprocess_is_flattened_for_paths_and_counted_in_size() -> None:
    m = build(
        [("s", "startEvent"), ("sp", "subProcess", "Outer"), ("c", "task", "C"), ("e", "endEvent"),
         ("s1", "startEvent", "", {"parent": "sp"}), ("x", "exclusiveGateway", "", {"parent": "sp"}),
         ("a", "task", "A", {"parent": "sp"}), ("sp2", "subProcess", "Inner", {"parent": "sp"}),
         ("xj", "exclusiveGateway", "", {"parent": "sp"}), ("e1", "endEvent", "", {"parent": "sp"}),
         ("s2", "startEvent", "", {"parent": "sp2"}), ("g2", "exclusiveGateway", "", {"parent": "sp2"}),
         ("b", "task", "B", {"parent": "sp2"}), ("b2", "task", "B2", {"parent": "sp2"}),
         ("j2", "exclusiveGateway", "", {"parent": "sp2"}), ("e2", "endEvent", "", {"parent": "sp2"})],
        [("s", "sp"), ("sp", "c"), ("c", "e"),
         ("s1", "x"), ("x", "a"), ("x", "sp2"), ("a", "xj"), ("sp2", "xj"), ("xj", "e1"),
         ("s2", "g2"), ("g2", "b"), ("g2", "b2"), ("b", "j2"), ("b2", "j2"), ("j2", "e2")],
    )
    mm = model_metrics(m)
    # outer choice: A, or the inner sub-process whose own choice has two branches -> 1 + 2 paths
    assert mm.paths == 3
    assert (mm.size, mm.subprocesses, mm.tasks, mm.sequence_flows) == (16, 2, 4, 15)
    assert mm.cfc == 4


def test_huge_path_count_without_enumeration() -> None:
    nodes = [("s", "startEvent"), ("e", "endEvent")]
    flows = []
    prev = "s"
    for k in range(300):
        nodes += [(f"g{k}", "exclusiveGateway"), (f"j{k}", "exclusiveGateway")]
        flows += [(prev, f"g{k}"), (f"g{k}", f"j{k}"), (f"g{k}", f"j{k}")]  # two parallel flows
        prev = f"j{k}"
    flows.append((prev, "e"))
    mm = model_metrics(build(nodes, flows))
    assert mm.paths == 2**300
    assert mm.paths_log10 == pytest.approx(300 * math.log10(2))
    assert count_paths(build([], []).graph()) == 0


def test_lane_handovers_count_flows_between_lanes_inner_nodes_inherit() -> None:
    m = build(
        [("s", "startEvent", "", {"lane": "L1"}), ("a", "task", "A", {"lane": "L1"}),
         ("b", "task", "B", {"lane": "L2"}), ("sp", "subProcess", "SP", {"lane": "L2"}),
         ("i0", "startEvent", "", {"parent": "sp"}), ("i1", "task", "I1", {"parent": "sp"}),
         ("c", "task", "C", {"lane": "L1"}), ("e", "endEvent", "", {"lane": "L1"})],
        [("s", "a"), ("a", "b"), ("b", "sp"), ("i0", "i1"), ("sp", "c"), ("c", "e")],
    )
    m.lanes = {"L1": Lane("L1", "Отдел приёма"), "L2": Lane("L2", "Юристы")}
    mm = model_metrics(m)
    assert mm.lane_handovers == 2  # a->b and sp->c; i0->i1 stays inside L2
    assert mm.lanes == 2


def test_model_metrics_on_a_bpmn_file(small_log: SmallLog) -> None:
    m = read_bpmn(small_log.bpmn)
    mm = model_metrics(m)
    assert mm.size == len(m.flow_nodes()) and mm.sequence_flows == len(m.sequence_flows())
    assert mm.cnc == pytest.approx(mm.sequence_flows / mm.size)
    splits = [g for g in m.gateways() if sum(f.source == g.id for f in m.sequence_flows()) > 1]
    assert mm.cfc > 0 and mm.cfc_and == sum(g.type == "parallelGateway" for g in splits)
    assert mm.paths >= 1
    assert set(mm.to_dict()) >= {"size", "cfc", "cnc", "density", "paths", "paths_log10", "lane_handovers"}


# -- log work metrics ---------------------------------------------------------------------------
def hand_log(with_resource: bool = True) -> EventLog:
    t = pd.Timestamp("2024-03-01 10:00")
    rows = [
        ("1", "Приём", t, "r1", "d1"),
        ("1", "Проверка", t + pd.Timedelta(minutes=30), "r2", "d2"),
        ("1", "Решение", t + pd.Timedelta(minutes=60), "r1", "d1"),
        ("2", "Приём", t + pd.Timedelta(minutes=10), "r1", "d1"),
        ("2", "Проверка", t + pd.Timedelta(minutes=40), "r2", "d1"),
    ]
    df = pd.DataFrame(rows, columns=["case_id", "activity", "timestamp", "resource", "department"])
    if not with_resource:
        df = df.drop(columns=["resource"])
    return EventLog.from_frame(df)


def test_log_work_metrics_by_hand() -> None:
    w = log_work_metrics(hand_log())
    assert (w["cases"], w["events"]) == (2, 5)
    assert w["steps_per_case_mean"] == 2.5 and w["steps_per_case_median"] == 2.5
    assert w["case_duration_median_s"] == 2700.0
    assert w["case_duration_p90_s"] == pytest.approx(1800 + 0.9 * 1800)
    assert w["department_handovers_per_case"] == 1.0  # case 1: d1->d2->d1, case 2: none
    assert w["resource_handovers_per_case"] == 1.5
    # case 2's check waits for r2 to finish case 1's check (10:30): 600 s, not the 1800 s gap;
    # first events have no known start and get their activity's median (none known: 0)
    assert w["staff_time_method"] == "resource-availability"
    assert w["staff_hours_per_1000_cases"] == pytest.approx((1800 + 1800 + 600) / 3600 / 2 * 1000, abs=1e-3)


def test_log_work_metrics_case_gap_without_resources() -> None:
    w = log_work_metrics(hand_log(with_resource=False))
    assert w["staff_time_method"] == "case-gap"
    assert w["staff_hours_per_1000_cases"] == pytest.approx(3 * 1800 / 3600 / 2 * 1000, abs=1e-3)
    assert w["resource_handovers_per_case"] is None


def test_log_work_metrics_on_a_small_log(small_log: SmallLog) -> None:
    log = read_log(small_log.xes)
    w = log_work_metrics(log)
    per_case = log.df.groupby("case_id", observed=True).size()
    assert w["steps_per_case_mean"] == pytest.approx(per_case.mean(), abs=1e-3)
    assert w["steps_per_case_median"] == per_case.median()
    assert w["case_duration_median_s"] == pytest.approx(float(np.median(log.case_durations_s())), abs=1e-3)
    assert w["staff_time_method"] == "resource-availability"
    assert w["resource_handovers_per_case"] > 0
    # the vectorised estimate against a plain loop over the (small) real log
    df = log.df.reset_index(drop=True)
    last_case: dict[str, pd.Timestamp] = {}
    last_res: dict[str, pd.Timestamp] = {}
    known: dict[int, float] = {}
    for i, r in df.sort_values(["timestamp"], kind="stable").iterrows():
        if r.case_id in last_case:
            ready = max(last_case[r.case_id], last_res.get(r.resource, last_case[r.case_id]))
            known[i] = (r.timestamp - ready).total_seconds()
        last_case[r.case_id] = r.timestamp
        last_res[r.resource] = r.timestamp
    svc = pd.Series(known).reindex(df.index)
    svc = svc.fillna(svc.groupby(df["activity"].astype(str)).transform("median")).fillna(0.0)
    assert w["staff_hours_per_1000_cases"] == pytest.approx(svc.sum() / 3600 / log.n_cases * 1000, abs=1e-3)
