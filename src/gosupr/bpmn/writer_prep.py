"""Before writing: XML ids bpmn-moddle accepts, one home process per node, pools where needed.

Kept apart from the XML writer so the decisions (reuse the file's DI or lay out afresh, which
participants to add) can be read and tested on their own.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from dataclasses import replace

from gosupr.bpmn.layout import home_process, layout, process_order
from gosupr.bpmn.model import SUBPROCESS, Diagram, Node, Participant, ProcessModel

_ID_OK = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*\Z")  # bpmn-moddle's id rule (ASCII NCName)
COLLAB_ARTIFACTS = {"textAnnotation", "group"}


class Ids:
    """XML ids: the model's own where legal and unique, otherwise a stable rewrite; fresh ones for the rest."""

    def __init__(self) -> None:
        self.used: set[str] = set()
        self.maps: dict[str, dict[str, str]] = defaultdict(dict)

    def _unique(self, base: str) -> str:
        x, i = base, 2
        while x in self.used:
            x = f"{base}_{i}"
            i += 1
        self.used.add(x)
        return x

    def claim(self, kind: str, raw: str) -> str:
        got = self.maps[kind].get(raw)
        if got is not None:
            return got
        if _ID_OK.match(raw) and raw not in self.used:
            self.used.add(raw)
            x = raw
        else:
            x = self._unique(self.sanitize(raw))
        self.maps[kind][raw] = x
        return x

    @staticmethod
    def sanitize(raw: str) -> str:
        if _ID_OK.match(raw):
            return raw
        base = re.sub(r"[^A-Za-z0-9_.\-]", "_", raw)
        if not base or not re.match(r"[A-Za-z_]", base):
            base = "id_" + base
        return f"{base}_{hashlib.sha1(raw.encode('utf-8')).hexdigest()[:8]}"

    def new(self, base: str) -> str:
        return self._unique(self.sanitize(base))

    def get(self, raw: str, *kinds: str) -> str | None:
        for k in kinds:
            if raw in self.maps[k]:
                return self.maps[k][raw]
        return None


def _visible(model: ProcessModel, node: Node) -> bool:
    """Drawn in the main diagram: no collapsed sub-process around it."""
    seen = set()
    p = node.parent
    while p in model.nodes and p not in seen:
        seen.add(p)
        if model.nodes[p].kind == SUBPROCESS and model.nodes[p].attrs.get("expanded") is not True:
            return False
        p = model.nodes[p].parent
    return True


def reusable_di(model: ProcessModel) -> bool:
    """The model's DI draws every visible flow node, lane and pool (and is not pm4py's all-at-0,0)."""
    if not model.diagrams:
        return False
    drawn: set[str] = set()
    for d in model.diagrams:
        drawn.update(d.shapes)
    first = model.diagrams[0].shapes
    if len(first) > 2 and len({(b.x, b.y, b.width, b.height) for b in first.values()}) == 1:
        return False
    # a process none of whose nodes is drawn (e.g. one only called by a call activity) needs no shapes
    drawn_procs = {n.process for n in model.flow_nodes() if n.id in drawn}
    with_nodes = {n.process for n in model.flow_nodes()}
    pooled = {p.process for p in model.participants.values()} & with_nodes
    if (with_nodes and not drawn_procs) or not pooled <= drawn_procs:
        return False
    need = [n.id for n in model.flow_nodes() if n.process in drawn_procs and _visible(model, n)]
    need += list(model.lanes) + list(model.participants)
    return all(i in drawn for i in need)


def prepare(model: ProcessModel) -> tuple[ProcessModel, list[Diagram]]:
    """A copy of the model ready to write, and the diagrams to write with it.

    Every node gets a process (an implicit `Process_1` when the model names none). The file's DI is
    kept when it draws everything visible; otherwise the model is laid out afresh, and then every
    process with flow nodes gets a pool whenever a collaboration is needed (pools, message flows or
    lanes), so bpmn.io shows lanes inside a named pool. The input model is not changed.
    """
    order = process_order(model)
    processes = dict(model.processes)
    taken = set(model.nodes) | set(model.flows) | set(model.lanes) | set(model.participants) | set(processes)
    implicit = None
    if order == [None]:
        implicit = "Process_1"
        i = 2
        while implicit in taken:
            implicit = f"Process_{i}"
            i += 1
        processes[implicit] = model.name
        taken.add(implicit)
    for pid in order:
        if pid is not None and pid not in processes:
            processes[pid] = ""
    participants = dict(model.participants)
    reuse = reusable_di(model) and not (model.message_flows() and not participants)
    needs_collab = bool(participants) or bool(model.message_flows()) or (bool(model.lanes) and not reuse)
    if needs_collab and not reuse:
        pooled = {p.process for p in participants.values()}
        homes = {home_process(n, order) or implicit for n in model.flow_nodes()}
        for pid in processes:
            if pid in homes and pid not in pooled:
                base = f"Participant_{pid}"
                pid_part = base
                i = 2
                while pid_part in taken:
                    pid_part = f"{base}_{i}"
                    i += 1
                taken.add(pid_part)
                participants[pid_part] = Participant(pid_part, processes[pid] or model.name, pid)
    collab = bool(participants)

    def home(n: Node) -> str | None:
        if collab and n.process is None and n.type in COLLAB_ARTIFACTS and n.parent is None:
            return None
        return home_process(n, order) or implicit

    nodes = {k: replace(n, process=home(n)) for k, n in model.nodes.items()}
    lanes = {k: replace(lane, process=lane.process if lane.process in processes else next(iter(processes)))
             for k, lane in model.lanes.items()}
    prep = ProcessModel(
        name=model.name, nodes=nodes, flows=dict(model.flows), lanes=lanes, participants=participants,
        processes=processes, diagrams=list(model.diagrams), collaboration_id=model.collaboration_id,
        exporter=model.exporter, exporter_version=model.exporter_version,
    )
    diagrams = model.diagrams if reuse else [layout(prep)]
    return prep, diagrams
