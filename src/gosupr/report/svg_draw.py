"""SVG primitives for BPMN pictures: escaping, numbers, wrapped text, event and gateway markers.

Text width is estimated from DejaVu Sans advance widths (the first font asked for, wider than Arial)
so wrapped labels fit their boxes without a font library at hand.
"""

from __future__ import annotations

import math
import re
import unicodedata

FONT = "DejaVu Sans, Arial, sans-serif"
INK = "#222"

_WIDTHS: dict[str, float] = {}
for _w, _chars in (
    (0.3, "ijlIJ .,:;/'|"),
    (0.4, "frt!()-[]{}"),
    (0.5, 'csz?_"гзсэ*'),
    (0.7, "ABCKNRUVXZднпцъАБВИЙКСХЧЬЭЯ&"),
    (0.8, "wDGHOQмыюДЛНОПЦЪ%@"),
    (0.9, "MжфшщМФЫ"),
    (1.0, "mW№—…"),
    (1.1, "ЖШЩЮ"),
):
    for _c in _chars:
        _WIDTHS[_c] = _w

_BAD_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def esc(text: object) -> str:
    """XML text/attribute escaping; drops characters XML 1.0 cannot carry."""
    s = _BAD_XML.sub("", str(text))
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def num(v: float) -> str:
    """Short, stable number text: 2 decimals at most, no '-0'."""
    r = round(float(v), 2)
    if r == 0:
        return "0"
    s = f"{r:.2f}".rstrip("0").rstrip(".")
    return s


def pts(points: list[tuple[float, float]]) -> str:
    return " ".join(f"{num(x)},{num(y)}" for x, y in points)


def char_width(c: str) -> float:
    w = _WIDTHS.get(c)
    if w is not None:
        return w
    if unicodedata.east_asian_width(c) in ("W", "F"):
        return 1.0
    return 0.62


def text_width(s: str, size: float) -> float:
    return sum(char_width(c) for c in s) * size


def wrap(text: str, width: float, size: float) -> list[str]:
    """Greedy word wrap to `width`; explicit newlines kept; words longer than a line are split."""
    lines: list[str] = []
    for para in str(text).replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        words = para.split()
        cur = ""
        for word in words:
            cand = f"{cur} {word}" if cur else word
            if text_width(cand, size) <= width:
                cur = cand
                continue
            if cur:
                lines.append(cur)
            cur = ""
            while text_width(word, size) > width and len(word) > 1:
                cut = 1
                while cut < len(word) and text_width(word[: cut + 1], size) <= width:
                    cut += 1
                lines.append(word[:cut])
                word = word[cut:]
            cur = word
        if cur:
            lines.append(cur)
    return lines


def fit_label(text: str, width: float, height: float, size: float = 12.0, smallest: float = 8.0) -> tuple[list[str], float]:
    """Lines and font size for a label inside a box: shrink until it fits with every word whole.

    Never drops text: when even the smallest size cannot keep a long word on one line, the word is
    split at that size (`words_whole` tells the caller, which then adds a <title> with the full text).
    """
    s = size
    while True:
        lines = wrap(text, width, s)
        if words_whole(text, lines) and len(lines) * s * 1.2 <= height:
            return lines, s
        if s <= smallest:
            return wrap(text, width, smallest), smallest
        s = max(smallest, s - 0.5)


def words_whole(text: str, lines: list[str]) -> bool:
    """No word of `text` was split across lines."""
    return sum(len(line.split()) for line in lines) == len(str(text).split())


def text_block(
    lines: list[str],
    cx: float,
    cy: float,
    size: float,
    *,
    anchor: str = "middle",
    rotate: float | None = None,
    weight: str | None = None,
    fill: str = INK,
    top: bool = False,
) -> str:
    """A <text> of lines centred on (cx, cy), or hanging from cy when `top`."""
    if not lines:
        return ""
    lh = size * 1.2
    first = cy + size * 0.85 if top else cy - len(lines) * lh / 2 + size * 0.9
    attrs = f'font-size="{num(size)}" text-anchor="{anchor}" fill="{fill}"'
    if weight:
        attrs += f' font-weight="{weight}"'
    if rotate is not None:
        attrs += f' transform="rotate({num(rotate)} {num(cx)} {num(cy)})"'
    spans = "".join(
        f'<tspan x="{num(cx)}" y="{num(first + i * lh)}">{esc(line)}</tspan>' for i, line in enumerate(lines)
    )
    return f"<text {attrs}>{spans}</text>"


