"""Layout-only differences between two drawings of matched elements: they change no behaviour.

Kept apart from behavioural changes so that re-drawing a model is never mistaken for re-designing
it. A drag of the whole diagram is reported once ("shifted") and other moves are measured relative to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gosupr.bpmn.model import Bounds, ProcessModel
from gosupr.mining.compare.matching import Match
from gosupr.mining.labels import name_change

LAYOUT_CHANGES = (
    "shifted", "moved", "resized", "waypoints", "shape-added", "shape-removed", "label-spelling", "label-default",
    "container-added", "container-removed",
)
TOLERANCE_PX = 0.5  # DI coordinates closer than this are the same drawing (float noise, rounding)


@dataclass
class LayoutChange:
    """A drawing-only difference of a matched element: it changes no behaviour."""

    change: str
    element: str  # node kind, flow, lane or pool
    name: str
    before_id: str
    after_id: str
    detail: dict[str, Any] = field(default_factory=dict)

    def sort_key(self) -> tuple:
        return (LAYOUT_CHANGES.index(self.change), self.element, self.name, self.before_id, self.after_id)


def display(model: ProcessModel, eid: str) -> str:
    """A person's name for an element: its label, else its BPMN type in brackets."""
    n = model.nodes.get(eid)
    if n is not None:
        return n.name.strip() or f"[{n.type}]"
    p = model.participants.get(eid)
    if p is not None:
        return p.name.strip() or "[pool]"
    return eid


def num(v: Any) -> Any:
    """JSON-stable number: rounded, whole floats as ints."""
    if isinstance(v, float):
        r = round(v, 6)
        return int(r) if r.is_integer() and abs(r) < 2**53 else r
    return v


def _shapes(model: ProcessModel) -> dict[str, Bounds]:
    out: dict[str, Bounds] = {}
    for d in model.diagrams:
        for k, v in d.shapes.items():
            out.setdefault(k, v)
    return out


def _edges(model: ProcessModel) -> dict[str, list[tuple[float, float]]]:
    out: dict[str, list[tuple[float, float]]] = {}
    for d in model.diagrams:
        for k, v in d.edges.items():
            out.setdefault(k, v)
    return out


def _common_shift(pairs: list[tuple[Bounds, Bounds]]) -> tuple[float, float]:
    """The offset most shapes moved by, when at least half did: the whole drawing was dragged.

    Reported once as "shifted"; other moves are measured relative to it, so one dragged diagram
    does not bury the one shape that really moved.
    """
    counts: dict[tuple[float, float], int] = {}
    for x, y in pairs:
        key = (round(y.x - x.x, 1), round(y.y - x.y, 1))
        counts[key] = counts.get(key, 0) + 1
    if not counts:
        return 0.0, 0.0
    (dx, dy), n = max(counts.items(), key=lambda kv: (kv[1], -abs(kv[0][0]) - abs(kv[0][1]), kv[0]))
    if n < 2 or 2 * n < len(pairs) or (abs(dx) <= TOLERANCE_PX and abs(dy) <= TOLERANCE_PX):
        return 0.0, 0.0
    return dx, dy


def layout_changes(
    b: ProcessModel, a: ProcessModel, nodes: list[Match], flows: list[Match], lanes: list[Match], pools: list[Match]
) -> list[LayoutChange]:
    """Drawing differences of matched elements (shapes, edges) and label spellings that mean the same."""
    sb, sa = _shapes(b), _shapes(a)
    out: list[LayoutChange] = []
    shaped = [(m, b.nodes[m.before].kind, display(a, m.after)) for m in nodes]
    shaped += [(m, "lane", a.lanes[m.after].name) for m in lanes]
    shaped += [(m, "pool", a.participants[m.after].name) for m in pools]
    ox, oy = _common_shift([(sb[m.before], sa[m.after]) for m, _, _ in shaped if m.before in sb and m.after in sa])
    if ox or oy:
        out.append(LayoutChange("shifted", "diagram", "", "", "", {"dx": num(ox), "dy": num(oy)}))
    for m, element, name in shaped:
        x, y = sb.get(m.before), sa.get(m.after)
        if x is None and y is None:
            continue
        if x is None or y is None:
            out.append(LayoutChange("shape-added" if x is None else "shape-removed", element, name, m.before, m.after))
            continue
        dx, dy, dw, dh = y.x - x.x - ox, y.y - x.y - oy, y.width - x.width, y.height - x.height
        if abs(dx) > TOLERANCE_PX or abs(dy) > TOLERANCE_PX:
            out.append(LayoutChange("moved", element, name, m.before, m.after, {"dx": num(dx), "dy": num(dy)}))
        if abs(dw) > TOLERANCE_PX or abs(dh) > TOLERANCE_PX:
            out.append(LayoutChange("resized", element, name, m.before, m.after, {"dw": num(dw), "dh": num(dh)}))
    eb, ea = _edges(b), _edges(a)
    for m in flows:
        wb, wa = eb.get(m.before), ea.get(m.after)  # waypoints
        if wb is None and wa is None:
            continue
        f = a.flows[m.after]
        name = f"{display(a, f.source)} → {display(a, f.target)}"
        if wb is None or wa is None:
            out.append(LayoutChange("shape-added" if wb is None else "shape-removed", "flow", name, m.before, m.after))
        elif len(wb) != len(wa) or any(
            abs(q[0] - p[0] - ox) > TOLERANCE_PX or abs(q[1] - p[1] - oy) > TOLERANCE_PX for p, q in zip(wb, wa)
        ):
            out.append(LayoutChange("waypoints", "flow", name, m.before, m.after, {"before": len(wb), "after": len(wa)}))
    out.extend(label_changes(b, a, nodes, flows, lanes, pools))
    return out


def label_changes(
    b: ProcessModel, a: ProcessModel, nodes: list[Match], flows: list[Match], lanes: list[Match], pools: list[Match]
) -> list[LayoutChange]:
    """Names that differ without meaning something else: spelling, or a tool's placeholder on one side."""
    out: list[LayoutChange] = []

    def check(element: str, m: Match, x: str, y: str, tx: str | None = None, ty: str | None = None) -> None:
        how = name_change(x, y, tx, ty, step=element in ("task", "subprocess"))
        if how in ("spelling", "default"):
            out.append(LayoutChange("label-" + how, element, y or x, m.before, m.after, {"before": x, "after": y}))

    for m in nodes:
        check(b.nodes[m.before].kind, m, b.nodes[m.before].name, a.nodes[m.after].name)
    for m in flows:
        fb, fa = b.flows[m.before], a.flows[m.after]
        check("flow", m, fb.name, fa.name, display(b, fb.target), display(a, fa.target))
    for m in lanes:
        check("lane", m, b.lanes[m.before].name, a.lanes[m.after].name)
    for m in pools:
        check("pool", m, b.participants[m.before].name, a.participants[m.after].name)
    return out
