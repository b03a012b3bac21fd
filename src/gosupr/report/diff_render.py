"""`gosupr compare` output: terminal tables, Markdown for pull-request comments, gosupr.diff/2 JSON.

Words only: every number comes from `ModelDiff`. English by default, Russian with lang="ru".
"""

from __future__ import annotations

from typing import Any

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from gosupr.mining.compare.models import ModelDiff
from gosupr.report import jsondoc
from gosupr.report.i18n import fmt_duration
from gosupr.report.markdown import code as md_code
from gosupr.report.markdown import table as md_table
from gosupr.report.markdown import text as md_text
from gosupr.report.terminal import plain

SCHEMA = "gosupr.diff/2"
LAYOUT_ROWS = 30  # layout changes listed in full up to this many; counts always

_W: dict[str, tuple[str, str]] = {
    "title": ("Model comparison", "Сравнение моделей"),
    "no_changes": ("No changes", "Изменений нет"),
    "layout_only": ("No behavioural change; {n} layout change(s)", "Поведение не изменилось; изменений оформления: {n}"),
    "changed": ("{b} behavioural change(s), {l} layout change(s)", "Изменений поведения: {b}, оформления: {l}"),
    "elements": ("Steps, events and gateways", "Задачи, события и шлюзы"),
    "flows": ("Flows", "Потоки"),
    "containers": ("Lanes and pools", "Дорожки и пулы"),
    "layout": ("Layout only (no behavioural effect)", "Только оформление (поведение не меняется)"),
    "metrics": ("Model metrics", "Показатели модели"),
    "replay": ("Replay of the log", "Воспроизведение журнала"),
    "removed_used": ("Removed steps the log executes", "Удалённые шаги, которые есть в журнале"),
    "change": ("Change", "Изменение"),
    "kind": ("Kind", "Вид"),
    "element": ("Element", "Элемент"),
    "name": ("Name", "Название"),
    "was": ("Before", "Было"),
    "now": ("After", "Стало"),
    "how": ("Matched by", "Сопоставлено по"),
    "from": ("From", "Откуда"),
    "to": ("To", "Куда"),
    "detail": ("Detail", "Подробности"),
    "metric": ("Metric", "Показатель"),
    "delta": ("Change", "Изменение"),
    "activity": ("Activity", "Операция"),
    "cases": ("Cases", "Дела"),
    "share": ("Share of cases", "Доля дел"),
    "median_time": ("Median time per case", "Медианное время на дело"),
    "total_time": ("Total time", "Суммарное время"),
    "fitness": ("Fitness", "Соответствие (fitness)"),
    "fit_share": ("Cases that fit", "Доля дел, укладывающихся в модель"),
    "not_in_log": ("Removed steps not seen in the log", "Удалённые шаги, которых нет в журнале"),
    "more": ("… and {n} more", "… и ещё {n}"),
    "closest": ("closest", "ближайший"),
    "explain": ("Why not paired", "Почему не сопоставлено"),
    "before_model": ("before", "было"),
    "after_model": ("after", "стало"),
    # element and flow changes
    "removed": ("removed", "удалено"),
    "added": ("added", "добавлено"),
    "renamed": ("renamed", "переименовано"),
    "type-changed": ("type changed", "изменён тип"),
    "lane-changed": ("moved to another lane", "перенесено в другую дорожку"),
    "pool-changed": ("moved to another pool", "перенесено в другой пул"),
    "parent-changed": ("moved to another sub-process", "перенесено в другой подпроцесс"),
    "attachment-changed": ("attached elsewhere", "прикреплено к другому элементу"),
    "condition-changed": ("condition changed", "изменено условие"),
    # layout changes
    "shifted": ("whole diagram shifted", "вся диаграмма сдвинута"),
    "moved": ("moved", "перемещено"),
    "resized": ("resized", "изменён размер"),
    "waypoints": ("re-routed", "изменён маршрут линии"),
    "shape-added": ("now drawn", "добавлено на диаграмму"),
    "shape-removed": ("no longer drawn", "убрано с диаграммы"),
    "label-spelling": ("label spelling", "написание подписи"),
    "label-default": ("name left to the tool", "название по умолчанию"),
    "container-added": ("drawn around the same steps", "добавлено вокруг тех же шагов"),
    "container-removed": ("no longer drawn around the steps", "больше не рисуется вокруг шагов"),
    "marker-changed": ("loop marker changed", "изменён маркер цикла"),
    "default-changed": ("default flow changed", "изменён поток по умолчанию"),
    "type+context": ("type + place in flow", "тип + место в потоке"),
    # kinds
    "task": ("task", "задача"),
    "subprocess": ("sub-process", "подпроцесс"),
    "event": ("event", "событие"),
    "gateway": ("gateway", "шлюз"),
    "artifact": ("artifact", "артефакт"),
    "sequence": ("sequence flow", "поток управления"),
    "message": ("message flow", "поток сообщений"),
    "association": ("association", "ассоциация"),
    "flow": ("flow", "поток"),
    "lane": ("lane", "дорожка"),
    "pool": ("pool", "пул"),
    "diagram": ("diagram", "диаграмма"),
    # how a match was made
    "id": ("id", "идентификатор"),
    "label": ("label", "подпись"),
    "similar-label+context": ("similar label + place in flow", "похожая подпись + место в потоке"),
    "endpoints": ("endpoints", "концы"),
    "content": ("content", "содержимое"),
}
METRIC_NAMES: dict[str, tuple[str, str]] = {
    "tasks": ("Tasks", "Задачи"),
    "gateways": ("Gateways", "Шлюзы"),
    "events": ("Events", "События"),
    "sequence_flows": ("Sequence flows", "Потоки управления"),
    "cfc": ("Control-flow complexity (CFC)", "Сложность потока управления (CFC)"),
    "cnc": ("Coefficient of network connectivity (CNC)", "Связность (CNC)"),
    "density": ("Density", "Плотность"),
    "paths": ("Start-to-end paths", "Пути от начала до конца"),
    "subprocesses": ("Sub-processes", "Подпроцессы"),
    "size": ("Flow nodes", "Элементы потока"),
    "cfc_xor": ("CFC of XOR splits", "CFC исключающих ветвлений"),
    "cfc_or": ("CFC of OR splits", "CFC включающих ветвлений"),
    "cfc_and": ("CFC of AND splits", "CFC параллельных ветвлений"),
    "paths_log10": ("Start-to-end paths (log10)", "Пути от начала до конца (log10)"),
    "lanes": ("Lanes", "Дорожки"),
    "lane_handovers": ("Handovers between lanes", "Передачи между дорожками"),
}


