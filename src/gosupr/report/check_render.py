"""`gosupr check` for people and machines: rich tables, Markdown, JSON (gosupr.check/1), the
per-case CSV a ministry follows up from, and the rows the HTML page reuses. Nothing is computed here."""

from __future__ import annotations

import csv
import io
from typing import Any

from gosupr.mining.conformance.check import SCHEMA, CheckResult
from gosupr.report import jsondoc

_W: dict[str, tuple[str, str]] = {
    "title": ("Regulation check", "Проверка соблюдения регламента"),
    "fitness": ("Fitness (alignments)", "Соответствие модели (выравнивания)"),
    "coverage": ("Cases the figures rest on", "Дел, на которых основаны цифры"),
    "fitting": ("Cases that follow the model", "Дел по модели"),
    "nonconforming": ("Non-conforming cases", "Дел с нарушениями"),
    "calendar": ("Calendar", "Календарь"),
    "deviations": ("Deviations from the normative model", "Отклонения от нормативной модели"),
    "no_deviations": ("No deviations: every aligned case follows the model.", "Отклонений нет: все дела идут по модели."),
    "kind": ("Deviation", "Отклонение"),
    "activity": ("Step", "Шаг"),
    "cases": ("Cases", "Дел"),
    "share": ("Share", "Доля"),
    "departments": ("Departments (at the deviation)", "Подразделения (где отклонение)"),
    "mandatory": ("Mandatory steps", "Обязательные шаги"),
    "pattern": ("Pattern", "Шаблон"),
    "steps": ("Steps", "Шаги"),
    "skipped_cases": ("Cases that skipped it", "Дел без него"),
    "terms": ("Terms", "Сроки"),
    "term": ("Term", "Срок"),
    "limit": ("Limit", "Норма"),
    "measured": ("Measured", "Измерено"),
    "over": ("Over", "Просрочено"),
    "median_over": ("Median overrun", "Медиана просрочки"),
    "p90_over": ("P90 overrun", "P90 просрочки"),
    "consumers": ("Where the overrun goes (days per overdue case)", "Куда уходит время (дн. на просроченное дело)"),
    "dept_consumers": ("Departments it goes to", "Подразделения, где уходит время"),
    "unmatched_acts": ("Log activities with no model task", "Операции журнала без задачи в модели"),
    "unmatched_tasks": ("Model tasks never in the log", "Задачи модели, которых нет в журнале"),
    "matched_similar": ("Matched by similar name", "Сопоставлены по похожему названию"),
    "partial": ("Partial: {why}; the figures rest on {share} of the cases.",
                "Неполный расчёт: {why}; цифры основаны на {share} дел."),
    "mandatory_flag": ("mandatory", "обязательный"),
    "insufficient": ("insufficient evidence: {n} case(s) measured", "недостаточно данных: измерено дел — {n}"),
    "wd": ("working days", "раб. дн."),
    "cd": ("calendar days", "кал. дн."),
    "case_term": ("whole case", "всё дело"),
    "from_first": ("from the first event", "от первого события"),
    "k_skipped": ("skipped", "пропущен"),
    "k_out_of_order": ("out of order", "не по порядку"),
    "k_not_in_model": ("not in the model", "нет в модели"),
    "k_unexpected": ("repeated / not allowed here", "повтор / не предусмотрен здесь"),
    "excess": ("{name} +{d}", "{name} +{d}"),
}


def w(key: str, lang: str, **kw: Any) -> str:
    en, ru = _W[key]
    s = ru if lang == "ru" else en
    return s.format(**kw) if kw else s


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f}%"


def _num(x: float | None) -> str:
    return "—" if x is None else (f"{x:.0f}" if float(x).is_integer() else f"{x:.1f}")


def unit_word(unit: str, lang: str) -> str:
    return w("wd" if unit == "working" else "cd", lang)


def term_name(term: Any, lang: str) -> str:
    if term.key == "case":
        return w("case_term", lang) + (f" (от «{term.start}»)" if lang == "ru" and term.start else
                                        f" (from «{term.start}»)" if term.start else "")
    return f"«{term.start}» → «{term.end}»"


# -- rows shared by every renderer ---------------------------------------------------------------
def summary_rows(r: CheckResult, lang: str) -> list[tuple[str, str]]:
    f = r.fitness
    rows = [
        (w("fitness", lang), _num(None) if f.log_fitness is None else f"{f.log_fitness:.3f}"),
        (w("fitting", lang), _pct(f.fitting_case_share)),
        (w("coverage", lang), f"{f.coverage.cases_replayed} / {f.coverage.cases} ({_pct(r.coverage_share)})"),
        (w("nonconforming", lang), str(r.nonconforming_cases)),
        (w("calendar", lang), r.calendar),
    ]
    return rows


