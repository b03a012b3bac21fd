"""`gosupr check --html`: the normative model coloured by how often practice departs from each step,
a chart of term overruns, and the tables of the terminal report. Self-contained, deterministic."""

from __future__ import annotations

from gosupr.bpmn.model import ProcessModel
from gosupr.mining.conformance.check import CheckResult
from gosupr.report import check_render as cr
from gosupr.report.html import _sized, render_svg
from gosupr.report.html_charts import Bar, cost_bars
from gosupr.report.html_page import esc, inline_svg, kv_table, page, section, table
from gosupr.report.svg_highlight import DEVIATION, Highlight

DAY_S = 86400.0


def deviation_highlight(r: CheckResult) -> Highlight:
    """Each model step that deviates, hotter the larger the share of cases that depart there."""
    share: dict[str, float] = {}
    for d in r.deviations:
        if d.kind != "not_in_model":
            share[d.activity] = share.get(d.activity, 0.0) + d.case_share
    top = max(share.values(), default=0.0) or 1.0
    hl = Highlight()
    for act, s in sorted(share.items()):
        hl.mark_label(act, DEVIATION, 0.15 + 0.85 * s / top)
    return hl


def _overrun_chart(r: CheckResult, lang: str) -> str:
    bars = []
    for t in r.terms:
        if t.cases_over and t.p90_overrun is not None:
            u = cr.unit_word(t.term.unit, lang)
            label = (f"{cr.term_name(t.term, lang)} — {t.term.amount} {u}: {t.cases_over} ({cr._pct(t.share_over)}), "
                     f"P90 +{t.p90_overrun:g} {u}")
            bars.append(Bar(label, float(t.p90_overrun) * DAY_S, "removable"))
        for c in t.steps[:5]:
            if c.excess > 0 and t.cases_over:
                bars.append(Bar(f"  {cr.term_name(t.term, lang)}: «{c.name}» +{c.excess:.1f}", c.excess * DAY_S, "waiting"))
    if not bars:
        return ""
    title = "Term overruns (P90) and the steps that consume them" if lang != "ru" else \
        "Просрочки по срокам (P90) и шаги, на которые уходит время"
    return f"<figure>{inline_svg(cost_bars(bars, title=title, lang=lang))}</figure>"


def check_html(r: CheckResult, model: ProcessModel, lang: str) -> str:
    svg = render_svg(model, highlight=deviation_highlight(r), lang=lang)
    note = cr.partial_note(r, lang)
    body = [kv_table(cr.summary_rows(r, lang))]
    if note:
        body.append(f'<p class="headline">{esc(note)}</p>')
    body.append(section("diagram", cr.w("deviations", lang), f"<figure>{_sized(svg)}</figure>"))
    nav = [("diagram", cr.w("deviations", lang))]
    for anchor, (title, headers, rows) in zip(("deviations", "mandatory", "terms"), cr._tables(r, lang)):
        if rows:
            extra = _overrun_chart(r, lang) if anchor == "terms" else ""
            body.append(section(anchor, title, table(headers, rows) + extra))
            nav.append((anchor, title))
    lines = cr._matching_lines(r, lang)
    if lines:
        body.append("<ul>" + "".join(f"<li>{esc(x)}</li>" for x in lines) + "</ul>")
    heading = f"{cr.w('title', lang)}: {r.log_name}"
    return page(title=f"gosupr check: {r.log_name}", lang=lang, heading=heading, subtitle=r.model_name, nav=nav, body=body)
