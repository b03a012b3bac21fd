"""Variants of the MIWG reference models made by the edits modelling tools make, and how to score a diff.

Each variant is the reference model read by gosupr and edited in memory, with the behavioural
changes it must produce listed beside it (none for a cosmetic edit). Used by tests/test_compare.py
and by tests/compare_accuracy.py, which writes docs/compare-accuracy.md.
"""

from __future__ import annotations

import copy
import json
import random
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from gosupr.bpmn.model import ARTIFACT, Diagram, Flow, Lane, Node, ProcessModel
from gosupr.mining.compare.models import ModelDiff

HERE = Path(__file__).parent
EXPECTED_EXPORTS = HERE / "data" / "compare" / "exports_expected.json"
SHARED_BPMN = HERE.resolve().parents[1] / "shared" / "data" / "bpmn"
_WS = re.compile(r"\s+")

Key = tuple[str, str, str]


def _name(text: str | None) -> str:
    return _WS.sub(" ", text or "").strip()


def change_keys(diff: ModelDiff) -> Counter:
    """Every behavioural change as (section, change, what a person reads), counted."""
    out: Counter = Counter()
    for c in diff.elements:
        out[("element", c.change, _name(c.name) or f"[{c.type}]")] += 1
    for f in diff.flows:
        out[("flow", f.change, f"{_name(f.source)} -> {_name(f.target)}")] += 1
    for k in diff.containers:
        out[(k.kind, k.change, _name(k.name) or f"[{k.kind}]")] += 1
    return out


def score(reported: Counter, expected: Counter) -> tuple[int, int, int]:
    """True positives, false positives, false negatives of one comparison."""
    tp = sum((reported & expected).values())
    return tp, sum(reported.values()) - tp, sum(expected.values()) - tp


def load_expected_exports() -> list[dict]:
    return json.loads(EXPECTED_EXPORTS.read_text(encoding="utf-8"))["pairs"]


# -- id rewriting ---------------------------------------------------------------------------------
def rewrite_ids(model: ProcessModel, prefix: str = "id", seed: int | None = None) -> tuple[ProcessModel, dict[str, str]]:
    """The same model with every id replaced (as a re-mined or re-drawn model has), optionally shuffled."""
    keys = list(model.nodes) + list(model.flows) + list(model.lanes) + list(model.participants) + list(model.processes)
    ren: dict[str, str] = {}
    for k in keys:
        ren.setdefault(k, f"{prefix}{len(ren)}")

    def r(k):
        return None if k is None else ren.get(k, k)

    out = ProcessModel(name=model.name)
    nodes = []
    for n in model.nodes.values():
        n2 = copy.deepcopy(n)
        n2.id, n2.parent, n2.lane, n2.process = r(n.id), r(n.parent), r(n.lane), r(n.process)
        for ref in ("attached_to", "default", "called_element"):
            if ref in n2.attrs:
                n2.attrs[ref] = r(n2.attrs[ref])
        nodes.append(n2)
    flows = []
    for f in model.flows.values():
        f2 = copy.deepcopy(f)
        f2.id, f2.source, f2.target, f2.process = r(f.id), r(f.source), r(f.target), r(f.process)
        flows.append(f2)
    if seed is not None:
        rnd = random.Random(seed)
        rnd.shuffle(nodes)
        rnd.shuffle(flows)
    out.nodes = {n.id: n for n in nodes}
    out.flows = {f.id: f for f in flows}
    for lane in model.lanes.values():
        l2 = copy.deepcopy(lane)
        l2.id, l2.parent, l2.process = r(lane.id), r(lane.parent), r(lane.process)
        out.lanes[l2.id] = l2
    for p in model.participants.values():
        p2 = copy.deepcopy(p)
        p2.id, p2.process = r(p.id), r(p.process)
        out.participants[p2.id] = p2
    out.processes = {r(k): v for k, v in model.processes.items()}
    for d in model.diagrams:
        out.diagrams.append(
            Diagram(
                id=d.id,
                name=d.name,
                plane=r(getattr(d, "plane", None)),
                shapes={r(k): v for k, v in d.shapes.items()},
                edges={r(k): v for k, v in d.edges.items()},
            )
        )
    return out, ren


