"""The layered engine behind `layout`: one container (a process's bands or an expanded sub-process).

Cycle breaking by DFS, longest-path layers, dummy nodes on long edges, barycenter sweeps against
crossings, y by isotonic regression (pool-adjacent-violators), orthogonal routes between borders.
Every step is linear or near-linear in nodes plus edges; nothing enumerates paths.
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any, Iterable

from gosupr.bpmn.layout_geometry import (
    ART_ROW,
    CHANNEL,
    DRAWN_ARTIFACTS,
    DUMMY_GAP,
    EVENT_SIZE,
    H_GAP,
    LINE_H,
    MIN_BAND,
    PAD,
    SUB_LABEL,
    SWEEPS,
    V_GAP,
    _Box,
    _inversions,
    _pav,
    draws_expanded,
    label_lines,
    node_size,
)
from gosupr.bpmn.layout_routes import _Routes
from gosupr.bpmn.model import ARTIFACT, EVENT, GATEWAY, Flow, Node


@dataclass
class _Edge:
    flow: Flow
    s: str  # layered item (a boundary event's host stands for it)
    t: str
    back: bool = False
    chain: list[str] = field(default_factory=list)  # dummies between s and t


@dataclass
class _Block:
    boxes: dict[str, _Box] = field(default_factory=dict)
    edges: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    bands: list[tuple[object, float, float]] = field(default_factory=list)  # (band key, top, height)
    width: float = 0.0
    height: float = 0.0

    def shift(self, dx: float, dy: float) -> None:
        for b in self.boxes.values():
            b.x += dx
            b.y += dy
        for k, pts in self.edges.items():
            self.edges[k] = [(x + dx, y + dy) for x, y in pts]
        self.bands = [(k, top + dy, h) for k, top, h in self.bands]

    def merge(self, other: "_Block") -> None:
        self.boxes.update(other.boxes)
        self.edges.update(other.edges)


class _Container(_Routes):
    """Layered layout of the direct children of one process (in bands) or one sub-process."""

    def __init__(self, lay: Any, members: list[Node], band_keys: list[object], band_of) -> None:
        self.lay = lay
        self.members = members
        self.band_keys = band_keys
        self.band_of = band_of

    # 1-3: items, cycle breaking, layering, dummies
    def build(self) -> _Block:
        lay = self.lay
        member_ids = {n.id for n in self.members}
        flow_members = [n for n in self.members if n.kind != ARTIFACT]
        self.host_of = {
            n.id: n.attrs["attached_to"]
            for n in flow_members
            if n.type == "boundaryEvent" and n.attrs.get("attached_to") in member_ids
        }
        self.items = [n.id for n in flow_members if n.id not in self.host_of]
        item_set = set(self.items)
        self.node = {n.id: n for n in flow_members}
        self.size: dict[str, tuple[float, float]] = {}
        self.nested: dict[str, _Block] = {}
        for n in flow_members:
            if n.id in self.host_of:
                continue
            if draws_expanded(lay.model, n, lay.children):
                blk = lay.container(lay.children.get(n.id, []), [None], lambda _n: 0)
                self.nested[n.id] = blk
                self.size[n.id] = (max(blk.width, 200.0), max(blk.height + SUB_LABEL, 120.0))
            else:
                self.size[n.id] = node_size(n)
        self.band = {v: self.band_of(self.node[v]) for v in self.items}
        self.boundaries: dict[str, list[str]] = defaultdict(list)
        for b, h in self.host_of.items():
            self.boundaries[h].append(b)
        self.edges: list[_Edge] = []
        for f in lay.sequence:
            if f.source in self.node and f.target in self.node:
                s, t = self.host_of.get(f.source, f.source), self.host_of.get(f.target, f.target)
                if s in item_set and t in item_set:
                    self.edges.append(_Edge(f, s, t))
                    lay.routed.add(f.id)
        self.break_cycles()
        self.assign_layers()
        self.add_dummies()
        self.order_layers()
        self.place()
        return self.finish()

    def break_cycles(self) -> None:
        out: dict[str, list[int]] = defaultdict(list)
        indeg: dict[str, int] = defaultdict(int)
        for i, e in enumerate(self.edges):
            out[e.s].append(i)
            indeg[e.t] += 1
        for lst in out.values():  # exception paths last: they are drawn below the normal flow
            lst.sort(key=lambda i: self.edges[i].flow.source in self.host_of)
        starts = [v for v in self.items if self.node[v].type == "startEvent"]
        sources = [v for v in self.items if indeg[v] == 0]
        state: dict[str, int] = {}
        self.dfs_index: dict[str, int] = {}
        for root in starts + sources + self.items:
            if root in state:
                continue
            state[root] = 1
            self.dfs_index[root] = len(self.dfs_index)
            stack = [(root, iter(out[root]))]
            while stack:
                v, it = stack[-1]
                for i in it:
                    w = self.edges[i].t
                    st = state.get(w)
                    if st is None:
                        state[w] = 1
                        self.dfs_index[w] = len(self.dfs_index)
                        stack.append((w, iter(out[w])))
                        break
                    if st == 1:
                        self.edges[i].back = True
                else:
                    state[v] = 2
                    stack.pop()

    def assign_layers(self) -> None:
        preds: dict[str, set[str]] = defaultdict(set)
        succs: dict[str, set[str]] = defaultdict(set)
        for e in self.edges:
            if e.s == e.t:
                continue
            a, b = (e.t, e.s) if e.back else (e.s, e.t)
            preds[b].add(a)
            succs[a].add(b)
        indeg = {v: len(preds[v]) for v in self.items}
        queue = deque(v for v in self.items if indeg[v] == 0)
        topo: list[str] = []
        while queue:
            v = queue.popleft()
            topo.append(v)
            for w in sorted(succs[v], key=self.dfs_index.__getitem__):
                indeg[w] -= 1
                if indeg[w] == 0:
                    queue.append(w)
        layer: dict[str, int] = {}
        for v in topo:
            layer[v] = max((layer[p] + 1 for p in preds[v]), default=0)
        for v in reversed(topo):  # sources sit just before their first successor
            if not preds[v] and succs[v]:
                layer[v] = min(layer[w] for w in succs[v]) - 1
        self.layer = layer
        self.n_layers = max(layer.values(), default=-1) + 1

    def add_dummies(self) -> None:
        self.preds: dict[str, list[str]] = defaultdict(list)
        self.succs: dict[str, list[str]] = defaultdict(list)
        self.pull: dict[tuple[str, str], float] = {}
        for i, e in enumerate(self.edges):
            if e.back or e.s == e.t:
                continue
            chain = [e.s]
            for k in range(self.layer[e.s] + 1, self.layer[e.t]):
                d = f"\0{i}.{k}"
                self.layer[d] = k
                self.band[d] = self.band[e.s]
                self.size[d] = (0.0, 0.0)
                self.dfs_index[d] = self.dfs_index[e.s]
                chain.append(d)
                e.chain.append(d)
            chain.append(e.t)
            for a, b in zip(chain, chain[1:]):
                self.preds[b].append(a)
                self.succs[a].append(b)
            if e.flow.source in self.host_of:  # exception path: keep it below its host
                self.pull[(e.s, chain[1])] = self.size[e.s][1] / 2 + V_GAP

    # 4: ordering
    def order_layers(self) -> None:
        layers: list[list[str]] = [[] for _ in range(self.n_layers)]
        for v, k in self.layer.items():
            layers[k].append(v)
        for lst in layers:
            lst.sort(key=lambda v: (self.band[v], self.dfs_index[v], v))
        best = [list(lst) for lst in layers]
        best_c = self.crossings(layers)
        for it in range(SWEEPS):
            if best_c == 0:
                break
            self.sweep(layers, down=it % 2 == 0)
            c = self.crossings(layers)
            if c < best_c:
                best, best_c = [list(lst) for lst in layers], c
        self.layers = best

    def sweep(self, layers: list[list[str]], down: bool) -> None:
        rng = range(1, len(layers)) if down else range(len(layers) - 2, -1, -1)
        nbrs = self.preds if down else self.succs
        for i in rng:
            ref = {v: j for j, v in enumerate(layers[i - 1 if down else i + 1])}
            keyed = []
            for j, v in enumerate(layers[i]):
                ps = [ref[u] for u in nbrs[v] if u in ref]
                keyed.append((self.band[v], sum(ps) / len(ps) if ps else float(j), j, v))
            keyed.sort(key=lambda t: t[:3])
            layers[i] = [t[3] for t in keyed]

    def crossings(self, layers: list[list[str]]) -> int:
        total = 0
        for i in range(len(layers) - 1):
            pos = {v: j for j, v in enumerate(layers[i + 1])}
            segs = sorted((j, pos[w]) for j, v in enumerate(layers[i]) for w in self.succs[v] if w in pos)
            total += _inversions([b for _, b in segs])
        return total

    # 5: coordinates
    def below(self, v: str) -> float:
        n = self.node.get(v)
        if n is None:
            return 0.0
        extra = 0.0
        if n.kind in (EVENT, GATEWAY) and n.name:
            extra = 6 + LINE_H * label_lines(n.name)
        if self.boundaries.get(v):
            names = max((label_lines(self.node[b].name) for b in self.boundaries[v]), default=0)
            extra = max(extra, 18 + (6 + LINE_H * names if names else 0))
        return extra

    def place(self) -> None:
        widths = [max((self.size[v][0] for v in lst), default=0.0) for lst in self.layers]
        self.col_x: list[float] = []
        x = 0.0
        for w in widths:
            self.col_x.append(x)
            x += w + H_GAP
        self.col_w = widths
        self.content_w = max(x - H_GAP, 0.0)
        y: dict[str, float] = {}
        for lst in self.layers:  # initial: stacked
            for group in self.groups(lst):
                pos = _pav([0.0] * len(group), self.seps(group))
                y.update(zip(group, pos))
        for down in (True, False, True):
            order = self.layers if down else list(reversed(self.layers))
            nbrs = self.preds if down else self.succs
            for lst in order:
                for group in self.groups(lst):
                    want = []
                    for v in group:
                        ys = [
                            y[u] + (self.pull.get((u, v), 0.0) if down else -self.pull.get((v, u), 0.0))
                            for u in nbrs[v]
                            if self.band[u] == self.band[v]
                        ]
                        want.append(sum(ys) / len(ys) if ys else y[v])
                    y.update(zip(group, _pav(want, self.seps(group))))
        self.y = y

    def groups(self, lst: list[str]) -> Iterable[list[str]]:
        group: list[str] = []
        for v in lst:
            if group and self.band[group[-1]] != self.band[v]:
                yield group
                group = []
            group.append(v)
        if group:
            yield group

    def seps(self, group: list[str]) -> list[float]:
        out = []
        for a, b in zip(group, group[1:]):
            gap = V_GAP if a in self.node and b in self.node else DUMMY_GAP
            out.append(self.size[a][1] / 2 + self.below(a) + gap + self.size[b][1] / 2)
        return out

    # 6: bands, boxes, artifacts, routes
    def finish(self) -> _Block:
        lay = self.lay
        blk = _Block()
        n_bands = len(self.band_keys)
        top = [float("inf")] * n_bands
        bottom = [float("-inf")] * n_bands
        for v, yc in self.y.items():
            b = self.band[v]
            h = self.size[v][1]
            top[b] = min(top[b], yc - h / 2)
            bottom[b] = max(bottom[b], yc + h / 2 + self.below(v))
        backs_up = [0] * n_bands
        backs_down = [0] * n_bands
        for e in self.edges:
            if e.back or e.s == e.t:
                counter = backs_down if e.flow.source in self.host_of else backs_up
                for b in {self.band[e.s], self.band[e.t]}:
                    counter[b] += 1
        artifacts = [n for n in self.members if n.type in DRAWN_ARTIFACTS]
        anchor = {a.id: lay.anchor(a, self.node) for a in artifacts}
        art_band = {a: (self.band[self.host_of.get(v, v)] if v else 0) for a, v in anchor.items()}
        has_art = set(art_band.values())
        offsets = []
        cursor = 0.0
        for b in range(n_bands):
            if top[b] == float("inf"):
                top[b], bottom[b] = 0.0, 0.0
            up = (CHANNEL * (min(backs_up[b], 4) + 1) if backs_up[b] else 0) + (ART_ROW + V_GAP if b in has_art else 0)
            down = CHANNEL * (min(backs_down[b], 4) + 1) if backs_down[b] else 0
            height = bottom[b] - top[b] + up + down + 2 * PAD
            if n_bands > 1 or self.band_keys[0] is not None:
                height = max(height, MIN_BAND)
            offsets.append(cursor + PAD + up - top[b])
            blk.bands.append((self.band_keys[b], cursor, height))
            cursor += height
        blk.height = cursor
        for v in self.items:
            w, h = self.size[v]
            k = self.layer[v]
            cx = PAD + self.col_x[k] + self.col_w[k] / 2
            cy = self.y[v] + offsets[self.band[v]]
            blk.boxes[v] = _Box(round(cx - w / 2), round(cy - h / 2), w, h)
        self.dummy_at = {
            d: (PAD + self.col_x[k] + self.col_w[k] / 2, round(self.y[d] + offsets[self.band[d]]))
            for d, k in self.layer.items()
            if d not in self.node
        }
        for host, bs in self.boundaries.items():
            hb = blk.boxes[host]
            step = max(hb.w / (len(bs) + 1), EVENT_SIZE[0] + 10)
            for i, b in enumerate(bs):
                cx = hb.cx + (i - (len(bs) - 1) / 2) * step
                blk.boxes[b] = _Box(round(cx - 18), hb.bottom - 18, 36, 36)
        width = self.content_w + 2 * PAD
        width = max(width, self.place_artifacts(blk, artifacts, anchor, art_band))
        blk.width = width
        for sp, inner in self.nested.items():
            box = blk.boxes[sp]
            inner.shift(box.x, box.y + SUB_LABEL)
            blk.merge(inner)
        self.back_rank: dict[int, int] = {}
        ranks = [0, 0]
        for e in self.edges:
            if e.back or e.s == e.t:
                side = int(e.flow.source in self.host_of)
                self.back_rank[id(e)] = ranks[side]
                ranks[side] += 1
        for e in self.edges:
            blk.edges[e.flow.id] = self.route(e, blk.boxes)
        return blk

    def place_artifacts(self, blk: _Block, artifacts: list[Node], anchor: dict, art_band: dict) -> float:
        right = 0.0
        by_band: dict[int, list[tuple[float, Node]]] = defaultdict(list)
        for a in artifacts:
            v = anchor[a.id]
            want = blk.boxes[v].cx - node_size(a)[0] / 2 if v in blk.boxes else float("inf")
            by_band[art_band[a.id]].append((want, a))
        for b, lst in by_band.items():
            _, band_top, _ = blk.bands[b]
            x = PAD
            for want, a in sorted(lst, key=lambda t: t[0]):
                w, h = node_size(a)
                x = max(x, want if want != float("inf") else x)
                blk.boxes[a.id] = _Box(round(x), band_top + PAD + ART_ROW - h, w, h)
                x += w + 20
                right = max(right, x - 20 + PAD)
        return right
