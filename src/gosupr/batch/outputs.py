"""summary.json for machines and summary.md for people (CI page, PR comment); a rich table for terminals.

Deterministic: inputs in sorted order, rounded numbers, labels instead of absolute paths, and no
times unless the batch ran with timings.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from gosupr.report import markdown as md

if TYPE_CHECKING:
    from gosupr.batch.runner import BatchResult

SCHEMA = "gosupr.batch/1"

_WORDS: dict[str, tuple[str, str]] = {
    "title": ("gosupr batch", "gosupr: пакетная проверка"),
    "inputs": ("inputs", "входов"),
    "ok": ("ok", "в порядке"),
    "gate-failed": ("gate failed", "не прошёл проверку"),
    "failed": ("failed", "ошибка"),
    "exit": ("exit code", "код выхода"),
    "input": ("Input", "Вход"),
    "type": ("Type", "Тип"),
    "status": ("Status", "Статус"),
    "cases": ("Cases", "Дела"),
    "events": ("Events", "События"),
    "findings": ("Findings", "Находки"),
    "removable": ("Removable events", "Устранимые события"),
    "removable_short": ("Removable", "Устранимо"),
    "fitness": ("Fitness", "Соответствие"),
    "gates": ("Gates", "Проверки"),
    "time": ("Time, s", "Время, с"),
    "log": ("log", "журнал"),
    "model": ("model", "модель"),
    "effect": ("before → after", "до → после"),
    "missing": ("missing", "нет файла"),
    "passed": ("passed", "пройдено"),
    "problems": ("Problems", "Проблемы"),
    "gate": ("gate", "проверка"),
    "none": ("no gates", "нет проверок"),
}
_ICON = {"ok": "✅", "gate-failed": "❌", "failed": "⛔"}


def _w(key: str, lang: str) -> str:
    en, ru = _WORDS[key]
    return ru if lang == "ru" else en


def summary_document(result: BatchResult) -> dict[str, Any]:
    from gosupr.report.jsondoc import document

    cfg = result.config
    body: dict[str, Any] = {
        "config": display_path(cfg.source) if cfg.source else None,
        "settings": {"noise": cfg.noise, "accept": list(cfg.accept) if cfg.accept is not None else None},
        "gates": cfg.gates.to_dict(),
        "exit_code": result.exit_code,
        "totals": result.totals,
        "inputs": result.inputs,
    }
    if cfg.engine is not None:  # only when set: summaries of batches without [engine] stay as they were
        body["settings"]["engine"] = cfg.engine.to_dict()
    if result.seconds is not None:
        body["seconds"] = result.seconds
    return document(SCHEMA, body)


def summary_markdown(result: BatchResult, lang: str = "en") -> str:
    t = result.totals
    head = (
        f"## {_w('title', lang)}\n\n"
        f"**{t['inputs']} {_w('inputs', lang)}: {t['ok']} {_w('ok', lang)}, {t['gate-failed']} {_w('gate-failed', lang)}, "
        f"{t['failed']} {_w('failed', lang)}** · {_w('exit', lang)} {result.exit_code}\n\n"
    )
    headers = [_w(k, lang) for k in ("input", "type", "status", "cases", "events", "findings", "removable", "fitness", "gates")]
    timed = result.seconds is not None
    if timed:
        headers.append(_w("time", lang))
    rows = []
    for r in result.inputs:
        h = r.get("headline") or {}
        row = [
            md.code(r["input"]),
            _w(r["kind"], lang),
            f"{_ICON[r['status']]} {_w(r['status'], lang)}",
            _int(h.get("cases")),
            _int(h.get("events")),
            _int(r["findings"]["total"]) if r["status"] != "failed" else "—",
            _pct(h.get("steps_removable_share")),
            _dec(h.get("fitness")),
            _gates_cell(r, lang),
        ]
        if timed:
            row.append(_dec(r.get("seconds"), 1))
        rows.append(row)
    text = head + md.table(headers, rows)
    problems = _problems(result, lang)
    if problems:
        text += f"\n### {_w('problems', lang)}\n\n" + "".join(f"- {p}\n" for p in problems)
    return text


def render_terminal(result: BatchResult, console: Any, lang: str = "en") -> None:
    """The summary as a rich table, for the CLI on a terminal; problems listed below it."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title=_w("title", lang), box=None, pad_edge=False, header_style="bold")
    widest = max((len(r["input"]) for r in result.inputs), default=10)
    table.add_column(_w("input", lang), overflow="fold", min_width=min(widest, 32))
    table.add_column(_w("status", lang), no_wrap=True)
    for k in ("cases", "events", "findings", "removable_short", "fitness"):
        table.add_column(_w(k, lang), justify="right")
    table.add_column(_w("gates", lang), overflow="fold", min_width=12)
    style = {"ok": "green", "gate-failed": "red", "failed": "bold red"}
    for r in result.inputs:
        h = r.get("headline") or {}
        table.add_row(
            r["input"],
            Text(_w(r["status"], lang), style=style[r["status"]]),
            _int(h.get("cases")),
            _int(h.get("events")),
            _int(r["findings"]["total"]) if r["status"] != "failed" else "—",
            _pct(h.get("steps_removable_share")),
            _dec(h.get("fitness")),
            _gates_cell(r, lang),
        )
    console.print(table)
    for p in _problems(result, lang, str, str):
        console.print(p, markup=False, highlight=False)


def _gates_cell(r: dict[str, Any], lang: str) -> str:
    gates = r.get("gates") or []
    if r["status"] == "failed":
        return "—"
    if not gates:
        return _w("none", lang)
    bad = [g["name"] for g in gates if not g["passed"]]
    if bad:
        return ", ".join(bad)
    return f"{len(gates)}/{len(gates)} {_w('passed', lang)}"


def _problems(result: BatchResult, lang: str, name: Callable[[str], str] = md.code,
              words: Callable[[str], str] = md.text) -> list[str]:
    """One line per failed input or gate; names and messages escaped by `name`/`words`."""
    out = []
    for r in result.inputs:
        if r["status"] == "failed":
            reason = str(r["reason"])
            reason = reason[len(r["input"]) + 2 :] if reason.startswith(f"{r['input']}: ") else reason
            out.append(f"{name(r['input'])}: {words(reason)}")
        for g in r.get("gates") or []:
            if not g["passed"]:
                out.append(f"{name(r['input'])} {_w('gate', lang)} {name(g['name'])}: {words(g['message'])}")
    return out


def _int(v: Any) -> str:
    return f"{v:,}" if isinstance(v, int) and not isinstance(v, bool) else "—"


def _pct(v: Any) -> str:
    return f"{100 * v:.1f}%" if isinstance(v, (int, float)) else "—"


def _dec(v: Any, places: int = 3) -> str:
    return f"{v:.{places}f}" if isinstance(v, (int, float)) and not isinstance(v, bool) else "—"


def display_path(p: str | os.PathLike) -> str:
    """A path as written into outputs: relative to the working folder, else its file name."""
    path = Path(p)
    if not path.is_absolute():
        return path.as_posix()
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.name
