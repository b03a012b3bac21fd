"""`gosupr compare BEFORE_LOG AFTER_LOG` output: figures with intervals, the plan, waste, conformance.

Words only: every number comes from `mining.effect.Effect`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gosupr.durations import format_duration_json_v1
from gosupr.mining.compare.effect import MIN_CASES, SCHEMA, Effect, Figure
from gosupr.report import jsondoc, markdown
from gosupr.report.findings_render import kind_name
from gosupr.report.i18n import fmt_duration

# figure key -> (en, ru, kind of value)
LABELS: dict[str, tuple[str, str, str]] = {
    "steps_per_case": ("Steps per case (mean)", "Шагов на дело (среднее)", "num"),
    "case_duration_median_s": ("Case duration (median)", "Длительность дела (медиана)", "dur"),
    "case_duration_p90_s": ("Case duration (P90)", "Длительность дела (P90)", "dur"),
    "department_handovers_per_case": ("Handovers between departments per case", "Передач между подразделениями на дело", "num"),
    "staff_hours_per_case": ("Staff hours per case", "Человеко-часов на дело", "num"),
    "outcome": ("Outcome", "Исход", "share"),
    "variant": ("Variant", "Вариант", "share"),
    "edge": ("Edge", "Переход", "num"),
    "plan": ("Planned removal", "Запланированное удаление", "share"),
    "pattern": ("New waste", "Новые потери", "share"),
}
VERDICTS = {
    "realised": ("realised", "выполнено"),
    "partial": ("partly realised", "выполнено частично"),
    "not_realised": ("not realised", "не выполнено"),
    "insufficient_evidence": ("insufficient evidence", "недостаточно данных"),
}


NOTES = {
    "missing:department_handovers_per_case": ("Handovers between departments: a log has no department column.",
                                              "Передачи между подразделениями: в журнале нет подразделений."),
    "missing:staff_hours_per_case": ("Staff time: a log has neither resources nor start times to estimate it from.",
                                     "Трудозатраты: в журнале нет ни исполнителей, ни времени начала, чтобы их оценить."),
    "insufficient_evidence": ("Insufficient evidence: a log has fewer than {n} cases; no change is called significant.",
                              "Недостаточно данных: в журнале меньше {n} дел; ни одно изменение не признано значимым."),
}


def note_text(code: str, lang: str) -> str:
    en, ru = NOTES.get(code, (code, code))
    return (ru if lang == "ru" else en).format(n=MIN_CASES)


def _w(en: str, ru: str, lang: str) -> str:
    return ru if lang == "ru" else en


def value(v: float | None, kind: str, lang: str, signed: bool = False,
          dur: Callable[[float | None, str], str] = fmt_duration) -> str:
    if v is None:
        return "—"
    if kind == "dur":
        s = dur(abs(v) if signed else v, lang)
        return (("+" if v > 0 else "−" if v < 0 else "±") + s) if signed else s
    if kind == "share":
        return f"{100 * v:+.1f} {'п. п.' if lang == 'ru' else 'pp'}" if signed else f"{100 * v:.1f}%"
    return f"{v:+.3g}" if signed else f"{v:.3g}"


def _kind(f: Figure) -> str:
    return LABELS.get(f.key, LABELS.get(f.group, ("", "", "num")))[2]


def _name(f: Figure, lang: str) -> str:
    en, ru, _ = LABELS.get(f.key, LABELS.get(f.group, (f.key, f.key, "num")))
    base = _w(en, ru, lang)
    if f.group == "variant":
        return f"{base} {f.detail.get('number', '')} ({f.detail.get('steps')} {_w('steps', 'шагов', lang)})"
    return f"{base}: {f.name}" if f.name and f.group != "work" else base


def variant_rows(e: Effect, lang: str) -> list[list[str]]:
    """The variants the table numbers, spelled out."""
    return [[str(f.detail.get("number", "")), f.name] for f in e.by_group("variant")]


def variant_hints(e: Effect, lang: str) -> dict[str, str]:
    """Per variant number, what sets it apart from the usual path: steps most compared variants
    lack (+, ×n when repeated) and steps most have that it lacks (−), so a chart label tells
    variants apart without spelling out twenty steps."""
    figs = e.by_group("variant")
    traces = [tuple(f.detail.get("trace") or ()) for f in figs]
    seen: dict[str, int] = {}
    for t in traces:
        for a in dict.fromkeys(t):
            seen[a] = seen.get(a, 0) + 1
    usual = [a for a, k in seen.items() if 2 * k > len(traces)]
    out = {}
    for f, t in zip(figs, traces):
        counts: dict[str, int] = {}
        for a in t:
            counts[a] = counts.get(a, 0) + 1
        plus = [f"+{a}" + (f" ×{counts[a]}" if counts[a] > 1 else "") for a in counts if a not in usual or counts[a] > 1]
        minus = [f"−{a}" for a in usual if a not in counts]
        what = "; ".join(plus + minus) or _w("the usual path", "обычный путь", lang)
        out[str(f.detail.get("number"))] = f"{len(t)} {_w('steps', 'шагов', lang)}: {what}"
    return out

def _yes(f: Figure, lang: str) -> str:
    if not f.tested:
        return _w("not tested", "не проверялось", lang)
    return _w("yes", "да", lang) if f.significant else _w("no", "нет", lang)


def figure_row(f: Figure, lang: str) -> list[str]:
    k = _kind(f)
    ci = f"[{value(f.low, k, lang, True)}, {value(f.high, k, lang, True)}]"
    return [_name(f, lang), value(f.before, k, lang), value(f.after, k, lang), value(f.change, k, lang, True), ci, _yes(f, lang)]


def heads(lang: str) -> list[str]:
    return [_w("Figure", "Показатель", lang), _w("Before", "До", lang), _w("After", "После", lang),
            _w("Change", "Изменение", lang), _w("95% interval", "95% интервал", lang), _w("Significant", "Значимо", lang)]


def figure_rows(e: Effect, lang: str) -> list[list[str]]:
    """Work figures, outcomes, top variants, and the edges that changed significantly."""
    figs = [f for f in e.figures if f.group in ("work", "outcome", "variant")]
    figs += [f for f in e.figures if f.group == "edge" and f.significant]
    return [figure_row(f, lang) for f in figs]


def plan_rows(e: Effect, lang: str) -> list[list[str]]:
    if e.plan is None:
        return []
    out = []
    for r in e.plan.removals:
        f = r.figure
        ci = f"[{value(f.low, 'share', lang, True)}, {value(f.high, 'share', lang, True)}]"
        kind = _w("step", "шаг", lang) if r.removal.kind == "step" else kind_name(r.removal.kind, lang)
        out.append([" → ".join(r.removal.activities), kind, value(f.before, "share", lang),
                    value(f.after, "share", lang), ci, _w(*VERDICTS[r.verdict], lang)])
    return out


def plan_heads(lang: str) -> list[str]:
    return [_w("Planned removal", "Запланированное удаление", lang), _w("Kind", "Вид", lang),
            _w("Cases with it before", "Дел с ним до", lang), _w("After", "После", lang),
            _w("95% interval", "95% интервал", lang), _w("Verdict", "Итог", lang)]


def plan_text(e: Effect, lang: str) -> str | None:
    """"7 of 9 planned removals realised; «…» still done in 64% of cases"."""
    p = e.plan
    if p is None:
        return None
    s = (f"{p.realised} из {p.planned} запланированных удалений выполнено" if lang == "ru"
         else f"{p.realised} of {p.planned} planned removals realised")
    still = [r for r in p.removals if r.verdict in ("partial", "not_realised")]
    for r in still:
        label = f"«{' → '.join(r.removal.activities)}»"
        share = value(r.figure.after, "share", lang)
        s += (f"; {label} всё ещё в {share} дел" if lang == "ru" else f"; {label} still done in {share} of cases")
    thin = p.planned - p.assessed
    if thin:
        s += f" ({thin} — недостаточно данных)" if lang == "ru" else f" ({thin} without enough evidence)"
    return s + "."


def effect_sentence(e: Effect, lang: str, dur: Callable[[float | None, str], str] = fmt_duration) -> str:
    """The effect in one sentence (the `headline` text of the gosupr.effect document and the reports);
    `dur` words durations (the JSON document keeps its schema's frozen wording)."""
    parts = []
    med = e.figure("case_duration_median_s")
    if med is not None and med.change is not None:
        sig = (_w("insufficient evidence", "недостаточно данных", lang) if not med.tested
               else _w("significant", "значимо", lang) if med.significant else _w("not significant", "незначимо", lang))
        parts.append(_w("median case", "медианное дело", lang) +
                     f" {value(med.before, 'dur', lang, dur=dur)} → {value(med.after, 'dur', lang, dur=dur)} ({sig})")
    tv = e.outcome_tv
    if tv.get("value") is not None:
        parts.append(_w("outcome shift (TV)", "сдвиг исходов (TV)", lang) +
                     f" {100 * tv['value']:.1f}% [{100 * tv['low']:.1f}%, {100 * tv['high']:.1f}%]")
    new = [f for f in e.appeared if f.significant]
    if new:
        parts.append(_w("new waste", "новые потери", lang) + ": " + "; ".join(f"«{f.name}»" for f in new))
    pt = plan_text(e, lang)
    rest = "; ".join(parts)
    return (pt + " " if pt else "") + (rest[:1].upper() + rest[1:] + "." if rest else "")


def waste_rows(e: Effect, lang: str) -> list[list[str]]:
    rows = []
    for f in e.appeared:
        if not f.tested:
            continue
        ci = f"[{value(f.low, 'share', lang, True)}, {value(f.high, 'share', lang, True)}]"
        rows.append([kind_name(f.detail.get("kind", ""), lang), f.name, value(f.before, "share", lang), value(f.after, "share", lang), ci,
                     _w("appeared", "появилось", lang) if f.significant else _yes(f, lang)])
    for g in e.gone:
        rows.append([kind_name(g["kind"], lang), " → ".join(g["activities"]), f"{g['cases_before']}", "—", "—", _w("gone", "исчезло", lang)])
    return rows


def waste_heads(lang: str) -> list[str]:
    return [_w("Kind", "Вид", lang), _w("Activities", "Операции", lang), _w("Cases before", "Дел до", lang),
            _w("After", "После", lang), _w("95% interval", "95% интервал", lang), _w("Verdict", "Итог", lang)]


def conformance_rows(e: Effect, lang: str) -> list[list[str]]:
    c = e.conformance
    if not c:
        return []
    return [[_w(en, ru, lang), f"{c['before'][k]:.3f}", f"{c['after'][k]:.3f}"]
            for k, en, ru in (("fitness", "Fitness to the to-be model", "Соответствие модели «как будет»"),
                              ("fitting_case_share", "Cases that fit", "Дела, которые ей соответствуют"))]


def _sections(e: Effect, lang: str) -> list[tuple[str, list[str], list[list[str]]]]:
    out = [(_w("Before / after", "До и после", lang), heads(lang), figure_rows(e, lang))]
    if e.plan is not None:
        out.append((_w("The plan", "План", lang), plan_heads(lang), plan_rows(e, lang)))
    waste = waste_rows(e, lang)
    if waste:
        out.append((_w("Waste after the reform", "Потери после реформы", lang), waste_heads(lang), waste))
    if e.conformance:
        out.append((_w("Conformance", "Соответствие", lang), ["", _w("Before", "До", lang), _w("After", "После", lang)],
                    conformance_rows(e, lang)))
    return out


def method_text(e: Effect, lang: str) -> str:
    if lang == "ru":
        return (f"Бутстреп по делам, {e.replicates} повторов, seed {e.seed}; значимо — 95% интервал не содержит 0 и "
                f"поправка Холма (α/2 на показатели работы, α/2 на остальные; групповая ошибка ≤ {e.alpha:.0%}); "
                f"сравнено переходов: {e.edges_compared}, показаны значимые.")
    return (f"Case bootstrap, {e.replicates} replicates, seed {e.seed}; significant = the 95% interval excludes 0 and "
            f"Holm's correction (α/2 over the work figures, α/2 over the rest; family-wise error ≤ {e.alpha:.0%}); "
            f"{e.edges_compared} edges compared, the significant ones shown.")


def title(e: Effect, lang: str) -> str:
    b, a = e.before, e.after
    return f"{b['name']} ({b['cases']} {_w('cases', 'дел', lang)}) → {a['name']} ({a['cases']} {_w('cases', 'дел', lang)})"


def _rich_table(heading: str, columns: list[str], rows: list[list[str]]) -> Any:
    from rich.table import Table

    tab = Table(title=heading, title_justify="left")
    for i, h in enumerate(columns):
        tab.add_column(h, justify="right" if i else "left", overflow="fold")
    for r in rows:
        tab.add_row(*r)
    return tab


def to_terminal(e: Effect, console: Any, lang: str) -> None:
    console.print(f"[bold]{title(e, lang)}[/bold]")
    for heading, columns, rows in _sections(e, lang):
        console.print(_rich_table(heading, columns, rows))
    vr = variant_rows(e, lang)
    if vr:
        console.print(_rich_table(_w("Variants", "Варианты", lang), ["#", _w("Steps", "Шаги", lang)], vr))
    for n in e.notes:
        console.print(note_text(n, lang))
    console.print(method_text(e, lang))
    console.print(f"[bold]{effect_sentence(e, lang)}[/bold]")


def to_markdown(e: Effect, lang: str) -> str:
    out = [f"### {_w('Effect of the reform', 'Эффект реформы', lang)}: {title(e, lang)}", "", f"**{effect_sentence(e, lang)}**", ""]
    for heading, columns, rows in _sections(e, lang):
        out += [f"#### {heading}", "", markdown.table(columns, rows)]
    vr = variant_rows(e, lang)
    if vr:
        out += [f"<details><summary>{_w('Variants', 'Варианты', lang)}</summary>", "",
                markdown.table(["#", _w("Steps", "Шаги", lang)], vr), "</details>", ""]
    out += [f"_{method_text(e, lang)}_", ""]
    out += [f"- {note_text(n, lang)}" for n in e.notes]
    return "\n".join(out).rstrip("\n") + "\n"


def document(e: Effect, gates: list[str] | None = None, violated: list[str] | None = None) -> dict[str, Any]:
    body = e.to_dict()
    body["headline"] = effect_sentence(e, "en", format_duration_json_v1)
    body["gates"] = {"checked": list(gates or []), "violated": list(violated or [])}
    return jsondoc.document(SCHEMA, body)


def dumps(e: Effect, gates: list[str] | None = None, violated: list[str] | None = None) -> str:
    return jsondoc.dumps(document(e, gates, violated))
