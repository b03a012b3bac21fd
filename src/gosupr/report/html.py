"""Self-contained HTML reports for `discover`, `reduce`, `compare` and each input of `batch`.

One file: the headline, the as-is and to-be diagrams (inline SVG, removed steps marked), the
findings, the metrics, the ingestion audit and a few charts. Inline CSS, no script, no network,
no timestamp: the same inputs give the same bytes. Rows and words come from the terminal and
Markdown renderers so every output says the same thing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from gosupr.bpmn.model import ProcessModel
from gosupr.errors import GosuprError
from gosupr.eventlog import EventLog
from gosupr.mining.compare.models import ModelDiff
from gosupr.mining.findings import Finding
from gosupr.report import audit as audit_r
from gosupr.report import diff_render as dr
from gosupr.report import findings_render as fr
from gosupr.report import reduce_render as rr
from gosupr.report.html_charts import Bar, category_colours, cost_bars, duration_histogram
from gosupr.report.html_page import esc, inline_svg, kv_table, page, section, table, tiles
from gosupr.report.i18n import fmt_duration, t
from gosupr.report.svg import render_svg as _render_svg
from gosupr.report.svg_highlight import (
    ADDED,
    REMOVABLE,
    REMOVED,
    Highlight,
)

__all__ = ["batch_input_html", "compare_html", "discover_html", "model_html", "reduce_html"]

MAX_COST_BARS = 15
_W: dict[str, tuple[str, str]] = {
    "discover": ("Process analysis", "Анализ процесса"),
    "reduce": ("Process reduction", "Сокращение процесса"),
    "lint": ("Model check", "Проверка модели"),
    "headline": ("Headline", "Главное"),
    "diagrams": ("Before and after", "Как есть и как будет"),
    "diagram": ("Diagram", "Диаграмма"),
    "as_is": ("As-is (discovered from the log)", "Как есть (по журналу)"),
    "to_be": ("To-be (waste removed)", "Как будет (потери убраны)"),
    "to_be_no_loss": ("To-be (without loss of quality)", "Как будет (без потерь)"),
    "diagram_note": (
        (
            "Red: steps that can go; grey dashed: steps the to-be model no longer has; orange: loops (rework, ping-pong: "
            "only their repeats go, the step stays); "
            "purple: waiting; green: new in the to-be model."
        ),
        (
            "Красным — шаги, которые можно убрать; серым пунктиром — шаги, которых нет в модели «как будет»; "
            "оранжевым — циклы (повторы, пинг-понг: уходят только повторы, шаг остаётся); фиолетовым — ожидание; "
            "зелёным — новое в модели «как будет»."
        ),
    ),
    "findings": ("Findings", "Находки"),
    "no_findings": ("No findings.", "Находок нет."),
    "cost_title": ("Cost of each finding: time per case × cases", "Цена каждой находки: время на дело × число дел"),
    "cost_more": ("{n} more finding(s) with a smaller cost are in the table.", "Ещё находок с меньшей ценой: {n} (см. таблицу)."),
    "metrics": ("Before / after", "До и после"),
    "removed": ("Removed", "Удалено"),
    "nothing_removed": ("Nothing was removed.", "Ничего не удалено."),
    "quality": ("Quality on today's log", "Качество на сегодняшнем журнале"),
    "loss": ("Loss per activity", "Потери по операциям"),
    "no_loss_rows": ("No activity lost an event.", "Ни одна операция не потеряла событий."),
    "durations": ("Case duration, before and after", "Длительность дел до и после"),
    "durations_one": ("Case duration", "Длительность дел"),
    "dur_before": ("as-is (today's log)", "как есть (сегодняшний журнал)"),
    "dur_after": ("to-be (waste removed, handling time saved)", "как будет (потери убраны, экономия времени обработки)"),
    "dur_x": ("case duration (first to last event)", "длительность дела (от первого до последнего события)"),
    "dur_y": ("cases", "дела"),
    "median": ("median", "медиана"),
    "audit": ("Ingestion audit", "Журнал загрузки"),
    "model": ("Model", "Модель"),
    "cat_removable": ("can be removed", "можно убрать"),
    "cat_other": ("other", "прочее"),
    "t_cases": ("cases", "дел"),
    "t_events": ("events", "событий"),
    "t_findings": ("findings", "находок"),
    "t_removable": ("of events can be removed", "событий можно убрать"),
    "t_verdict": ("verdict", "вердикт"),
    "t_median": ("median case, before → after", "медианное дело, до → после"),
    "t_fitness": ("to-be fitness on today's log", "соответствие модели «как будет» сегодняшнему журналу"),
    "t_outcome": ("of cases keep their last activity", "дел сохраняют последний шаг"),
    "compare": ("Model comparison", "Сравнение моделей"),
    "changes": ("Changes", "Изменения"),
    "before": ("Before", "Было"),
    "after": ("After", "Стало"),
    "compare_note": (
        "Grey dashed: removed; green: added (steps, events, gateways and flows matched between the two files).",
        "Серым пунктиром — удалено; зелёным — добавлено (задачи, события, шлюзы и потоки, сопоставленные между файлами).",
    ),
    "t_behaviour": ("behavioural changes", "изменений поведения"),
    "t_layout": ("layout changes", "изменений оформления"),
    "t_added": ("tasks added", "задач добавлено"),
    "t_removed": ("tasks removed", "задач удалено"),
    "t_fit": ("fitness, before → after", "соответствие, было → стало"),
    "steps_cost": ("Removed steps the log executes: total time", "Удалённые шаги, которые есть в журнале: суммарное время"),
}


def w(key: str, lang: str, **kw: Any) -> str:
    pair = _W[key]
    text = pair[1] if lang == "ru" else pair[0]
    return text.format(**kw) if kw else text


# -- public entry points ------------------------------------------------------------------------
def discover_html(result: Any, lang: str) -> str:
    """`gosupr discover --html`: a gosupr.pipeline.DiscoverResult as one page."""
    audit = result.log.audit.to_dict()
    return _process_page(
        "discover", lang, log=result.log, audit=audit, summary=result.summary.to_dict(), model=result.model,
        findings=result.findings, reduction=result.reduction, source=str(audit.get("source", "")),
    )


def reduce_html(result: Any, lang: str) -> str:
    """`gosupr reduce --html`: a gosupr.pipeline.ReduceResult as one page."""
    from gosupr.mining.discover import summarize
    from gosupr.mining.findings import sort_findings

    red = result.reduction
    audit = result.log.audit.to_dict()
    return _process_page(
        "reduce", lang, log=result.log, audit=audit, summary=summarize(result.log).to_dict(), model=red.as_is,
        findings=sort_findings(list(red.applied) + list(red.not_applied)), reduction=red, source=str(audit.get("source", "")),
    )


def batch_input_html(
    label: str,
    lang: str,
    *,
    model: ProcessModel,
    findings: list[Finding],
    log: EventLog | None = None,
    reduction: Any = None,
) -> str:
    """The page of one `gosupr batch` input: a log (log given) or a BPMN model (lint findings only).

    The input is named by its batch label, never by a path of this machine.
    """
    if log is None:
        return model_html(model, findings, lang, source=label)
    from gosupr.mining.discover import summarize

    audit = {**log.audit.to_dict(), "source": label}
    return _process_page(
        "discover", lang, log=log, audit=audit, summary=summarize(log).to_dict(), model=model,
        findings=findings, reduction=reduction, source=label,
    )


def model_html(model: ProcessModel, findings: list[Finding], lang: str, *, source: str) -> str:
    """A BPMN model with its rule findings coloured on the diagram."""
    from gosupr.mining.waste.analyze import waste_totals

    hl = Highlight.from_findings(findings, model)
    svg = render_svg(model, highlight=hl, lang=lang)
    body = [
        f'<p class="headline">{esc(fr.headline_text(waste_totals(findings, None), lang))}</p>',
        section("diagram", w("diagram", lang), f"<figure>{_sized(svg)}</figure>"),
        section("findings", w("findings", lang), _findings_table(findings, lang)),
    ]
    return page(
        title=f"gosupr: {source}", lang=lang, heading=f"{w('lint', lang)}: {source}", subtitle=_model_line(model, lang),
        nav=[("diagram", w("diagram", lang)), ("findings", w("findings", lang))], body=body,
    )


def compare_html(diff: ModelDiff, before: ProcessModel, after: ProcessModel, lang: str) -> str:
    """`gosupr compare --html`: both diagrams with removed and added elements marked, then every change."""
    old, new = _diff_highlights(diff, before, after)
    svgs = [render_svg(before, highlight=old, lang=lang), render_svg(after, highlight=new, lang=lang)]
    captions = [f"{w('before', lang)}: {diff.before_name}", f"{w('after', lang)}: {diff.after_name}"]
    s = diff.summary()
    tl = [
        (str(diff.behavioural_changes), w("t_behaviour", lang)),
        (str(diff.layout_changes), w("t_layout", lang)),
        (str(s["tasks_added"]), w("t_added", lang)),
        (str(s["tasks_removed"]), w("t_removed", lang)),
    ]
    if diff.replay is not None:
        tl.append((f"{diff.replay.fitness_before:.3f} → {diff.replay.fitness_after:.3f}", w("t_fit", lang)))
    parts = []
    for title, headers, rows in dr.sections(diff, lang):
        parts.append(f"<h3>{esc(title)}</h3>" + table(headers, rows))
    if diff.replay is not None and diff.replay.removed_not_in_log:
        parts.append(f'<p class="note">{esc(dr.w("not_in_log", lang))}: {esc(", ".join(diff.replay.removed_not_in_log))}</p>')
    body = [
        f'<p class="headline">{esc(dr.verdict(diff, lang))}</p>' + tiles(tl),
        section("diagrams", w("diagrams", lang), _diagram_pair(svgs, captions) + f'<p class="note">{esc(w("compare_note", lang))}</p>'),
        section("changes", w("changes", lang), "\n".join(parts) or f"<p>{esc(dr.w('no_changes', lang))}</p>"),
    ]
    nav = [("diagrams", w("diagrams", lang)), ("changes", w("changes", lang))]
    steps = diff.replay.removed_executed if diff.replay is not None else []
    if steps:
        bars = [Bar(f"{st.activity} ({st.cases:,} {w('t_cases', lang)})", float(st.total_time_s or 0.0), "removable") for st in steps]
        bars = sorted(bars, key=lambda b: -b.value_s)[:MAX_COST_BARS]
        chart = inline_svg(cost_bars(bars, title=w("steps_cost", lang), lang=lang))
        body.append(section("cost", w("steps_cost", lang), f"<figure>{chart}</figure>"))
        nav.append(("cost", w("steps_cost", lang)))
    title = f"{dr.w('title', lang)}: {diff.before_name} → {diff.after_name}"
    subtitle = f"{_model_line(before, lang)} → {_model_line(after, lang)}"
    return page(title=title, lang=lang, heading=title, subtitle=subtitle, nav=nav, body=body)


# -- the log pages (discover, reduce, batch) ---------------------------------------------------------
def _process_page(
    kind: str, lang: str, *, log: EventLog, audit: dict[str, Any], summary: dict[str, Any], model: ProcessModel,
    findings: list[Finding], reduction: Any, source: str,
) -> str:
    from gosupr.mining.waste.analyze import waste_totals

    name = source.replace("\\", "/").rsplit("/", 1)[-1] or source
    head = waste_totals(findings, log)
    pictures = w("diagrams" if reduction is not None else "diagram", lang)
    lines = [fr.headline_text(head, lang)] + ([rr.headline_text(reduction, lang)] if reduction is not None else [])
    body = [
        '<div class="headline">' + "".join(f"<p>{esc(x)}</p>" for x in lines) + "</div>"
        + tiles(_tiles(summary, findings, reduction, lang)),
        section("diagrams", pictures, _process_diagrams(model, findings, reduction, lang)),
        section("findings", w("findings", lang), _findings_table(findings, lang) + _cost_chart(findings, lang)),
    ]
    nav = [("diagrams", pictures), ("findings", w("findings", lang))]
    if reduction is not None:
        body.append(section("metrics", w("metrics", lang), _reduction_tables(reduction, log, lang)))
        nav.append(("metrics", w("metrics", lang)))
    else:
        body.append(section("durations", w("durations_one", lang), _durations(log, None, lang)))
        nav.append(("durations", w("durations_one", lang)))
    audit_body = '<div class="grid2"><div>' + f"<h3>{esc(t('audit', lang))}</h3>" + kv_table(audit_r.audit_rows(audit, lang))
    audit_body += "</div><div>" + f"<h3>{esc(t('summary', lang))}</h3>" + kv_table(audit_r.summary_rows(summary, lang))
    audit_body += f"<h3>{esc(t('model', lang))}</h3>" + kv_table(_model_rows(model, lang)) + "</div></div>"
    body.append(section("audit", w("audit", lang), audit_body))
    nav.append(("audit", w("audit", lang)))
    heading = f"{w(kind, lang)}: {name}"
    return page(title=f"gosupr: {heading}", lang=lang, heading=heading, subtitle=_log_line(audit, summary, lang), nav=nav, body=body)


def _tiles(summary: dict[str, Any], findings: list[Finding], red: Any, lang: str) -> list[tuple[str, str]]:
    out = [(f"{summary['cases']:,}", w("t_cases", lang)), (f"{summary['events']:,}", w("t_events", lang)),
           (str(len(findings)), w("t_findings", lang))]
    if red is not None:
        h = red.figures
        out.append((rr.verdict_word(red, lang), w("t_verdict", lang)))
        out.append((f"{100 * h['events_removed_share']:.0f}%", w("t_removable", lang)))
        b, a = h.get("median_case_duration_before_s"), h.get("median_case_duration_after_s")
        if b is not None and a is not None:
            out.append((f"{fmt_duration(b, lang)} → {fmt_duration(a, lang)}", w("t_median", lang)))
        if h.get("outcome_preserved_share") is not None:
            out.append((f"{100 * h['outcome_preserved_share']:.0f}%", w("t_outcome", lang)))
        if h.get("fitness_to_be") is not None:
            out.append((f"{h['fitness_to_be']:.2f}", w("t_fitness", lang)))
    return out


def _process_diagrams(model: ProcessModel, findings: list[Finding], red: Any, lang: str) -> str:
    if red is None:
        svg = render_svg(model, highlight=Highlight.from_findings(findings, model), lang=lang)
        return f"<figure><figcaption>{esc(w('as_is', lang))}</figcaption>{_sized(svg)}</figure>"
    old, new = Highlight.before_after(red.as_is, red.to_be)
    marks = Highlight.from_findings(findings, red.as_is)  # resolved to the as-is ids
    for eid, m in old.by_id.items():  # a step the to-be lost: red when a finding removed it, grey otherwise
        if marks.by_id.get(eid) is None or marks.by_id[eid].category != REMOVABLE:
            marks.by_id[eid] = m
    svgs = [render_svg(red.as_is, highlight=marks, lang=lang), render_svg(red.to_be, highlight=new, lang=lang)]
    lossless = red.verdict == "no_loss" and red.removal.events_removed > 0  # "without loss" of something removed
    to_be = w("to_be_no_loss" if lossless else "to_be", lang)
    return _diagram_pair(svgs, [w("as_is", lang), to_be]) + f'<p class="note">{esc(w("diagram_note", lang))}</p>'


def _findings_table(findings: list[Finding], lang: str) -> str:
    if not findings:
        return f"<p>{esc(w('no_findings', lang))}</p>"
    ordered = fr.grouped(findings)
    last = len(fr.headers(lang)) - 1
    return table(fr.headers(lang), fr.rows(ordered, lang), row_classes=[f"sev-{f.severity}" for f in ordered], cell_classes={last: "msg"})


def category(f: Finding) -> str:
    """The colour family of a finding, as on the diagrams: its kind's category colour (a loop keeps its
    step, so never "removable"), else removable when it may go, else other (gosupr.mining.kinds)."""
    from gosupr.mining.kinds import colour_family

    return colour_family(f.kind, f.removable) or "other"


def _legend_words(cat: str, lang: str) -> str:
    """A cost-chart legend entry: the page's own words, or those the kind category declares."""
    if f"cat_{cat}" in _W:
        return w(f"cat_{cat}", lang)
    from gosupr.mining.kinds import categories

    c = categories()[cat]
    return (c.chart_legend or c.legend or c.title)[1 if lang == "ru" else 0]