def arrowhead(a: tuple[float, float], b: tuple[float, float], color: str, *, size: float = 10.0, open_: bool = False) -> str:
    """A triangle at b pointing away from a."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    d = math.hypot(dx, dy)
    if d == 0:
        return ""
    ux, uy = dx / d, dy / d
    bx, by = b[0] - ux * size, b[1] - uy * size
    half = size * 0.4
    p1 = (bx + uy * half, by - ux * half)
    p2 = (bx - uy * half, by + ux * half)
    fill = "#fff" if open_ else color
    return f'<polygon points="{pts([b, p1, p2])}" fill="{fill}" stroke="{color}" stroke-width="1"/>'


def slash(a: tuple[float, float], b: tuple[float, float], color: str) -> str:
    """The default-flow slash near the start of a flow."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    d = math.hypot(dx, dy)
    if d == 0:
        return ""
    ux, uy = dx / d, dy / d
    cx, cy = a[0] + ux * 10, a[1] + uy * 10
    vx, vy = (ux - uy) * 5, (uy + ux) * 5
    return f'<line x1="{num(cx - vx)}" y1="{num(cy - vy)}" x2="{num(cx + vx)}" y2="{num(cy + vy)}" stroke="{color}" stroke-width="1.5"/>'


def gateway_marker(bpmn_type: str, cx: float, cy: float, r: float, color: str, attrs: dict) -> str:
    """×, +, ○, event-based pentagon, complex asterisk; `r` is half the diamond's smaller side."""
    k = r * 0.45
    line = f'stroke="{color}" stroke-width="{num(max(2.0, r * 0.15))}" stroke-linecap="round"'
    if bpmn_type == "exclusiveGateway":
        if attrs.get("marker_visible") is False:
            return ""
        return (
            f'<path d="M{num(cx - k * 0.8)},{num(cy - k * 0.8)} L{num(cx + k * 0.8)},{num(cy + k * 0.8)} '
            f'M{num(cx + k * 0.8)},{num(cy - k * 0.8)} L{num(cx - k * 0.8)},{num(cy + k * 0.8)}" {line}/>'
        )
    if bpmn_type == "parallelGateway":
        return f'<path d="M{num(cx)},{num(cy - k)} V{num(cy + k)} M{num(cx - k)},{num(cy)} H{num(cx + k)}" {line}/>'
    if bpmn_type == "inclusiveGateway":
        return f'<circle cx="{num(cx)}" cy="{num(cy)}" r="{num(k)}" fill="none" {line}/>'
    if bpmn_type == "complexGateway":
        d = k * 0.7
        return (
            f'<path d="M{num(cx)},{num(cy - k)} V{num(cy + k)} M{num(cx - k)},{num(cy)} H{num(cx + k)} '
            f'M{num(cx - d)},{num(cy - d)} L{num(cx + d)},{num(cy + d)} M{num(cx + d)},{num(cy - d)} L{num(cx - d)},{num(cy + d)}" {line}/>'
        )
    if bpmn_type == "eventBasedGateway":
        thin = f'stroke="{color}" stroke-width="1" fill="none"'
        pent = [
            (cx + k * 0.6 * math.sin(2 * math.pi * i / 5), cy - k * 0.6 * math.cos(2 * math.pi * i / 5)) for i in range(5)
        ]
        return (
            f'<circle cx="{num(cx)}" cy="{num(cy)}" r="{num(k * 1.1)}" {thin}/>'
            f'<circle cx="{num(cx)}" cy="{num(cy)}" r="{num(k * 0.9)}" {thin}/>'
            f'<polygon points="{pts(pent)}" {thin}/>'
        )
    return ""


def loop_marker(loop: str, cx: float, cy: float, color: str) -> str:
    """Activity loop markers: ↻ standard, ||| parallel and ≡ sequential multi-instance."""
    line = f'stroke="{color}" stroke-width="1.5" fill="none"'
    if loop == "standard":
        r = 5.0
        return (
            f'<path d="M{num(cx - r * 0.7)},{num(cy + r * 0.7)} A{num(r)},{num(r)} 0 1 1 {num(cx + r * 0.7)},{num(cy + r * 0.7)}" {line}/>'
            f'<path d="M{num(cx - r * 0.7 - 3)},{num(cy + r * 0.7)} H{num(cx - r * 0.7)} V{num(cy + r * 0.7 - 3)}" {line}/>'
        )
    if loop in ("parallel", "sequential"):
        k = 5.0
        if loop == "parallel":
            d = " ".join(f"M{num(cx + o)},{num(cy - k)} V{num(cy + k)}" for o in (-4, 0, 4))
        else:
            d = " ".join(f"M{num(cx - k)},{num(cy + o)} H{num(cx + k)}" for o in (-4, 0, 4))
        return f'<path d="{d}" {line}/>'
    return ""