def partial_note(r: CheckResult, lang: str) -> str | None:
    c = r.fitness.coverage
    if c.complete:
        return None
    return w("partial", lang, why=c.reason or "—", share=_pct(r.coverage_share))


def deviation_rows(r: CheckResult, lang: str, limit: int | None = None) -> list[list[str]]:
    rows = []
    for d in r.deviations[:limit]:
        kind = w("k_" + d.kind, lang) + (f" ({w('mandatory_flag', lang)})" if d.mandatory else "")
        where = ", ".join(f"{dep} {_pct(n / d.cases)}" for dep, n in d.by_department[:3])
        rows.append([kind, d.activity, str(d.cases), _pct(d.case_share), where])
    return rows


def mandatory_rows(r: CheckResult, lang: str) -> list[list[str]]:
    return [[m.pattern, ", ".join(m.steps), str(m.cases_skipped), _pct(m.share)] for m in r.mandatory]


def term_rows(r: CheckResult, lang: str) -> list[list[str]]:
    rows = []
    for t in r.terms:
        u = unit_word(t.term.unit, lang)
        cons = "; ".join(w("excess", lang, name=c.name, d=f"{c.excess:.1f}") for c in t.steps[:3] if c.excess > 0)
        deps = "; ".join(w("excess", lang, name=c.name, d=f"{c.excess:.1f}") for c in t.departments[:3] if c.excess > 0)
        over = f"{t.cases_over} ({_pct(t.share_over)})"
        if t.evidence == "insufficient":
            over = w("insufficient", lang, n=t.cases_measured)
        rows.append([
            term_name(t.term, lang), f"{t.term.amount} {u}", f"{t.cases_measured} / {t.cases}",
            over, _num(t.median_overrun), _num(t.p90_overrun), cons or "—", deps or "—",
        ])
    return rows


def _dev_headers(lang: str) -> list[str]:
    return [w(k, lang) for k in ("kind", "activity", "cases", "share", "departments")]


def _term_headers(lang: str) -> list[str]:
    return [w(k, lang) for k in ("term", "limit", "measured", "over", "median_over", "p90_over", "consumers", "dept_consumers")]


def _mand_headers(lang: str) -> list[str]:
    return [w(k, lang) for k in ("pattern", "steps", "skipped_cases", "share")]


# -- terminal -----------------------------------------------------------------------------------
def to_terminal(r: CheckResult, console: Any, lang: str) -> None:
    """Rich tables; every value is plain text (activity names may hold '[' that rich would read as markup)."""
    from rich.table import Table
    from rich.text import Text

    head = Table(title=Text(f"{w('title', lang)}: {r.log_name} ↔ {r.model_name}"), show_header=False)
    for k, v in summary_rows(r, lang):
        head.add_row(Text(k), Text(v))
    console.print(head)
    note = partial_note(r, lang)
    if note:
        console.print(Text(note, style="bold yellow"))
    for title, headers, rows in _tables(r, lang):
        if not rows:
            continue
        t = Table(title=Text(title))
        for h in headers:
            t.add_column(Text(h), overflow="fold")
        for row in rows:
            t.add_row(*(Text(c) for c in row))
        console.print(t)
    if not r.deviations:
        console.print(Text(w("no_deviations", lang)))
    for line in _matching_lines(r, lang):
        console.print(Text(line))


def _tables(r: CheckResult, lang: str) -> list[tuple[str, list[str], list[list[str]]]]:
    return [
        (w("deviations", lang), _dev_headers(lang), deviation_rows(r, lang, 30)),
        (w("mandatory", lang), _mand_headers(lang), mandatory_rows(r, lang)),
        (w("terms", lang), _term_headers(lang), term_rows(r, lang)),
    ]


def _matching_lines(r: CheckResult, lang: str) -> list[str]:
    m = r.matching
    out = []
    similar = [f"«{p.before}» → «{p.after}»" for p in m.pairs if p.how not in ("id", "label")]
    if similar:
        out.append(f"{w('matched_similar', lang)}: " + ", ".join(similar))
    if m.unmatched_activities:
        out.append(f"{w('unmatched_acts', lang)}: " + ", ".join(f"«{a}»" for a in m.unmatched_activities))
    if m.unmatched_tasks:
        out.append(f"{w('unmatched_tasks', lang)}: " + ", ".join(f"«{a}»" for a in m.unmatched_tasks))
    return out