def _cost_chart(findings: list[Finding], lang: str) -> str:
    costed = [(i, f) for i, f in enumerate(findings) if f.time_cost_s and f.cases]
    if not costed:
        return ""
    costed.sort(key=lambda p: (-(p[1].time_cost_s or 0.0) * p[1].cases, p[0]))
    bars = [
        Bar(f"{fr.kind_name(f.kind, lang)}: {' → '.join(f.activities)} "
            f"({f.cases:,} {w('t_cases', lang)} × {fmt_duration(f.time_cost_s, lang)})",
            float(f.time_cost_s or 0.0) * f.cases, category(f))
        for _, f in costed[:MAX_COST_BARS]
    ]
    used = [c for c in category_colours() if any(b.category == c for b in bars)]
    svg = cost_bars(bars, title=w("cost_title", lang), lang=lang, legend=[(c, _legend_words(c, lang)) for c in used])
    more = len(costed) - MAX_COST_BARS
    note = f'<p class="note">{esc(w("cost_more", lang, n=more))}</p>' if more > 0 else ""
    return f"<h3>{esc(w('cost_title', lang))}</h3><figure>{inline_svg(svg)}</figure>{note}"


def _reduction_tables(red: Any, log: EventLog, lang: str) -> str:
    (_, mh, m_rows), (_, rh, r_rows), (_, qh, q_rows), (o_title, oh, o_rows), (_, lh, l_rows) = rr.sections(red, lang)
    removed = table(rh, r_rows) if red.applied else f"<p>{esc(w('nothing_removed', lang))}</p>"
    lost = table(lh, l_rows) if l_rows else f"<p>{esc(w('no_loss_rows', lang))}</p>"
    return (
        table(mh, m_rows)
        + f"<h3>{esc(w('removed', lang))}</h3>{removed}"
        + '<div class="grid2"><div>'
        + f"<h3>{esc(w('quality', lang))}</h3>{table(qh, q_rows)}</div><div>"
        + f"<h3>{esc(w('loss', lang))}</h3>{lost}</div></div>"
        + f"<h3>{esc(o_title)}</h3>{table(oh, o_rows)}"
        + f"<h3>{esc(w('durations', lang))}</h3>"
        + _durations(log, red.essential_log, lang)
    )


