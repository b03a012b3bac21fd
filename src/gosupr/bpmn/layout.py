"""layout: a readable left-to-right BPMN diagram (DI) for models that have none.

Discovered and reduced models come without coordinates, and pm4py needs the Graphviz binary to
make them (without it every shape lands on 0,0). This is a plain-Python layered layout in the
Sugiyama style, linear or near-linear in the model size:

1. cycles are broken by a deterministic DFS from the start events (back edges are routed above);
2. layers by longest path on the remaining DAG (sources pulled next to their successors);
3. long edges get dummy nodes; a few barycenter sweeps order each layer to reduce crossings,
   keeping the ordering with the fewest crossings;
4. x by layer columns, y by isotonic regression (pool-adjacent-violators) of each node towards its
   neighbours' mean, so main paths run straight and branches fan out evenly;
5. orthogonal waypoints from border to border; gateways fan out from their top/bottom corners.

Pools (participants) stack vertically, lanes are bands inside them, expanded sub-processes are laid
out recursively and drawn around their content, boundary events sit on their host's lower edge,
data objects and annotations in a row above the band of the element they are associated with.
"""

from __future__ import annotations

from collections import defaultdict

from gosupr.bpmn.layout_geometry import (
    ARTIFACT_SIZES,
    DRAWN_ARTIFACTS,
    EMPTY_POOL,
    EVENT_SIZE,
    GATEWAY_SIZE,
    HEADER,
    LABEL_W,
    LINE_H,
    MARGIN,
    MIN_BAND,
    POOL_GAP,
    TASK_SIZE,
    V_GAP,
    _Box,
    _dedupe,
    _straight,
    draws_expanded,
    label_lines,
    node_size,
)
from gosupr.bpmn.layout_layers import _Block, _Container
from gosupr.bpmn.model import ARTIFACT, EVENT, GATEWAY, SUBPROCESS, Bounds, Diagram, Flow, Node, ProcessModel

__all__ = [
    "ARTIFACT_SIZES", "EVENT_SIZE", "GATEWAY_SIZE", "TASK_SIZE", "container_of", "draws_expanded", "home_process", "label_lines",
    "layout", "node_size", "process_order",
]


# -- model structure shared with the writer ----------------------------------------------------
def process_order(model: ProcessModel) -> list[str | None]:
    """Process ids in file order; [None] when the model names no process (one implicit process)."""
    order: list[str | None] = list(model.processes)
    for n in model.nodes.values():
        if n.process is not None and n.process not in order:
            order.append(n.process)
    return order or [None]


def home_process(node: Node, order: list[str | None]) -> str | None:
    """The process a node is written into: its own, else the first (collaboration artifacts too)."""
    return node.process if node.process in order else order[0]


def container_of(model: ProcessModel, node: Node) -> str | None:
    """The sub-process a node is drawn and written inside, None at process level."""
    p = node.parent
    if p is not None and p != node.id and p in model.nodes and model.nodes[p].kind == SUBPROCESS:
        return p
    return None


