"""Bridges between gosupr's ProcessModel and pm4py objects (BPMN graph, accepting Petri net).

`to_petri_net` (in `to_pm4py_net`) is our own BPMN→Petri translation: it flattens sub-processes,
handles boundary events and names everything after BPMN ids. `from_pm4py_bpmn` turns a discovered
pm4py BPMN (random UUIDs) into a ProcessModel whose ids come from a canonical traversal, so the same
log gives the same ids every time; `to_pm4py_bpmn` goes the other way.
"""

from __future__ import annotations

import hashlib
from collections import Counter, deque
from typing import Any

from gosupr.bpmn.model import EVENT, GATEWAY, SUBPROCESS, TASK, Flow, Node, ProcessModel
from gosupr.mining.conformance.petri_net import processes_in_log, task_label, to_petri_net

__all__ = ["from_pm4py_bpmn", "processes_in_log", "task_label", "to_petri_net", "to_pm4py_bpmn"]


# -- pm4py BPMN ------------------------------------------------------------------------------------
_EVENT_CLASSES = {
    ("startEvent", "message"): "MessageStartEvent",
    ("startEvent", None): "NormalStartEvent",
    ("endEvent", "message"): "MessageEndEvent",
    ("endEvent", "terminate"): "TerminateEndEvent",
    ("endEvent", "error"): "ErrorEndEvent",
    ("endEvent", "cancel"): "CancelEndEvent",
    ("endEvent", None): "NormalEndEvent",
    ("intermediateCatchEvent", "message"): "MessageIntermediateCatchEvent",
    ("intermediateCatchEvent", "error"): "ErrorIntermediateCatchEvent",
    ("intermediateCatchEvent", "cancel"): "CancelIntermediateCatchEvent",
    ("intermediateCatchEvent", None): "IntermediateCatchEvent",
    ("intermediateThrowEvent", "message"): "MessageIntermediateThrowEvent",
    ("intermediateThrowEvent", None): "NormalIntermediateThrowEvent",
    ("boundaryEvent", "message"): "MessageBoundaryEvent",
    ("boundaryEvent", "error"): "ErrorBoundaryEvent",
    ("boundaryEvent", "cancel"): "CancelBoundaryEvent",
    ("boundaryEvent", None): "BoundaryEvent",
}
_GATEWAY_CLASSES = {
    "exclusiveGateway": "ExclusiveGateway",
    "parallelGateway": "ParallelGateway",
    "inclusiveGateway": "InclusiveGateway",
    "eventBasedGateway": "EventBasedGateway",
    "complexGateway": "InclusiveGateway",
}