def _durations(log: EventLog, after: EventLog | None, lang: str) -> str:
    before_s = log.case_durations_s().to_numpy()
    after_s = after.case_durations_s().to_numpy() if after is not None else None
    svg = duration_histogram(
        before_s, after_s, labels=(w("dur_before", lang), w("dur_after", lang)), axis=(w("dur_x", lang), w("dur_y", lang)),
        median=w("median", lang), lang=lang,
    )
    return f"<figure>{inline_svg(svg)}</figure>"


def _model_rows(model: ProcessModel, lang: str) -> list[tuple[str, str]]:
    s = model.summary()
    return [(t(k, lang), str(s[k])) for k in ("tasks", "gateways", "sequence_flows")]


def _log_line(audit: dict[str, Any], summary: dict[str, Any], lang: str) -> str:
    span = f"{audit['start'][:10]} … {audit['end'][:10]}" if audit.get("start") and audit.get("end") else ""
    parts = [f"{summary['cases']:,} {w('t_cases', lang)}", f"{summary['events']:,} {w('t_events', lang)}", span]
    return " · ".join(p for p in parts if p)


def _model_line(model: ProcessModel, lang: str) -> str:
    s = model.summary()
    return f"{model.name or '—'}: {t('tasks', lang).lower()} {s['tasks']}, {t('gateways', lang).lower()} {s['gateways']}"


