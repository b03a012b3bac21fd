"""`gosupr reduce` output: as-is → to-be → change, what was removed, quality retained."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from gosupr.durations import format_duration_json_v1
from gosupr.mining.waste.reduce import Reduction
from gosupr.report import jsondoc, markdown
from gosupr.report.findings_render import kind_name
from gosupr.report.i18n import fmt_duration

# (section, key, en label, ru label, kind of value)
ROWS: list[tuple[str, str, str, str, str]] = [
    ("model", "tasks", "Tasks", "Задачи", "int"),
    ("model", "gateways", "Gateways", "Шлюзы", "int"),
    ("model", "sequence_flows", "Sequence flows", "Потоки управления", "int"),
    ("model", "size", "Model size (nodes)", "Размер модели (узлы)", "int"),
    ("model", "cfc", "Control-flow complexity (CFC)", "Сложность потока управления (CFC)", "int"),
    ("model", "cnc", "Connectivity (CNC)", "Связность (CNC)", "float"),
    ("model", "density", "Density", "Плотность", "float"),
    ("model", "paths", "Start-to-end paths", "Путей от начала до конца", "int"),
    ("work", "department_handovers_per_case", "Handovers between departments per case", "Передач между подразделениями на дело", "float"),
    ("work", "steps_per_case_mean", "Steps per case (mean)", "Шагов на дело (среднее)", "float"),
    ("work", "steps_per_case_median", "Steps per case (median)", "Шагов на дело (медиана)", "float"),
    ("work", "case_duration_median_s", "Case duration (median)", "Длительность дела (медиана)", "duration"),
    ("work", "case_duration_p90_s", "Case duration (P90)", "Длительность дела (P90)", "duration"),
    ("work", "staff_hours_per_1000_cases", "Staff hours per 1,000 cases", "Человеко-часов на 1000 дел", "float"),
]

#: (key in quality[side], en, ru): both models on today's log
MODEL_ROWS = [
    ("fitness", "Fitness on today's log", "Соответствие сегодняшнему журналу"),
    ("precision", "Precision on today's log", "Точность на сегодняшнем журнале"),
]
VERDICT_WORDS = {
    "no_loss": ("no loss (without loss of quality)", "без потерь (без потери качества)"),
    "loss": ("loss", "есть потери"),
    "insufficient_evidence": ("insufficient evidence", "недостаточно данных"),
}


def _fmt(v: Any, kind: str, lang: str) -> str:
    if v is None:
        return "—"
    if kind == "duration":
        return fmt_duration(v, lang)
    if kind == "int":
        return f"{int(v):,}"
    if isinstance(v, float):
        return f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.3f}".rstrip("0").rstrip(".")
    return str(v)


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{v:+.1f}%"


def metric_rows(red: Reduction, lang: str) -> list[list[str]]:
    rows = []
    for part, key, en, ru, kind in ROWS:
        if key not in red.before[part]:
            continue
        rows.append(
            [
                ru if lang == "ru" else en,
                _fmt(red.before[part].get(key), kind, lang),
                _fmt(red.after[part].get(key), kind, lang),
                _pct(red.change[part].get(key)),
            ]
        )
    return rows


def quality_rows(red: Reduction, lang: str) -> list[list[str]]:
    """As-is beside to-be, both measured on today's log; then what the log itself lost."""
    q, ru = red.quality, lang == "ru"
    rows = [[ru_ if ru else en, _share(q["as_is"].get(k)), _share(q["to_be"].get(k))] for k, en, ru_ in MODEL_ROWS]
    s = q["saving"]
    rows += [
        ["Дела, у которых меняется последний шаг" if ru else "Cases whose last activity changes",
         "—", _share(q["last_activity_changed_share"])],
        ["Сдвиг распределения исходов (TV)" if ru else "Outcome distribution shift (TV distance)",
         "—", f"{100 * q['outcomes']['tv_distance']:.1f} п." if ru else f"{100 * q['outcomes']['tv_distance']:.1f} pts"],
        ["Экономия на затронутое дело: обработка … с очередью" if ru else "Saving per affected case: handling … with queue",
         "—", f"{fmt_duration(s['per_affected_case_handling_s'], lang)} … {fmt_duration(s['per_affected_case_with_queue_s'], lang)}"],
    ]
    return rows


