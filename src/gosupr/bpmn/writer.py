"""write_bpmn / to_xml: BPMN 2.0 XML with DI that bpmn.io, Camunda Modeler and bpmn-moddle open cleanly.

Everything the ProcessModel keeps goes out: processes (or a collaboration of pools with lanes and
message flows), nested sub-processes, boundary events, event definitions, conditions, default
flows, data objects and annotations with their associations, and every node's incoming/outgoing
references. The model's own diagrams are reused when they draw every visible node, lane and pool;
otherwise `layout` computes one. Output is deterministic (model order, no timestamps), UTF-8 with
Cyrillic kept as is; ids that bpmn-moddle would call illegal are rewritten (stable hash suffix).
"""

from __future__ import annotations

import os
import re
from collections import defaultdict

from lxml import etree

from gosupr._version import __version__
from gosupr.bpmn.layout import container_of, draws_expanded
from gosupr.bpmn.layout_geometry import _Box, _straight
from gosupr.bpmn.model import (
    ARTIFACT,
    EVENT,
    GATEWAY,
    SUBPROCESS,
    TASK,
    Bounds,
    Diagram,
    Flow,
    Node,
    ProcessModel,
    kind_of,
)
from gosupr.bpmn.reader import MODEL_NS
from gosupr.bpmn.writer_prep import COLLAB_ARTIFACTS, Ids, prepare, reusable_di
from gosupr.fileio import write_bytes

BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
DC_NS = "http://www.omg.org/spec/DD/20100524/DC"
DI_NS = "http://www.omg.org/spec/DD/20100524/DI"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
NSMAP = {"bpmn": MODEL_NS, "bpmndi": BPMNDI_NS, "dc": DC_NS, "di": DI_NS, "xsi": XSI_NS}
TARGET_NAMESPACE = "urn:gosupr:bpmn"
__all__ = ["reusable_di", "to_xml", "write_bpmn"]

EVENT_DEFINITIONS = (
    "message", "timer", "conditional", "signal", "error", "escalation", "terminate", "compensate", "cancel", "link",
)
_CATCH = {"startEvent", "intermediateCatchEvent", "boundaryEvent"}
_DIRECTIONS = {"Unspecified", "Converging", "Diverging", "Mixed"}
_DEFAULT_HOLDERS = {"exclusiveGateway", "inclusiveGateway", "complexGateway"}
_DATA = {"dataObjectReference", "dataStoreReference", "dataObject", "dataStore", "dataInput", "dataOutput"}
_BAD_XML = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _q(ns: str, local: str) -> str:
    return f"{{{ns}}}{local}"


def _b(local: str) -> str:
    return _q(MODEL_NS, local)


def _clean(text: str) -> str:
    return _BAD_XML.sub("", text)


def _num(v: float) -> str:
    s = f"{round(float(v), 2):.2f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