# -- markdown -----------------------------------------------------------------------------------
def _md_table(headers: list[str], rows: list[list[str]]) -> str:
    def cell(s: str) -> str:
        return str(s).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(map(cell, headers)) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(map(cell, row)) + " |" for row in rows]
    return "\n".join(lines)


def to_markdown(r: CheckResult, lang: str) -> str:
    parts = [f"## gosupr check: {r.log_name} ↔ {r.model_name}", "", _md_table(["", ""], [list(x) for x in summary_rows(r, lang)])]
    note = partial_note(r, lang)
    if note:
        parts += ["", f"**{note}**"]
    for title, headers, rows in _tables(r, lang):
        if rows:
            parts += ["", f"### {title}", "", _md_table(headers, rows)]
    if not r.deviations:
        parts += ["", w("no_deviations", lang)]
    lines = _matching_lines(r, lang)
    if lines:
        parts += [""] + [f"- {x}" for x in lines]
    return "\n".join(parts) + "\n"


# -- JSON ---------------------------------------------------------------------------------------
def document(r: CheckResult, audit: dict[str, Any] | None = None) -> dict[str, Any]:
    m = r.matching
    return jsondoc.document(SCHEMA, {
        "log": r.log_name,
        "model": r.model_name,
        "regulation": r.regulation_source,
        "cases": r.cases,
        "events": r.events,
        "fitness": r.fitness.to_dict(),
        "coverage_share": round(r.coverage_share, 6),
        "nonconforming_cases": r.nonconforming_cases,
        "mandatory_skipped_cases": r.mandatory_skipped,
        "calendar": r.calendar,
        "matching": {
            "pairs": [p.to_dict() for p in m.pairs],
            "unmatched_activities": list(m.unmatched_activities),
            "unmatched_tasks": list(m.unmatched_tasks),
        },
        "deviations": [d.to_dict() for d in r.deviations],
        "mandatory": [x.to_dict() for x in r.mandatory],
        "terms": [t.to_dict() for t in r.terms],
        **({"audit": audit} if audit is not None else {}),
    })


def to_json(r: CheckResult, audit: dict[str, Any] | None = None) -> str:
    return jsondoc.dumps(document(r, audit))


# -- cases CSV ----------------------------------------------------------------------------------
def cases_csv(r: CheckResult, lang: str) -> str:
    """Each non-conforming case: its deviations, skipped mandatory steps and term overruns.

    `;`-separated with a UTF-8 byte order mark, so a spreadsheet opens the Cyrillic as written."""
    import pandas as pd

    pc = r.per_case
    dev = pd.Series(dtype=object)
    mand = pd.Series(dtype=object)
    if not pc.empty:
        txt = pc["kind"].map(lambda k: w("k_" + k, lang)) + ": " + pc["activity"].astype(str)
        dev = txt.groupby(pc["case_id"], sort=True).agg(lambda s: "; ".join(dict.fromkeys(s)))
        sk = pc[(pc["kind"] == "skipped") & pc["mandatory"]]
        mand = sk["activity"].astype(str).groupby(sk["case_id"], sort=True).agg(lambda s: "; ".join(dict.fromkeys(s)))
    over_parts = []
    for t in r.terms:
        if t.per_case is None:
            continue
        o = t.per_case[t.per_case["overrun"] > 0]
        label = term_name(t.term, lang)
        u = unit_word(t.term.unit, lang)
        over_parts.append(pd.Series(
            (label + ": " + o["days"].astype(str) + " " + u + " (+" + o["overrun"].astype(str) + ")").to_numpy(),
            index=o["case_id"].to_numpy(), dtype=object,
        ))
    overs = pd.concat(over_parts) if over_parts else pd.Series(dtype=object)
    overs = overs.groupby(level=0, sort=True).agg("; ".join) if len(overs) else overs
    cases = sorted(set(dev.index) | set(overs.index), key=str)
    headers = ["case_id", "deviations", "mandatory_skipped", "overruns"] if lang != "ru" else \
        ["Номер дела", "Отклонения", "Пропущены обязательные шаги", "Просрочки"]
    buf = io.StringIO()
    wr = csv.writer(buf, delimiter=";", lineterminator="\n")
    wr.writerow(headers)
    for c in cases:
        wr.writerow([c, dev.get(c, ""), mand.get(c, ""), overs.get(c, "")])
    return "\ufeff" + buf.getvalue()
