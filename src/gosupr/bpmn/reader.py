"""read_bpmn: gosupr's own BPMN 2.0 reader.

pm4py's reader drops lanes, pools, message flows and boundary attachments, flattens sub-processes
wrongly and crashes on dangling references (see shared notes), so we read the XML ourselves into
a ProcessModel: every flow node with its exact type, nesting (Node.parent), lane and event
definitions; sequence and message flows, associations and data associations; all BPMN DI
diagrams. Parsing goes through `xmlsafe` (no DOCTYPE, no entities, bounded size).

Broken references in the control flow (a sequence or message flow to a missing element, a
boundary event attached to nothing, a duplicate id) are refused with one clear line: a model with
holes in its control flow would give silently wrong metrics. Broken decoration (an association to
nothing, a DI shape of an unknown element) is dropped.
"""

from __future__ import annotations

import math
import os
from collections import defaultdict
from pathlib import Path

from lxml import etree

from gosupr.bpmn import xmlsafe
from gosupr.bpmn.model import (
    ARTIFACT,
    EVENT_TYPES,
    GATEWAY_TYPES,
    SUBPROCESS,
    SUBPROCESS_TYPES,
    TASK_TYPES,
    Bounds,
    Diagram,
    Flow,
    Lane,
    Node,
    Participant,
    ProcessModel,
    unique_id,
)
from gosupr.errors import GosuprError

MODEL_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
# the 2010-05-01 beta namespace still appears in files from older tools; the elements are the same
MODEL_NAMESPACES = frozenset({MODEL_NS, "http://www.omg.org/spec/BPMN/20100501/MODEL"})
DI_NAMESPACES = frozenset({
    "http://www.omg.org/spec/BPMN/20100524/DI",
    "http://www.omg.org/spec/DD/20100524/DC",
    "http://www.omg.org/spec/DD/20100524/DI",
    "http://www.omg.org/spec/BPMN/20100501/DI",
})

FLOW_NODE_TYPES = TASK_TYPES | SUBPROCESS_TYPES | EVENT_TYPES | GATEWAY_TYPES
_PROCESS_ARTIFACTS = {"dataObject", "dataObjectReference", "dataStoreReference", "textAnnotation", "group"}
_COLLABORATION_ARTIFACTS = {"textAnnotation", "group"}


def _split(tag: object) -> tuple[str | None, str | None]:
    if not isinstance(tag, str):
        return None, None
    if tag.startswith("{"):
        ns, local = tag[1:].split("}", 1)
        return ns, local
    return "", tag


def _bpmn(el: etree._Element) -> str | None:
    """Local name of a BPMN MODEL element, None for anything else (extensions, DI, comments)."""
    ns, local = _split(el.tag)
    return local if ns in MODEL_NAMESPACES else None


def _di(el: etree._Element) -> str | None:
    ns, local = _split(el.tag)
    return local if ns in DI_NAMESPACES else None


def _text(el: etree._Element) -> str:
    return "".join(el.itertext()).strip()


MAX_COORD = 1e6  # beyond this a coordinate is garbage, not a drawing


def _num(el: etree._Element, attr: str) -> float | None:
    try:
        v = float(el.get(attr, ""))
    except ValueError:
        return None
    return v if math.isfinite(v) and abs(v) <= MAX_COORD else None


def _ref(el: etree._Element, attr: str) -> str:
    """A reference attribute; a QName prefix bound to the BPMN namespace is dropped.

    References are QNames in the schema (`bpmn2:Task_1`); most tools write the bare id, some
    (GenMyModel) the prefixed form, which names the same element.
    """
    v = (el.get(attr) or "").strip()
    prefix, sep, local = v.partition(":")
    if sep and el.nsmap.get(prefix) in MODEL_NAMESPACES:
        return local
    return v


def _flag(el: etree._Element, attr: str) -> bool | None:
    v = el.get(attr)
    return None if v is None else v.strip().lower() == "true"


