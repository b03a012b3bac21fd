"""Draw a ProcessModel as SVG from its BPMN DI, written directly (no Graphviz, no browser).

Every drawn element is a <g data-element="ID" data-type="TAG"> so that reports and tests can find
a step's shape and its label; highlighted ones carry data-highlight. Output is deterministic: the
same model gives the same bytes.
"""

from __future__ import annotations

import math
from functools import lru_cache

from gosupr.bpmn.model import EVENT, GATEWAY, SUBPROCESS, TASK, Bounds, Diagram, Flow, Node, ProcessModel
from gosupr.errors import GosuprError
from gosupr.report import svg_draw as d
from gosupr.report.svg_highlight import ADDED, DEVIATION, LOOP, REMOVABLE, REMOVED, WAITING, Highlight, Mark

__all__ = ["Highlight", "Mark", "render_svg", "svg_to_png", "diagram_for"]

_COLOURS = {  # stroke, fill; a kind's coloured category brings its own (see _colour_table)
    REMOVABLE: ("#d62728", "#fde0dd"),
    ADDED: ("#2ca02c", "#e3f4df"),
    REMOVED: ("#8c8c8c", "#eeeeee"),
}
_HEAT = {WAITING: ((188, 189, 220), (63, 0, 125), "#f1eef8"), DEVIATION: ((253, 174, 97), (165, 0, 38), "#fff1e6")}
_LEGEND_OWN = {
    REMOVABLE: ("removable step", "шаг можно убрать"),
    DEVIATION: ("deviation from the regulation (rare → frequent)", "отклонение от регламента (редко → часто)"),
    ADDED: ("added", "добавлено"),
    REMOVED: ("removed", "удалено"),
}


@lru_cache(maxsize=1)
def _colour_table() -> tuple[dict[str, tuple[str, str]], dict[str, tuple[str, str]]]:
    """Colours and legend words per mark category: the diagram's own, then each coloured category the
    kinds declare (gosupr.mining.kinds: loop, waiting, and those extra kinds bring), in legend order."""
    from gosupr.mining.kinds import categories

    cats = [c for c in categories().values() if c.colour]
    colours = {**_COLOURS, **{c.name: (c.colour or "", c.fill or "#fff") for c in cats if c.name not in _HEAT}}
    kind_words = {c.name: c.legend or c.title for c in cats}
    legend = {REMOVABLE: _LEGEND_OWN[REMOVABLE], **{k: v for k, v in kind_words.items() if k in (LOOP, WAITING)},
              DEVIATION: _LEGEND_OWN[DEVIATION], ADDED: _LEGEND_OWN[ADDED], REMOVED: _LEGEND_OWN[REMOVED],
              **{k: v for k, v in kind_words.items() if k not in (LOOP, WAITING)}}
    return colours, legend


_THROW = {"endEvent", "intermediateThrowEvent"}


def render_svg(
    model: ProcessModel,
    *,
    highlight: Highlight | None = None,
    diagram_index: int = 0,
    title: str | None = None,
    lang: str = "en",
) -> str:
    """The model's diagram `diagram_index` as an SVG document (text, UTF-8 when written).

    A model without usable DI (none, or every shape at one spot as pm4py writes without Graphviz)
    is laid out first with gosupr.bpmn.layout.
    """
    diagram = diagram_for(model, diagram_index)
    marks = highlight.resolve(model) if highlight else {}
    p = _Painter(model, diagram, marks)
    p.paint()
    p.undrawn(lang)
    if title:
        p.title(title)
    if marks:
        p.legend(sorted({m.category for m in marks.values()}, key=list(_colour_table()[1]).index), lang)
    return p.document(title or model.name)


def diagram_for(model: ProcessModel, index: int = 0) -> Diagram:
    """The DI to draw: the file's own, or a computed layout when it has none worth drawing."""
    if model.diagrams and not (index == 0 and _degenerate(model.diagrams[0])):
        if not 0 <= index < len(model.diagrams):
            raise GosuprError(f"diagram {index} not found: the model has {len(model.diagrams)} diagram(s), numbered from 0")
        return model.diagrams[index]
    if index != 0:
        raise GosuprError(f"diagram {index} not found: the model has no diagrams of its own; omit the diagram number")
    from gosupr.bpmn.layout import layout  # only models without DI pay for the layout

    laid = layout(model)
    if isinstance(laid, Diagram):
        return laid
    if isinstance(laid, ProcessModel) and laid.diagrams:
        return laid.diagrams[0]
    if model.diagrams and not _degenerate(model.diagrams[0]):
        return model.diagrams[0]
    raise GosuprError("the model has no diagram and none could be laid out")


