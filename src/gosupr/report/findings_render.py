"""Findings for people: a table grouped by kind, worst first, with a headline."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from gosupr.mining.findings import Finding
from gosupr.report import markdown
from gosupr.report.i18n import fmt_duration, t

KIND_NAMES: dict[str, tuple[str, str]] = {
    "self_loop": ("self-loop", "самоповтор"),
    "rework": ("rework loop", "петля доработки"),
    "ping_pong": ("ping-pong", "пинг-понг"),
    "duplicate_step": ("duplicate step", "дублирующий шаг"),
    "redundant_approval": ("redundant approval", "избыточное согласование"),
    "bypassable_step": ("bypassable step", "необязательный шаг"),
    "rare_path": ("rare path", "редкий путь"),
    "waiting": ("waiting", "ожидание"),
    "periodic_repeat": ("periodic repeat", "периодический повтор"),
    # model rules keep their bpmnlint names (users know them); Russian adds a gloss
    "superfluous-gateway": ("superfluous-gateway", "лишний шлюз (superfluous-gateway)"),
    "no-duplicate-sequence-flows": ("no-duplicate-sequence-flows", "дублирующий поток (no-duplicate-sequence-flows)"),
    "no-disconnected": ("no-disconnected", "несвязанный элемент (no-disconnected)"),
    "fake-join": ("fake-join", "неявное слияние (fake-join)"),
    "no-implicit-split": ("no-implicit-split", "неявное ветвление (no-implicit-split)"),
    "dead-element": ("dead-element", "мёртвый элемент (dead-element)"),
}
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
    pair = KIND_NAMES.get(kind)
    return kind if pair is None else pair[1 if lang == "ru" else 0]


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


def _pct(share: Any) -> str:
    v = 100 * float(share or 0.0)
    return f"{v:.1f}%" if v < 10 else f"{v:.0f}%"


def _in_cases(n: int) -> str:
    """«в 1 деле», «в 21 деле», «в 134 делах» (prepositional case)."""
    return f"в {n} деле" if n % 10 == 1 and n % 100 != 11 else f"в {n} делах"


def _q(label: Any) -> str:
    return f"«{label}»"


def _ru_message(f: Finding) -> str | None:
    """One Russian template per kind, filled from the finding's numbers and evidence."""
    e, acts = f.evidence or {}, list(f.activities) or list(f.elements)
    a = _q(acts[0]) if acts else "—"
    b = _q(acts[1]) if len(acts) > 1 else a
    cost = fmt_duration(f.time_cost_s, "ru") if f.time_cost_s is not None else "неизвестное время"
    n, share = f.cases, _pct(f.case_share)
    k = f.kind
    if k == "self_loop":
        return f"{a} сразу повторяется {_in_cases(n)} ({share}); это добавляет в медиане {cost} на затронутое дело."
    if k == "rework":
        return f"{a} выполняется снова после других шагов {_in_cases(n)} ({share}); от первого до последнего выполнения проходит в медиане {cost}."
    if k == "ping_pong":
        if e.get("between") == "departments" and len(e.get("departments") or []) == 2:
            d1, d2 = e["departments"]
            return f"{_in_cases(n).capitalize()} ({share}) дело передаётся туда и обратно между подразделениями {_q(d1)} и {_q(d2)}; потеря в медиане {cost} на дело."
        return f"{_in_cases(n).capitalize()} ({share}) дело ходит туда и обратно между {a} и {b}; потеря в медиане {cost} на дело."
    if k == "duplicate_step":
        first, second = _q(e.get("first", acts[0] if acts else "—")), _q(e.get("second", acts[-1] if acts else "—"))
        return f"{second} повторяет работу {first} сразу после неё {_in_cases(n)} ({share}) и не меняет дальнейший путь дела; занимает в медиане {cost} на дело."
    if k == "redundant_approval":
        nxt = _q(e["next"]) if e.get("next") else "один и тот же шаг"
        return f"За {a} следует {nxt} в {_pct(e.get('same_next_share'))} из {n} дел, и согласование ни разу не возвращает дело; занимает в медиане {cost} на дело."
    if k == "bypassable_step":
        return (f"{a} выполняется лишь в {_pct(e.get('presence_share', f.case_share))} дел ({n}); {e.get('compared_cases', '—')} сопоставимых дел "
                f"без этого шага идут тем же путём и заканчиваются так же. Шаг занимает в медиане {cost} на дело.")
    if k == "periodic_repeat":
        every = fmt_duration(e.get("interval_median_s"), "ru")
        return (f"{a} повторяется примерно каждые {every} {_in_cases(n)} ({share}), и между повторами дело не меняется: "
                f"это график (наблюдение, платежи частями, напоминания), а не переделка.")
    if k == "rare_path":
        return (f"Прямой переход от {a} к {b} есть лишь {_in_cases(n)} ({share}); это один из {e.get('rare_edges_total', '—')} редких переходов, "
                f"он занимает в медиане {cost}.")
    if k == "waiting":
        p85 = fmt_duration(e.get("p85_s"), "ru")
        return (f"Между {a} и {b} {_in_cases(n)} ({share}) ожидание в медиане {fmt_duration(e.get('median_s', f.time_cost_s), 'ru')} "
                f"(P85 {p85}); это {_pct(e.get('share_of_all_waiting'))} всего ожидания в журнале.")
    if k == "superfluous-gateway":
        return f"У шлюза {a} один входящий и один исходящий поток; его можно убрать."
    if k == "no-duplicate-sequence-flows":
        return f"Поток {e.get('flow', '—')} дублирует {e.get('duplicate_of', '—')} от {a} к {b}; один из них можно убрать."
    if k == "no-disconnected":
        return f"{a} не связан ни с одним потоком управления и никогда не выполнится."
    if k == "fake-join":
        return f"{a}: входящих потоков — {len(e.get('incoming') or [])}, но элемент их не объединяет; смоделируйте слияние шлюзом."
    if k == "no-implicit-split":
        return f"{a} ветвится неявно: безусловных исходящих потоков — {len(e.get('outgoing') or [])}; смоделируйте ветвление шлюзом."
    if k == "dead-element":
        why = "до него не доходит ни одно начало" if e.get("reachable_from_start") is False else "от него нельзя дойти до конца"
        return f"{a} не лежит ни на одном пути от начала до конца ({why}); он не может завершить дело."
    return None


def finding_message(f: Finding, lang: str) -> str:
    """The finding worded for people: the detector's English sentence, or a Russian one built from its
    data; then why it is not removable, when that is the question."""
    text = (_ru_message(f) or f.message) if lang == "ru" else f.message
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
            return ru + _q(at[len(en):])
    return "дело заканчивается" if at == "case ends" else at


def _ru_reason(f: Finding) -> str:
    """Why a finding is not removable, in Russian, from its evidence (the English is `f.reason`)."""
    e = f.evidence or {}
    held = e.get("held_by")
    if f.verdict in ("protected", "periodic") and held:
        why = str(held.get("why", ""))
        why = f"шаблон {why[len('pattern '):]}" if why.startswith("pattern ") else _RU_WHY.get(why, why)
        if f.verdict == "periodic":
            return f"{_q(held['activity'])} повторяется по графику (наблюдение, платежи частями, напоминания)"
        return f"затронул бы защищённый шаг {_q(held['activity'])} ({why})"
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
