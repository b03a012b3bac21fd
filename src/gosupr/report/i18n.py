"""Words for people in Russian and English. JSON keys stay English."""

from __future__ import annotations

import os

from gosupr.durations import format_duration

LANGS = ("en", "ru")

_TEXT: dict[str, tuple[str, str]] = {
    # key: (en, ru)
    "audit": ("Ingestion audit", "Журнал загрузки"),
    "file": ("File", "Файл"),
    "format": ("Format", "Формат"),
    "encoding": ("Encoding", "Кодировка"),
    "delimiter": ("Delimiter", "Разделитель"),
    "sheet": ("Sheet", "Лист"),
    "columns": ("Columns", "Столбцы"),
    "rows_read": ("Rows read", "Прочитано строк"),
    "rows_kept": ("Rows kept", "Принято строк"),
    "rows_dropped": ("Rows dropped", "Отброшено строк"),
    "reordered": ("Re-sorted by time", "Пересортировано по времени"),
    "time_zone": ("Time zones", "Часовые пояса"),
    "cases": ("Cases", "Дела"),
    "events": ("Events", "События"),
    "activities": ("Activities", "Операции"),
    "variants": ("Variants", "Варианты"),
    "time_span": ("Time span", "Период"),
    "median_duration": ("Median case duration", "Медианная длительность дела"),
    "p90_duration": ("90th percentile duration", "90-й процентиль длительности"),
    "model": ("Model", "Модель"),
    "summary": ("Summary", "Сводка"),
    "written": ("BPMN written to", "BPMN записан в"),
    "tasks": ("Tasks", "Задачи"),
    "gateways": ("Gateways", "Шлюзы"),
    "sequence_flows": ("Sequence flows", "Потоки управления"),
    "yes": ("yes", "да"),
    "no": ("no", "нет"),
    "metric": ("Metric", "Показатель"),
    # the roles of a log's columns (audit "columns": role=column)
    "role_case": ("case", "дело"),
    "role_activity": ("activity", "операция"),
    "role_timestamp": ("timestamp", "время"),
    "role_resource": ("resource", "исполнитель"),
    "role_department": ("department", "подразделение"),
    "role_lifecycle": ("lifecycle", "жизненный цикл"),
    "value": ("Value", "Значение"),
    "reason": ("Reason", "Причина"),
    "empty_case_id": ("empty case id", "пустой номер дела"),
    "unparseable_timestamp": ("unparseable timestamp", "нераспознанная дата"),
    "empty_activity": ("empty activity", "пустая операция"),
    "malformed_row": ("wrong number of fields", "неверное число полей"),
    "lifecycle_not_complete": ("lifecycle not 'complete'", "не завершающее событие жизненного цикла"),
}


def default_lang() -> str:
    """Follow the locale: LANG=ru_RU.UTF-8 gives Russian."""
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        v = os.environ.get(var, "")
        if v:
            return "ru" if v.lower().startswith("ru") else "en"
    return "en"


def t(key: str, lang: str = "en") -> str:
    pair = _TEXT.get(key)
    if pair is None:
        return key.replace("_", " ")
    return pair[1] if lang == "ru" else pair[0]


def fmt_duration(seconds: float | None, lang: str = "en") -> str:
    """Human duration, the product's one wording (gosupr.durations): 2.1 days, 30.0 h, 12 min, 40 s; "—" for none."""
    return format_duration(seconds, lang)
