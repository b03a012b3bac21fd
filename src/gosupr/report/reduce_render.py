"""`gosupr reduce` output: as-is → to-be → change, what was removed, quality retained."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..mining.reduce import Reduction
from . import jsondoc, markdown
from .findings_render import kind_name
from .i18n import fmt_duration

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

QUALITY_ROWS = [
    ("fitness_essential", "Fitness on the essential behaviour", "Соответствие существенному поведению"),
    ("precision_essential", "Precision on the essential behaviour", "Точность на существенном поведении"),
    ("outcome_preserved_share", "Cases whose outcome path the to-be model allows", "Дела, чей путь к результату сохраняет модель «как будет»"),
    ("fitness_today", "Fitness of today's log (waste included)", "Соответствие сегодняшнему журналу (с потерями)"),
]


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
    out = []
    for key, en, ru in QUALITY_ROWS:
        v = red.quality.get(key)
        out.append([ru if lang == "ru" else en, "—" if v is None else f"{100 * v:.1f}%"])
    return out


def removed_rows(red: Reduction, lang: str) -> list[list[str]]:
    return [
        [kind_name(f.kind, lang), " → ".join(f.activities), f"{f.cases:,}", fmt_duration(f.time_cost_s, lang)]
        for f in red.applied
    ]


def headline_text(red: Reduction, lang: str) -> str:
    """Worded by the numbers, never a fixed sentence."""
    h = red.headline
    share = 100 * h["steps_removable_share"]
    kept = h.get("outcome_preserved_share")
    kept_s = "—" if kept is None else f"{100 * kept:.0f}%"
    b, a = h.get("median_case_duration_before_s"), h.get("median_case_duration_after_s")
    fit = h.get("fitness_essential")
    if lang == "ru":
        s = f"{share:.0f}% шагов можно убрать; {kept_s} дел сохраняют путь к результату"
        if b is not None and a is not None:
            s += f"; медианное дело {fmt_duration(b, lang)} → {fmt_duration(a, lang)}"
        if fit is not None:
            s += f"; соответствие существенному поведению {fit:.2f}"
        return s + "."
    s = f"{share:.0f}% of steps removable; {kept_s} of cases keep their outcome path"
    if b is not None and a is not None:
        s += f"; median case {fmt_duration(b, lang)} → {fmt_duration(a, lang)}"
    if fit is not None:
        s += f"; fitness on the essential behaviour {fit:.2f}"
    return s + "."


def heads(lang: str) -> tuple[list[str], list[str], list[str]]:
    if lang == "ru":
        return (["Показатель", "Как есть", "Как будет", "Изменение"], ["Качество", "Значение"], ["Вид", "Операции", "Дела", "Время/дело"])
    return (["Metric", "As-is", "To-be", "Change"], ["Quality retained", "Value"], ["Kind", "Activities", "Cases", "Time/case"])


def to_terminal(red: Reduction, console: Console, lang: str) -> None:
    mh, qh, rh = heads(lang)
    for title, columns, rows in (
        ("До и после" if lang == "ru" else "Before / after", mh, metric_rows(red, lang)),
        ("Удалено" if lang == "ru" else "Removed", rh, removed_rows(red, lang)),
        ("Качество" if lang == "ru" else "Quality", qh, quality_rows(red, lang)),
    ):
        tab = Table(title=title, title_justify="left")
        for i, h in enumerate(columns):
            tab.add_column(h, justify="right" if i else "left", overflow="fold")
        for r in rows:
            tab.add_row(*r)
        console.print(tab)
    console.print(Text(headline_text(red, lang), style="bold"))


def to_markdown(red: Reduction, lang: str) -> str:
    mh, qh, rh = heads(lang)
    title = "Сокращение процесса" if lang == "ru" else "Process reduction"
    return (
        f"### {title}\n\n**{headline_text(red, lang)}**\n\n"
        + markdown.table(mh, metric_rows(red, lang))
        + "\n"
        + markdown.table(rh, removed_rows(red, lang))
        + "\n"
        + markdown.table(qh, quality_rows(red, lang))
    )


def document_body(red: Reduction) -> dict[str, Any]:
    return {
        "noise_threshold": red.noise,
        "headline": {**red.headline, "text": headline_text(red, "en")},
        "before": red.before,
        "after": red.after,
        "change": red.change,
        "removed": [f.to_dict() for f in red.applied],
        "events_removed_by_kind": red.removal.events_removed_by_kind,
        "not_applied": [f.to_dict() for f in red.not_applied if f.removable],
        "quality": red.quality,
    }


def document(red: Reduction, log_audit: dict[str, Any], outputs: dict[str, str | None]) -> dict[str, Any]:
    return jsondoc.document("gosupr.reduction/1", {"log": log_audit, "outputs": outputs, **document_body(red)})
