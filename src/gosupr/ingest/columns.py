"""Which header holds the case id, activity, timestamp, resource and department.

Ministries export the same log with different headers («Номер дела», «ID заявления», `case_id`,
`case:concept:name` …). Headers are compared in a normal form (lower case, ё→е, without spaces,
underscores, hyphens and dots); an exact synonym wins, then a cautious word-stem match for
roles still missing. `ColumnMap` overrides either.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields

from gosupr.errors import GosuprError

REQUIRED = ("case", "activity", "timestamp")
OPTIONAL = ("resource", "department")
ROLE_FLAG = {"case": "--case", "activity": "--activity", "timestamp": "--timestamp",
             "resource": "--resource", "department": "--department"}
ROLE_HUMAN = {"case": "case id", "activity": "activity", "timestamp": "timestamp",
              "resource": "resource", "department": "department"}


@dataclass
class ColumnMap:
    """Header names chosen by the user; None means: recognise it from the synonyms. `sheet` says
    where the table is in a workbook (a name or a number, 1 = first); other formats ignore it."""

    case: str | None = None
    activity: str | None = None
    timestamp: str | None = None
    resource: str | None = None
    department: str | None = None
    sheet: str | None = None

    def given(self) -> dict[str, str]:
        """The roles the user named (not the sheet)."""
        return {f.name: v for f in fields(self) if f.name in ROLE_FLAG and (v := getattr(self, f.name))}


# Synonyms in priority order (the first one present wins).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "case": (
        "case:concept:name", "case_id", "caseid", "case", "case id", "case number", "case:id",
        "trace_id", "process instance", "номер дела", "номер обращения", "id заявления",
        "номер заявления", "id обращения", "id дела", "ид дела", "№ дела", "№ обращения",
        "№ заявления", "идентификатор дела", "идентификатор обращения", "номер заявки",
        "дело", "обращение", "заявление", "заявка",
    ),
    "activity": (
        "concept:name", "activity", "activity name", "activity_name", "event", "event name",
        "task", "operation", "action", "step", "операция", "действие", "этап", "мероприятие",
        "наименование операции", "название операции", "наименование действия", "активность",
        "шаг", "задача", "событие", "статус",
    ),
    "timestamp": (
        "time:timestamp", "timestamp", "complete_timestamp", "end_timestamp", "datetime",
        "date time", "event time", "дата и время", "дата/время", "датавремя",
        "дата и время операции", "дата и время события", "время события", "дата операции",
        "дата события", "time", "date", "start_timestamp", "дата", "время",
    ),
    "resource": (
        "org:resource", "resource", "user", "username", "performer", "executor", "employee",
        "actor", "исполнитель", "сотрудник", "ответственный", "пользователь", "фио исполнителя",
        "фио", "специалист", "оператор",
    ),
    "department": (
        "department", "org:group", "group", "unit", "org unit", "division", "подразделение",
        "структурное подразделение", "отдел", "департамент", "управление", "org:role",
    ),
    "lifecycle": ("lifecycle:transition", "lifecycle", "transition"),
}

# Headers that hold only a date or only a time of day: combined when both are present.
DATE_ONLY = ("дата", "date", "дата операции", "дата события")
TIME_ONLY = ("время", "time", "время операции", "время события")

# Word stems for headers no synonym matched, e.g. «Рег. номер обращения» or «ФИО сотрудника».
_DATEISH = ("дата", "врем", "date", "time")
_STEMS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    # role: (any of these, and any of these (or empty), none of these)
    "case": (("номер", "id", "№", "идентификатор"), ("дел", "обращ", "заявл", "заявк"),
             _DATEISH + ("отдел", "подраздел")),
    "activity": (("операц", "действи", "этап", "мероприят", "активност"), (), _DATEISH + ("номер", "id")),
    "timestamp": (("дата", "timestamp"), (), ()),
    "resource": (("исполнител", "сотрудник", "ответствен", "фио", "пользовател", "специалист"), (), _DATEISH),
    "department": (("подраздел", "отдел", "департамент", "управлени"), (), _DATEISH),
}


def normalise(header: str) -> str:
    """Case-, space-, underscore- and ё-insensitive form of a header."""
    h = header.replace("\ufeff", "").strip().strip('"').lower().replace("ё", "е")
    return re.sub(r"[\s_\-.]+", "", h)


_NORM_SYNONYMS = {role: tuple(normalise(s) for s in syn) for role, syn in SYNONYMS.items()}


def _stem_match(role: str, norm: str) -> bool:
    first, second, never = _STEMS[role]
    return (any(s in norm for s in first) and (not second or any(s in norm for s in second))
            and not any(s in norm for s in never))


_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def shown(text: str, limit: int = 60) -> str:
    """Text from the file as it may appear in a one-line message: control characters and line
    breaks collapsed to one space, cut to `limit` characters."""
    one = _CONTROLS.sub(" ", text).strip()
    return one if len(one) <= limit else one[: limit - 1] + "…"


def _seen(headers: list[str]) -> str:
    names = [shown(h) or "(unnamed)" for h in headers[:40]]
    more = f" … ({len(headers)} in all)" if len(headers) > 40 else ""
    return ", ".join(f"«{h}»" for h in names) + more


def find_header(headers: list[str], wanted: str) -> str | None:
    """The header the user meant: exact, then in normal form."""
    if wanted in headers:
        return wanted
    norm = normalise(wanted)
    return next((h for h in headers if normalise(h) == norm), None)


def resolve(headers: list[str], override: ColumnMap | None, source: str) -> dict[str, str]:
    """Map role → header (case, activity, timestamp always; resource, department, lifecycle if found).

    Raises GosuprError naming the headers seen when a required role has no column.
    """
    given = (override or ColumnMap()).given()
    out: dict[str, str] = {}
    for role, wanted in given.items():
        hit = find_header(headers, wanted)
        if hit is None:
            raise GosuprError(
                f"column «{shown(wanted)}» given for {ROLE_FLAG[role]} is not in the file; headers seen: "
                f"{_seen(headers)}", path=source)
        clash = next((r for r, h in out.items() if h == hit), None)
        if clash is not None:
            raise GosuprError(
                f"column «{shown(hit)}» is given for both {ROLE_FLAG[clash]} and {ROLE_FLAG[role]}; "
                "each role needs its own column", path=source)
        out[role] = hit
    taken = set(out.values())
    norms = [(h, normalise(h)) for h in headers]
    for role, syns in _NORM_SYNONYMS.items():
        if role in out:
            continue
        for syn in syns:
            hit = next((h for h, n in norms if n == syn and h not in taken), None)
            if hit is not None:
                out[role] = hit
                taken.add(hit)
                break
    for role in _STEMS:
        if role in out:
            continue
        hit = next((h for h, n in norms if n and h not in taken and _stem_match(role, n)), None)
        if hit is not None:
            out[role] = hit
            taken.add(hit)
    missing = [r for r in REQUIRED if r not in out]
    if missing:
        what = ", ".join(ROLE_HUMAN[r] for r in missing)
        flags = "/".join(ROLE_FLAG[r] for r in missing)
        raise GosuprError(
            f"no column found for {what}; headers seen: {_seen(headers)}; "
            f"name the columns with {flags}", path=source)
    return {role: out[role] for role in SYNONYMS if role in out}


def split_datetime(headers: list[str], mapping: dict[str, str]) -> tuple[str, str] | None:
    """(date header, time header) when the timestamp is split into «Дата» and «Время» columns.

    The caller still checks the values (a `time` column may hold full timestamps).
    """
    ts = normalise(mapping["timestamp"])
    dates = {normalise(d) for d in DATE_ONLY}
    times = {normalise(t) for t in TIME_ONLY}
    if ts not in dates | times:
        return None
    other = times if ts in dates else dates
    used = set(mapping.values())
    partner = next((h for h in headers if h not in used and normalise(h) in other), None)
    if partner is None:
        return None
    return (mapping["timestamp"], partner) if ts in dates else (partner, mapping["timestamp"])