# -- variants ---------------------------------------------------------------------------------------
@dataclass
class Variant:
    """One edit of a reference model and the behavioural changes it must produce (empty: cosmetic)."""

    reference: str
    edit: str
    model: ProcessModel
    expected: Counter = field(default_factory=Counter)
    base: ProcessModel | None = None  # the "before" model when it is not the reference itself

    @property
    def cosmetic(self) -> bool:
        return not self.expected

    def before(self, reference: ProcessModel) -> ProcessModel:
        return self.base if self.base is not None else reference


def _display(model: ProcessModel, nid: str) -> str:
    n = model.nodes.get(nid)
    if n is not None:
        return _name(n.name) or f"[{n.type}]"
    p = model.participants.get(nid)
    return (_name(p.name) or "[pool]") if p else nid


def _flow_key(model: ProcessModel, f: Flow, change: str) -> Key:
    return ("flow", change, f"{_display(model, f.source)} -> {_display(model, f.target)}")


def _steps(model: ProcessModel) -> list:
    return [n for n in model.nodes.values() if n.kind != ARTIFACT]


def _unique_names(model: ProcessModel) -> Counter:
    return Counter(_name(n.name) for n in _steps(model))


def _cosmetic_new_ids(model: ProcessModel) -> Iterator[tuple[str, ProcessModel, Counter]]:
    yield "new ids (shuffled)", rewrite_ids(model, "x", seed=7)[0], Counter()


PLACEHOLDERS = {"exclusiveGateway": "Gateway", "parallelGateway": "Parallel Gateway", "endEvent": "End Event",
                "startEvent": "Start Event", "eventBasedGateway": "Event gateway", "inclusiveGateway": "Inclusive Gateway"}


def _cosmetic_placeholders(model: ProcessModel) -> Iterator[tuple[str, ProcessModel, Counter]]:
    """Unnamed flows get `Sequence Flow_NN`, unnamed gateways and events a numbered type name, lanes `<ohne Namen>`."""
    m, _ = rewrite_ids(model, "p")
    touched = 0
    for i, f in enumerate(m.flows.values()):
        if not f.name and f.kind == "sequence":
            f.name = f"Sequence Flow_{10 + i}"
            touched += 1
    for i, n in enumerate(m.nodes.values()):
        if not n.name and n.type in PLACEHOLDERS:
            n.name = f"{PLACEHOLDERS[n.type]}_{80 + i}" if i % 2 else PLACEHOLDERS[n.type]
            touched += 1
    for ln in m.lanes.values():
        if not ln.name:
            ln.name = "<ohne Namen>"
            touched += 1
    if touched:
        yield "placeholder names", m, Counter()


def _cosmetic_unnamed_containers(model: ProcessModel) -> Iterator[tuple[str, ProcessModel, Counter]]:
    """Sub-processes (event sub-processes too) exported without their names."""
    m, _ = rewrite_ids(model, "u", seed=3)
    subs = [n for n in m.nodes.values() if n.kind == "subprocess" and n.name and any(c.parent == n.id for c in m.nodes.values())]
    for n in subs:
        n.name = ""
    if subs:
        yield "unnamed sub-processes", m, Counter()


_SPELLING = ((re.compile(r"Sub-Process"), "Sub Process"), (re.compile(r"Sub Process"), "Sub-Process"),
             (re.compile(r"ss"), "s"), (re.compile(r" - "), "-"), (re.compile(r"\?$"), " ?"))


def _cosmetic_spelling(model: ProcessModel) -> Iterator[tuple[str, ProcessModel, Counter]]:
    """One spelling variant per labelled step: hyphen/space, a doubled letter lost, spacing before '?'."""
    m, _ = rewrite_ids(model, "s")
    touched = 0
    for n in _steps(m):
        for pat, rep in _SPELLING:
            new = pat.sub(rep, n.name, count=1)
            if new != n.name and len(_name(n.name)) >= 10:
                n.name = new
                touched += 1
                break
    if touched:
        yield "spelling variants", m, Counter()


def _cosmetic_pool_wide_lane(model: ProcessModel) -> Iterator[tuple[str, ProcessModel, Counter]]:
    """A lane around every step of each process that had none (tools add one on export)."""
    m, _ = rewrite_ids(model, "l")
    laned = {ln.process for ln in m.lanes.values()}
    added = 0
    for pid in list(m.processes):
        if pid in laned:
            continue
        members = [n for n in _steps(m) if n.process == pid]
        if not members:
            continue
        lane = Lane(f"lane_{pid}", "", pid)
        m.lanes[lane.id] = lane
        for n in members:
            n.lane = lane.id
        added += 1
    if added:
        yield "pool-wide lanes added", m, Counter()


