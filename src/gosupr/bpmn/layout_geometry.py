"""Sizes, spacing and small geometry for the layout: what a shape measures, where lines meet borders."""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from gosupr.bpmn.model import ARTIFACT, EVENT, GATEWAY, SUBPROCESS, Node, ProcessModel

TASK_SIZE = (100, 80)
EVENT_SIZE = (36, 36)
GATEWAY_SIZE = (50, 50)
ARTIFACT_SIZES = {
    "dataObjectReference": (36, 50),
    "dataInput": (36, 50),
    "dataOutput": (36, 50),
    "dataStoreReference": (50, 50),
    "textAnnotation": (100, 30),
}
DRAWN_ARTIFACTS = frozenset(ARTIFACT_SIZES)

H_GAP = 60  # between layer columns
V_GAP = 40  # between shapes stacked in one column
DUMMY_GAP = 16  # beside a long edge passing through a column
PAD = 30  # inside a band / sub-process
HEADER = 30  # pool and lane name strip
MARGIN = 20  # diagram origin
POOL_GAP = 50  # between pools, room for message flows
MIN_BAND = 120  # minimum pool / lane height
EMPTY_POOL = 60  # a black-box participant
SUB_LABEL = 20  # room for an expanded sub-process's name
ART_ROW = 50  # artifact row height
CHANNEL = 16  # distance between parallel back edges
LABEL_W = 90
LINE_H = 14
SWEEPS = 8


def draws_expanded(model: ProcessModel, node: Node, children: dict[str, list[Node]]) -> bool:
    """A sub-process is drawn open when it has content and is not marked collapsed."""
    return node.kind == SUBPROCESS and node.attrs.get("expanded") is not False and any(
        c.kind != ARTIFACT or c.type in DRAWN_ARTIFACTS for c in children.get(node.id, [])
    )


def node_size(node: Node) -> tuple[int, int]:
    if node.kind == EVENT:
        return EVENT_SIZE
    if node.kind == GATEWAY:
        return GATEWAY_SIZE
    if node.kind == ARTIFACT:
        if node.type == "textAnnotation":
            return 100, max(30, LINE_H * label_lines(node.name, 95) + 10)
        return ARTIFACT_SIZES.get(node.type, (36, 50))
    return TASK_SIZE


def label_lines(text: str, width: float = LABEL_W) -> int:
    """Lines a name wraps to at about 6.5 px per character (11 px font)."""
    if not text:
        return 0
    per_line = max(1, int(width / 6.5))
    lines = 0
    for para in text.splitlines() or [""]:
        lines += max(1, -(-len(para) // per_line))
    return min(lines, 6)


# -- geometry helpers ----------------------------------------------------------------------------
@dataclass
class _Box:
    x: float
    y: float
    w: float
    h: float

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h


def _clip(box: _Box, toward: tuple[float, float]) -> tuple[float, float]:
    """Where the line from the box centre toward a point leaves the box."""
    dx, dy = toward[0] - box.cx, toward[1] - box.cy
    if dx == 0 and dy == 0:
        return box.cx, box.cy
    tx = (box.w / 2) / abs(dx) if dx else float("inf")
    ty = (box.h / 2) / abs(dy) if dy else float("inf")
    t = min(tx, ty)
    return box.cx + dx * t, box.cy + dy * t


def _straight(a: _Box, b: _Box) -> list[tuple[float, float]]:
    return [_clip(a, (b.cx, b.cy)), _clip(b, (a.cx, a.cy))]


def _pav(desired: list[float], seps: list[float]) -> list[float]:
    """Positions closest (least squares) to `desired`, in order, at least `seps[i]` apart."""
    off = [0.0]
    for s in seps:
        off.append(off[-1] + s)
    blocks: list[list[float]] = []  # [sum, count]
    for d, o in zip(desired, off):
        blocks.append([d - o, 1.0])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            s, c = blocks.pop()
            blocks[-1][0] += s
            blocks[-1][1] += c
    out: list[float] = []
    for s, c in blocks:
        out.extend([s / c] * int(c))
    return [z + o for z, o in zip(out, off)]


def _inversions(seq: list[float]) -> int:
    seen: list[float] = []
    count = 0
    for v in seq:
        count += len(seen) - bisect.bisect_right(seen, v)
        bisect.insort(seen, v)
    return count


# -- one container (process band set or expanded sub-process) ---------------------------------


def _dedupe(pts: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Drop repeated and collinear middle points."""
    out: list[tuple[float, float]] = []
    for p in pts:
        p = (round(p[0]), round(p[1]))
        if out and p == out[-1]:
            continue
        if len(out) >= 2:
            (ax, ay), (bx, by) = out[-2], out[-1]
            if (ax == bx == p[0]) or (ay == by == p[1]):
                out[-1] = p
                continue
        out.append(p)
    return out if len(out) >= 2 else (out * 2)[:2]
