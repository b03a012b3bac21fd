"""Small CSV logs the engine tests build: awkward layouts gosupr's CSV reader accepts, and local
times around daylight-saving changes (`--timezone`)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd

from gosupr.engines.summary import LogSummary

# «Дата» + «Время» columns joined; a quoted line break and a quoted delimiter; a row with one field
# too many and one with too few (malformed_row); an empty case id; 31 February; an empty time; an
# empty line; an empty department; a case out of time order in the file
AWKWARD_ROWS = [
    ["Номер дела", "Операция", "Дата", "Время", "Подразделение"],
    ["A-1", "Приём", "01.02.2024", "10:00", "Отдел 1"],
    ["A-1", "Проверка\nдокументов", "01.02.2024", "10:00", "Отдел 2"],
    ["A-1", "Решение", "01.02.2024", "09:00", "Отдел 1"],
    ["A-2", "Приём", "02.02.2024", "11:30", ""],
    ["A-2", "Решение; итог", "03.02.2024", "", "Отдел 1"],
    ["A-2", "лишнее", "03.02.2024", "12:00", "Отдел 1", "x"],
    ["A-3", "Приём"],
    ["", "Приём", "04.02.2024", "10:00", "Отдел 1"],
    ["A-3", "Приём", "31.02.2024", "10:00", "Отдел 1"],
    ["A-3", "Решение", "05.02.2024", "10:00", "Отдел 3"],
]
AWKWARD_DROPPED = (("empty_case_id", 1), ("malformed_row", 2), ("unparseable_timestamp", 1))
#: name → (delimiter, encoding, title lines above the header, `sep=` line, gzip)
AWKWARD = {
    "cp1251_semicolon_title.csv": (";", "cp1251", True, False, False),
    "utf8_bom_comma.csv": (",", "utf-8-sig", False, False, False),
    "excel_sep_line.csv": (";", "utf-8", False, True, False),
    "utf16_tab.csv": ("\t", "utf-16", False, False, False),
    "cp1251_title.csv.gz": (";", "cp1251", True, False, True),
}


def _field(value: str, delim: str) -> str:
    return '"' + value.replace('"', '""') + '"' if delim in value or "\n" in value or '"' in value else value


def write_awkward(folder: Path, name: str) -> Path:
    """One of the AWKWARD variants (CRLF line ends, as exports have them)."""
    delim, encoding, title, sep, gz = AWKWARD[name]
    lines = [delim.join(_field(v, delim) for v in row) for row in AWKWARD_ROWS]
    lines.insert(len(lines) - 2, "")
    if title:
        lines = ["Журнал операций за 2024 год", "", *lines]
    if sep:
        lines = [f"sep={delim}", *lines]
    data = ("\r\n".join(lines) + "\r\n").encode(encoding)
    path = folder / name
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


# Europe/Berlin: 31.03.2024 02:00 → 03:00 (02:30 does not exist), 27.10.2024 03:00 → 02:00 (02:30
# happens twice: dropped as unparseable, as pandas' ambiguous="NaT"); a winter time of 2023; an
# offset that stays as written
DST_ROWS = [
    ("c1", "a", "30.03.2024 23:00"), ("c1", "b", "31.03.2024 01:59"), ("c1", "c", "31.03.2024 02:30"),
    ("c1", "d", "31.03.2024 03:00"), ("c2", "a", "26.10.2024 12:00"), ("c2", "b", "27.10.2024 01:59"),
    ("c2", "c", "27.10.2024 02:30"), ("c2", "d", "27.10.2024 03:00"), ("c3", "a", "15.01.2023 10:00"),
    ("c3", "b", "2024-06-01T10:00:00+05:00"), ("c3", "c", "01.06.2024 08:00"),
]


def write_dst(folder: Path) -> Path:
    path = folder / "dst.csv"
    path.write_text("case;activity;timestamp\n" + "".join(f"{c};{a};{t}\n" for c, a, t in DST_ROWS), encoding="utf-8")
    return path


def ms(text: str) -> int:
    return int(pd.Timestamp(text).value // 10**6)


def check_dst_summary(s: LogSummary) -> None:
    """What `engine_logs.DST_ROWS` read as Europe/Berlin must give (the memory path's meaning)."""
    assert s.dropped == (("unparseable_timestamp", 1),)  # 27.10.2024 02:30 happened twice
    assert s.first_ms == ms("2023-01-15T09:00:00")
    durations = {v.activities: v.duration.max_ms for v in s.variants}
    # 23:00 CET → 22:00Z; 01:59 → 00:59Z; 02:30 (in the gap) → 01:00Z; 03:00 CEST → 01:00Z
    assert durations[("a", "b", "c", "d")] == 3 * 3_600_000
    assert durations[("a", "b", "d")] == ms("2024-10-27T02:00:00") - ms("2024-10-26T10:00:00")
    assert durations[("a", "b", "c")] == ms("2024-06-01T06:00:00") - ms("2023-01-15T09:00:00")
    assert {(e.source, e.target): e.gap.max_ms for e in s.edges}[("b", "c")] == ms("2024-06-01T06:00:00") - ms(
        "2024-06-01T05:00:00")