def loss_rows(red: Reduction, lang: str) -> list[list[str]]:
    """Every activity that lost any event: before, after, share lost, protected or not."""
    yes = "да" if lang == "ru" else "yes"
    return [
        [r["activity"], f"{r['before']:,}", f"{r['after']:,}", f"{100 * r['lost_share']:.1f}%",
         f"{yes} ({r['protected']})" if r["protected"] else "—"]
        for r in red.quality["activity_loss"]
    ]


def outcome_rows(red: Reduction, lang: str) -> list[list[str]]:
    """The outcome distribution (last activity per case) before and after, largest first."""
    o = red.quality["outcomes"]
    keys = sorted(o["before"], key=lambda k: (-o["before"][k], -o["after"].get(k, 0.0), k))
    gone = "(дело удалено)" if lang == "ru" else "(case removed)"
    return [[gone if k == "(case removed)" else k, _share(o["before"][k]), _share(o["after"].get(k, 0.0)),
             f"{100 * (o['after'].get(k, 0.0) - o['before'][k]):+.1f}"] for k in keys]


def _share(v: float | None) -> str:
    return "—" if v is None else f"{100 * v:.1f}%"


def removed_rows(red: Reduction, lang: str) -> list[list[str]]:
    return [
        [kind_name(f.kind, lang), " → ".join(f.activities), f"{f.cases:,}", f"{f.cases_touched:,}",
         f"{f.events_removed:,}", _evidence(f)]
        for f in red.applied
    ]


def _evidence(f: Any) -> str:
    eq = f.evidence.get("equivalence")
    if eq and eq.get("ci") and eq["ci"][0] is not None:
        return f"{eq['n_with']} vs {eq['n_without']}: {100 * eq['difference']:+.1f} [{100 * eq['ci'][0]:+.1f}; {100 * eq['ci'][1]:+.1f}]"
    dec = f.evidence.get("decisions")
    if dec:
        return f"{dec['rejected'] + dec['sent_back_or_repeated']}/{dec['approved'] + dec['rejected']} ≤ {100 * dec['reject_rate_upper']:.1f}%"
    return "—"


def verdict_word(red: Reduction, lang: str) -> str:
    """The verdict in a few words; a reduction that removed nothing is not called "without loss"."""
    if not red.removal.events_removed and not red.removal.cases_removed:
        return "ничего не удалено" if lang == "ru" else "nothing removed"
    en, ru = VERDICT_WORDS[red.verdict]
    return ru if lang == "ru" else en


def verdict_text(red: Reduction, lang: str) -> str:
    word = verdict_word(red, lang)
    if red.verdict_reasons:
        word += " (" + "; ".join(red.verdict_reasons) + ")"
    return word


def headline_text(red: Reduction, lang: str, dur: Callable[[float | None, str], str] = fmt_duration) -> str:
    """Worded by the numbers and the verdict, never a fixed sentence; counts are events.
    `dur` words durations (the JSON document keeps its schema's frozen wording)."""
    h = red.figures
    share = 100 * h["events_removed_share"]
    b, a = h.get("median_case_duration_before_s"), h.get("median_case_duration_after_s")
    lo, hi = h["saving_per_affected_case_handling_s"], h["saving_per_affected_case_with_queue_s"]
    ru = lang == "ru"
    if not h["events_removed"] and not h["cases_removed"]:
        if ru:
            return (f"Ничего не удалено: ни у одной находки нет положительных доказательств, что её удаление не меняет исходов"
                    f" (не применено: {h['held_back']}).")
        return f"Nothing removed: no finding has positive evidence that removing it leaves outcomes alone ({h['held_back']} held back)."
    if ru:
        s = (f"Вердикт: {verdict_text(red, lang)}. Можно убрать {h['events_removed']:,} событий ({share:.0f}%) "
             f"в {h['cases_touched']:,} делах")
        if h["held_back"]:
            s += f"; не применено находок: {h['held_back']} (нет доказательств, защищённый шаг или периодический повтор)"
        if b is not None and a is not None:
            s += (f"; экономия на затронутое дело {dur(lo, lang)} (только обработка) … "
                  f"{dur(hi, lang)} (с очередью); медианное дело {dur(b, lang)} → {dur(a, lang)} "
                  f"(по времени обработки)")
        return s + "."
    s = f"Verdict: {verdict_text(red, lang)}. {h['events_removed']:,} events ({share:.0f}%) removable in {h['cases_touched']:,} cases"
    if h["held_back"]:
        s += f"; {h['held_back']} findings held back (no positive evidence, protected or periodic)"
    if b is not None and a is not None:
        s += (f"; saving per affected case {dur(lo, lang)} (handling only) … {dur(hi, lang)} "
              f"(with the step's queue); median case {dur(b, lang)} → {dur(a, lang)} (handling only)")
    return s + "."