# -- diagrams -----------------------------------------------------------------------------------
def render_svg(model: ProcessModel, *, highlight: Highlight | None, lang: str) -> str:
    """The diagram, or a short note in its place when the model cannot be drawn (the rest of the page still helps)."""
    try:
        return _render_svg(model, highlight=highlight, lang=lang)
    except GosuprError as e:
        note = ("Диаграмму нельзя нарисовать: " if lang == "ru" else "The diagram cannot be drawn: ") + str(e)
        return f'<svg width="600" height="40" viewBox="0 0 600 40"><text x="8" y="24" font-size="13">{esc(note)}</text></svg>'


_SIZE = re.compile(r'<svg[^>]*? width="([\d.]+)" height="([\d.]+)"')
MIN_SCALE = 0.5  # on screen a diagram shrinks no further; wider ones scroll inside their frame
SIDE_BY_SIDE_MAX_WIDTH = 700.0


def _size(svg: str) -> tuple[float, float]:
    m = _SIZE.search(svg)
    return (float(m.group(1)), float(m.group(2))) if m else (800.0, 600.0)


def _sized(svg: str) -> str:
    """Inline SVG that scales to its frame but not below MIN_SCALE (print ignores the floor)."""
    width, _ = _size(svg)
    s = inline_svg(svg)
    return s.replace("<svg ", f'<svg style="min-width:{width * MIN_SCALE:.0f}px" ', 1)


def _diagram_pair(svgs: Sequence[str], captions: Sequence[str]) -> str:
    """Side by side when both are narrow or tall; stacked (full width each) when they are wide."""
    sizes = [_size(s) for s in svgs]
    side = all(wd <= SIDE_BY_SIDE_MAX_WIDTH or wd < ht for wd, ht in sizes)
    figs = "".join(f"<figure><figcaption>{esc(c)}</figcaption>{_sized(s)}</figure>" for s, c in zip(svgs, captions))
    return f'<div class="diagrams{" side" if side else ""}">{figs}</div>'


def _diff_highlights(diff: ModelDiff, before: ProcessModel, after: ProcessModel) -> tuple[Highlight, Highlight]:
    """Removed elements and flows marked on the old model, added ones on the new (by the diff's pairing)."""
    old, new = Highlight(), Highlight()
    for c in list(diff.elements) + list(diff.flows):
        if c.change == "removed" and c.before_id and (c.before_id in before.nodes or c.before_id in before.flows):
            old.mark_id(c.before_id, REMOVED)
        elif c.change == "added" and c.after_id and (c.after_id in after.nodes or c.after_id in after.flows):
            new.mark_id(c.after_id, ADDED)
    return old, new