HEADLINE_METRICS = ("tasks", "gateways", "sequence_flows", "cfc", "cnc", "density", "paths", "lane_handovers")


def w(key: str, lang: str = "en", **kw: Any) -> str:
    pair = _W.get(key)
    text = key if pair is None else (pair[1] if lang == "ru" else pair[0])
    return text.format(**kw) if kw else text


def metric_name(key: str, lang: str = "en") -> str:
    pair = METRIC_NAMES.get(key)
    return key.replace("_", " ") if pair is None else (pair[1] if lang == "ru" else pair[0])


# -- JSON -----------------------------------------------------------------------------------------
def diff_document(diff: ModelDiff, explanations: list | None = None) -> dict[str, Any]:
    """The gosupr.diff/2 document: schema, tool versions, summary, then the lists. Deterministic.

    /2 (from /1): pairings carry `matched_by` (was `how`) and a score; flows added or removed carry
    their `condition`; new changes marker-changed, default-changed; spelling-only and placeholder
    names, pool-wide lanes and pools drawn around the same process moved to `layout`.
    With `explanations` (compare --explain), an `explain` list says why unpaired elements were not paired.
    """
    body = diff.to_dict()
    ordered = {"summary": body.pop("summary")}
    ordered.update(body)
    if explanations is not None:
        ordered["explain"] = [e.to_dict() for e in explanations]
    return jsondoc.document(SCHEMA, ordered)


def diff_json(diff: ModelDiff, explanations: list | None = None) -> str:
    return jsondoc.dumps(diff_document(diff, explanations))


def explain_lines(explanations: list, lang: str = "en") -> list[str]:
    """One line per added or removed element: the closest candidate and why it was not paired."""
    out = []
    for e in explanations:
        head = f"{w(e.change, lang)} «{' '.join(e.name.split())}»"
        if e.closest_name is not None:
            head += f" — {w('closest', lang)} «{' '.join(e.closest_name.split())}»"
        out.append(f"{head}: " + "; ".join(_reason(r, lang) for r in e.reasons))
    return out


