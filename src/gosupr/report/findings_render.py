"""Findings for people: a table grouped by kind, worst first, with a headline."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from ..mining.findings import Finding
from . import markdown
from .i18n import fmt_duration, t

KIND_NAMES: dict[str, tuple[str, str]] = {
    "self_loop": ("self-loop", "самоповтор"),
    "rework": ("rework loop", "петля доработки"),
    "ping_pong": ("ping-pong", "пинг-понг"),
    "duplicate_step": ("duplicate step", "дублирующий шаг"),
    "redundant_approval": ("redundant approval", "избыточное согласование"),
    "bypassable_step": ("bypassable step", "необязательный шаг"),
    "rare_path": ("rare path", "редкий путь"),
    "waiting": ("waiting", "ожидание"),
}
SEVERITY_NAMES = {"high": ("high", "высокая"), "medium": ("medium", "средняя"), "low": ("low", "низкая")}
SEVERITY_STYLE = {"high": "bold red", "medium": "yellow", "low": "dim"}


def kind_name(kind: str, lang: str) -> str:
    pair = KIND_NAMES.get(kind)
    return kind if pair is None else pair[1 if lang == "ru" else 0]


def _sev(sev: str, lang: str) -> str:
    return SEVERITY_NAMES.get(sev, (sev, sev))[1 if lang == "ru" else 0]


def headline_text(head: dict[str, Any], lang: str) -> str:
    """One line worded from the numbers."""
    n = head.get("removable_steps", 0)
    per_case = fmt_duration(head.get("removable_time_per_case_s"), lang)
    total = head.get("findings", 0)
    if lang == "ru":
        return f"Найдено проблем: {total}; кандидатов на удаление шагов: {n}; они занимают {per_case} на дело."
    return f"{total} findings; {n} steps are candidates for removal, holding {per_case} per case."


def _rows(findings: list[Finding], lang: str) -> list[list[str]]:
    from ..mining.rules import RULES

    rows = []
    for f in findings:
        if f.kind in RULES:  # a model defect: no cases or time behind it
            rows.append(
                [f.kind, " → ".join(f.activities) or ", ".join(f.elements), "—", "—", "—", _sev(f.severity, lang),
                 t("yes", lang) if f.removable else t("no", lang), f.message]
            )
            continue
        rows.append(
            [
                kind_name(f.kind, lang),
                " → ".join(f.activities) if f.activities else ", ".join(f.elements),
                f"{f.cases:,}",
                f"{100 * f.case_share:.1f}%",
                fmt_duration(f.time_cost_s, lang),
                _sev(f.severity, lang),
                t("yes", lang) if f.removable else t("no", lang),
                f.message,
            ]
        )
    return rows


def _headers(lang: str) -> list[str]:
    if lang == "ru":
        return ["Вид", "Операции", "Дела", "Доля", "Время/дело", "Важность", "Удалимо", "Пояснение"]
    return ["Kind", "Activities", "Cases", "Share", "Time/case", "Severity", "Removable", "Message"]


def grouped(findings: list[Finding]) -> list[Finding]:
    """Grouped by kind (groups ordered by their worst finding), worst first inside a group."""
    order: dict[str, int] = {}
    for i, f in enumerate(findings):
        order.setdefault(f.kind, i)
    return sorted(findings, key=lambda f: (order[f.kind], findings.index(f)))


def to_terminal(findings: list[Finding], head: dict[str, Any], console: Console, lang: str, title: str | None = None) -> None:
    """The table without the message column (too wide for a terminal; it is in Markdown and JSON)."""
    tab = Table(title=title or ("Находки" if lang == "ru" else "Findings"), title_justify="left", show_lines=False)
    for h in _headers(lang)[:-1]:
        tab.add_column(h, overflow="fold")
    ordered = grouped(findings)
    for f, row in zip(ordered, _rows(ordered, lang)):
        tab.add_row(*row[:-1], style=SEVERITY_STYLE.get(f.severity))
    console.print(tab)
    console.print(headline_text(head, lang))


def to_markdown(findings: list[Finding], head: dict[str, Any], lang: str) -> str:
    title = "Находки" if lang == "ru" else "Findings"
    return f"### {title}\n\n{headline_text(head, lang)}\n\n" + markdown.table(_headers(lang), _rows(grouped(findings), lang))
