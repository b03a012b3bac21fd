"""Findings for people: a table grouped by kind, worst first, with a headline."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from gosupr.mining.findings import Finding
from gosupr.mining.kinds import find, q
from gosupr.report import markdown
from gosupr.report.i18n import fmt_duration, t

SEVERITY_NAMES = {"high": ("high", "высокая"), "medium": ("medium", "средняя"), "low": ("low", "низкая")}
SEVERITY_STYLE = {"high": "bold red", "medium": "yellow", "low": "dim"}
VERDICT_NAMES = {
    "removable": ("yes", "да"),
    "insufficient_evidence": ("no: insufficient evidence", "нет: недостаточно данных"),
    "outcomes_differ": ("no: outcomes differ", "нет: исходы различаются"),
    "protected": ("no: protected step", "нет: защищённый шаг"),
    "periodic": ("no: periodic repeat", "нет: периодический повтор"),
    "informational": ("no", "нет"),
}


def verdict_name(f: Finding, lang: str) -> str:
    pair = VERDICT_NAMES.get(f.verdict) or (VERDICT_NAMES["removable"] if f.removable else VERDICT_NAMES["informational"])
    return pair[1 if lang == "ru" else 0]


def kind_name(kind: str, lang: str) -> str:
    """What people call a kind, as its module declares it (SPEC.title); unknown kinds by their name."""
    spec = find(kind)
    return kind if spec is None else spec.words(lang)


def _sev(sev: str, lang: str) -> str:
    return SEVERITY_NAMES.get(sev, (sev, sev))[1 if lang == "ru" else 0]


def headline_text(head: dict[str, Any], lang: str) -> str:
    """One line worded from the numbers."""
    n = head.get("removable_steps", 0)
    per_case = fmt_duration(head.get("removable_time_per_case_s"), lang)
    total = head.get("findings", 0)
    if head.get("cases") is None:  # a model: no cases, no time
        els = len(head.get("removable_model_elements") or [])
        if lang == "ru":
            return f"Найдено проблем модели: {total}; элементов, которые можно убрать: {els}."
        return f"{total} model findings; {els} elements can be removed."
    loops = head.get("removable_loops", 0)
    loop_time = fmt_duration(head.get("removable_loop_time_per_case_s"), lang)
    ev, ev_share, touched, held = (head.get("events_removable") or 0, head.get("events_removable_share"),
                                   head.get("cases_touched") or 0, head.get("held_back") or 0)
    if lang == "ru":
        s = f"Найдено проблем: {total}; кандидатов на удаление шагов: {n}; они занимают {per_case} на дело"
        if loops:
            s += f"; циклов, у которых можно убрать повторные проходы: {loops} ({loop_time} на дело)"
        if ev_share is not None:
            s += f"; всего можно убрать {ev:,} событий ({100 * ev_share:.0f}%) в {touched:,} делах"
        if held:
            s += f"; не применено находок: {held} (нет доказательств, защищённый шаг или периодический повтор)"
        return s + "."
    s = f"{total} findings; {n} steps are candidates for removal, holding {per_case} per case"
    if loops:
        s += f"; {loops} loops can lose their later passes ({loop_time} per case)"
    if ev_share is not None:
        s += f"; {ev:,} events ({100 * ev_share:.0f}%) removable in {touched:,} cases"
    if held:
        s += f"; {held} held back (no positive evidence, protected or periodic)"
    return s + "."


def finding_message(f: Finding, lang: str) -> str:
    """The finding worded for people: the detector's English sentence, or the sentence its kind declares
    for `lang` (SPEC.messages) built from its data; then why it is not removable, when that is the question."""
    spec = find(f.kind)
    text = spec.say(f, lang) if spec is not None else f.message
    if f.reason and f.verdict in ("insufficient_evidence", "outcomes_differ", "protected", "periodic"):
        text += (" Не удаляется: " + _ru_reason(f) if lang == "ru" else " Not removed: " + f.reason) + "."
    return text


_RU_WHY = {"start": "начало", "end": "конец", "decision point": "точка решения", "outcome": "исход",
           "final act": "итоговый акт", "decision": "решение", "registration": "регистрация",
           "notification": "уведомление", "archiving": "архивирование", "periodic": "периодический повтор"}


def _ru_at(at: str | None) -> str:
    """"ends with X" / "has X" / "next is X" / "case ends" in Russian."""
    at = at or "—"
    for en, ru in (("ends with ", "заканчивается на "), ("has ", "есть "), ("next is ", "дальше ")):
        if at.startswith(en):
            return ru + q(at[len(en):])
    return "дело заканчивается" if at == "case ends" else at


def _ru_reason(f: Finding) -> str:
    """Why a finding is not removable, in Russian, from its evidence (the English is `f.reason`)."""
    e = f.evidence or {}
    held = e.get("held_by")
    if f.verdict in ("protected", "periodic") and held:
        why = str(held.get("why", ""))
        why = f"шаблон {why[len('pattern '):]}" if why.startswith("pattern ") else _RU_WHY.get(why, why)
        if f.verdict == "periodic":
            return f"{q(held['activity'])} повторяется по графику (наблюдение, платежи частями, напоминания)"
        return f"затронул бы защищённый шаг {q(held['activity'])} ({why})"
    eq, dec = e.get("equivalence"), e.get("decisions")
    if dec:
        k, n = dec["rejected"] + dec["sent_back_or_repeated"], dec["approved"] + dec["rejected"]
        return (f"{n} решений, из них отказов {k}: доля отказов может достигать {100 * dec['reject_rate_upper']:.1f}%, "
                f"не доказано, что она ниже {100 * dec['margin']:.0f}%")
    if eq:
        if eq["result"] == "too_few_cases":
            return f"мало дел для сравнения ({eq['n_with']} и {eq['n_without']}; нужно не меньше {eq['min_cases']} с каждой стороны)"
        d = 100 * (eq.get("difference") or 0.0)
        if eq["result"] == "different":
            return f"исходы различаются: {_ru_at(eq['at'])}, {d:+.1f} п."
        lo, hi = eq["ci"]
        return (f"разница исходов ({_ru_at(eq['at'])}: {d:+.1f} п., интервал {100 * lo:+.1f}…{100 * hi:+.1f}) "
                f"не доказана в пределах ±{100 * eq['margin']:.0f} п.")
    return f.reason


def rows(findings: list[Finding], lang: str) -> list[list[str]]:
    """One row of words per finding, in the order given; headers() names the columns."""
    from gosupr.mining.lint.rules import RULES

    out = []
    for f in findings:
        if f.kind in RULES:  # a model defect: no cases or time behind it
            out.append(
                [kind_name(f.kind, lang), " → ".join(f.activities) or ", ".join(f.elements), "—", "—", "—", "—", _sev(f.severity, lang),
                 t("yes", lang) if f.removable else t("no", lang), finding_message(f, lang)]
            )
            continue
        out.append(
            [
                kind_name(f.kind, lang),
                " → ".join(f.activities) if f.activities else ", ".join(f.elements),
                f"{f.cases:,}",
                f"{100 * f.case_share:.1f}%",
                fmt_duration(f.time_cost_s, lang),
                f"{f.events_removed:,}" if f.events_removed else "—",
                _sev(f.severity, lang),
                verdict_name(f, lang),
                finding_message(f, lang),
            ]
        )
    return out


def headers(lang: str) -> list[str]:
    if lang == "ru":
        return ["Вид", "Операции", "Дела", "Доля", "Время/дело", "Событий убрать", "Важность", "Удалимо", "Пояснение"]
    return ["Kind", "Activities", "Cases", "Share", "Time/case", "Events removed", "Severity", "Removable", "Message"]


def grouped(findings: list[Finding]) -> list[Finding]:
    """Grouped by kind (groups ordered by their worst finding), worst first inside a group."""
    order: dict[str, int] = {}
    for i, f in enumerate(findings):
        order.setdefault(f.kind, i)
    return sorted(findings, key=lambda f: (order[f.kind], findings.index(f)))


def to_terminal(findings: list[Finding], head: dict[str, Any], console: Console, lang: str, title: str | None = None) -> None:
    """The table without the message column (too wide for a terminal; it is in Markdown and JSON)."""
    tab = Table(title=title or ("Находки" if lang == "ru" else "Findings"), title_justify="left", show_lines=False)
    for h in headers(lang)[:-1]:
        tab.add_column(h, overflow="fold")
    ordered = grouped(findings)
    for f, row in zip(ordered, rows(ordered, lang)):
        tab.add_row(*row[:-1], style=SEVERITY_STYLE.get(f.severity))
    console.print(tab)
    console.print(headline_text(head, lang))


def to_markdown(findings: list[Finding], head: dict[str, Any], lang: str) -> str:
    title = "Находки" if lang == "ru" else "Findings"
    return f"### {title}\n\n{headline_text(head, lang)}\n\n" + markdown.table(headers(lang), rows(grouped(findings), lang))
