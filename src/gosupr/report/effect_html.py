"""`gosupr compare BEFORE_LOG AFTER_LOG --html`: the reform's effect on one self-contained page.

The headline, the plan's realisation (share of cases still showing each planned removal, before
and after), case durations before and after, the top variants' shares, every figure with its
interval, and the waste the reform left or caused. Rows come from `effect_render`, so the page
says what the terminal and Markdown say.
"""

from __future__ import annotations

from collections.abc import Sequence

from gosupr.mining.compare.effect import Effect
from gosupr.report import effect_render as er
from gosupr.report import svg_draw as d
from gosupr.report.html_charts import AFTER_COLOUR, BEFORE_COLOUR, WIDTH, _svg, _text, duration_histogram
from gosupr.report.html_page import esc, inline_svg, page, section, table

_w = er._w  # one word chooser for the terminal, Markdown and the page


def share_pairs(rows: Sequence[tuple[str, float, float]], *, title: str, labels: tuple[str, str]) -> str:
    """Two horizontal bars per row (BEFORE grey, AFTER blue) on a 0–100% scale, the label above."""
    row, left, top = 46.0, 8.0, 34.0
    pw = WIDTH - 2 * left - 70.0
    out = []
    lx = left
    for colour, words in ((BEFORE_COLOUR, labels[0]), (AFTER_COLOUR, labels[1])):
        out.append(f'<rect x="{d.num(lx)}" y="8" width="14" height="14" fill="{colour}"/>')
        out.append(_text(words, lx + 20, 15, 12))
        lx += 40 + d.text_width(words, 12)
    for i, (label, b, a) in enumerate(rows):
        y = top + i * row
        lines = d.wrap(label, WIDTH - 2 * left, 12)
        out.append(_text((lines[0] + ("…" if len(lines) > 1 else "")) if lines else "", left, y + 8, 12))
        for k, (v, colour) in enumerate(((b, BEFORE_COLOUR), (a, AFTER_COLOUR))):
            yy = y + 15 + 13 * k
            wd = max(1.0, pw * max(0.0, min(1.0, v)))
            out.append(f'<rect x="{d.num(left)}" y="{d.num(yy)}" width="{d.num(wd)}" height="11" rx="2" fill="{colour}">'
                       f"<title>{d.esc(label)}: {100 * v:.1f}%</title></rect>")
            out.append(_text(f"{100 * v:.1f}%", left + wd + 6, yy + 9, 10, "start", "#57606a"))
    return _svg(WIDTH, top + row * len(rows) + 8, title, "".join(out))


def effect_html(e: Effect, lang: str) -> str:
    before_w, after_w = _w("before", "до", lang), _w("after", "после", lang)
    body = [f'<p class="headline">{esc(er.effect_sentence(e, lang))}</p>']
    nav = []
    if e.plan is not None:
        rows = [(" → ".join(r.removal.activities), r.figure.before or 0.0, r.figure.after or 0.0) for r in e.plan.removals]
        title = _w("Planned removals: share of cases still showing them", "Запланированные удаления: доля дел, где они ещё есть", lang)
        chart = inline_svg(share_pairs(rows, title=title, labels=(before_w, after_w))) if rows else ""
        body.append(section("plan", _w("The plan", "План", lang),
                            f"<p>{esc(er.plan_text(e, lang) or '')}</p><figure>{chart}</figure>"
                            + table(er.plan_heads(lang), er.plan_rows(e, lang))))
        nav.append(("plan", _w("The plan", "План", lang)))
    if e.durations is not None:
        svg = duration_histogram(
            e.durations[0], e.durations[1], labels=(f"{before_w}: {e.before['name']}", f"{after_w}: {e.after['name']}"),
            axis=(_w("case duration (first to last event)", "длительность дела (от первого до последнего события)", lang),
                  _w("cases", "дела", lang)), median=_w("median", "медиана", lang), lang=lang)
        body.append(section("durations", _w("Case duration", "Длительность дел", lang), f"<figure>{inline_svg(svg)}</figure>"))
        nav.append(("durations", _w("Case duration", "Длительность дел", lang)))
    variants = e.by_group("variant")
    if variants:
        hints = er.variant_hints(e, lang)
        rows = [(f"{f.detail.get('number')} ({hints[str(f.detail.get('number'))]})", f.before or 0.0, f.after or 0.0)
                for f in variants]
        title = _w("Top variants: share of cases", "Основные варианты: доля дел", lang)
        body.append(section("variants", _w("Variants", "Варианты", lang),
                            f"<figure>{inline_svg(share_pairs(rows, title=title, labels=(before_w, after_w)))}</figure>"))
        nav.append(("variants", _w("Variants", "Варианты", lang)))
    body.append(section("figures", _w("Before / after", "До и после", lang),
                        table(er.heads(lang), er.figure_rows(e, lang)) + f'<p class="note">{esc(er.method_text(e, lang))}</p>'))
    nav.append(("figures", _w("Before / after", "До и после", lang)))
    waste = er.waste_rows(e, lang)
    if waste:
        body.append(section("waste", _w("Waste after the reform", "Потери после реформы", lang), table(er.waste_heads(lang), waste)))
        nav.append(("waste", _w("Waste after the reform", "Потери после реформы", lang)))
    if e.conformance:
        body.append(section("conformance", _w("Conformance", "Соответствие", lang),
                            table(["", _w("Before", "До", lang), _w("After", "После", lang)], er.conformance_rows(e, lang))))
        nav.append(("conformance", _w("Conformance", "Соответствие", lang)))
    heading = f"{_w('Effect of the reform', 'Эффект реформы', lang)}: {e.before['name']} → {e.after['name']}"
    subtitle = er.title(e, lang)
    return page(title=f"gosupr: {heading}", lang=lang, heading=heading, subtitle=subtitle, nav=nav, body=body)