def event_marker(definition: str, cx: float, cy: float, r: float, color: str, filled: bool) -> str:
    """Small glyphs for the common event definitions; filled for throwing events."""
    s = r * 0.55
    fill = color if filled else "none"
    inv = "#fff" if filled else color
    stroke = f'stroke="{color}" stroke-width="1.2" stroke-linejoin="round"'
    if definition == "message":
        w, h = s * 1.5, s
        x0, y0 = cx - w / 2, cy - h / 2
        return (
            f'<rect x="{num(x0)}" y="{num(y0)}" width="{num(w)}" height="{num(h)}" fill="{fill}" {stroke}/>'
            f'<path d="M{num(x0)},{num(y0)} L{num(cx)},{num(cy + h * 0.1)} L{num(x0 + w)},{num(y0)}" fill="none" '
            f'stroke="{inv}" stroke-width="1.2"/>'
        )
    if definition == "timer":
        rr = s * 0.95
        ticks = "".join(
            f"M{num(cx + rr * 0.75 * math.cos(a))},{num(cy + rr * 0.75 * math.sin(a))} "
            f"L{num(cx + rr * math.cos(a))},{num(cy + rr * math.sin(a))} "
            for a in (i * math.pi / 6 for i in range(12))
        )
        return (
            f'<circle cx="{num(cx)}" cy="{num(cy)}" r="{num(rr)}" fill="#fff" {stroke}/>'
            f'<path d="{ticks.strip()} M{num(cx)},{num(cy)} L{num(cx)},{num(cy - rr * 0.6)} '
            f'M{num(cx)},{num(cy)} L{num(cx + rr * 0.45)},{num(cy)}" fill="none" {stroke}/>'
        )
    if definition == "signal":
        tri = [(cx, cy - s), (cx + s * 0.9, cy + s * 0.6), (cx - s * 0.9, cy + s * 0.6)]
        return f'<polygon points="{pts(tri)}" fill="{fill}" {stroke}/>'
    if definition == "error":
        z = [
            (cx - s * 0.8, cy + s * 0.8), (cx - s * 0.35, cy - s * 0.7), (cx + s * 0.1, cy + s * 0.1),
            (cx + s * 0.8, cy - s * 0.8), (cx + s * 0.35, cy + s * 0.7), (cx - s * 0.1, cy - s * 0.1),
        ]
        return f'<polygon points="{pts(z)}" fill="{fill}" {stroke}/>'
    if definition == "escalation":
        e = [(cx, cy - s), (cx + s * 0.7, cy + s * 0.8), (cx, cy + s * 0.1), (cx - s * 0.7, cy + s * 0.8)]
        return f'<polygon points="{pts(e)}" fill="{fill}" {stroke}/>'
    if definition == "multiple":
        pent = [(cx + s * math.sin(2 * math.pi * i / 5), cy - s * math.cos(2 * math.pi * i / 5)) for i in range(5)]
        return f'<polygon points="{pts(pent)}" fill="{fill}" {stroke}/>'
    if definition == "terminate":
        return f'<circle cx="{num(cx)}" cy="{num(cy)}" r="{num(r * 0.6)}" fill="{color}"/>'
    if definition == "conditional":
        w, h = s * 1.2, s * 1.6
        x0, y0 = cx - w / 2, cy - h / 2
        rows = "".join(f"M{num(x0 + w * 0.2)},{num(y0 + h * f)} H{num(x0 + w * 0.8)} " for f in (0.25, 0.45, 0.65, 0.85))
        return (
            f'<rect x="{num(x0)}" y="{num(y0)}" width="{num(w)}" height="{num(h)}" fill="none" {stroke}/>'
            f'<path d="{rows.strip()}" {stroke}/>'
        )
    if definition == "link":
        a = [
            (cx - s * 0.8, cy - s * 0.3), (cx + s * 0.1, cy - s * 0.3), (cx + s * 0.1, cy - s * 0.75),
            (cx + s * 0.85, cy), (cx + s * 0.1, cy + s * 0.75), (cx + s * 0.1, cy + s * 0.3), (cx - s * 0.8, cy + s * 0.3),
        ]
        return f'<polygon points="{pts(a)}" fill="{fill}" {stroke}/>'
    if definition in ("compensate", "compensation"):
        t1 = [(cx - s * 0.9, cy), (cx - s * 0.05, cy - s * 0.6), (cx - s * 0.05, cy + s * 0.6)]
        t2 = [(cx, cy), (cx + s * 0.85, cy - s * 0.6), (cx + s * 0.85, cy + s * 0.6)]
        return f'<polygon points="{pts(t1)}" fill="{fill}" {stroke}/><polygon points="{pts(t2)}" fill="{fill}" {stroke}/>'
    if definition == "cancel":
        k = s * 0.7
        return (
            f'<path d="M{num(cx - k)},{num(cy - k)} L{num(cx + k)},{num(cy + k)} M{num(cx + k)},{num(cy - k)} '
            f'L{num(cx - k)},{num(cy + k)}" stroke="{color}" stroke-width="{num(max(2.0, s * 0.35))}"/>'
        )
    return ""


def rect_border_point(cx: float, cy: float, w: float, h: float, tx: float, ty: float) -> tuple[float, float]:
    """Where the segment from a box's centre towards (tx, ty) leaves the box."""
    dx, dy = tx - cx, ty - cy
    if dx == 0 and dy == 0:
        return cx, cy
    sx = (w / 2) / abs(dx) if dx else math.inf
    sy = (h / 2) / abs(dy) if dy else math.inf
    t = min(sx, sy, 1.0)
    return cx + dx * t, cy + dy * t