_REASONS_RU = {
    "no-candidate": "в другой модели не {side} ни одного элемента того же класса",
    "other-class": "«{name}» — {other_type}, а этот — {own_type}: элементы разных классов не сопоставляются",
    "parents-unpaired": "их подпроцессы не сопоставлены",
    "label-low": "сходство подписей {label:.2f} < {weak:.2f}",
    "label-and-place-low": "сходство подписей {label:.2f} < {strong:.2f} и место в потоке {context:.2f} < {min_context:.2f}",
    "rename-needs-neighbours": "переименованный элемент сопоставляется, только если сопоставлены все соседи (место в потоке {context:.2f})",
    "unnamed-place-low": "названия нет или оно шаблонное, решает место в потоке: {context:.2f} < {min_context:.2f}",
    "outscored": "другая пара набрала больше",
}


def _reason(r: dict[str, Any], lang: str) -> str:
    if lang != "ru" or r.get("code") not in _REASONS_RU:
        return str(r.get("text", ""))
    values = {k: v for k, v in r.items() if k not in ("code", "text")}
    if "side" in values:
        values["side"] = "добавлено" if values["side"] == "added" else "удалено"
    return _REASONS_RU[str(r["code"])].format(**values)


# -- rows shared by terminal and Markdown ------------------------------------------------------------
def verdict(diff: ModelDiff, lang: str = "en") -> str:
    if diff.unchanged:
        return w("no_changes", lang)
    if diff.behavioural_changes == 0:
        return w("layout_only", lang, n=diff.layout_changes)
    return w("changed", lang, b=diff.behavioural_changes, l=diff.layout_changes)


def _v(x: Any) -> str:
    return "" if x is None else str(x)


def _how(how: str | None, score: float | None, lang: str) -> str:
    if not how:
        return ""
    scored = how in ("similar-label+context", "type+context", "content")
    return w(how, lang) + (f" ({score:.2f})" if scored and score is not None else "")


def element_rows(diff: ModelDiff, lang: str = "en") -> list[list[str]]:
    def was_now(c: Any) -> tuple[str, str]:  # an added or removed step's name is already in the Name column
        return ("", "") if c.change in ("added", "removed") else (_v(c.before), _v(c.after))

    return [
        [w(c.change, lang), w(c.kind, lang), c.name or f"[{c.type}]", *was_now(c), _how(c.how, c.score, lang)]
        for c in diff.elements
    ]


def flow_rows(diff: ModelDiff, lang: str = "en") -> list[list[str]]:
    def side(label: str | None, c: Any) -> str:  # an added or removed flow shows the condition it carries
        cond = f"[{c.condition}]" if c.condition else ""
        return " ".join(x for x in (_v(label), cond) if x)

    return [
        [w(c.change, lang), w(c.kind, lang), c.source, c.target, side(c.before, c) if c.change == "removed" else _v(c.before),
         side(c.after, c) if c.change == "added" else _v(c.after)]
        for c in diff.flows
    ]


def container_rows(diff: ModelDiff, lang: str = "en") -> list[list[str]]:
    return [[w(c.change, lang), w(c.kind, lang), c.name, _v(c.before), _v(c.after)] for c in diff.containers]


def _detail(d: dict[str, Any], lang: str = "en") -> str:
    def key(k: str) -> str:
        return w(f"{k}_model", lang) if k in ("before", "after") else k

    return ", ".join(f"{key(k)} {v}" if isinstance(v, (int, float)) else f"{key(k)}: {v}" for k, v in d.items())


def layout_rows(diff: ModelDiff, lang: str = "en") -> list[list[str]]:
    rows = [[w(c.change, lang), w(c.element, lang), c.name, _detail(c.detail, lang)] for c in diff.layout[:LAYOUT_ROWS]]
    if len(diff.layout) > LAYOUT_ROWS:
        rows.append([w("more", lang, n=len(diff.layout) - LAYOUT_ROWS), "", "", ""])
    return rows


def _num(x: Any) -> str:
    if x is None:
        return "—"
    if isinstance(x, bool):
        return str(x)
    if isinstance(x, float):
        return f"{x:.3f}".rstrip("0").rstrip(".") if x != int(x) else str(int(x))
    return str(x)


def _delta(x: Any) -> str:
    if x is None:
        return ""
    if x == 0:
        return "0"
    return ("+" if x > 0 else "") + _num(x)


