"""Replay on variants against pm4py's full-log functions, on real logs and BPMN files."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gosupr._pm4py import pm4py, quiet
from gosupr.bpmn.model import Flow, Node, ProcessModel
from gosupr.bpmn.reader import read_bpmn
from gosupr.eventlog import EventLog
from gosupr.ingest import read_log
from gosupr.mining.conformance import measure as C
from gosupr.mining.conformance.petri import from_pm4py_bpmn, to_petri_net, to_pm4py_bpmn
from gosupr.mining.discover import to_pm4py_frame
from material import OFFICE, RUNNING_EXAMPLE, SHARED, SmallLog, needs_shared


@pytest.fixture(scope="module")
def running(small_log: SmallLog) -> EventLog:
    """The in-repo office log, and the real running example when ../shared/data is present."""
    return read_log(small_log.xes)


@pytest.fixture(scope="module")
def receipt(shared_data: Path) -> EventLog:
    return read_log(shared_data / "logs" / "receipt.xes")


def inductive_net(log: EventLog, noise: float) -> tuple:
    with quiet():
        return pm4py().discover_petri_net_inductive(to_pm4py_frame(log), noise_threshold=noise)


def inductive_model(log: EventLog, noise: float) -> ProcessModel:
    with quiet():
        bpmn = pm4py().discover_bpmn_inductive(to_pm4py_frame(log), noise_threshold=noise)
    return from_pm4py_bpmn(bpmn)


def pm4py_fitness(log: EventLog, net: tuple) -> dict:
    with quiet():
        return pm4py().fitness_token_based_replay(to_pm4py_frame(log), *net)


def pm4py_precision(log: EventLog, net: tuple) -> float:
    with quiet():
        return pm4py().precision_token_based_replay(to_pm4py_frame(log), *net)


def test_inductive_model_fits_running_example(running: EventLog) -> None:
    for model in (inductive_net(running, 0.0), inductive_model(running, 0.0)):
        res = C.fitness(model, running)
        assert res.log_fitness == 1.0 and res.fitting_case_share == 1.0
        assert res.coverage.complete and res.coverage.cases == running.n_cases == 6
        assert sum(v.count for v in res.per_variant) == running.n_cases


@functools.cache
def _log(path: Path) -> EventLog:
    return read_log(path)


@pytest.mark.parametrize("path", [OFFICE.xes, pytest.param(RUNNING_EXAMPLE.xes, marks=needs_shared),
                                  pytest.param(SHARED / "logs" / "receipt.xes", marks=needs_shared)],
                         ids=["office", "running", "receipt"])
@pytest.mark.parametrize("source", ["pm4py-net", "our-net"])
def test_variant_replay_equals_pm4py_full_log(path: Path, source: str) -> None:
    log = _log(path)
    net = inductive_net(log, 0.2) if source == "pm4py-net" else to_petri_net(inductive_model(log, 0.2))
    ours = C.fitness(net, log)
    ref = pm4py_fitness(log, net)
    assert ours.log_fitness == pytest.approx(ref["log_fitness"], abs=1e-9)
    assert ours.average_trace_fitness == pytest.approx(ref["average_trace_fitness"], abs=1e-9)
    assert 100 * ours.fitting_case_share == pytest.approx(ref["perc_fit_traces"], abs=1e-9)
    assert C.precision(net, log).precision == pytest.approx(pm4py_precision(log, net), abs=1e-9)
    assert len(ours.per_variant) == len(log.variants)


def test_receipt_is_not_trivially_fit(receipt: EventLog) -> None:
    res = C.fitness(inductive_net(receipt, 0.2), receipt)
    assert 0.5 < res.log_fitness < 1.0
    assert 0.0 < res.fitting_case_share < 1.0
    unfit = [v for v in res.per_variant if not v.fit]
    assert unfit and all(v.missing + v.remaining > 0 for v in unfit)


def test_our_net_matches_pm4py_own_bpmn_conversion(receipt: EventLog) -> None:
    model = inductive_model(receipt, 0.2)
    with quiet():
        theirs = pm4py().convert_to_petri_net(to_pm4py_bpmn(model))
    ours = to_petri_net(model)
    assert C.fitness(ours, receipt).log_fitness == pytest.approx(C.fitness(theirs, receipt).log_fitness, abs=1e-12)
    assert C.precision(ours, receipt).precision == pytest.approx(C.precision(theirs, receipt).precision, abs=1e-12)


def drop_task(model: ProcessModel, name: str) -> ProcessModel:
    """The model with one task cut out and its neighbours joined directly."""
    (node,) = [n for n in model.nodes.values() if n.name == name]
    inc = [f for f in model.flows.values() if f.target == node.id]
    out = [f for f in model.flows.values() if f.source == node.id]
    cut = ProcessModel(name=model.name, nodes={k: v for k, v in model.nodes.items() if k != node.id},
                       flows={k: v for k, v in model.flows.items() if v not in inc + out})
    for i, (a, b) in enumerate((a, b) for a in inc for b in out):
        cut.add_flow(Flow(f"bypass_{i}", a.source, b.target))
    return cut


def test_missing_task_lowers_fitness_and_fitting_share(running: EventLog, small_log: SmallLog) -> None:
    full = inductive_model(running, 0.0)
    cut = drop_task(full, small_log.step)
    before, after = C.fitness(full, running), C.fitness(cut, running)
    assert after.log_fitness < before.log_fitness == 1.0
    assert after.fitting_case_share < before.fitting_case_share
    n_check = int((running.df["activity"] == small_log.step).sum())
    assert after.unknown_activity_events == n_check > 0
    # pm4py's own rule skips unknown activities: then the cut model still replays the rest cleanly
    assert C.fitness(cut, running, unknown_activities="ignore").log_fitness == pytest.approx(
        pm4py_fitness(running, to_petri_net(cut))["log_fitness"], abs=1e-9
    )


def test_bpmn_file_converts_and_replays(small_log: SmallLog, running: EventLog) -> None:
    model = read_bpmn(small_log.bpmn)
    net, _, _ = to_petri_net(model)
    labels = {t.label for t in net.transitions if t.label}
    assert labels == {n.name for n in model.tasks()} == set(running.activities)
    res = C.fitness(model, running)
    assert res.log_fitness == 1.0 and res.fitting_case_share == 1.0
    with quiet():
        theirs = pm4py().read_bpmn(str(small_log.bpmn))
        theirs_net = pm4py().convert_to_petri_net(theirs)
    assert C.precision(model, running).precision == pytest.approx(C.precision(theirs_net, running).precision, abs=1e-12)


def test_caps_replay_most_frequent_variants_and_report_the_rest(receipt: EventLog) -> None:
    net = inductive_net(receipt, 0.2)
    v = receipt.variants
    res = C.fitness(net, receipt, limits=C.ReplayLimits(max_variants=3))
    assert res.coverage.variants_replayed == 3
    assert res.coverage.cases_replayed == int(v.counts[:3].sum())
    assert res.coverage.cases_not_replayed == receipt.n_cases - int(v.counts[:3].sum())
    assert "3 variants" in res.coverage.reason
    half = C.fitness(net, receipt, limits=C.ReplayLimits(coverage=0.5))
    share = half.coverage.cases_replayed / receipt.n_cases
    assert share >= 0.5 and half.coverage.variants_replayed < len(v)
    assert half.coverage.cases_replayed - int(v.counts[half.coverage.variants_replayed - 1]) < 0.5 * receipt.n_cases
    prec = C.precision(net, receipt, limits=C.ReplayLimits(max_variants=3))
    assert prec.coverage.variants_replayed == 3 and 0.0 <= prec.precision <= 1.0


def test_alignment_fitness_matches_pm4py_and_respects_budget(running: EventLog, receipt: EventLog) -> None:
    net = inductive_net(running, 0.2)
    res = C.alignment_fitness(net, running, time_budget_s=60)
    with quiet():
        ref = pm4py().fitness_alignments(to_pm4py_frame(running), *net)
    assert not res.partial
    assert res.log_fitness == pytest.approx(ref["log_fitness"], abs=1e-9)
    assert res.average_trace_fitness == pytest.approx(ref["average_trace_fitness"], abs=1e-9)
    cut = C.alignment_fitness(inductive_net(receipt, 0.2), receipt, time_budget_s=0.01)  # far below any machine's need
    assert cut.partial and cut.coverage.cases_replayed < receipt.n_cases
    assert cut.coverage.reason


def test_quality_bundles_fitness_and_precision(running: EventLog) -> None:
    q = C.quality(inductive_model(running, 0.0), running)
    assert q.fitness == 1.0 and 0.0 < q.precision < 1.0
    assert q.f_score == pytest.approx(2 * q.precision / (1 + q.precision))
    assert q.to_dict()["cases"] == 6


def test_discovered_ids_are_stable_across_runs(receipt: EventLog) -> None:
    a, b = inductive_model(receipt, 0.2), inductive_model(receipt, 0.2)
    assert [(n.id, n.type, n.name) for n in a.nodes.values()] == [(n.id, n.type, n.name) for n in b.nodes.values()]
    assert [(f.id, f.source, f.target) for f in a.flows.values()] == [(f.id, f.source, f.target) for f in b.flows.values()]
    assert all(n.id.split("_")[0] in {"StartEvent", "EndEvent", "Activity", "Gateway"} for n in a.nodes.values())
    na, nb = to_petri_net(a)[0], to_petri_net(b)[0]
    assert sorted((t.name, t.label) for t in na.transitions) == sorted((t.name, t.label) for t in nb.transitions)


# -- hand-made BPMN constructs ------------------------------------------------------------------
def build(nodes: list[tuple], flows: list[tuple[str, str]]) -> ProcessModel:
    m = ProcessModel(name="hand-made")
    for spec in nodes:
        attrs = dict(spec[3]) if len(spec) > 3 else {}
        m.add_node(Node(spec[0], spec[1], spec[2], process="P", parent=attrs.pop("parent", None), attrs=attrs))
    for i, (a, b) in enumerate(flows):
        m.add_flow(Flow(f"f{i}", a, b))
    return m


def traces_log(traces: list[list[str]]) -> EventLog:
    rows = [(f"c{i}", a, pd.Timestamp("2024-01-09") + pd.Timedelta(minutes=j))
            for i, t in enumerate(traces) for j, a in enumerate(t)]
    return EventLog.from_frame(pd.DataFrame(rows, columns=["case_id", "activity", "timestamp"]))


def fits(model: ProcessModel, traces: list[list[str]]) -> dict[tuple[str, ...], bool]:
    return {v.trace: v.fit for v in C.fitness(model, traces_log(traces)).per_variant}


def test_subprocess_flattened_with_loop_task() -> None:
    m = build(
        [("s", "startEvent", ""), ("sp", "subProcess", "Рассмотрение"), ("c", "task", "Ответ"), ("e", "endEvent", ""),
         ("s1", "startEvent", "", {"parent": "sp"}), ("a", "task", "Регистрация", {"parent": "sp"}),
         ("sp2", "subProcess", "Проверки", {"parent": "sp"}), ("e1", "endEvent", "", {"parent": "sp"}),
         ("s2", "startEvent", "", {"parent": "sp2"}), ("b", "task", "Проверка", {"parent": "sp2", "loop": "standard"}),
         ("e2", "endEvent", "", {"parent": "sp2"})],
        [("s", "sp"), ("sp", "c"), ("c", "e"), ("s1", "a"), ("a", "sp2"), ("sp2", "e1"), ("s2", "b"), ("b", "e2")],
    )
    got = fits(m, [["Регистрация", "Проверка", "Ответ"], ["Регистрация", "Проверка", "Проверка", "Ответ"],
                   ["Регистрация", "Ответ"]])
    assert got == {("Регистрация", "Проверка", "Ответ"): True, ("Регистрация", "Проверка", "Проверка", "Ответ"): True,
                   ("Регистрация", "Ответ"): False}


def test_boundary_events_and_parallel_ends() -> None:
    m = build(
        [("s", "startEvent", ""), ("a", "task", "A"), ("c", "task", "C"), ("e", "endEvent", ""),
         ("err", "boundaryEvent", "", {"attached_to": "a", "event_definitions": ["error"], "cancel_activity": True}),
         ("d", "task", "D"), ("e2", "endEvent", ""),
         ("tm", "boundaryEvent", "", {"attached_to": "a", "event_definitions": ["timer"], "cancel_activity": False}),
         ("r", "task", "Remind"), ("e3", "endEvent", "")],
        [("s", "a"), ("a", "c"), ("c", "e"), ("err", "d"), ("d", "e2"), ("tm", "r"), ("r", "e3")],
    )
    got = fits(m, [["A", "C"], ["D"], ["Remind", "A", "C"], ["Remind", "D"], ["A", "Remind", "C"],
                   ["C"], ["D", "A"], ["A", "D"]])
    # the reminder branch runs beside A and ends on its own: the case still completes
    assert got[("A", "C")] and got[("D",)] and got[("Remind", "A", "C")] and got[("Remind", "D")]
    assert got[("A", "Remind", "C")]  # timer fired while A ran; the reminder finished after A
    assert not got[("C",)]
    assert not got[("D", "A")] and not got[("A", "D")]  # the error interrupts A: never both


def test_inclusive_gateway_pair() -> None:
    m = build(
        [("s", "startEvent", ""), ("o1", "inclusiveGateway", ""), ("a", "task", "A"), ("b", "task", "B"),
         ("x", "task", "X"), ("o2", "inclusiveGateway", ""), ("c", "task", "C"), ("e", "endEvent", "")],
        [("s", "o1"), ("o1", "a"), ("o1", "b"), ("o1", "x"), ("a", "o2"), ("b", "o2"), ("x", "o2"), ("o2", "c"), ("c", "e")],
    )
    got = fits(m, [["A", "C"], ["B", "A", "C"], ["A", "B", "X", "C"], ["A", "A", "C"]])
    assert got[("A", "C")] and got[("B", "A", "C")] and got[("A", "B", "X", "C")]
    assert not got[("A", "A", "C")]


def test_pools_the_log_never_mentions_are_left_out() -> None:
    m = build(
        [("s", "startEvent", ""), ("a", "task", "Заявка"), ("e", "endEvent", "")],
        [("s", "a"), ("a", "e")],
    )
    for nid, name in (("s9", ""), ("z", "Клиент ждёт"), ("e9", "")):
        m.add_node(Node(nid, {"s9": "startEvent", "z": "task", "e9": "endEvent"}[nid], name, process="Q"))
    m.add_flow(Flow("q1", "s9", "z"))
    m.add_flow(Flow("q2", "z", "e9"))
    res = C.fitness(m, traces_log([["Заявка"], ["заявка "]]))
    assert res.log_fitness == 1.0  # pool Q dropped; "заявка " matches "Заявка" by normalised label
    net, _, _ = to_petri_net(m)
    assert {t.label for t in net.transitions if t.label} == {"Заявка", "Клиент ждёт"}


def test_empty_and_hostile_inputs_do_not_hang() -> None:
    m = build([("s", "startEvent", ""), ("a", "task", "A"), ("e", "endEvent", "")], [("s", "a"), ("a", "e")])
    long_trace = ["A"] * 1500
    res = C.fitness(m, traces_log([long_trace, long_trace, ["A"]]), limits=C.ReplayLimits(max_events=100))
    assert res.coverage.variants_replayed == 0 and res.coverage.cases_not_replayed == 3
    assert res.log_fitness == 0.0 and "event budget" in res.coverage.reason
    prec = C.precision(m, traces_log([long_trace]), limits=C.ReplayLimits(max_events=1000))
    assert prec.coverage.cases_replayed == 0 and prec.precision is None
    assert np.isfinite(C.fitness(ProcessModel(), traces_log([["A"]])).log_fitness)


def test_cases_too_long_for_token_replay_are_left_out_and_counted() -> None:
    """pm4py's replay is quadratic in trace length: a 3000-event case (most frequent variant) is
    skipped, the short cases behind it are still replayed, and the coverage says why."""
    m = build([("s", "startEvent", ""), ("a", "task", "A"), ("e", "endEvent", "")], [("s", "a"), ("a", "e")])
    giant = ["A"] * 3000
    res = C.fitness(m, traces_log([giant, giant, ["A"]]))
    assert res.coverage.cases_replayed == 1 and res.coverage.cases_not_replayed == 2
    assert res.log_fitness == 1.0 and res.coverage.reason == "cases longer than 2000 events"
    prec = C.precision(m, traces_log([giant, giant, ["A"]]))
    assert prec.coverage.cases_replayed == 1 and prec.precision == 1.0
    ok = C.fitness(m, traces_log([giant, ["A"]]), limits=C.ReplayLimits(max_trace_events=5000))
    assert ok.coverage.cases_replayed == 2 and ok.coverage.reason is None


@pytest.mark.parametrize("name", ["land_lease.csv", "construction_permit.csv", "memo_approval.xes"])
def test_examples_match_pm4py_including_rework_loops(examples_dir: Path, name: str) -> None:
    """Russian activity names, rework loops and parallel steps: variant replay still equals pm4py."""
    log = read_log(examples_dir / name)
    net = to_petri_net(inductive_model(log, 0.2))
    ref = pm4py_fitness(log, net)
    ours = C.fitness(net, log)
    assert ours.log_fitness == pytest.approx(ref["log_fitness"], abs=1e-9)
    assert 100 * ours.fitting_case_share == pytest.approx(ref["perc_fit_traces"], abs=1e-9)
    assert C.precision(net, log).precision == pytest.approx(pm4py_precision(log, net), abs=1e-9)


def test_precision_on_hand_made_constructs_equals_pm4py() -> None:
    """Boundary events, OR pairs, sub-processes: our nets are unusual, the prefix shortcut must hold."""
    m = build(
        [("s", "startEvent", ""), ("o1", "inclusiveGateway", ""), ("a", "task", "A"), ("b", "task", "B"),
         ("o2", "inclusiveGateway", ""), ("c", "task", "C"), ("e", "endEvent", ""),
         ("tm", "boundaryEvent", "", {"attached_to": "c", "cancel_activity": False}), ("r", "task", "R"),
         ("e2", "endEvent", "")],
        [("s", "o1"), ("o1", "a"), ("o1", "b"), ("a", "o2"), ("b", "o2"), ("o2", "c"), ("c", "e"), ("tm", "r"),
         ("r", "e2")],
    )
    log = traces_log([["A", "C"], ["B", "A", "C"], ["A", "B", "R", "C"], ["B", "C", "R"], ["C", "A"], ["A", "Z", "C"]])
    net = to_petri_net(m)
    ours = C.precision(net, log).precision
    assert 0.0 < ours < 1.0
    assert ours == pytest.approx(pm4py_precision(log, net), abs=1e-12)


def test_token_generating_silent_loop_does_not_hang() -> None:
    """A parallel split feeding back into its own XOR merge creates tokens without any task:
    pm4py's enabled-transition search would run forever; ours is bounded and says so."""
    m = build(
        [("s", "startEvent", ""), ("m", "exclusiveGateway", ""), ("p", "parallelGateway", ""),
         ("a", "task", "A"), ("b", "task", "B"), ("e", "endEvent", "")],
        [("s", "m"), ("m", "p"), ("p", "a"), ("p", "m"), ("a", "b"), ("b", "e")],
    )
    log = traces_log([["A", "B"], ["A", "A", "B"], ["B"]])
    fit = C.fitness(m, log)
    assert fit.coverage.complete and 0.0 < fit.log_fitness < 1.0
    prec = C.precision(m, log)
    assert prec.truncated_searches > 0 and prec.precision is not None
    al = C.alignment_fitness(m, log, time_budget_s=2.0)  # the generated tokens never all drain away
    assert al.partial and al.log_fitness is None and "final marking" in al.coverage.reason