def to_pm4py_bpmn(model: ProcessModel) -> Any:
    """pm4py BPMN graph with the same ids and names; nodes inside a sub-process carry its id as process.

    Lanes and DI other than shape bounds are not carried: pm4py's BPMN object has no place for them.
    """
    from gosupr._pm4py import pm4py

    pm4py()
    from pm4py.objects.bpmn.obj import BPMN

    process_id = next(iter(sorted(model.processes)), None) or "process"
    g = BPMN(process_id=process_id, name=model.name)
    made: dict[str, Any] = {}
    direction = {d.value.lower(): d for d in BPMN.Gateway.Direction}
    for n in sorted(model.flow_nodes(), key=lambda n: n.id):
        proc = n.parent if n.parent else (n.process or process_id)
        if n.kind == EVENT:
            defs = n.attrs.get("event_definitions") or []
            cls_name = _EVENT_CLASSES.get((n.type, defs[0] if defs else None)) or _EVENT_CLASSES[(n.type, None)]
            cls = getattr(BPMN, cls_name)
            if n.type == "boundaryEvent":
                obj = cls(id=n.id, name=n.name, process=proc, activity=n.attrs.get("attached_to"))
            else:
                obj = cls(id=n.id, name=n.name, process=proc)
        elif n.kind == GATEWAY:
            gd = direction.get(str(n.attrs.get("gateway_direction") or "unspecified").lower(), BPMN.Gateway.Direction.UNSPECIFIED)
            obj = getattr(BPMN, _GATEWAY_CLASSES.get(n.type, "ExclusiveGateway"))(
                id=n.id, name=n.name, gateway_direction=gd, process=proc
            )
        elif n.kind == SUBPROCESS:
            obj = BPMN.SubProcess(id=n.id, name=n.name, process=proc)
        elif n.type == "userTask":
            obj = BPMN.UserTask(id=n.id, name=n.name, process=proc)
        elif n.type == "sendTask":
            obj = BPMN.SendTask(id=n.id, name=n.name, process=proc)
        else:
            obj = BPMN.Task(id=n.id, name=n.name, process=proc)
        shape = model.diagram.shapes.get(n.id) if model.diagram else None
        g.add_node(obj)
        if shape is not None:
            obj.set_x(shape.x)
            obj.set_y(shape.y)
            obj.set_width(shape.width)
            obj.set_height(shape.height)
        made[n.id] = obj
    kinds = {"sequence": BPMN.SequenceFlow, "message": BPMN.MessageFlow, "association": BPMN.Association}
    for f in sorted(model.flows.values(), key=lambda f: f.id):
        cls = kinds.get(f.kind)
        if cls is None or f.source not in made or f.target not in made:
            continue
        src = made[f.source]
        flow = cls(src, made[f.target], id=f.id, name=f.name, process=src.get_process())
        g.add_flow(flow)
        if model.diagram and f.id in model.diagram.edges:
            for x, y in model.diagram.edges[f.id]:
                flow.add_waypoint((x, y))
    return g


_PREFIX = {TASK: "Activity", SUBPROCESS: "Activity", GATEWAY: "Gateway"}


def _pm4py_type(obj: Any) -> tuple[str, list[str]]:
    """BPMN tag and event definitions of a pm4py BPMN node, from its class."""
    from pm4py.objects.bpmn.obj import BPMN

    cname = type(obj).__name__
    defs: list[str] = []
    for word in ("Message", "Error", "Cancel", "Terminate"):
        if cname.startswith(word):
            defs = [word.lower()]
    for base, tag in (
        (BPMN.StartEvent, "startEvent"), (BPMN.EndEvent, "endEvent"), (BPMN.BoundaryEvent, "boundaryEvent"),
        (BPMN.IntermediateCatchEvent, "intermediateCatchEvent"), (BPMN.IntermediateThrowEvent, "intermediateThrowEvent"),
        (BPMN.ParallelGateway, "parallelGateway"), (BPMN.ExclusiveGateway, "exclusiveGateway"),
        (BPMN.InclusiveGateway, "inclusiveGateway"), (BPMN.EventBasedGateway, "eventBasedGateway"),
        (BPMN.SubProcess, "subProcess"), (BPMN.UserTask, "userTask"), (BPMN.SendTask, "sendTask"),
        (BPMN.Task, "task"), (BPMN.TextAnnotation, "textAnnotation"),
    ):
        if isinstance(obj, base):
            return tag, defs
    return "task", defs


def _digest(*parts: Any) -> str:
    return hashlib.sha1(repr(parts).encode("utf-8")).hexdigest()


def _canonical_signatures(keys: dict[int, str], succ: dict[int, list[int]], pred: dict[int, list[int]]) -> dict[int, str]:
    """Weisfeiler-Lehman refinement: a label per node from its type/name and its neighbourhood,
    independent of pm4py's (random) ids and set order."""
    sig = dict(keys)
    classes = len(set(sig.values()))
    for _ in range(len(sig)):
        new = {
            v: _digest(sig[v], sorted(sig[w] for w in succ[v]), sorted(sig[w] for w in pred[v]))
            for v in sig
        }
        n_classes = len(set(new.values()))
        sig = new
        if n_classes == classes:
            break
        classes = n_classes
    return sig


