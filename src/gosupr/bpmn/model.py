"""ProcessModel: the one graph model of a BPMN process that readers fill and the rest of gosupr uses.

It keeps what real modellers export (lanes, pools, sub-processes, boundary events, message flows,
data objects, DI) so that a file read and written back loses nothing that matters, while
`graph()` gives the plain control-flow graph that metrics, rules and comparison work on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

import networkx as nx

# kinds: the coarse class of a flow node; `type` keeps the exact BPMN tag
TASK = "task"  # task, userTask, serviceTask, ..., callActivity
SUBPROCESS = "subprocess"  # subProcess, transaction, adHocSubProcess
EVENT = "event"  # startEvent, endEvent, intermediate*Event, boundaryEvent
GATEWAY = "gateway"  # exclusiveGateway, parallelGateway, inclusiveGateway, eventBasedGateway, complexGateway
ARTIFACT = "artifact"  # dataObjectReference, dataStoreReference, textAnnotation, group
ACTIVITY_KINDS = (TASK, SUBPROCESS)  # the kinds a person calls "steps"

TASK_TYPES = {
    "task", "userTask", "serviceTask", "manualTask", "scriptTask", "businessRuleTask",
    "sendTask", "receiveTask", "callActivity",
}
SUBPROCESS_TYPES = {"subProcess", "transaction", "adHocSubProcess"}
EVENT_TYPES = {
    "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
}
GATEWAY_TYPES = {
    "exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway",
}
ARTIFACT_TYPES = {
    "dataObjectReference", "dataStoreReference", "dataObject", "dataStore", "textAnnotation", "group",
    "dataInput", "dataOutput",
}


def kind_of(bpmn_type: str) -> str | None:
    if bpmn_type in TASK_TYPES:
        return TASK
    if bpmn_type in SUBPROCESS_TYPES:
        return SUBPROCESS
    if bpmn_type in EVENT_TYPES:
        return EVENT
    if bpmn_type in GATEWAY_TYPES:
        return GATEWAY
    if bpmn_type in ARTIFACT_TYPES:
        return ARTIFACT
    return None


@dataclass
class Node:
    """A flow node or artifact.

    `attrs` keeps type-specific facts: event_definitions (list of e.g. "message", "timer"),
    attached_to (boundary events), cancel_activity, gateway_direction, default (flow id),
    triggered_by_event (event sub-process), expanded (sub-process drawn open); the reader also
    keeps interrupting (start events), loop ("standard" | "parallel" | "sequential"),
    called_element, compensation, link_name, data_object / data_store (references), collection,
    category_value (groups).
    """

    id: str
    type: str
    name: str = ""
    process: str | None = None
    parent: str | None = None  # enclosing sub-process id
    lane: str | None = None
    attrs: dict[str, Any] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return kind_of(self.type) or ARTIFACT

    @property
    def is_activity(self) -> bool:
        return self.kind in (TASK, SUBPROCESS)


@dataclass
class Flow:
    """A sequence flow (control flow), message flow or association."""

    id: str
    source: str
    target: str
    kind: str = "sequence"  # sequence | message | association | data
    name: str = ""
    condition: str | None = None
    process: str | None = None


@dataclass
class Lane:
    id: str
    name: str = ""
    process: str | None = None
    parent: str | None = None  # enclosing lane for nested lane sets


@dataclass
class Participant:
    """A pool in a collaboration."""

    id: str
    name: str = ""
    process: str | None = None


@dataclass
class Bounds:
    x: float
    y: float
    width: float
    height: float
    expanded: bool | None = None
    horizontal: bool | None = None


@dataclass
class Diagram:
    """BPMN DI of one diagram: shapes by element id, edge waypoints by flow id."""

    id: str = "diagram"
    name: str = ""
    plane: str | None = None  # element the diagram draws: collaboration, process or sub-process id
    shapes: dict[str, Bounds] = field(default_factory=dict)
    edges: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    label_bounds: dict[str, Bounds] = field(default_factory=dict)


@dataclass
class ProcessModel:
    """Nodes and flows of one BPMN file (all its processes), with lanes, pools and DI."""

    name: str = ""
    nodes: dict[str, Node] = field(default_factory=dict)
    flows: dict[str, Flow] = field(default_factory=dict)
    lanes: dict[str, Lane] = field(default_factory=dict)
    participants: dict[str, Participant] = field(default_factory=dict)
    processes: dict[str, str] = field(default_factory=dict)  # process id -> name
    diagrams: list[Diagram] = field(default_factory=list)
    collaboration_id: str | None = None
    exporter: str | None = None
    exporter_version: str | None = None

    # -- building -----------------------------------------------------------------------------
    def add_node(self, node: Node) -> Node:
        self.nodes[node.id] = node
        return node

    def add_flow(self, flow: Flow) -> Flow:
        self.flows[flow.id] = flow
        return flow

    # -- views --------------------------------------------------------------------------------
    @property
    def diagram(self) -> Diagram | None:
        return self.diagrams[0] if self.diagrams else None

    def sequence_flows(self) -> list[Flow]:
        return [f for f in self.flows.values() if f.kind == "sequence"]

    def message_flows(self) -> list[Flow]:
        return [f for f in self.flows.values() if f.kind == "message"]

    def flow_nodes(self) -> list[Node]:
        return [n for n in self.nodes.values() if n.kind != ARTIFACT]

    def of_kind(self, *kinds: str) -> list[Node]:
        return [n for n in self.nodes.values() if n.kind in kinds]

    def tasks(self) -> list[Node]:
        return self.of_kind(TASK)

    def activities(self) -> list[Node]:
        return self.of_kind(TASK, SUBPROCESS)

    def gateways(self) -> list[Node]:
        return self.of_kind(GATEWAY)

    def events(self) -> list[Node]:
        return self.of_kind(EVENT)

    def children(self, parent: str | None) -> list[Node]:
        return [n for n in self.nodes.values() if n.parent == parent]

    def graph(self, flatten: bool = True) -> nx.MultiDiGraph:
        """Control flow as a MultiDiGraph of flow nodes joined by sequence flows.

        Node attributes: type, kind, name, lane, parent. Edge key: flow id.
        Boundary events get an edge from the activity they are attached to (kind "attached"), so
        that their exception branch is reachable. With `flatten`, a sub-process is entered at its
        start events and left from its end events, so paths run through its inner steps.
        """
        g = nx.MultiDiGraph()
        for n in self.flow_nodes():
            g.add_node(n.id, type=n.type, kind=n.kind, name=n.name, lane=n.lane, parent=n.parent)
        for f in self.sequence_flows():
            if f.source in g and f.target in g:
                g.add_edge(f.source, f.target, key=f.id, kind="sequence", name=f.name)
        for n in self.nodes.values():
            host = n.attrs.get("attached_to")
            if n.type == "boundaryEvent" and host in g:
                g.add_edge(host, n.id, key=f"attached:{n.id}", kind="attached")
        if flatten:
            for sp in self.of_kind(SUBPROCESS):
                inner = [c for c in self.children(sp.id) if c.kind != ARTIFACT]
                starts = [c.id for c in inner if c.type == "startEvent" and not c.attrs.get("event_definitions")]
                ends = [c.id for c in inner if c.type == "endEvent"]
                if not starts:
                    continue
                exit_id = f"{sp.id}::exit"
                g.add_node(exit_id, type="subProcessExit", kind=GATEWAY, name="", lane=sp.lane, parent=sp.parent)
                for _, tgt, key, data in list(g.out_edges(sp.id, keys=True, data=True)):
                    if data.get("kind") == "sequence":
                        g.remove_edge(sp.id, tgt, key)
                        g.add_edge(exit_id, tgt, key=key, **data)
                for s_ in starts:
                    g.add_edge(sp.id, s_, key=f"enter:{sp.id}:{s_}", kind="enter")
                for e in ends:
                    g.add_edge(e, exit_id, key=f"leave:{sp.id}:{e}", kind="leave")
        return g

    def label(self, node_id: str) -> str:
        n = self.nodes.get(node_id)
        return (n.name or n.id) if n else node_id

    def lane_name(self, lane_id: str | None) -> str:
        if lane_id is None:
            return ""
        lane = self.lanes.get(lane_id)
        return (lane.name or lane.id) if lane else lane_id

    def summary(self) -> dict[str, int]:
        """Counts people ask for first."""
        return {
            "tasks": len(self.tasks()),
            "subprocesses": len(self.of_kind(SUBPROCESS)),
            "events": len(self.events()),
            "gateways": len(self.gateways()),
            "sequence_flows": len(self.sequence_flows()),
            "message_flows": len(self.message_flows()),
            "lanes": len(self.lanes),
            "pools": len(self.participants),
        }


def unique_id(existing: Iterable[str], base: str) -> str:
    taken = set(existing)
    if base not in taken:
        return base
    i = 2
    while f"{base}_{i}" in taken:
        i += 1
    return f"{base}_{i}"