def _degenerate(dg: Diagram) -> bool:
    spots = {(b.x, b.y, b.width, b.height) for b in dg.shapes.values()}
    return not dg.shapes or (len(dg.shapes) > 2 and len(spots) == 1)


def svg_to_png(svg: str, *, scale: float = 1.0) -> bytes:
    """PNG bytes via cairosvg (pip package; needs the cairo library, present on Debian desktops)."""
    try:
        import cairosvg  # type: ignore[import-not-found]
    except (ImportError, OSError):
        raise GosuprError("PNG output needs the cairosvg package and the cairo library: `pip install cairosvg`, or write .svg instead") from None
    return cairosvg.svg2png(bytestring=svg.encode("utf-8"), scale=scale)


def _wait_colour(intensity: float, category: str = WAITING) -> str:
    t = min(1.0, max(0.0, intensity))
    light, dark, _ = _HEAT[category]
    rgb = [round(a + (b - a) * t) for a, b in zip(light, dark)]
    return "#%02x%02x%02x" % tuple(rgb)


def _colours(mark: Mark | None) -> tuple[str, str, float]:
    """Stroke, fill and stroke width for a mark (plain ink when none)."""
    if mark is None:
        return d.INK, "#fff", 1.5
    if mark.category in _HEAT:
        return _wait_colour(mark.intensity, mark.category), _HEAT[mark.category][2], 2.0 + 3.0 * mark.intensity
    stroke, fill = _colour_table()[0][mark.category]
    return stroke, fill, 3.0