def from_pm4py_bpmn(bpmn_obj: Any, name: str = "") -> ProcessModel:
    """ProcessModel from a pm4py BPMN graph, with ids from a canonical breadth-first traversal.

    Ids are `StartEvent_1`, `Activity_3`, `Gateway_2`, `EndEvent_1`, `Flow_7`, numbered in the order a
    traversal from the start events meets them, successors ordered by a structural signature (type,
    name, neighbourhood). The same discovered model therefore gets the same ids on every run.
    """
    from gosupr._pm4py import pm4py

    pm4py()
    objs = list(bpmn_obj.get_nodes())
    flows = list(bpmn_obj.get_flows())
    idx = {id(o): i for i, o in enumerate(objs)}
    types = {i: _pm4py_type(o) for i, o in enumerate(objs)}
    succ: dict[int, list[int]] = {i: [] for i in range(len(objs))}
    pred: dict[int, list[int]] = {i: [] for i in range(len(objs))}
    seq = []
    for f in flows:
        s, t = idx.get(id(f.get_source())), idx.get(id(f.get_target()))
        if s is None or t is None:
            continue
        seq.append((s, t, f))
        if type(f).__name__ == "SequenceFlow":
            succ[s].append(t)
            pred[t].append(s)
    keys = {}
    for i, o in enumerate(objs):
        direction = getattr(o, "get_gateway_direction", lambda: None)()
        keys[i] = _digest(types[i], str(o.get_name() or ""), getattr(direction, "value", None))
    sig = _canonical_signatures(keys, succ, pred)

    order: list[int] = []
    seen: set[int] = set()
    starts = sorted((i for i in range(len(objs)) if types[i][0] == "startEvent"), key=lambda i: sig[i])
    rest = sorted(range(len(objs)), key=lambda i: (len(pred[i]) > 0, sig[i]))
    for root in starts + rest:
        if root in seen:
            continue
        seen.add(root)
        q = deque([root])
        while q:
            v = q.popleft()
            order.append(v)
            for w in sorted(succ[v], key=lambda w: sig[w]):
                if w not in seen:
                    seen.add(w)
                    q.append(w)

    counters: Counter[str] = Counter()
    new_id: dict[int, str] = {}
    for i in order:
        tag, _ = types[i]
        node_kind = Node(id="", type=tag).kind
        prefix = {"startEvent": "StartEvent", "endEvent": "EndEvent"}.get(tag) or _PREFIX.get(node_kind) or (
            "Event" if node_kind == EVENT else "Annotation"
        )
        counters[prefix] += 1
        new_id[i] = f"{prefix}_{counters[prefix]}"

    model = ProcessModel(name=name or str(bpmn_obj.get_name() or ""))
    process_id = "Process_1"
    model.processes[process_id] = model.name
    sub_ids = {str(objs[i].get_id()): new_id[i] for i in order if types[i][0] == "subProcess"}
    for i in order:
        o = objs[i]
        tag, defs = types[i]
        attrs: dict[str, Any] = {}
        if defs:
            attrs["event_definitions"] = defs
        direction = getattr(o, "get_gateway_direction", lambda: None)()
        if direction is not None:
            attrs["gateway_direction"] = direction.value
        if tag == "boundaryEvent":
            host = o.get_activity()
            host_key = str(host.get_id()) if hasattr(host, "get_id") else str(host)
            host_new = next((new_id[j] for j in order if str(objs[j].get_id()) == host_key), None)
            if host_new:
                attrs["attached_to"] = host_new
        parent = sub_ids.get(str(o.get_process()))
        model.add_node(Node(id=new_id[i], type=tag, name=str(o.get_name() or ""), process=process_id,
                            parent=parent, attrs=attrs))

    rank = {i: r for r, i in enumerate(order)}
    kinds = {"SequenceFlow": "sequence", "MessageFlow": "message", "Association": "association"}
    seq.sort(key=lambda e: (rank[e[0]], sig[e[1]], rank[e[1]], str(e[2].get_name() or "")))
    for k, (s, t, f) in enumerate(seq, start=1):
        fid = f"Flow_{k}"
        model.add_flow(Flow(id=fid, source=new_id[s], target=new_id[t], kind=kinds.get(type(f).__name__, "sequence"),
                            name=str(f.get_name() or ""), process=process_id))
    return model