#: (title, columns) in English and Russian, and the rows of each table, in order
SECTIONS: list[tuple[tuple[str, str], tuple[list[str], list[str]], Any]] = [
    (("Before / after", "До и после"),
     (["Metric", "As-is", "To-be", "Change"], ["Показатель", "Как есть", "Как будет", "Изменение"]), metric_rows),
    (("Removed", "Удалено"),
     (["Kind", "Activities", "Cases", "Cases touched", "Events removed", "Evidence (pts, 90% CI)"],
      ["Вид", "Операции", "Дела", "Затронуто дел", "Событий убрано", "Доказательство (п., 90% ДИ)"]), removed_rows),
    (("Quality on today's log", "Качество на сегодняшнем журнале"),
     (["Measure", "As-is", "To-be"], ["Показатель", "Как есть", "Как будет"]), quality_rows),
    (("Outcomes (last activity of each case)", "Исходы (последний шаг дела)"),
     (["Last activity", "As-is", "To-be", "Change, pts"], ["Последний шаг", "Как есть", "Как будет", "Изменение, п."]), outcome_rows),
    (("Loss per activity", "Потери по операциям"),
     (["Activity", "Events before", "After", "Lost", "Protected"], ["Операция", "Событий до", "После", "Потеряно", "Защищена"]),
     loss_rows),
]


def sections(red: Reduction, lang: str) -> list[tuple[str, list[str], list[list[str]]]]:
    """(title, columns, rows) of every table, in order."""
    i = 1 if lang == "ru" else 0
    return [(title[i], cols[i], rows(red, lang)) for title, cols, rows in SECTIONS]


def to_terminal(red: Reduction, console: Console, lang: str) -> None:
    for title, columns, rows in sections(red, lang):
        tab = Table(title=title, title_justify="left")
        for i, h in enumerate(columns):
            tab.add_column(h, justify="right" if i else "left", overflow="fold")
        for r in rows:
            tab.add_row(*r)
        console.print(tab)
    console.print(Text(headline_text(red, lang), style="bold"))


def to_markdown(red: Reduction, lang: str) -> str:
    title = "Сокращение процесса" if lang == "ru" else "Process reduction"
    parts = [f"### {title}\n\n**{headline_text(red, lang)}**\n"]
    parts += [f"#### {t}\n\n" + markdown.table(cols, rows) for t, cols, rows in sections(red, lang) if rows]
    return "\n".join(parts)


def document_body(red: Reduction) -> dict[str, Any]:
    return {
        "noise_threshold": red.noise,
        "verdict": red.verdict,
        "verdict_reasons": red.verdict_reasons,
        "protect": red.protect,
        "headline": {**red.figures, "text": headline_text(red, "en", format_duration_json_v1)},
        "before": red.before,
        "after": red.after,
        "change": red.change,
        "removed": [f.to_dict() for f in red.applied],
        "events_removed_by_kind": red.removal.events_removed_by_kind,
        "not_applied": [f.to_dict() for f in red.not_applied if f.evidence.get("removal") or f.removable],
        "quality": red.quality,
    }


def document(red: Reduction, log_audit: dict[str, Any], outputs: dict[str, str | None]) -> dict[str, Any]:
    return jsondoc.document("gosupr.reduction/2", {"log": log_audit, "outputs": outputs, **document_body(red)})