def _semantic_dropped_markers(model: ProcessModel) -> Iterator[tuple[str, ProcessModel, Counter]]:
    for nid, n in model.nodes.items():
        if n.attrs.get("loop"):
            m, ren = rewrite_ids(model, "m")
            n2 = m.nodes[ren[nid]]
            del n2.attrs["loop"]
            yield f"loop marker dropped ({n.attrs['loop']})", m, Counter({("element", "marker-changed", _display(m, n2.id)): 1})
            return


def _semantic_dropped_condition(model: ProcessModel) -> Iterator[tuple[str, ProcessModel, Counter]]:
    for fid, f in model.flows.items():
        if f.condition and f.condition.strip().lower() not in ("true", "_undefined"):
            m, ren = rewrite_ids(model, "c")
            f2 = m.flows[ren[fid]]
            f2.condition = None
            yield "condition dropped", m, Counter({_flow_key(m, f2, "condition-changed"): 1})
            return


def _semantic_removed_task(model: ProcessModel) -> Iterator[tuple[str, ProcessModel, Counter]]:
    """A named task with one way in and one way out is cut out and its neighbours joined."""
    names = _unique_names(model)
    for nid, n in model.nodes.items():
        if n.kind != "task" or names[_name(n.name)] != 1 or not _name(n.name):
            continue
        ins = [f for f in model.flows.values() if f.target == nid and f.kind == "sequence"]
        outs = [f for f in model.flows.values() if f.source == nid and f.kind == "sequence"]
        touching = [f for f in model.flows.values() if nid in (f.source, f.target)]
        attached = [x for x in model.nodes.values() if x.attrs.get("attached_to") == nid]
        if len(ins) != 1 or len(outs) != 1 or len(touching) != 2 or attached:
            continue
        if names[_name(model.nodes[ins[0].source].name)] != 1 or names[_name(model.nodes[outs[0].target].name)] != 1:
            continue
        m, ren = rewrite_ids(model, "r")
        fin, fout = m.flows[ren[ins[0].id]], m.flows[ren[outs[0].id]]
        exp = Counter({("element", "removed", _display(m, ren[nid])): 1, _flow_key(m, fin, "removed"): 1,
                       _flow_key(m, fout, "removed"): 1})
        del m.flows[fout.id]
        fin.target = fout.target
        exp[_flow_key(m, fin, "added")] += 1
        del m.nodes[ren[nid]]
        yield "task removed", m, exp
        return


def _semantic_renamed_task(model: ProcessModel) -> Iterator[tuple[str, ProcessModel, Counter]]:
    names = _unique_names(model)
    for nid, n in model.nodes.items():
        if n.kind == "task" and names[_name(n.name)] == 1 and len(_name(n.name)) >= 6:
            m, ren = rewrite_ids(model, "n")
            m.nodes[ren[nid]].name = "Check the application of the ministry"
            yield "task renamed", m, Counter({("element", "renamed", "Check the application of the ministry"): 1})
            return


def _semantic_interrupting(model: ProcessModel) -> Iterator[tuple[str, ProcessModel, Counter]]:
    for nid, n in model.nodes.items():
        if n.type == "boundaryEvent" and n.attrs.get("cancel_activity") is not False:
            m, ren = rewrite_ids(model, "i")
            m.nodes[ren[nid]].attrs["cancel_activity"] = False
            yield "boundary event made non-interrupting", m, Counter({("element", "type-changed", _display(m, ren[nid])): 1})
            return


def _semantic_default_flow(model: ProcessModel) -> Iterator[tuple[str, ProcessModel, Counter]]:
    for nid, n in model.nodes.items():
        d = n.attrs.get("default")
        if d in model.flows:
            m, ren = rewrite_ids(model, "d")
            del m.nodes[ren[nid]].attrs["default"]
            yield "default flow dropped", m, Counter({_flow_key(m, m.flows[ren[d]], "default-changed"): 1})
            return