class _Writer:
    def __init__(self, model: ProcessModel, diagrams: list[Diagram]) -> None:
        self.m = model
        self.diagrams = diagrams
        self.ids = Ids()
        m = model
        for pid in m.processes:
            self.ids.claim("process", pid)
        self.collab = None
        if m.participants:
            self.collab = self.ids.claim("collab", m.collaboration_id or "Collaboration_1")
        for p in m.participants:
            self.ids.claim("participant", p)
        for lane in m.lanes:
            self.ids.claim("lane", lane)
        self.children: dict[str | None, list[Node]] = defaultdict(list)
        for n in m.nodes.values():
            self.children[self.container_of(n)].append(n)
        # nodes reachable from a process through their sub-processes, of a BPMN type: only these get ids
        self.writable: set[str] = set()
        stack = list(self.children[None])
        while stack:
            n = stack.pop()
            if n.id not in self.writable and kind_of(n.type) is not None:
                self.writable.add(n.id)
                stack.extend(self.children.get(n.id, []))
        for nid in m.nodes:
            if nid in self.writable:
                self.ids.claim("node", nid)
        for fid in m.flows:
            self.ids.claim("flow", fid)
        self.incoming: dict[str, list[Flow]] = defaultdict(list)
        self.outgoing: dict[str, list[Flow]] = defaultdict(list)
        for f in m.sequence_flows():
            if f.source in self.writable and f.target in self.writable:
                self.outgoing[f.source].append(f)
                self.incoming[f.target].append(f)
        self.data_in: dict[str, list[Flow]] = defaultdict(list)
        self.data_out: dict[str, list[Flow]] = defaultdict(list)
        self.loose: list[Flow] = []  # associations and data links written as associations
        for f in m.flows.values():
            if f.kind == "data":
                self.classify_data(f)
            elif f.kind == "association":
                self.loose.append(f)
        self.written_nodes: set[str] = set()
        self.written_lanes: set[str] = set()
        self.written_flows: dict[str, None] = {}  # in XML order, which the DI edges follow

    # structure
    def container_of(self, n: Node) -> str | None:
        return container_of(self.m, n)

    def classify_data(self, f: Flow) -> None:
        nodes = self.m.nodes
        if f.source not in self.writable or f.target not in self.writable:
            return
        s, t = nodes[f.source], nodes[f.target]
        takes_input = t.kind in (TASK, SUBPROCESS) or (t.kind == EVENT and t.type not in _CATCH)
        gives_output = s.kind in (TASK, SUBPROCESS) or (s.kind == EVENT and s.type in _CATCH)
        if s.type in _DATA and takes_input:
            self.data_in[t.id].append(f)
        elif t.type in _DATA and gives_output:
            self.data_out[s.id].append(f)
        else:
            self.loose.append(f)

    def ref(self, raw: str, *kinds: str) -> str | None:
        return self.ids.get(raw, *kinds)

    # document
    def xml(self) -> bytes:
        m = self.m
        defs = etree.Element(_b("definitions"), nsmap=NSMAP)
        defs.set("id", self.ids.new("Definitions_1"))
        if m.name:
            defs.set("name", _clean(m.name))
        defs.set("targetNamespace", TARGET_NAMESPACE)
        defs.set("exporter", "gosupr")
        defs.set("exporterVersion", __version__)
        self.categories(defs)
        for n in m.nodes.values():
            if n.type == "dataStore":
                self.node(defs, n)
        if self.collab:
            self.collaboration(defs)
        for pid in m.processes:
            self.process(defs, pid)
        for d in self.diagrams:
            self.diagram(defs, d)
        body = etree.tostring(defs, xml_declaration=False, encoding="UTF-8", pretty_print=True)
        return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body

    def categories(self, defs: etree._Element) -> None:
        self.category_ref: dict[str, str] = {}
        for n in self.m.nodes.values():
            if n.type == "group" and n.name and n.id in self.writable:
                gx = self.ref(n.id, "node")
                raw = n.attrs.get("category_value")
                if isinstance(raw, str) and raw in self.ids.maps["categoryValue"]:  # groups may share a value
                    self.category_ref[n.id] = self.ids.maps["categoryValue"][raw]
                    continue
                cat = etree.SubElement(defs, _b("category"), id=self.ids.new(f"Category_{gx}"))
                cv = self.ids.claim("categoryValue", raw) if isinstance(raw, str) and raw else self.ids.new(f"CategoryValue_{gx}")
                etree.SubElement(cat, _b("categoryValue"), id=cv, value=_clean(n.name))
                self.category_ref[n.id] = cv

    def collaboration(self, defs: etree._Element) -> None:
        m = self.m
        el = etree.SubElement(defs, _b("collaboration"), id=self.collab)
        for p in m.participants.values():
            pe = etree.SubElement(el, _b("participant"), id=self.ref(p.id, "participant"))
            if p.name:
                pe.set("name", _clean(p.name))
            if p.process in m.processes:
                pe.set("processRef", self.ref(p.process, "process"))
        for f in m.message_flows():
            s = self.ref(f.source, "node", "participant")
            t = self.ref(f.target, "node", "participant")
            if s and t:
                fe = etree.SubElement(el, _b("messageFlow"), id=self.ref(f.id, "flow"))
                if f.name:
                    fe.set("name", _clean(f.name))
                fe.set("sourceRef", s)
                fe.set("targetRef", t)
                self.written_flows[f.id] = None
        for n in self.children[None]:
            if n.process is None and n.type in COLLAB_ARTIFACTS:
                self.node(el, n)
        for f in self.loose:
            if self.flow_home(f) == ("collab", None):
                self.association(el, f)

    def process(self, defs: etree._Element, pid: str) -> None:
        m = self.m
        el = etree.SubElement(defs, _b("process"), id=self.ref(pid, "process"), isExecutable="false")
        if m.processes.get(pid):
            el.set("name", _clean(m.processes[pid]))
        io = [n for n in m.nodes.values()
              if n.process == pid and n.type in ("dataInput", "dataOutput") and n.id in self.writable]
        if io:
            self.io_specification(el, io)
        tops = [lane for lane in m.lanes.values() if lane.process == pid and lane.parent not in m.lanes]
        if tops:
            self.lane_set(el, "laneSet", f"LaneSet_{self.ref(pid, 'process')}", tops)
        self.fill(el, [n for n in self.children[None] if n.process == pid], ("process", pid))

    def io_specification(self, el: etree._Element, io: list[Node]) -> None:
        spec = etree.SubElement(el, _b("ioSpecification"), id=self.ids.new(f"{el.get('id')}_io"))
        for n in sorted(io, key=lambda n: n.type != "dataInput"):
            e = etree.SubElement(spec, _b(n.type), id=self.ref(n.id, "node"))
            self.written_nodes.add(n.id)
            if n.name:
                e.set("name", _clean(n.name))
        for kind, refs in (("inputSet", "dataInputRefs"), ("outputSet", "dataOutputRefs")):
            s = etree.SubElement(spec, _b(kind), id=self.ids.new(f"{el.get('id')}_{kind}"))
            want = "dataInput" if kind == "inputSet" else "dataOutput"
            for n in io:
                if n.type == want:
                    etree.SubElement(s, _b(refs)).text = self.ref(n.id, "node")

    def lane_set(self, parent: etree._Element, tag: str, base: str, lanes: list) -> None:
        m = self.m
        ls = etree.SubElement(parent, _b(tag), id=self.ids.new(base))
        for lane in lanes:
            le = etree.SubElement(ls, _b("lane"), id=self.ref(lane.id, "lane"))
            self.written_lanes.add(lane.id)
            if lane.name:
                le.set("name", _clean(lane.name))
            for n in m.nodes.values():
                if n.lane == lane.id and n.kind != ARTIFACT and n.id in self.writable:
                    etree.SubElement(le, _b("flowNodeRef")).text = self.ref(n.id, "node")
            kids = [c for c in m.lanes.values() if c.parent == lane.id]
            if kids:
                self.lane_set(le, "childLaneSet", f"LaneSet_{le.get('id')}", kids)

    def flow_home(self, f: Flow) -> tuple[str, str | None]:
        """Where a sequence flow or association is written: a sub-process, a process, or the collaboration."""
        m = self.m
        for end in (f.source, f.target):
            n = m.nodes.get(end)
            if n is not None:
                c = self.container_of(n)
                if c is not None:
                    return ("sub", c)
                if n.process is None:
                    return ("collab", None) if self.collab else ("process", next(iter(m.processes)))
                return ("process", n.process)
        return ("collab", None) if self.collab else ("process", next(iter(m.processes)))

    def fill(self, el: etree._Element, members: list[Node], home: tuple[str, str | None]) -> None:
        flow_elements = [n for n in members if n.type not in COLLAB_ARTIFACTS and n.type not in ("dataStore", "dataInput", "dataOutput")]
        for n in flow_elements:
            self.node(el, n)
        for f in self.m.sequence_flows():
            if f.id not in self.written_flows and f.source in self.m.nodes and self.flow_home(f) == home:
                self.sequence_flow(el, f)
        for n in members:
            if n.type in COLLAB_ARTIFACTS:
                self.node(el, n)
        for f in self.loose:
            if f.id not in self.written_flows and self.flow_home(f) == home:
                self.association(el, f)

    def sequence_flow(self, el: etree._Element, f: Flow) -> None:
        s, t = self.ref(f.source, "node"), self.ref(f.target, "node")
        if not (s and t):
            return
        fe = etree.SubElement(el, _b("sequenceFlow"), id=self.ref(f.id, "flow"))
        if f.name:
            fe.set("name", _clean(f.name))
        fe.set("sourceRef", s)
        fe.set("targetRef", t)
        if f.condition is not None:
            ce = etree.SubElement(fe, _b("conditionExpression"))
            ce.set(_q(XSI_NS, "type"), "bpmn:tFormalExpression")
            ce.text = _clean(f.condition)
        self.written_flows[f.id] = None

    def association(self, el: etree._Element, f: Flow) -> None:
        kinds = ("node", "flow", "participant", "lane")
        s, t = self.ref(f.source, *kinds), self.ref(f.target, *kinds)
        if not (s and t) or f.id in self.written_flows:
            return
        etree.SubElement(el, _b("association"), id=self.ref(f.id, "flow"), sourceRef=s, targetRef=t)
        self.written_flows[f.id] = None

    def node(self, parent: etree._Element, n: Node) -> None:
        m, a = self.m, n.attrs
        if n.id not in self.writable or n.id in self.written_nodes:
            return
        self.written_nodes.add(n.id)
        el = etree.SubElement(parent, _b(n.type), id=self.ref(n.id, "node"))
        if n.name and n.type not in COLLAB_ARTIFACTS:
            el.set("name", _clean(n.name))
        if n.type == "boundaryEvent":
            host = self.ref(a.get("attached_to") or "", "node")
            if host:
                el.set("attachedToRef", host)
            if a.get("cancel_activity") is False:
                el.set("cancelActivity", "false")
        if n.type == "startEvent" and a.get("interrupting") is False:
            el.set("isInterrupting", "false")
        if n.kind == GATEWAY:
            el.set("gatewayDirection", self.direction(n))
        default = a.get("default")
        if (default in m.flows and m.flows[default].source == n.id and m.flows[default].kind == "sequence"
                and (n.type in _DEFAULT_HOLDERS or n.kind in (TASK, SUBPROCESS))):
            el.set("default", self.ref(default, "flow"))
        if n.type == "callActivity" and a.get("called_element"):
            el.set("calledElement", _clean(str(a["called_element"])))
        if n.kind == SUBPROCESS and a.get("triggered_by_event"):
            el.set("triggeredByEvent", "true")
        if a.get("compensation") and n.kind in (TASK, SUBPROCESS):
            el.set("isForCompensation", "true")
        if n.type == "dataObjectReference" and self.ref(str(a.get("data_object", "")), "node"):
            el.set("dataObjectRef", self.ref(a["data_object"], "node"))
        if n.type == "dataStoreReference" and self.ref(str(a.get("data_store", "")), "node"):
            el.set("dataStoreRef", self.ref(a["data_store"], "node"))
        if n.type == "dataObject" and a.get("collection"):
            el.set("isCollection", "true")
        if n.type == "group" and n.id in self.category_ref:
            el.set("categoryValueRef", self.category_ref[n.id])
        if n.kind != ARTIFACT:
            for f in self.incoming.get(n.id, []):
                etree.SubElement(el, _b("incoming")).text = self.ref(f.id, "flow")
            for f in self.outgoing.get(n.id, []):
                etree.SubElement(el, _b("outgoing")).text = self.ref(f.id, "flow")
        if n.kind in (TASK, SUBPROCESS, EVENT):
            self.data_associations(el, n)
        if n.kind in (TASK, SUBPROCESS):
            loop = a.get("loop")
            if loop == "standard":
                etree.SubElement(el, _b("standardLoopCharacteristics"))
            elif loop in ("parallel", "sequential"):
                mi = etree.SubElement(el, _b("multiInstanceLoopCharacteristics"))
                if loop == "sequential":
                    mi.set("isSequential", "true")
        if n.kind == EVENT:
            for kind in a.get("event_definitions") or []:
                if kind in EVENT_DEFINITIONS:
                    ed = etree.SubElement(el, _b(f"{kind}EventDefinition"), id=self.ids.new(f"{el.get('id')}_{kind}"))
                    if kind == "link":  # required: it pairs the throwing link with the catching one
                        ed.set("name", _clean(str(a.get("link_name") or n.name or el.get("id"))))
                    if kind == "conditional":
                        etree.SubElement(ed, _b("condition")).set(_q(XSI_NS, "type"), "bpmn:tFormalExpression")
        if n.type == "textAnnotation":
            etree.SubElement(el, _b("text")).text = _clean(n.name)
        if n.kind == SUBPROCESS:
            self.fill(el, self.children.get(n.id, []), ("sub", n.id))

    def direction(self, n: Node) -> str:
        d = n.attrs.get("gateway_direction")
        if d in _DIRECTIONS:
            return d
        ins, outs = len(self.incoming.get(n.id, [])), len(self.outgoing.get(n.id, []))
        if ins > 1 and outs > 1:
            return "Mixed"
        if ins > 1:
            return "Converging"
        if outs > 1:
            return "Diverging"
        return "Unspecified"

    def data_associations(self, el: etree._Element, n: Node) -> None:
        ins, outs = self.data_in.get(n.id, []), self.data_out.get(n.id, [])
        prop = None
        if ins:
            prop = self.ids.new(f"{el.get('id')}_input")
            etree.SubElement(el, _b("property"), id=prop, name="__targetRef_placeholder")
        for f in ins:
            da = etree.SubElement(el, _b("dataInputAssociation"), id=self.ref(f.id, "flow"))
            etree.SubElement(da, _b("sourceRef")).text = self.ref(f.source, "node")
            etree.SubElement(da, _b("targetRef")).text = prop
            self.written_flows[f.id] = None
        for f in outs:
            da = etree.SubElement(el, _b("dataOutputAssociation"), id=self.ref(f.id, "flow"))
            etree.SubElement(da, _b("targetRef")).text = self.ref(f.target, "node")
            self.written_flows[f.id] = None

    # DI
    def plane_ref(self, d: Diagram) -> str:
        m = self.m
        if d.plane:
            for kind in ("process", "node"):
                x = self.ref(d.plane, kind)
                if x and (kind == "process" or m.nodes[d.plane].kind == SUBPROCESS or m.nodes[d.plane].type == "callActivity"):
                    return x
        ref = self.collab or self.ref(next(iter(m.processes)), "process")
        assert ref is not None, "every written process has an id"
        return ref

    def diagram(self, defs: etree._Element, d: Diagram) -> None:
        m = self.m
        dg = etree.SubElement(defs, _q(BPMNDI_NS, "BPMNDiagram"), id=self.ids.new(d.id or "BPMNDiagram_1"))
        if d.name:
            dg.set("name", _clean(d.name))
        plane = etree.SubElement(dg, _q(BPMNDI_NS, "BPMNPlane"), id=self.ids.new(f"{dg.get('id')}_plane"))
        plane.set("bpmnElement", self.plane_ref(d))
        elements: list[tuple[str, str]] = [(p, "participant") for p in m.participants]
        elements += [(lane, "lane") for lane in m.lanes if lane in self.written_lanes]
        elements += [(n, "node") for n in self.written_order() if n in self.written_nodes]
        for raw, kind in elements:
            b = d.shapes.get(raw)
            if b is None:
                continue
            x = self.ref(raw, kind)
            sh = etree.SubElement(plane, _q(BPMNDI_NS, "BPMNShape"), id=self.ids.new(f"{x}_di"), bpmnElement=x)
            if kind in ("participant", "lane"):
                sh.set("isHorizontal", "false" if b.horizontal is False else "true")
            node = m.nodes.get(raw) if kind == "node" else None
            if node is not None and (node.kind == SUBPROCESS or node.type == "callActivity"):
                exp = b.expanded if b.expanded is not None else node.attrs.get("expanded")
                if exp is None and node.kind == SUBPROCESS:
                    exp = draws_expanded(m, node, self.children)
                if exp is not None:
                    sh.set("isExpanded", "true" if exp else "false")
            self.bounds(sh, b)
            if raw in d.label_bounds and kind == "node":
                self.bounds(etree.SubElement(sh, _q(BPMNDI_NS, "BPMNLabel")), d.label_bounds[raw])
        for fid in self.written_flows:
            f = m.flows[fid]
            pts = d.edges.get(f.id) or self.fallback_edge(d, f)
            if not pts:
                continue
            x = self.ref(f.id, "flow")
            ed = etree.SubElement(plane, _q(BPMNDI_NS, "BPMNEdge"), id=self.ids.new(f"{x}_di"), bpmnElement=x)
            for px, py in pts:
                etree.SubElement(ed, _q(DI_NS, "waypoint"), x=_num(px), y=_num(py))
            if f.id in d.label_bounds:
                self.bounds(etree.SubElement(ed, _q(BPMNDI_NS, "BPMNLabel")), d.label_bounds[f.id])

    def written_order(self) -> list[str]:
        """Node ids parents first, as they appear in the XML."""
        out: list[str] = []
        seen: set[str] = set()
        stack = list(reversed(self.children[None]))
        while stack:
            n = stack.pop()
            if n.id in seen:
                continue
            seen.add(n.id)
            out.append(n.id)
            stack.extend(reversed(self.children.get(n.id, [])))
        return out

    @staticmethod
    def bounds(parent: etree._Element, b: Bounds) -> None:
        etree.SubElement(parent, _q(DC_NS, "Bounds"), x=_num(b.x), y=_num(b.y), width=_num(b.width), height=_num(b.height))

    @staticmethod
    def fallback_edge(d: Diagram, f: Flow) -> list[tuple[float, float]]:
        """A flow the diagram does not draw yet (e.g. added by a reduction): join the two shapes."""
        s, t = d.shapes.get(f.source), d.shapes.get(f.target)
        if s is None or t is None:
            return []
        S, T = _Box(s.x, s.y, s.width, s.height), _Box(t.x, t.y, t.width, t.height)
        if f.kind == "sequence" and T.x > S.right + 10:
            mx = (S.right + T.x) / 2
            pts = [(S.right, S.cy), (mx, S.cy), (mx, T.cy), (T.x, T.cy)]
            return pts if abs(S.cy - T.cy) > 0.5 else [pts[0], pts[-1]]
        return _straight(S, T)


def to_xml(model: ProcessModel) -> bytes:
    """The model as BPMN 2.0 XML bytes (UTF-8), with DI: the model's own or a computed layout."""
    prep, diagrams = prepare(model)
    return _Writer(prep, diagrams).xml()


def write_bpmn(model: ProcessModel, path: str | os.PathLike) -> None:
    """Write the model as a .bpmn file, atomically (a crash never leaves half a file)."""
    write_bytes(path, to_xml(model))
