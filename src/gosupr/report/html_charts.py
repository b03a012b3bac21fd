"""Small inline SVG charts for the HTML report: where a picture says more than a number.

No plotting library: a histogram of case durations (before against after) and horizontal bars of
what each finding costs. Output is deterministic text; words come from the caller or i18n.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from gosupr.report import svg_draw as d
from gosupr.report.i18n import fmt_duration

BEFORE_COLOUR, AFTER_COLOUR = "#8c96a0", "#2b8cbe"
CATEGORY_COLOURS = {"removable": "#d62728", "other": "#8c96a0"}  # and each coloured kind category: category_colours()


@lru_cache(maxsize=1)
def category_colours() -> dict[str, str]:
    """Bar colour per category: removable, each coloured category the kinds declare (gosupr.mining.kinds), other."""
    from gosupr.mining.kinds import categories

    return {"removable": CATEGORY_COLOURS["removable"], **{c.name: c.colour for c in categories().values() if c.colour},
            "other": CATEGORY_COLOURS["other"]}
_NICE_STEPS_S = [
    60, 300, 600, 900, 1800, 3600, 2 * 3600, 3 * 3600, 4 * 3600, 6 * 3600, 8 * 3600, 12 * 3600,
    86400, 2 * 86400, 3 * 86400, 7 * 86400, 14 * 86400, 30 * 86400, 60 * 86400, 90 * 86400, 180 * 86400, 365 * 86400,
]
MAX_BINS = 16
WIDTH = 900.0


@dataclass(frozen=True)
class Bar:
    """One horizontal bar: a label, a value in seconds and a colour category."""

    label: str
    value_s: float
    category: str = "other"


def _svg(width: float, height: float, label: str, body: str) -> str:
    return (
        f'<svg class="chart" role="img" aria-label="{d.esc(label)}" width="{d.num(width)}" height="{d.num(height)}" '
        f'viewBox="0 0 {d.num(width)} {d.num(height)}" font-family="{d.FONT}"><title>{d.esc(label)}</title>'
        f'<rect width="{d.num(width)}" height="{d.num(height)}" fill="#fff"/>{body}</svg>'
    )


def _text(s: str, x: float, y: float, size: float = 11, anchor: str = "start", fill: str = d.INK, weight: str | None = None) -> str:
    return d.text_block([s], x, y, size, anchor=anchor, fill=fill, weight=weight)


def duration_bins(values: np.ndarray) -> np.ndarray:
    """Bin edges on a whole-unit step (minutes, hours, days) so the axis reads naturally; the last bin
    also holds the long tail above the 98th percentile."""
    hi = float(np.quantile(values, 0.98)) if len(values) else 0.0
    hi = max(hi, 1.0)
    step = next((s for s in _NICE_STEPS_S if math.ceil(hi / s) <= MAX_BINS), hi / MAX_BINS)
    n = max(1, math.ceil(hi / step))
    return np.arange(n + 1, dtype=float) * step


def _tick(sec: float, lang: str) -> str:
    """An axis label: whole units without the decimal (4 d, not 4.0 d)."""
    return "0" if sec <= 0 else re.sub(r"\.0(?=\s)", "", fmt_duration(sec, lang))


def _nice_ceiling(v: float) -> tuple[float, float]:
    """An axis top and tick step for counts: 1, 2 or 5 times a power of ten, 3 to 6 ticks."""
    v = max(v, 1.0)
    for mag in (10 ** k for k in range(12)):
        for m in (1, 2, 5):
            step = m * mag
            if v / step <= 5:
                return math.ceil(v / step) * step, float(step)
    return v, v / 5


def duration_histogram(
    before_s: Sequence[float] | np.ndarray,
    after_s: Sequence[float] | np.ndarray | None,
    *,
    labels: tuple[str, str],
    axis: tuple[str, str],
    median: str = "median",
    lang: str = "en",
) -> str:
    """Cases per duration bin, before (grey) and after (blue) side by side, with the medians dashed.

    `labels` names the two series, `axis` the x and y axes, `median` the dashed lines; `after_s` may
    be None (one series).
    """
    b = np.asarray(before_s, dtype=float)
    b = b[~np.isnan(b)]
    a = None if after_s is None else np.asarray(after_s, dtype=float)
    if a is not None:
        a = a[~np.isnan(a)]
    both = b if a is None else np.concatenate([b, a])
    edges = duration_bins(both)
    top_edge = edges[-1]

    def counts(v: np.ndarray) -> np.ndarray:
        return np.histogram(np.clip(v, 0.0, np.nextafter(top_edge, 0.0)), bins=edges)[0]

    cb = counts(b)
    ca = counts(a) if a is not None else None
    ymax, ystep = _nice_ceiling(float(max(cb.max(initial=0), 0 if ca is None else ca.max(initial=0))))
    left, right, top, bottom = 56.0, 24.0, 66.0, 58.0
    height = 360.0
    pw, ph = WIDTH - left - right, height - top - bottom
    nb = len(edges) - 1
    bw = pw / nb

    def x_of(sec: float) -> float:
        return left + pw * min(sec, top_edge) / top_edge

    def y_of(c: float) -> float:
        return top + ph * (1 - c / ymax)

    out: list[str] = []
    tick = 0.0
    while tick <= ymax + 1e-9:  # horizontal grid and y labels
        y = y_of(tick)
        out.append(f'<line x1="{d.num(left)}" y1="{d.num(y)}" x2="{d.num(WIDTH - right)}" y2="{d.num(y)}" stroke="#e1e4e8"/>')
        out.append(_text(f"{int(tick):,}", left - 6, y, 11, "end", "#57606a"))
        tick += ystep
    series = [(cb, BEFORE_COLOUR)] + ([(ca, AFTER_COLOUR)] if ca is not None else [])
    w = bw * 0.84 / len(series)
    for i in range(nb):
        x0 = left + i * bw + bw * 0.08
        for j, (c, colour) in enumerate(series):
            if c[i] <= 0:
                continue
            y = y_of(float(c[i]))
            out.append(
                f'<rect x="{d.num(x0 + j * w)}" y="{d.num(y)}" width="{d.num(w)}" height="{d.num(top + ph - y)}" fill="{colour}">'
                f"<title>{d.esc(f'{fmt_duration(edges[i], lang)} – {fmt_duration(edges[i + 1], lang)}: {int(c[i]):,}')}</title></rect>"
            )
    tail = bool((both >= top_edge).any())  # the last bin also holds everything longer
    every = 1 if nb <= 8 else 2
    marks = sorted(set(range(0, nb + 1, every)) | {nb})
    if tail:
        marks = [i for i in marks if i < nb - 1]
        out.append(_text("≥ " + _tick(edges[nb - 1], lang), left + (nb - 0.5) * bw, top + ph + 14, 11, "middle", "#57606a"))
    for i in marks:
        out.append(_text(_tick(edges[i], lang), left + i * bw, top + ph + 14, 11, "middle", "#57606a"))
    out.append(f'<line x1="{d.num(left)}" y1="{d.num(top + ph)}" x2="{d.num(WIDTH - right)}" y2="{d.num(top + ph)}" stroke="#57606a"/>')
    for k, (v, colour) in enumerate([(b, BEFORE_COLOUR)] + ([(a, AFTER_COLOUR)] if a is not None else [])):
        if not len(v):
            continue
        med = float(np.median(v))
        x = x_of(med)
        out.append(f'<line x1="{d.num(x)}" y1="{d.num(top - 30 + 14 * k)}" x2="{d.num(x)}" y2="{d.num(top + ph)}" stroke="{colour}" stroke-width="2" stroke-dasharray="5 4"/>')
        near_end = x > WIDTH - right - 140
        out.append(_text(f"{median} {fmt_duration(med, lang)}", x - 4 if near_end else x + 4, top - 26 + 14 * k, 11, "end" if near_end else "start", colour, "bold"))
    out.append(_text(axis[0], left + pw / 2, height - 12, 12, "middle"))
    out.append(d.text_block([axis[1]], 14, top + ph / 2, 12, rotate=-90))
    lx = left
    for (name, colour) in zip(labels, [BEFORE_COLOUR, AFTER_COLOUR][: len(series)]):  # legend
        out.append(f'<rect x="{d.num(lx)}" y="10" width="14" height="14" fill="{colour}"/>')
        out.append(_text(name, lx + 20, 17, 12))
        lx += 40 + d.text_width(name, 12)
    return _svg(WIDTH, height, f"{labels[0]} / {labels[1]}" if ca is not None else labels[0], "".join(out))


def cost_bars(bars: Sequence[Bar], *, title: str, lang: str = "en", legend: Sequence[tuple[str, str]] = ()) -> str:
    """Horizontal bars, longest first as given; the label above each bar, the value at its end.

    `legend` is (category, words) pairs to explain the colours.
    """
    row, pad, left = 40.0, 10.0, 8.0
    top = 34.0 if legend else 8.0
    height = top + row * len(bars) + pad
    vmax = max((b.value_s for b in bars), default=0.0) or 1.0
    value_room = 90.0
    pw = WIDTH - left - value_room
    out: list[str] = []
    lx = left
    for cat, words in legend:
        out.append(f'<rect x="{d.num(lx)}" y="8" width="14" height="14" fill="{category_colours().get(cat, "#888")}"/>')
        out.append(_text(words, lx + 20, 15, 12))
        lx += 40 + d.text_width(words, 12)
    for i, bar in enumerate(bars):
        y = top + i * row
        lines = d.wrap(bar.label, WIDTH - 2 * left, 12)
        label = lines[0] + ("…" if len(lines) > 1 else "") if lines else ""
        out.append(_text(label, left, y + 8, 12))
        w = max(2.0, pw * bar.value_s / vmax)
        colour = category_colours().get(bar.category, CATEGORY_COLOURS["other"])
        out.append(
            f'<rect x="{d.num(left)}" y="{d.num(y + 17)}" width="{d.num(w)}" height="14" rx="2" fill="{colour}">'
            f"<title>{d.esc(bar.label)}: {d.esc(fmt_duration(bar.value_s, lang))}</title></rect>"
        )
        out.append(_text(fmt_duration(bar.value_s, lang), left + w + 6, y + 24, 11, "start", "#57606a", "bold"))
    return _svg(WIDTH, height, title, "".join(out))
