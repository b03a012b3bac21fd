"""Orthogonal routes for the layered layout: border to border, gateways fanning out from their
corners, loops over the shapes they span, exception paths from under their host."""

from __future__ import annotations

from abc import ABC, abstractmethod

from gosupr.bpmn.layout_geometry import CHANNEL, H_GAP, PAD, _Box, _dedupe, _Edge
from gosupr.bpmn.model import GATEWAY, Node


class _Routes(ABC):
    """Routing half of `_Container` (mixed in): needs its layers, columns, boxes and dummies.

    What it reads of the container is declared here, so the type checker holds both halves to it;
    `layout_layers._Container` fills each attribute during its passes before anything is routed.
    """

    node: dict[str, Node]  # flow node id -> node, of this container
    host_of: dict[str, str]  # boundary event -> the activity it is attached to
    boundaries: dict[str, list[str]]  # activity -> its boundary events
    band: dict[str, int]  # layered item -> its band (lane) index
    layer: dict[str, int]  # layered item or dummy -> its column
    layers: list[list[str]]  # column -> its items and dummies, top to bottom
    col_x: list[float]  # column -> left edge, before padding
    col_w: list[float]  # column -> width
    dummy_at: dict[str, tuple[float, float]]  # dummy -> where a long edge passes its column
    back_rank: dict[int, int]  # id(back edge) -> its channel among the loops

    @abstractmethod
    def below(self, v: str) -> float:
        """Room a shape needs under it (labels, boundary events); the container measures it."""

    def route(self, e: _Edge, boxes: dict[str, _Box]) -> list[tuple[float, float]]:
        src_id, dst_id = e.flow.source, e.flow.target
        S, T = boxes[src_id], boxes[dst_id]
        from_boundary = src_id in self.host_of
        if e.s == e.t or e.back:
            return self.route_back(e, S, T, from_boundary, boxes)
        pts: list[tuple[float, float]] = []
        stops = [self.dummy_at[d] for d in e.chain]
        first_y = stops[0][1] if stops else T.cy
        src_gw = self.node[src_id].kind == GATEWAY
        if from_boundary:
            pts.append((S.cx, S.bottom))
            if first_y > S.bottom:
                cur = (S.cx, first_y)
            else:
                rank = self.boundaries[e.s].index(src_id) if src_id in self.boundaries[e.s] else 0
                cur = (S.cx, S.bottom + 20 + 8 * rank)
                pts.append(cur)
                gx = self.gap_after(self.layer[e.s])
                pts.append((gx, cur[1]))
                cur = (gx, first_y)
            pts.append(cur)
        elif src_gw and abs(first_y - S.cy) > 1 and self.clear_vertical(e.s, S, first_y, boxes, exit_side=True):
            pts.append((S.cx, S.y if first_y < S.cy else S.bottom))
            cur = (S.cx, first_y)
            pts.append(cur)
        else:
            cur = (S.right, S.cy)
            pts.append(cur)
        for (dx, dy), d in zip(stops, e.chain):
            if abs(cur[1] - dy) > 0.5:
                gx = self.gap_before(self.layer[d])
                pts += [(gx, cur[1]), (gx, dy)]
            cur = (dx, dy)
        dst_gw = self.node[dst_id].kind == GATEWAY
        if (dst_gw and abs(cur[1] - T.cy) > 1 and not (src_gw and not stops and not from_boundary)
                and self.clear_vertical(e.t, T, cur[1], boxes, exit_side=False)):
            pts += [(T.cx, cur[1]), (T.cx, T.y if cur[1] < T.cy else T.bottom)]
        else:
            if abs(cur[1] - T.cy) > 0.5:
                gx = self.gap_before(self.layer[e.t])
                pts += [(gx, cur[1]), (gx, T.cy)]
            pts.append((T.x, T.cy))
        return _dedupe(pts)

    def route_back(self, e: _Edge, S: _Box, T: _Box, from_boundary: bool, boxes) -> list[tuple[float, float]]:
        """Loops go over the shapes they span (from a boundary event: under them), one channel each."""
        lo, hi = sorted((self.layer[e.s], self.layer[e.t]))
        bands = {self.band[e.s], self.band[e.t]}
        span = [v for k in range(lo, hi + 1) for v in self.layers[k] if v in self.node and self.band[v] in bands]
        k = min(self.back_rank.get(id(e), 0), 4)
        if from_boundary:
            low = max(boxes[v].bottom + self.below(v) for v in span)
            cy = low + CHANNEL * (k + 1)
            if e.s == e.t:
                return [(S.cx, S.bottom), (S.cx, cy), (T.x - 15, cy), (T.x - 15, T.cy), (T.x, T.cy)]
            return [(S.cx, S.bottom), (S.cx, cy), (T.cx, cy), (T.cx, T.bottom)]
        cy = min(boxes[v].y for v in span) - CHANNEL * (k + 1)
        if e.s == e.t:
            return [(S.cx + 15, S.y), (S.cx + 15, cy), (S.cx - 15, cy), (S.cx - 15, S.y)]
        if self.clear_above(e.s, boxes):
            pts = [(S.cx, S.y), (S.cx, cy)]
        else:
            gx = self.gap_after(self.layer[e.s])
            pts = [(S.right, S.cy), (gx, S.cy), (gx, cy)]
        if self.clear_above(e.t, boxes):
            return pts + [(T.cx, cy), (T.cx, T.y)]
        gx = self.gap_before(self.layer[e.t])
        return pts + [(gx, cy), (gx, T.cy), (T.x, T.cy)]

    def clear_above(self, v: str, boxes: dict[str, _Box]) -> bool:
        """Nothing above v in its column: a loop may leave or enter it through its top."""
        box = boxes[v]
        for u in self.layers[self.layer[v]]:
            if u != v and u in self.node and u in boxes and boxes[u].y < box.y and boxes[u].x <= box.cx <= boxes[u].right:
                return False
        return True

    def gap_before(self, k: int) -> float:
        return PAD + self.col_x[k] - H_GAP / 2

    def gap_after(self, k: int) -> float:
        return PAD + self.col_x[k] + self.col_w[k] + H_GAP / 2

    def clear_vertical(self, v: str, box: _Box, y: float, boxes: dict[str, _Box], exit_side: bool) -> bool:
        """No other shape of v's column lies on the vertical run to `y` or on the horizontal run out of it."""
        k = self.layer[v]
        lo, hi = sorted((box.cy, y))
        col_l = PAD + self.col_x[k]
        col_r = col_l + self.col_w[k]
        hx0, hx1 = (box.cx, col_r) if exit_side else (col_l, box.cx)
        for u in self.layers[k]:
            if u == v or u not in self.node:
                continue
            b = boxes[u]
            if b.y - 4 <= hi and b.bottom + 4 >= lo and b.x <= box.cx <= b.right:
                return False
            if b.y - 4 <= y <= b.bottom + 4 and b.x <= hx1 and b.right >= hx0:
                return False
        return True