def metric_rows(diff: ModelDiff, lang: str = "en") -> list[list[str]]:
    """The headline metrics always; the others (CFC parts, sizes) only when they changed."""
    return [
        [metric_name(k, lang), _num(m.before), _num(m.after), _delta(m.delta)]
        for k, m in diff.metrics.items()
        if k in HEADLINE_METRICS or m.before != m.after
    ]


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _pp(x: float, lang: str) -> str:
    """A change of a share, in percentage points."""
    return f"{100 * x:+.1f} {'п.п.' if lang == 'ru' else 'pp'}" if abs(x) >= 0.0005 else "0"


def replay_rows(diff: ModelDiff, lang: str = "en") -> list[list[str]]:
    r = diff.replay
    if r is None:
        return []
    return [
        [w("fitness", lang), f"{r.fitness_before:.3f}", f"{r.fitness_after:.3f}", _delta(round(-r.fitness_drop, 3))],
        [w("fit_share", lang), _pct(r.fit_share_before), _pct(r.fit_share_after), _pp(r.fit_share_after - r.fit_share_before, lang)],
    ]


def step_rows(diff: ModelDiff, lang: str = "en") -> list[list[str]]:
    r = diff.replay
    if r is None:
        return []
    return [
        [s.activity, str(s.cases), _pct(s.case_share), fmt_duration(s.median_time_s, lang), fmt_duration(s.total_time_s, lang)]
        for s in r.removed_executed
    ]


def sections(diff: ModelDiff, lang: str) -> list[tuple[str, list[str], list[list[str]]]]:
    """(title, headers, rows) of every non-empty section, in reading order."""

    def h(*keys: str) -> list[str]:
        return [w(k, lang) for k in keys]

    out = [
        (w("elements", lang), h("change", "kind", "name", "was", "now", "how"), element_rows(diff, lang)),
        (w("flows", lang), h("change", "kind", "from", "to", "was", "now"), flow_rows(diff, lang)),
        (w("containers", lang), h("change", "kind", "name", "was", "now"), container_rows(diff, lang)),
        (w("metrics", lang), h("metric", "before_model", "after_model", "delta"), metric_rows(diff, lang)),
    ]
    if diff.replay is not None:
        out.append((w("replay", lang), h("metric", "before_model", "after_model", "delta"), replay_rows(diff, lang)))
        out.append((w("removed_used", lang), h("activity", "cases", "share", "median_time", "total_time"), step_rows(diff, lang)))
    out.append((w("layout", lang), h("change", "element", "name", "detail"), layout_rows(diff, lang)))
    return [s for s in out if s[2]]


# -- terminal -------------------------------------------------------------------------------------
def diff_table(diff: ModelDiff, lang: str = "en", explanations: list | None = None) -> list[RenderableType]:
    """Renderables for `console.print(*diff_table(diff))`: a verdict line, then one table per section."""
    style = "green" if diff.unchanged else ("yellow" if diff.behavioural_changes == 0 else "bold")
    out: list[RenderableType] = [Text(plain(f"{w('title', lang)}: {diff.before_name} → {diff.after_name} — {verdict(diff, lang)}"), style=style)]
    for title, headers, rows in sections(diff, lang):
        t = Table(title=title, title_justify="left", show_lines=False)
        for hd in headers:
            t.add_column(hd, overflow="fold")
        for r in rows:
            t.add_row(*r)
        out.append(t)
    if diff.replay is not None and diff.replay.removed_not_in_log:
        out.append(Text(plain(f"{w('not_in_log', lang)}: " + ", ".join(diff.replay.removed_not_in_log))))
    if explanations:
        out.append(Text(plain("\n".join([w("explain", lang) + ":"] + ["  " + x for x in explain_lines(explanations, lang)]))))
    return out


# -- Markdown -------------------------------------------------------------------------------------
def diff_markdown(diff: ModelDiff, lang: str = "en", explanations: list | None = None) -> str:
    """A pull-request comment: verdict first, then the tables; layout-only changes last."""
    parts = [f"### {w('title', lang)}: {md_code(diff.before_name)} → {md_code(diff.after_name)}\n", f"**{md_text(verdict(diff, lang))}**\n"]
    for title, headers, rows in sections(diff, lang):
        parts.append(f"#### {title}\n")
        parts.append(md_table(headers, rows))
    if diff.replay is not None and diff.replay.removed_not_in_log:
        parts.append(f"{w('not_in_log', lang)}: " + ", ".join(map(md_text, diff.replay.removed_not_in_log)) + "\n")
    if explanations:
        parts.append(f"#### {w('explain', lang)}\n")
        parts.append("\n".join(f"- {md_text(x)}" for x in explain_lines(explanations, lang)) + "\n")
    return "\n".join(parts)