class _Painter:
    def __init__(self, model: ProcessModel, diagram: Diagram, marks: dict[str, Mark]) -> None:
        self.m, self.dg, self.marks = model, diagram, marks
        self.parts: list[str] = []
        self.box = [float("inf"), float("inf"), float("-inf"), float("-inf")]

    # -- bookkeeping ----------------------------------------------------------------------------
    def extend(self, x0: float, y0: float, x1: float, y1: float) -> None:
        b = self.box
        b[0], b[1], b[2], b[3] = min(b[0], x0), min(b[1], y0), max(b[2], x1), max(b[3], y1)

    def text(self, lines: list[str], cx: float, cy: float, size: float, *, top: bool = False, anchor: str = "middle", **kw) -> str:
        if not lines:
            return ""
        w = max(d.text_width(s, size) for s in lines)
        h = len(lines) * size * 1.2
        y0 = cy if top else cy - h / 2
        x0 = cx - w / 2 if anchor == "middle" else cx if anchor == "start" else cx - w
        if kw.get("rotate") is None:
            self.extend(x0, y0, x0 + w, y0 + h)
        return d.text_block(lines, cx, cy, size, top=top, anchor=anchor, **kw)

    def group(self, eid: str, typ: str, body: str) -> None:
        mark = self.marks.get(eid)
        hl = f' data-highlight="{mark.category}" data-intensity="{d.num(mark.intensity)}"' if mark else ""
        self.parts.append(f'<g data-element="{d.esc(eid)}" data-type="{d.esc(typ)}"{hl}>{body}</g>')

    def shape(self, eid: str) -> Bounds:
        b = self.dg.shapes[eid]
        self.extend(b.x, b.y, b.x + b.width, b.y + b.height)
        return b

    # -- order of painting ----------------------------------------------------------------------
    def paint(self) -> None:
        m, shapes = self.m, self.dg.shapes
        pools = [e for e in shapes if e in self.m.participants]
        lanes = sorted((e for e in shapes if e in m.lanes and e not in m.nodes), key=lambda e: -_area(shapes[e]))
        nodes = [m.nodes[e] for e in shapes if e in m.nodes]
        expanded = sorted((n for n in nodes if self.expanded(n)), key=self.depth)
        groups = [n for n in nodes if n.type == "group"]
        for e in pools:
            self.pool(e)
        for e in lanes:
            self.lane(e)
        for n in groups:
            self.group_box(n)
        for n in expanded:
            self.subprocess_open(n)
        edges = list(self.dg.edges)
        for e in edges:
            f = m.flows.get(e)
            if f is None or f.kind != "message":
                self.flow(e, f)
        done = {n.id for n in expanded} | {n.id for n in groups}
        for n in nodes:
            if n.id not in done and n.type != "boundaryEvent":
                self.node(n)
        for n in nodes:
            if n.type == "boundaryEvent":
                self.node(n)
        for e in edges:
            f = m.flows.get(e)
            if f is not None and f.kind == "message":
                self.flow(e, f)

    def expanded(self, n: Node) -> bool:
        """Drawn open: a sub-process (or a call activity) shown with its inside."""
        b = self.dg.shapes[n.id]
        if n.type == "callActivity":
            return b.expanded is True
        if n.kind != SUBPROCESS:
            return False
        if b.expanded is not None:
            return b.expanded
        if n.attrs.get("expanded") is not None:
            return bool(n.attrs["expanded"])
        return any(c.id in self.dg.shapes for c in self.m.children(n.id))

    def depth(self, n: Node) -> int:
        k, seen, cur = 0, set(), n.parent
        while cur and cur not in seen and cur in self.m.nodes:
            seen.add(cur)
            cur, k = self.m.nodes[cur].parent, k + 1
        return k

    # -- containers -----------------------------------------------------------------------------
    def pool(self, eid: str) -> None:
        b, p = self.shape(eid), self.m.participants[eid]
        body = f'<rect x="{d.num(b.x)}" y="{d.num(b.y)}" width="{d.num(b.width)}" height="{d.num(b.height)}" fill="#fff" stroke="{d.INK}" stroke-width="1.5"/>'
        black_box = not p.process or not any(n.process == p.process and n.id in self.dg.shapes for n in self.m.nodes.values())
        if black_box:
            lines, size = d.fit_label(p.name, b.width - 20, b.height - 6, 13)
            body += self.text(lines, b.x + b.width / 2, b.y + b.height / 2, size)
        else:
            body += self._band(b, p.name)
        self.group(eid, "participant", body)

    def lane(self, eid: str) -> None:
        b = self.shape(eid)
        body = f'<rect x="{d.num(b.x)}" y="{d.num(b.y)}" width="{d.num(b.width)}" height="{d.num(b.height)}" fill="none" stroke="{d.INK}" stroke-width="1"/>'
        self.group(eid, "lane", body + self._band(b, self.m.lanes[eid].name))

    def _band(self, b: Bounds, name: str) -> str:
        """The name strip of a pool or lane: left and rotated when horizontal, on top otherwise."""
        horizontal = b.horizontal if b.horizontal is not None else b.width >= b.height
        if horizontal:
            line = f'<line x1="{d.num(b.x + 30)}" y1="{d.num(b.y)}" x2="{d.num(b.x + 30)}" y2="{d.num(b.y + b.height)}" stroke="{d.INK}" stroke-width="1"/>'
            lines, size = d.fit_label(name, max(b.height - 10, 20), 28, 12, 7)
            return line + self.text(lines, b.x + 15, b.y + b.height / 2, size, rotate=-90.0)
        line = f'<line x1="{d.num(b.x)}" y1="{d.num(b.y + 30)}" x2="{d.num(b.x + b.width)}" y2="{d.num(b.y + 30)}" stroke="{d.INK}" stroke-width="1"/>'
        lines, size = d.fit_label(name, max(b.width - 10, 20), 28, 12, 7)
        return line + self.text(lines, b.x + b.width / 2, b.y + 15, size)

    def group_box(self, n: Node) -> None:
        b = self.shape(n.id)
        body = f'<rect x="{d.num(b.x)}" y="{d.num(b.y)}" width="{d.num(b.width)}" height="{d.num(b.height)}" rx="10" fill="none" stroke="{d.INK}" stroke-width="1" stroke-dasharray="8 3 2 3"/>'
        body += self.text(d.wrap(n.name, max(b.width - 10, 40), 11), b.x + b.width / 2, b.y + 4, 11, top=True)
        self.group(n.id, n.type, body)

    def subprocess_open(self, n: Node) -> None:
        b = self.shape(n.id)
        stroke, fill, width = _colours(self.marks.get(n.id))
        body = self._activity_frame(n, b, stroke, "#fff" if fill == "#fff" else fill, width)
        body += self.text(d.wrap(n.name, max(b.width - 12, 40), 12), b.x + 8, b.y + 6, 12, top=True, anchor="start")
        self.group(n.id, n.type, body)

    def _activity_frame(self, n: Node, b: Bounds, stroke: str, fill: str, width: float) -> str:
        dash = ' stroke-dasharray="2 3"' if n.attrs.get("triggered_by_event") else ""
        dash = ' stroke-dasharray="6 4"' if self.marks.get(n.id, Mark("x")).category == REMOVED else dash
        if n.type == "callActivity":
            width = max(width, 3.5)
        out = f'<rect x="{d.num(b.x)}" y="{d.num(b.y)}" width="{d.num(b.width)}" height="{d.num(b.height)}" rx="10" fill="{fill}" stroke="{stroke}" stroke-width="{d.num(width)}"{dash}/>'
        if n.type == "transaction":
            out += f'<rect x="{d.num(b.x + 3)}" y="{d.num(b.y + 3)}" width="{d.num(b.width - 6)}" height="{d.num(b.height - 6)}" rx="8" fill="none" stroke="{stroke}" stroke-width="1"/>'
        return out

    # -- flow nodes -----------------------------------------------------------------------------
    def node(self, n: Node) -> None:
        if n.kind in (TASK, SUBPROCESS):
            self.activity(n)
        elif n.kind == EVENT:
            self.event(n)
        elif n.kind == GATEWAY:
            self.gateway(n)
        else:
            self.artifact(n)

    def activity(self, n: Node) -> None:
        b = self.shape(n.id)
        stroke, fill, width = _colours(self.marks.get(n.id))
        body = self._activity_frame(n, b, stroke, fill, width)
        bottom = 0.0
        if n.kind == SUBPROCESS:  # collapsed: [+]
            s, cx, y0 = 14.0, b.x + b.width / 2, b.y + b.height - 18
            body += (
                f'<rect x="{d.num(cx - s / 2)}" y="{d.num(y0)}" width="{d.num(s)}" height="{d.num(s)}" fill="none" stroke="{stroke}" stroke-width="1"/>'
                f'<path d="M{d.num(cx)},{d.num(y0 + 3)} V{d.num(y0 + s - 3)} M{d.num(cx - s / 2 + 3)},{d.num(y0 + s / 2)} H{d.num(cx + s / 2 - 3)}" stroke="{stroke}" stroke-width="1.5"/>'
            )
            bottom = 18.0
        elif n.type in ("sendTask", "receiveTask"):
            body += d.event_marker("message", b.x + 14, b.y + 12, 12, stroke, n.type == "sendTask")
        if n.attrs.get("loop") and not bottom:
            body += d.loop_marker(str(n.attrs["loop"]), b.x + b.width / 2, b.y + b.height - 10, stroke)
            bottom = 16.0
        lines, size = d.fit_label(n.name, max(b.width - 10, 20), max(b.height - 8 - bottom, 12), 12, 6)
        if not d.words_whole(n.name, lines) or len(lines) * size * 1.2 > b.height:
            body = f"<title>{d.esc(n.name)}</title>" + body  # too small to read whole: the full name on hover
        body += self.text(lines, b.x + b.width / 2, b.y + (b.height - bottom) / 2, size)
        self.group(n.id, n.type, body)

    def event(self, n: Node) -> None:
        b = self.shape(n.id)
        stroke, fill, width = _colours(self.marks.get(n.id))
        cx, cy, r = b.x + b.width / 2, b.y + b.height / 2, min(b.width, b.height) / 2
        interrupting = n.attrs.get("cancel_activity", True) is not False and n.attrs.get("interrupting", True) is not False
        dash = "" if interrupting else ' stroke-dasharray="4 2"'
        if n.type == "endEvent":
            width = max(width, 3.5)
        circle = f'<circle cx="{d.num(cx)}" cy="{d.num(cy)}" r="{d.num(r)}" fill="{fill}" stroke="{stroke}" stroke-width="{d.num(width)}"{dash}/>'
        if n.type in ("intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"):
            circle += f'<circle cx="{d.num(cx)}" cy="{d.num(cy)}" r="{d.num(max(r - 3, 1))}" fill="none" stroke="{stroke}" stroke-width="1"{dash}/>'
        defs = [str(x) for x in n.attrs.get("event_definitions", []) or []]
        if len(defs) == 1:
            circle += d.event_marker(defs[0], cx, cy, r, stroke, n.type in _THROW)
        elif len(defs) > 1:  # multiple: pentagon
            circle += d.event_marker("multiple", cx, cy, r, stroke, n.type in _THROW)
        self.group(n.id, n.type, circle + self.outer_label(n.id, n.name, b))

    def gateway(self, n: Node) -> None:
        b = self.shape(n.id)
        stroke, fill, width = _colours(self.marks.get(n.id))
        cx, cy = b.x + b.width / 2, b.y + b.height / 2
        diamond = [(cx, b.y), (b.x + b.width, cy), (cx, b.y + b.height), (b.x, cy)]
        body = f'<polygon points="{d.pts(diamond)}" fill="{fill}" stroke="{stroke}" stroke-width="{d.num(width)}"/>'
        body += d.gateway_marker(n.type, cx, cy, min(b.width, b.height) / 2, stroke, n.attrs)
        self.group(n.id, n.type, body + self.outer_label(n.id, n.name, b))

    def artifact(self, n: Node) -> None:
        b = self.shape(n.id)
        x, y, w, h = b.x, b.y, b.width, b.height
        line = f'stroke="{d.INK}" stroke-width="1.2"'
        if n.type == "textAnnotation":
            body = f'<path d="M{d.num(x + 10)},{d.num(y)} H{d.num(x)} V{d.num(y + h)} H{d.num(x + 10)}" fill="none" {line}/>'
            text = str(n.attrs.get("text") or n.name)
            lines, size = d.fit_label(text, max(w - 8, 30), max(h, 12), 11, 8)
            body += self.text(lines, x + 5, y + 3, size, top=True, anchor="start")
        elif n.type in ("dataStoreReference", "dataStore"):
            ry = min(h * 0.15, 8)
            body = (
                f'<path d="M{d.num(x)},{d.num(y + ry)} V{d.num(y + h - ry)} A{d.num(w / 2)},{d.num(ry)} 0 0 0 {d.num(x + w)},{d.num(y + h - ry)} '
                f'V{d.num(y + ry)}" fill="#fff" {line}/>'
                f'<ellipse cx="{d.num(x + w / 2)}" cy="{d.num(y + ry)}" rx="{d.num(w / 2)}" ry="{d.num(ry)}" fill="#fff" {line}/>'
            )
            body += self.outer_label(n.id, n.name, b)
        else:  # data object, input, output: a page with a folded corner
            f = min(w, h) * 0.3
            page = [(x, y), (x + w - f, y), (x + w, y + f), (x + w, y + h), (x, y + h)]
            body = (
                f'<polygon points="{d.pts(page)}" fill="#fff" {line}/>'
                f'<path d="M{d.num(x + w - f)},{d.num(y)} V{d.num(y + f)} H{d.num(x + w)}" fill="none" {line}/>'
            )
            body += self.outer_label(n.id, n.name, b)
        self.group(n.id, n.type, body)

    def outer_label(self, eid: str, name: str, b: Bounds) -> str:
        """Label of an event, gateway, data element or flow: in its DI label box, else below it."""
        if not name or not name.strip():
            return ""
        lb = self.dg.label_bounds.get(eid)
        longest = max(d.text_width(word, 11) for word in name.split())  # an outside label may widen: no word is split
        if lb is not None and lb.width > 0:
            lines = d.wrap(name, max(lb.width, 90, longest), 11)
            return self.text(lines, lb.x + lb.width / 2, lb.y + lb.height / 2, 11)
        lines = d.wrap(name, max(b.width * 2.5, 90, longest), 11)
        return self.text(lines, b.x + b.width / 2, b.y + b.height + 4, 11, top=True)

    # -- connections ----------------------------------------------------------------------------
    def flow(self, eid: str, f: Flow | None) -> None:
        wps = [(float(x), float(y)) for x, y in self.dg.edges.get(eid, [])]
        wps = [p for i, p in enumerate(wps) if i == 0 or p != wps[i - 1]]
        if len(wps) < 2 and f is not None:
            wps = self._straight(f)
        if len(wps) < 2:
            return
        for x, y in wps:
            self.extend(x, y, x, y)
        kind = f.kind if f is not None else "unknown"
        stroke, _fill, width = _colours(self.marks.get(eid))
        if stroke == d.INK:
            width = 1.3 if kind == "sequence" else 1.0
        dash = {"message": ' stroke-dasharray="7 4"', "association": ' stroke-dasharray="2 3"', "data": ' stroke-dasharray="2 3"', "unknown": ' stroke-dasharray="2 3"'}.get(kind, "")
        size = 9.0 + min(width, 4.0)
        line = wps[:-1] + [_pull_back(wps[-2], wps[-1], size * 0.6)] if kind in ("sequence", "message") else wps
        path = "M" + " L".join(f"{d.num(x)},{d.num(y)}" for x, y in line)
        body = f'<path d="{path}" fill="none" stroke="{stroke}" stroke-width="{d.num(width)}" stroke-linejoin="round"{dash}/>'
        if kind == "sequence":
            body += d.arrowhead(wps[-2], wps[-1], stroke, size=size)
            src = self.m.nodes.get(f.source) if f else None
            if src is not None and src.attrs.get("default") == eid:
                body += d.slash(wps[0], wps[1], stroke)
            elif src is not None and f is not None and f.condition and src.is_activity:
                body += self._condition_diamond(wps[0], wps[1], stroke)
        elif kind == "message":
            body += f'<circle cx="{d.num(wps[0][0])}" cy="{d.num(wps[0][1])}" r="3.5" fill="#fff" stroke="{stroke}" stroke-width="1"/>'
            body += d.arrowhead(wps[-2], wps[-1], stroke, size=size, open_=True)
        elif kind == "data":
            body += d.arrowhead(wps[-2], wps[-1], stroke, size=8.0, open_=True)
        name = f.name if f is not None else ""
        if name and name.strip():
            lb = self.dg.label_bounds.get(eid)
            if lb is not None and lb.width > 0:
                body += self.text(d.wrap(name, max(lb.width, 80), 10), lb.x + lb.width / 2, lb.y + lb.height / 2, 10)
            else:
                mid = len(wps) // 2
                (x0, y0), (x1, y1) = wps[mid - 1], wps[mid]
                body += self.text(d.wrap(name, 110, 10), (x0 + x1) / 2 + 4, (y0 + y1) / 2 - 14, 10)
        self.group(eid, f"{kind}Flow" if kind in ("sequence", "message") else kind, body)

    def _straight(self, f: Flow) -> list[tuple[float, float]]:
        a, b = self.dg.shapes.get(f.source), self.dg.shapes.get(f.target)
        if a is None or b is None:
            return []
        ac = (a.x + a.width / 2, a.y + a.height / 2)
        bc = (b.x + b.width / 2, b.y + b.height / 2)
        return [d.rect_border_point(*ac, a.width, a.height, *bc), d.rect_border_point(*bc, b.width, b.height, *ac)]

    @staticmethod
    def _condition_diamond(a: tuple[float, float], b: tuple[float, float], colour: str) -> str:
        dx, dy = b[0] - a[0], b[1] - a[1]
        n = math.hypot(dx, dy) or 1.0
        ux, uy = dx / n, dy / n
        pts = [a, (a[0] + ux * 7 - uy * 4, a[1] + uy * 7 + ux * 4), (a[0] + ux * 14, a[1] + uy * 14), (a[0] + ux * 7 + uy * 4, a[1] + uy * 7 - ux * 4)]
        return f'<polygon points="{d.pts(pts)}" fill="#fff" stroke="{colour}" stroke-width="1"/>'

    # -- title, legend, document ----------------------------------------------------------------
    def _bounds(self) -> tuple[float, float, float, float]:
        x0, y0, x1, y1 = self.box
        if x0 > x1:  # nothing drawn
            return 0.0, 0.0, 200.0, 100.0
        return x0, y0, x1, y1

    def undrawn(self, lang: str) -> None:
        """Steps the file draws in none of its diagrams are listed under the drawing, never silently lost."""
        drawn = {e for dg in self.m.diagrams for e in dg.shapes} | set(self.dg.shapes)
        missing = [
            n.name.strip() or n.id
            for n in self.m.flow_nodes()
            if n.id not in drawn and (n.is_activity or n.name.strip())
        ]
        if not missing or not self.m.diagrams:
            return
        x0, _y0, _x1, y1 = self._bounds()
        head = "Нет ни на одной диаграмме файла:" if lang == "ru" else "Not drawn in any diagram of the file:"
        lines = [head] + [f"• {name}" for name in missing]
        self.extend(x0, y1 + 16, x0 + max(d.text_width(x, 11) for x in lines), y1 + 16 + len(lines) * 13.2)
        self.parts.append(f'<g data-role="undrawn">{self.text(lines, x0, y1 + 16, 11, top=True, anchor="start")}</g>')

    def title(self, text: str) -> None:
        x0, y0, _x1, _y1 = self._bounds()
        lines = d.wrap(text, 900, 16)
        h = len(lines) * 16 * 1.2
        self.parts.append(f'<g data-role="title">{self.text(lines, x0, y0 - 12 - h, 16, top=True, anchor="start", weight="bold")}</g>')

    def legend(self, categories: list[str], lang: str) -> None:
        x0, _y0, _x1, y1 = self._bounds()
        y = y1 + 24
        out = []
        colours, words = _colour_table()
        for cat in categories:
            label = words[cat][1 if lang == "ru" else 0]
            if cat in _HEAT:
                swatch = "".join(
                    f'<rect x="{d.num(x0 + i * 8)}" y="{d.num(y)}" width="8" height="14" fill="{_wait_colour(i / 3, cat)}"/>' for i in range(4)
                )
            else:
                stroke, fill = colours[cat]
                dash = ' stroke-dasharray="4 2"' if cat == REMOVED else ""
                swatch = f'<rect x="{d.num(x0)}" y="{d.num(y)}" width="32" height="14" rx="4" fill="{fill}" stroke="{stroke}" stroke-width="2.5"{dash}/>'
            self.extend(x0, y, x0 + 32, y + 14)
            out.append(f'<g data-legend="{cat}">{swatch}{self.text([label], x0 + 40, y + 7, 12, anchor="start")}</g>')
            y += 22
        self.parts.append(f'<g data-role="legend">{"".join(out)}</g>')

    def document(self, name: str) -> str:
        x0, y0, x1, y1 = self._bounds()
        pad = 20.0
        x0, y0, w, h = x0 - pad, y0 - pad, x1 - x0 + 2 * pad, y1 - y0 + 2 * pad
        vb = f"{d.num(x0)} {d.num(y0)} {d.num(w)} {d.num(h)}"
        head = (
            f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{d.num(w)}" height="{d.num(h)}" viewBox="{vb}" '
            f'font-family="{d.FONT}">'
        )
        t = f"<title>{d.esc(name)}</title>" if name else ""
        bg = f'<rect x="{d.num(x0)}" y="{d.num(y0)}" width="{d.num(w)}" height="{d.num(h)}" fill="#fff"/>'
        return head + t + bg + "\n" + "\n".join(self.parts) + "\n</svg>\n"


def _pull_back(a: tuple[float, float], b: tuple[float, float], by: float) -> tuple[float, float]:
    """End a line short of its arrow tip so a thick stroke does not poke through the head."""
    dist = math.hypot(b[0] - a[0], b[1] - a[1])
    if dist <= by:
        return b
    return b[0] - (b[0] - a[0]) * by / dist, b[1] - (b[1] - a[1]) * by / dist


def _area(b: Bounds) -> float:
    return b.width * b.height