class _Reader:
    def __init__(self, root: etree._Element, label: str | None) -> None:
        self.root = root
        self.label = label
        self.m = ProcessModel()
        self.ids: set[str] = set()
        self.lines: dict[str, int] = {}
        self.seq: list[Flow] = []
        self.msg: list[Flow] = []
        self.assoc: list[Flow] = []
        self.data_assoc: list[tuple[etree._Element, str, str]] = []  # (element, owner node, "in"|"out")
        self.lane_refs: list[tuple[str, str]] = []
        self.owned_io: dict[str, str] = {}  # an activity's dataInput/dataOutput/property id -> the activity
        self.event_def_kinds: dict[str, str] = {}
        self.category_values: dict[str, str] = {}

    def fail(self, message: str) -> GosuprError:
        return GosuprError(message, path=self.label)

    # -- ids ------------------------------------------------------------------------------------
    def check_ids(self) -> None:
        """Refuse duplicate ids among BPMN and DI elements (extension content is not ours to judge)."""
        seen: dict[str, int] = {}
        stack = [self.root]
        while stack:
            el = stack.pop()
            ns, local = _split(el.tag)
            if local is None or (ns not in MODEL_NAMESPACES and ns not in DI_NAMESPACES):
                continue
            if local == "extensionElements":
                continue
            ident = el.get("id")
            if ident:
                if ident in seen:
                    raise self.fail(
                        f"element id '{ident}' is used twice (lines {seen[ident]} and {el.sourceline}); "
                        "ids must be unique: fix the file in the modelling tool and export it again"
                    )
                seen[ident] = el.sourceline or 0
            stack.extend(reversed(el))
        self.ids = set(seen)
        self.lines = seen

    def ident(self, el: etree._Element, local: str) -> str:
        ident = el.get("id")
        if ident:
            return ident
        ident = unique_id(self.ids, f"{local}_line{el.sourceline or 0}")
        self.ids.add(ident)
        return ident

    # -- semantic -------------------------------------------------------------------------------
    def read(self) -> ProcessModel:
        root, m = self.root, self.m
        m.name = root.get("name") or ""
        m.exporter = root.get("exporter")
        m.exporter_version = root.get("exporterVersion")
        self.check_ids()
        roots: dict[str, list[etree._Element]] = defaultdict(list)
        for child in root:
            local = _bpmn(child)
            if local:
                roots[local].append(child)
        for local, els in roots.items():
            if local.endswith("EventDefinition"):
                for el in els:
                    if el.get("id"):
                        self.event_def_kinds[el.get("id")] = local[: -len("EventDefinition")]
        for cat in roots.get("category", []):
            for cv in cat:
                if _bpmn(cv) == "categoryValue" and cv.get("id"):
                    self.category_values[cv.get("id")] = cv.get("value") or ""
        for ds in roots.get("dataStore", []):
            self.add_node(Node(self.ident(ds, "dataStore"), "dataStore", ds.get("name") or ""))
        for proc in roots.get("process", []):
            pid = self.ident(proc, "process")
            m.processes[pid] = proc.get("name") or ""
            self.container(proc, pid, None)
        for collab in roots.get("collaboration", []):
            self.collaboration(collab)
        self.resolve()
        self.read_di()
        if not m.name:
            m.name = next((p.name for p in m.participants.values() if p.name), "") or next(
                (n for n in m.processes.values() if n), ""
            )
        return m

    def add_node(self, node: Node) -> None:
        self.m.add_node(node)

    def container(self, el: etree._Element, process: str, parent: str | None) -> None:
        for child in el:
            local = _bpmn(child)
            if local is None:
                continue
            if local in FLOW_NODE_TYPES:
                self.flow_node(child, local, process, parent)
            elif local == "sequenceFlow":
                self.seq.append(self.flow(child, "sequence", process))
            elif local == "laneSet":
                self.lane_set(child, process, None)
            elif local in _PROCESS_ARTIFACTS:
                self.artifact(child, local, process, parent)
            elif local == "association":
                self.assoc.append(self.flow(child, "association", process))
            elif local == "ioSpecification" and parent is None:
                for io in child:
                    io_local = _bpmn(io)
                    if io_local in ("dataInput", "dataOutput"):
                        self.add_node(Node(self.ident(io, io_local), io_local, io.get("name") or "", process, None))

    def flow_node(self, el: etree._Element, local: str, process: str, parent: str | None) -> None:
        node = Node(self.ident(el, local), local, el.get("name") or "", process, parent)
        a = node.attrs
        if local in EVENT_TYPES:
            defs: list[str] = []
            for sub in el:
                sub_local = _bpmn(sub)
                if sub_local and sub_local.endswith("EventDefinition"):
                    defs.append(sub_local[: -len("EventDefinition")])
                    if sub_local == "linkEventDefinition" and sub.get("name"):
                        a["link_name"] = sub.get("name")  # pairs a throwing link with its catching one
                elif sub_local == "eventDefinitionRef" and _text(sub) in self.event_def_kinds:
                    defs.append(self.event_def_kinds[_text(sub)])
            a["event_definitions"] = defs
            if local == "boundaryEvent":
                a["attached_to"] = _ref(el, "attachedToRef") or None
                a["cancel_activity"] = _flag(el, "cancelActivity") is not False
            if local == "startEvent" and _flag(el, "isInterrupting") is False:
                a["interrupting"] = False
        elif local in GATEWAY_TYPES:
            if el.get("gatewayDirection"):
                a["gateway_direction"] = el.get("gatewayDirection")
            if el.get("default"):
                a["default"] = el.get("default")
        else:
            if el.get("default"):
                a["default"] = el.get("default")
            if local == "callActivity" and el.get("calledElement"):
                a["called_element"] = el.get("calledElement")
            if local in SUBPROCESS_TYPES:
                a["triggered_by_event"] = bool(_flag(el, "triggeredByEvent"))
            if _flag(el, "isForCompensation"):
                a["compensation"] = True
        for sub in el:
            sub_local = _bpmn(sub)
            if sub_local == "standardLoopCharacteristics":
                a["loop"] = "standard"
            elif sub_local == "multiInstanceLoopCharacteristics":
                a["loop"] = "sequential" if _flag(sub, "isSequential") else "parallel"
            elif sub_local == "ioSpecification":
                for io in sub:
                    if _bpmn(io) in ("dataInput", "dataOutput") and io.get("id"):
                        self.owned_io[io.get("id")] = node.id
            elif sub_local in ("dataInput", "dataOutput", "property") and sub.get("id"):
                self.owned_io[sub.get("id")] = node.id
            elif sub_local == "dataInputAssociation":
                self.data_assoc.append((sub, node.id, "in"))
            elif sub_local == "dataOutputAssociation":
                self.data_assoc.append((sub, node.id, "out"))
        self.add_node(node)
        if local in SUBPROCESS_TYPES:
            self.container(el, process, node.id)

    def artifact(self, el: etree._Element, local: str, process: str | None, parent: str | None) -> None:
        node = Node(self.ident(el, local), local, el.get("name") or "", process, parent)
        if local == "textAnnotation":
            texts = [_text(t) for t in el if _bpmn(t) == "text"]
            node.name = texts[0] if texts else ""
        elif local == "dataObjectReference" and el.get("dataObjectRef"):
            node.attrs["data_object"] = el.get("dataObjectRef")
        elif local == "dataStoreReference" and el.get("dataStoreRef"):
            node.attrs["data_store"] = el.get("dataStoreRef")
        elif local == "dataObject" and _flag(el, "isCollection"):
            node.attrs["collection"] = True
        elif local == "group" and el.get("categoryValueRef"):
            node.attrs["category_value"] = el.get("categoryValueRef")
            node.name = self.category_values.get(el.get("categoryValueRef"), "")
        self.add_node(node)

    def flow(self, el: etree._Element, kind: str, process: str | None) -> Flow:
        cond = None
        for sub in el:
            if _bpmn(sub) == "conditionExpression":
                cond = _text(sub)
        return Flow(
            self.ident(el, kind + "Flow"),
            _ref(el, "sourceRef"),
            _ref(el, "targetRef"),
            kind,
            el.get("name") or "",
            cond,
            process,
        )

    def lane_set(self, el: etree._Element, process: str, parent_lane: str | None) -> None:
        for lane_el in el:
            if _bpmn(lane_el) != "lane":
                continue
            lane = Lane(self.ident(lane_el, "lane"), lane_el.get("name") or "", process, parent_lane)
            self.m.lanes[lane.id] = lane
            for sub in lane_el:
                sub_local = _bpmn(sub)
                if sub_local == "flowNodeRef":
                    self.lane_refs.append((lane.id, _text(sub)))
                elif sub_local == "childLaneSet":
                    self.lane_set(sub, process, lane.id)

    def collaboration(self, el: etree._Element) -> None:
        m = self.m
        if m.collaboration_id is None:
            m.collaboration_id = self.ident(el, "collaboration")
        for child in el:
            local = _bpmn(child)
            if local == "participant":
                proc = _ref(child, "processRef")
                pid = self.ident(child, "participant")
                m.participants[pid] = Participant(pid, child.get("name") or "", proc if proc in m.processes else None)
            elif local == "messageFlow":
                self.msg.append(self.flow(child, "message", None))
            elif local in _COLLABORATION_ARTIFACTS:
                self.artifact(child, local, None, None)
            elif local == "association":
                self.assoc.append(self.flow(child, "association", None))

    # -- references -----------------------------------------------------------------------------
    def require(self, flow: Flow, what: str, allowed: set[str] | dict) -> None:
        for end, ref in (("sourceRef", flow.source), ("targetRef", flow.target)):
            line = self.lines.get(flow.id)
            where = f" (line {line})" if line else ""
            if not ref:
                raise self.fail(f"{what} '{flow.id}'{where} has no {end}; connect it in the modelling tool and export again")
            if ref not in allowed and ref in self.m.nodes:
                raise self.fail(
                    f"{what} '{flow.id}'{where} connects to '{ref}', a {self.m.nodes[ref].type}, which is not a flow node "
                    f"({end}); link artifacts with an association instead"
                )
            if ref not in allowed:
                raise self.fail(
                    f"{what} '{flow.id}'{where} points to missing element '{ref}' ({end}); "
                    "fix or delete the flow in the modelling tool and export again"
                )

    def resolve(self) -> None:
        m = self.m
        flow_nodes = {n.id for n in m.nodes.values() if n.kind != ARTIFACT}
        for f in self.seq:
            self.require(f, "sequence flow", flow_nodes)
            m.add_flow(f)
        for n in m.nodes.values():
            if n.type == "boundaryEvent":
                host = n.attrs.get("attached_to")
                if host not in flow_nodes:
                    line = self.lines.get(n.id)
                    where = f" (line {line})" if line else ""
                    problem = f"is attached to missing element '{host}'" if host else "has no attachedToRef"
                    raise self.fail(f"boundary event '{n.id}'{where} {problem}; attach it to an activity and export again")
        endpoints = flow_nodes | set(m.participants)
        for f in self.msg:
            self.require(f, "message flow", endpoints)
            m.add_flow(f)
        self.data_flows()
        known = set(m.nodes) | set(m.flows) | set(m.participants) | set(m.lanes)
        for f in self.assoc:
            if f.source in known and f.target in known:
                m.add_flow(f)
        for n in m.nodes.values():
            d = n.attrs.get("default")
            if d is not None and (d not in m.flows or m.flows[d].source != n.id):
                del n.attrs["default"]
        self.assign_lanes()

    def data_flows(self) -> None:
        m = self.m
        for el, owner, direction in self.data_assoc:
            refs: dict[str, list[str]] = {"sourceRef": [], "targetRef": []}
            for sub in el:
                sub_local = _bpmn(sub)
                if sub_local in refs:
                    refs[sub_local].append(_text(sub))
            if direction == "in":
                source = next((r for r in refs["sourceRef"] if r in m.nodes), None)
                ends: tuple[str | None, str | None] = (source, owner)
            else:
                target = next((r for r in refs["targetRef"] if r in m.nodes), None)
                ends = (owner, target)
            if ends[0] is None or ends[1] is None:
                continue
            fid = self.ident(el, "dataInputAssociation" if direction == "in" else "dataOutputAssociation")
            m.add_flow(Flow(fid, ends[0], ends[1], "data", "", None, m.nodes[owner].process))

    def assign_lanes(self) -> None:
        """Node.lane = the innermost lane listing it; else its host's (boundary) or its sub-process's lane."""
        m = self.m
        for lane_id, ref in self.lane_refs:  # parents come before their child lanes: innermost wins
            if ref in m.nodes:
                m.nodes[ref].lane = lane_id
        if not m.lanes:
            return

        def inherited(node: Node, depth: int = 0) -> str | None:
            if node.lane is not None or depth > len(m.nodes):
                return node.lane
            up = node.attrs.get("attached_to") if node.type == "boundaryEvent" else node.parent
            return inherited(m.nodes[up], depth + 1) if up in m.nodes else None

        for node in m.nodes.values():
            if node.lane is None and node.kind != ARTIFACT:
                node.lane = inherited(node)

    # -- DI -------------------------------------------------------------------------------------
    def read_di(self) -> None:
        m = self.m
        for i, dg in enumerate(c for c in self.root if _di(c) == "BPMNDiagram"):
            diagram = Diagram(id=dg.get("id") or f"diagram_{i + 1}", name=dg.get("name") or "")
            planes = [p for p in dg if _di(p) == "BPMNPlane"]
            if planes:
                diagram.plane = _ref(planes[0], "bpmnElement") or None
            for plane in planes:
                for el in plane.iter():
                    local = _di(el)
                    ref = _ref(el, "bpmnElement")
                    if not ref or local not in ("BPMNShape", "BPMNEdge"):
                        continue
                    if local == "BPMNShape":
                        b = self.bounds(el)
                        if b is not None:
                            b.expanded = _flag(el, "isExpanded")
                            b.horizontal = _flag(el, "isHorizontal")
                            diagram.shapes[ref] = b
                    else:
                        pts: list[tuple[float, float]] = []
                        for wp in el:
                            if _di(wp) == "waypoint":
                                x, y = _num(wp, "x"), _num(wp, "y")
                                if x is None or y is None:
                                    pts = []
                                    break
                                pts.append((x, y))
                        if len(pts) >= 2:
                            diagram.edges[ref] = pts
                    for lab in el:
                        if _di(lab) == "BPMNLabel":
                            lb = self.bounds(lab)
                            if lb is not None:
                                diagram.label_bounds[ref] = lb
            m.diagrams.append(diagram)
        self.infer_expanded()

    @staticmethod
    def bounds(el: etree._Element) -> Bounds | None:
        for b in el:
            if _di(b) == "Bounds":
                x, y, w, h = (_num(b, k) for k in ("x", "y", "width", "height"))
                if x is not None and y is not None and w is not None and h is not None and w >= 0 and h >= 0:
                    return Bounds(x, y, w, h)
        return None

    def infer_expanded(self) -> None:
        """Sub-process drawn open: isExpanded when the tool wrote it, else whether its children are drawn."""
        m = self.m
        children: dict[str, list[str]] = defaultdict(list)
        for n in m.nodes.values():
            if n.parent:
                children[n.parent].append(n.id)
        for n in m.nodes.values():
            if n.kind != SUBPROCESS and n.type != "callActivity":
                continue
            flags = [d.shapes[n.id].expanded for d in m.diagrams if n.id in d.shapes]
            explicit = [f for f in flags if f is not None]
            if explicit:
                n.attrs["expanded"] = explicit[0]
            elif flags and n.kind == SUBPROCESS:
                n.attrs["expanded"] = any(
                    c in d.shapes for d in m.diagrams if n.id in d.shapes for c in children[n.id]
                )


def read_bpmn(source: str | os.PathLike | bytes, *, name: str | None = None) -> ProcessModel:
    """Read a BPMN 2.0 file (path or bytes) into a ProcessModel.

    Raises GosuprError (one line naming the file and element) for unsafe or broken XML, a root that
    is not BPMN 2.0 `definitions`, duplicate ids, and flows or boundary events pointing nowhere.
    """
    label = name or (None if isinstance(source, (bytes, bytearray, memoryview)) else str(source))
    root = xmlsafe.parse(source, what="BPMN", name=label)
    ns, local = _split(root.tag)
    if local != "definitions" or ns not in MODEL_NAMESPACES:
        found = f"<{local}>" + (f" in namespace {ns}" if ns else " without namespace")
        raise GosuprError(
            f"is not a BPMN 2.0 file (root element is {found}, expected <definitions> in {MODEL_NS}); "
            "export the model as BPMN 2.0 XML",
            path=label,
        )
    model = _Reader(root, label).read()
    if not model.name and label and not isinstance(source, (bytes, bytearray, memoryview)):
        model.name = Path(label).stem
    return model