def _cosmetic_all(model: ProcessModel) -> Iterator[tuple[str, ProcessModel, Counter]]:
    """Every cosmetic edit at once, as one export by a careless tool."""
    m = model
    for make in (_cosmetic_placeholders, _cosmetic_unnamed_containers, _cosmetic_spelling, _cosmetic_pool_wide_lane):
        for _, m2, _ in make(m):
            m = m2
    yield "all cosmetic edits together", rewrite_ids(m, "all", seed=11)[0], Counter()


COSMETIC: list[Callable[[ProcessModel], Iterator[tuple[str, ProcessModel, Counter]]]] = [
    _cosmetic_new_ids, _cosmetic_placeholders, _cosmetic_unnamed_containers, _cosmetic_spelling, _cosmetic_pool_wide_lane,
    _cosmetic_all,
]
SEMANTIC: list[Callable[[ProcessModel], Iterator[tuple[str, ProcessModel, Counter]]]] = [
    _semantic_dropped_markers, _semantic_dropped_condition, _semantic_removed_task, _semantic_renamed_task,
    _semantic_interrupting, _semantic_default_flow,
]


def with_event_subprocess(model: ProcessModel) -> ProcessModel:
    """The model with a named event sub-process in its first process (the MIWG files have none):
    a non-interrupting message start, a decision `Fraud suspected?` with a `=fraud` branch, two tasks, two ends."""
    m = copy.deepcopy(model)
    proc = next((n.process for n in m.nodes.values() if n.process), None) or "esp_process"
    m.processes.setdefault(proc, "")
    lane = next((n.lane for n in m.nodes.values() if n.process == proc and n.lane), None)

    def node(nid: str, typ: str, name: str = "", parent: str | None = "esp", **attrs) -> None:
        m.add_node(Node(nid, typ, name, proc, parent, lane, dict(attrs)))

    node("esp", "subProcess", "Handle suspected fraud", None, triggered_by_event=True)
    node("esp_start", "startEvent", "Fraud reported", event_definitions=["message"], interrupting=False)
    node("esp_gw", "exclusiveGateway", "Fraud suspected?")
    node("esp_block", "task", "Block the account")
    node("esp_note", "task", "Note the report")
    node("esp_end1", "endEvent")
    node("esp_end2", "endEvent")
    for fid, src, tgt, name, cond in (
        ("esp_f1", "esp_start", "esp_gw", "", None), ("esp_f2", "esp_gw", "esp_block", "yes", "=fraud"),
        ("esp_f3", "esp_gw", "esp_note", "no", None), ("esp_f4", "esp_block", "esp_end1", "", None),
        ("esp_f5", "esp_note", "esp_end2", "", None),
    ):
        m.add_flow(Flow(fid, src, tgt, "sequence", name, cond, proc))
    return m


def _event_subprocess_variants(model: ProcessModel) -> Iterator[tuple[str, ProcessModel, Counter, ProcessModel]]:
    """As the export of C.9.2 the issue names: the event sub-process and its gateway left unnamed by the tool."""
    base = with_event_subprocess(model)
    cosmetic, ren = rewrite_ids(base, "e", seed=5)
    cosmetic.nodes[ren["esp"]].name = ""
    cosmetic.nodes[ren["esp_gw"]].name = "Exclusive Gateway_81"
    yield "unnamed event sub-process", cosmetic, Counter(), base
    dropped = copy.deepcopy(cosmetic)
    dropped.flows[ren["esp_f2"]].condition = None
    yield "condition dropped in unnamed event sub-process", dropped, Counter(
        {("flow", "condition-changed", "Exclusive Gateway_81 -> Block the account"): 1}), base
    interrupting = copy.deepcopy(cosmetic)
    del interrupting.nodes[ren["esp_start"]].attrs["interrupting"]
    yield "event sub-process start made interrupting", interrupting, Counter(
        {("element", "type-changed", "Fraud reported"): 1}), base


def variants(reference: str, model: ProcessModel) -> list[Variant]:
    """Every cosmetic and semantic variant that applies to one reference model (deterministic)."""
    out = []
    for make in COSMETIC + SEMANTIC:
        for edit, m, expected in make(model):
            out.append(Variant(reference, edit, m, expected))
    for edit, m, expected, base in _event_subprocess_variants(model):
        out.append(Variant(reference, edit, m, expected, base))
    return out
