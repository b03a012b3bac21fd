"""The administrative regulation in gosupr.toml: terms, mandatory steps, calendar overrides.

    [regulation]
    model = "land_lease.normative.bpmn"      # the normative model (relative to this file); batch checks logs against it
    logs = ["land_lease*.csv"]               # which logs it governs in a batch (default: every log)
    mandatory = ["Правовая экспертиза", "Принятие решения*"]   # names or glob patterns; skipping one is a violation
    case = "30 working days"                 # whole case, from the first event ("… from <step>" to start at a step)
    "Подписание договора аренды -> Уведомление заявителя" = "3 working days"   # step to step
    extra_holidays = [2024-12-27]            # the ministry's own days off on top of the production calendar
    extra_working_days = []

A term is "<n> working days" or "<n> calendar days" (also "<n> days" = calendar, and Russian
"<n> рабочих дней" / "<n> календарных дней"). Step names are matched to the model's tasks and the
log's activities when the check runs (`mining.check.resolve_steps`); anything unreadable is an error
naming the key.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from gosupr.errors import GosuprError

WORKING, CALENDAR = "working", "calendar"
_RESERVED = {"model", "logs", "mandatory", "extra_holidays", "extra_working_days"}
_TERM = re.compile(
    r"^\s*(?P<n>\d+)\s*"
    r"(?P<unit>working|work|business|calendar|рабоч\w*|календарн\w*)?\s*"
    r"(?:days?|дн\w*|день)\s*"
    r"(?:(?:from|от)\s+(?P<from>.+?))?\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Term:
    """One statutory term: from `start` (a step; None = the case's first event) to `end` (a step;
    None = the case's last event) within `amount` days of `unit`."""

    key: str  # as written in the file: "case" or "A -> B"
    amount: int
    unit: str  # working | calendar
    start: str | None = None
    end: str | None = None

    @property
    def text(self) -> str:
        return f"{self.amount} {self.unit} days"

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "amount": self.amount, "unit": self.unit, "from": self.start, "to": self.end}


@dataclass(frozen=True)
class Regulation:
    """What `[regulation]` says; empty when there is none."""

    source: str | None = None
    base_dir: str = "."
    model: str | None = None  # path as resolved against the file's folder
    logs: tuple[str, ...] = ()
    mandatory: tuple[str, ...] = ()
    terms: tuple[Term, ...] = ()
    extra_holidays: tuple[date, ...] = ()
    extra_working_days: tuple[date, ...] = ()


def load_regulation(path: str | os.PathLike) -> Regulation:
    """`[regulation]` of a gosupr.toml (an empty Regulation when the file has none)."""
    from gosupr.docload import load_toml

    src = str(path)
    data = load_toml(path, "regulation file")
    section = data.get("regulation", {})
    if not isinstance(section, dict):
        raise GosuprError("'regulation' must be a table ([regulation])", path=src)
    return parse_regulation(section, source=src, base_dir=str(Path(path).resolve().parent))


def mandatory_patterns(config: str | os.PathLike | dict[str, Any] | Regulation | None) -> list[str]:
    """The mandatory step patterns of a regulation (a gosupr.toml path, its parsed data or a
    Regulation): steps `reduce` must never remove. Empty when there is no `[regulation]`."""
    if config is None:
        return []
    if isinstance(config, Regulation):
        return list(config.mandatory)
    if isinstance(config, dict):
        section = config.get("regulation", config)
        return list(parse_regulation(section if isinstance(section, dict) else {}, source="gosupr.toml").mandatory)
    return list(load_regulation(config).mandatory)


def parse_regulation(section: dict[str, Any], *, source: str, base_dir: str = ".") -> Regulation:
    """Check every key of `[regulation]`; any problem is one GosuprError naming the key."""
    model = section.get("model")
    if model is not None and (not isinstance(model, str) or not model):
        raise GosuprError("'regulation.model' must be the path of a BPMN file", path=source)
    if model is not None:
        model = str(Path(base_dir) / model) if not os.path.isabs(model) else model
    logs = _str_list(section, "logs", source)
    mandatory = _str_list(section, "mandatory", source)
    terms = []
    for key, value in section.items():
        if key in _RESERVED:
            continue
        if key != "case" and "->" not in key:
            raise GosuprError(
                f"unknown key 'regulation.{key}': a term is 'case' or \"<step> -> <step>\"; "
                f"other keys: {', '.join(sorted(_RESERVED))}",
                path=source,
            )
        terms.append(parse_term(key, value, source))
    return Regulation(
        source=source,
        base_dir=base_dir,
        model=model,
        logs=tuple(logs),
        mandatory=tuple(mandatory),
        terms=tuple(terms),
        extra_holidays=_dates(section, "extra_holidays", source),
        extra_working_days=_dates(section, "extra_working_days", source),
    )


def parse_term(key: str, value: Any, source: str | None = None) -> Term:
    """`case = "30 working days [from <step>]"` or `"A -> B" = "3 working days"`."""
    where = f"'regulation.{_show(key)}'"
    if not isinstance(value, str):
        raise GosuprError(f"{where} must be a string like \"30 working days\", got {value!r}", path=source)
    m = _TERM.match(value)
    if not m or int(m["n"]) <= 0:
        raise GosuprError(
            f"{where}: cannot read the term {value!r}; write \"<n> working days\" or \"<n> calendar days\"", path=source
        )
    unit = m["unit"] or "calendar"
    unit = CALENDAR if unit.lower().startswith(("calendar", "календарн")) else WORKING
    start = m["from"].strip().strip("«»\"'") if m["from"] else None
    if key == "case":
        return Term(key, int(m["n"]), unit, start=start, end=None)
    if start is not None:
        raise GosuprError(f"{where}: 'from' belongs to the case term only; the key already names both steps", path=source)
    parts = [s.strip().strip("«»\"'") for s in key.split("->")]
    if len(parts) != 2 or not all(parts):
        raise GosuprError(f"{where}: a step-to-step term is \"<step> -> <step>\"", path=source)
    return Term(key, int(m["n"]), unit, start=parts[0], end=parts[1])


def _show(key: str) -> str:
    return key if key == "case" else f'"{key}"'


def _str_list(t: dict[str, Any], key: str, source: str) -> list[str]:
    v = t.get(key, [])
    if not isinstance(v, list) or not all(isinstance(x, str) and x.strip() for x in v):
        raise GosuprError(f"'regulation.{key}' must be a list of strings, e.g. [\"a\", \"b\"]", path=source)
    return [x.strip() for x in v]


def _dates(t: dict[str, Any], key: str, source: str) -> tuple[date, ...]:
    v = t.get(key, [])
    if not isinstance(v, list):
        raise GosuprError(f"'regulation.{key}' must be a list of dates, e.g. [2024-12-27]", path=source)
    out = []
    for x in v:
        if isinstance(x, date) and not hasattr(x, "hour"):
            out.append(x)
            continue
        try:
            out.append(date.fromisoformat(str(x)))
        except ValueError:
            raise GosuprError(f"'regulation.{key}': {x!r} is not a date (YYYY-MM-DD)", path=source) from None
    return tuple(sorted(out))