# -- the whole diagram -------------------------------------------------------------------------
class _Layout:
    def __init__(self, model: ProcessModel) -> None:
        self.model = model
        self.children: dict[str, list[Node]] = defaultdict(list)
        for n in model.nodes.values():
            c = container_of(model, n)
            if c is not None:
                self.children[c].append(n)
        self.sequence = model.sequence_flows()
        self.routed: set[str] = set()
        self.links: dict[str, list[str]] = defaultdict(list)  # artifact -> associated elements
        for f in model.flows.values():
            if f.kind in ("association", "data"):
                self.links[f.source].append(f.target)
                self.links[f.target].append(f.source)

    def container(self, members: list[Node], band_keys: list[object], band_of) -> _Block:
        return _Container(self, members, band_keys, band_of).build()

    def anchor(self, artifact: Node, local: dict[str, Node]) -> str | None:
        for other in self.links.get(artifact.id, []):
            if other in local:
                return other
        return None

    def run(self) -> Diagram:
        m = self.model
        order = process_order(m)
        top_level: dict[str | None, list[Node]] = defaultdict(list)
        for n in m.nodes.values():
            if container_of(m, n) is not None:
                continue
            if n.kind == ARTIFACT and n.type not in DRAWN_ARTIFACTS:
                continue
            top_level[home_process(n, order)].append(n)
        rows: list[tuple[object, str | None]] = []  # (participant or None, process)
        drawn_procs = set()
        for p in m.participants.values():
            rows.append((p, p.process if p.process in order else None))
            if p.process in order:
                drawn_procs.add(p.process)
        for pid in order:
            if pid not in drawn_procs and (top_level.get(pid) or not m.participants):
                rows.append((None, pid))
        laid: list[tuple[object, str | None, _Block | None, list, int]] = []
        for part, pid in rows:
            members = [] if part is not None and pid is None else top_level.get(pid, [])
            lanes = self.lane_tree(pid) if members else []
            leaves = [lane for lane, leaf, _ in lanes if leaf]
            keys: list[object] = list(leaves)
            leaf_of = self.leaf_of(lanes)
            if leaves and any(leaf_of.get(n.lane) is None for n in members if n.kind != ARTIFACT):
                keys.append(None)
            if not keys:
                keys = [None]
            index = {k: i for i, k in enumerate(keys)}
            band_of = (lambda n, index=index, leaf_of=leaf_of: index.get(leaf_of.get(n.lane), len(index) - 1)) if leaves else (lambda n: 0)
            blk = self.container(members, keys, band_of) if members else None
            depth = max((d for _, _, d in lanes), default=-1) + 1
            laid.append((part, pid, blk, lanes, depth))
        pooled = any(part is not None for part, *_ in laid)
        widths = []
        for part, pid, blk, lanes, depth in laid:
            indent = (HEADER if part is not None else 0) + HEADER * depth
            widths.append(indent + (blk.width if blk else 0))
        full = max(widths + [400.0])
        diagram = Diagram(id="BPMNDiagram_1", name=m.name)
        shapes: dict[str, _Box] = {}
        pool_box: dict[str | None, _Box] = {}
        cursor = float(MARGIN)
        for part, pid, blk, lanes, depth in laid:
            indent = (HEADER if part is not None else 0) + HEADER * depth
            height = blk.height if blk else EMPTY_POOL
            if part is not None:
                height = max(height, MIN_BAND if blk else EMPTY_POOL)
                pb = _Box(MARGIN, cursor, full, height)
                shapes[part.id] = pb
                if pid is not None:
                    pool_box[pid] = pb
            if blk is not None:
                if blk.height < height:  # stretch the last band to the pool
                    k, t, h = blk.bands[-1]
                    blk.bands[-1] = (k, t, h + height - blk.height)
                blk.shift(MARGIN + indent, cursor)
                self.lane_shapes(shapes, lanes, blk, part is not None, full)
                for nid, box in blk.boxes.items():
                    shapes[nid] = box
                diagram.edges.update(blk.edges)
            cursor += height + (POOL_GAP if pooled else V_GAP)
        self.extra_edges(diagram, shapes, pool_box, order)
        for sid, b in shapes.items():
            bounds = Bounds(float(round(b.x)), float(round(b.y)), float(b.w), float(b.h))
            if sid in m.participants or sid in m.lanes:
                bounds.horizontal = True
            node = m.nodes.get(sid)
            if node is not None and (node.kind == SUBPROCESS or node.type == "callActivity"):
                bounds.expanded = draws_expanded(m, node, self.children)
            diagram.shapes[sid] = bounds
        diagram.edges = {k: [(float(x), float(y)) for x, y in _dedupe(v)] for k, v in diagram.edges.items()}
        self.labels(diagram)
        return diagram

    def lane_tree(self, pid: str | None) -> list[tuple[str, bool, int]]:
        """(lane id, is leaf, depth) of the process's lanes, depth-first in file order."""
        lanes = [lane for lane in self.model.lanes.values() if lane.process == pid or (lane.process is None and pid == process_order(self.model)[0])]
        kids: dict[str | None, list[str]] = defaultdict(list)
        ids = {lane.id for lane in lanes}
        for lane in lanes:
            kids[lane.parent if lane.parent in ids else None].append(lane.id)
        out: list[tuple[str, bool, int]] = []
        stack = [(lid, 0) for lid in reversed(kids[None])]
        while stack:
            lid, d = stack.pop()
            out.append((lid, not kids[lid], d))
            stack.extend((c, d + 1) for c in reversed(kids[lid]))
        return out

    def leaf_of(self, lanes: list[tuple[str, bool, int]]) -> dict[str | None, str]:
        """Each lane's band: itself if a leaf, else its first leaf below."""
        out: dict[str | None, str] = {}
        pending: list[str] = []
        for lid, leaf, _ in lanes:
            if leaf:
                out[lid] = lid
                for p in pending:
                    out[p] = lid
                pending = []
            else:
                pending.append(lid)
        return out

    def lane_shapes(self, shapes: dict[str, _Box], lanes, blk: _Block, pooled: bool, full: float) -> None:
        band_span = {k: (t, h) for k, t, h in blk.bands}
        spans: dict[str, tuple[float, float]] = {}
        depth_of = {lid: d for lid, _, d in lanes}
        for lid, leaf, d in reversed(lanes):  # children before parents
            if leaf:
                t, h = band_span.get(lid, (None, None))  # type: ignore[assignment]
                if t is None:
                    continue
                spans[lid] = (t, t + h)
            else:
                parts = [spans[c] for c, _, _ in lanes if self.model.lanes[c].parent == lid and c in spans]
                if parts:
                    spans[lid] = (min(a for a, _ in parts), max(b for _, b in parts))
        x0 = MARGIN + (HEADER if pooled else 0)
        for lid, _, _ in lanes:
            if lid in spans:
                a, b = spans[lid]
                x = x0 + HEADER * depth_of[lid]
                shapes[lid] = _Box(x, a, MARGIN + full - x, b - a)

    def extra_edges(self, diagram: Diagram, shapes: dict[str, _Box], pool_box: dict, order: list) -> None:
        """Message flows between pools; associations, data links and stray flows as straight lines."""
        m = self.model
        self.msg_rank: dict[str, tuple[int, int]] = {}
        per_pool: dict[object, list[str]] = defaultdict(list)
        for f in m.message_flows():
            src = m.nodes.get(f.source)
            per_pool[home_process(src, order) if src else f.source].append(f.id)
        for ids in per_pool.values():
            for i, fid in enumerate(ids):
                self.msg_rank[fid] = (i, len(ids))
        for f in m.flows.values():
            if f.id in self.routed or f.id in diagram.edges:
                continue
            S, T = shapes.get(f.source), shapes.get(f.target)
            if S is None or T is None:
                continue
            if f.kind == "message":
                diagram.edges[f.id] = self.message_route(f, S, T, pool_box, order)
            else:
                diagram.edges[f.id] = _straight(S, T)

    def message_route(self, f: Flow, S: _Box, T: _Box, pool_box: dict, order: list) -> list[tuple[float, float]]:
        down = S.cy <= T.cy
        sy, ty = (S.bottom, T.y) if down else (S.y, T.bottom)
        if f.source in self.model.participants:
            sx = min(max(T.cx, S.x + 40), S.right - 40)
            return [(sx, sy), (sx, ty)]
        if f.target in self.model.participants:
            tx = min(max(S.cx, T.x + 40), T.right - 40)
            return [(tx, sy), (tx, ty)]
        if abs(S.cx - T.cx) < 1:
            return [(S.cx, sy), (S.cx, ty)]
        sp = pool_box.get(home_process(self.model.nodes[f.source], order))
        if sp is not None and (sp.bottom <= T.y if down else sp.y >= T.bottom):
            i, n = self.msg_rank.get(f.id, (0, 1))
            step = POOL_GAP * (i + 1) / (n + 1)
            mid = sp.bottom + step if down else sp.y - step
        else:
            mid = (sy + ty) / 2
        return [(S.cx, sy), (S.cx, mid), (T.cx, mid), (T.cx, ty)]

    def labels(self, diagram: Diagram) -> None:
        """Names of events, gateways and data below the shape; flow names beside their longest run."""
        m = self.model
        siblings: dict[str, list[float]] = defaultdict(list)  # boundary events share their host's edge
        for n in m.nodes.values():
            if n.type == "boundaryEvent" and n.id in diagram.shapes:
                siblings[n.attrs.get("attached_to")].append(diagram.shapes[n.id].x)
        for nid, b in diagram.shapes.items():
            n = m.nodes.get(nid)
            if n is None or not n.name or n.kind not in (EVENT, GATEWAY, ARTIFACT) or n.type == "textAnnotation":
                continue
            width = float(LABEL_W)
            if n.type == "boundaryEvent":
                gaps = [abs(x - b.x) for x in siblings[n.attrs.get("attached_to")] if x != b.x]
                width = min([width] + [g - 6 for g in gaps])
            lines = label_lines(n.name, width)
            diagram.label_bounds[nid] = Bounds(b.x + b.width / 2 - width / 2, b.y + b.height + 5, width, LINE_H * lines)
        for fid, pts in diagram.edges.items():
            f = m.flows.get(fid)
            if f is None or not f.name:
                continue
            lines = label_lines(f.name)
            h = LINE_H * lines
            segs = list(zip(pts, pts[1:]))
            flat = [(a, b) for a, b in segs if a[1] == b[1] and abs(b[0] - a[0]) >= 40]
            if flat:  # above the first horizontal run, starting near where it begins
                (ax, ay), (bx, _) = flat[0]
                lb = Bounds(min(ax, bx) + 6, ay - 4 - h, LABEL_W, h)
            else:
                (ax, ay), (bx, by) = max(segs, key=lambda s: abs(s[1][0] - s[0][0]) + abs(s[1][1] - s[0][1]))
                lb = Bounds((ax + bx) / 2 + 6, (ay + by) / 2 - h / 2, LABEL_W, h)
            diagram.label_bounds[fid] = lb
        for k, b in list(diagram.label_bounds.items()):
            diagram.label_bounds[k] = Bounds(float(round(b.x)), float(round(b.y)), float(b.width), float(b.height))


def layout(model: ProcessModel) -> Diagram:
    """A left-to-right diagram of the whole model: pools, lanes, nested sub-processes, all flows.

    Pure Python and deterministic: the same model gives the same coordinates. Shapes have the
    standard bpmn.io sizes (task 100x80, event 36x36, gateway 50x50) and never overlap, except a
    boundary event on its host and shapes inside their pool, lane or sub-process.
    """
    return _Layout(model).run()
