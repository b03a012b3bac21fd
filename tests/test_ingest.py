"""Ingestion of real and generated event logs: formats, encodings, dates, audit, hostile input."""

from __future__ import annotations

import gzip
import re
import shutil
import struct
import threading
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gosupr.errors import GosuprError
from gosupr.eventlog import EventLog
from gosupr.ingest import ColumnMap, read_log
from gosupr.ingest.columns import resolve
from gosupr.ingest.dates import parse_timestamps
from material import OFFICE, SHARED, SmallLog, needs_shared

RU_HEADER = "Номер дела;Операция;Дата и время;Исполнитель;Подразделение"


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def events(log: EventLog) -> list[tuple[str, str, str]]:
    df = log.df
    return list(zip(df.case_id.astype(str), df.activity.astype(str),
                    df.timestamp.dt.strftime("%Y-%m-%d %H:%M:%S")))


def check_audit(log: EventLog) -> None:
    a = log.audit
    assert a.rows_read == a.rows_kept + sum(a.dropped.values())
    assert a.rows_kept == a.events == log.n_events
    assert a.cases == log.n_cases


# --- real logs -------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "cases", "n_events"), [
    ("running-example.xes", 6, 42),
    ("running-example.csv", 6, 42),
    ("roadtraffic50traces.xes", 51, 201),
])
def test_real_logs_load_with_their_counts(shared_data: Path, name: str, cases: int,
                                          n_events: int) -> None:
    log = read_log(shared_data / "logs" / name)
    assert (log.n_cases, log.n_events) == (cases, n_events)
    assert log.audit.source == name  # absolute path given → file name only
    assert log.audit.dropped == {}
    check_audit(log)


def test_receipt_all_complete_nothing_dropped(shared_data: Path) -> None:
    log = read_log(shared_data / "logs" / "receipt.xes")
    assert (log.n_cases, log.n_events) == (1434, 8577)
    a = log.audit
    assert a.columns["lifecycle"] == "lifecycle:transition"  # present, but every event is complete
    assert a.dropped == {} and a.rows_read == 8577
    assert a.columns["department"] == "org:group" and log.has_resource
    check_audit(log)


def test_office_files_are_what_their_script_writes(tmp_path: Path) -> None:
    """The committed in-repo log and model come from tests/data/logs/make_office.py, byte for byte."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_office", OFFICE.xes.parent / "make_office.py")
    assert spec is not None and spec.loader is not None
    make_office = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_office)
    make_office.write(tmp_path)
    for committed in (OFFICE.xes, OFFICE.csv, OFFICE.bpmn):
        assert (tmp_path / committed.name).read_bytes() == committed.read_bytes(), committed.name


def test_office_all_complete_nothing_dropped() -> None:
    """receipt.xes's case, in the repository: a lifecycle column where every event is complete, departments."""
    log = read_log(OFFICE.xes)
    a = log.audit
    assert a.columns["lifecycle"] == "lifecycle:transition"
    assert a.dropped == {} and a.rows_read == OFFICE.events
    assert a.columns["department"] == "org:group" and log.has_resource
    check_audit(log)


def test_small_logs_load_with_their_counts(small_log: SmallLog) -> None:
    for path in (small_log.xes, small_log.csv):
        log = read_log(path)
        assert (log.n_cases, log.n_events) == (small_log.cases, small_log.events)
        assert log.audit.source == path.name  # absolute path given → file name only
        assert log.audit.dropped == {}
        check_audit(log)


def test_small_log_csv_and_xes_agree(small_log: SmallLog) -> None:
    xes = read_log(small_log.xes)
    csv = read_log(small_log.csv)
    assert events(xes) == events(csv)
    # the offset in the file (+01:00, +03:00) becomes naive UTC
    case, activity, utc = small_log.first
    first = xes.df[xes.df.case_id == case].iloc[0]
    assert (first.activity, first.timestamp) == (activity, utc)
    assert csv.audit.columns["case"] == "case:concept:name"  # the unnamed index column is ignored
    assert list(xes.df.resource.cat.categories) == list(csv.df.resource.cat.categories)


def test_xes_gz_loads_like_xes(small_log: SmallLog, tmp_path: Path) -> None:
    src = small_log.xes
    gz = tmp_path / f"{small_log.name}.xes.gz"
    gz.write_bytes(gzip.compress(src.read_bytes()))
    a, b = read_log(src), read_log(gz)
    assert b.audit.format == "xes.gz"
    pd.testing.assert_frame_equal(a.df, b.df)


def test_unknown_extension_is_sniffed(small_log: SmallLog, tmp_path: Path) -> None:
    xes = shutil.copy(small_log.xes, tmp_path / "export.dat")
    csv = shutil.copy(small_log.csv, tmp_path / "export.txt")
    gz = tmp_path / "export.bin"
    gz.write_bytes(gzip.compress(small_log.xes.read_bytes()))
    assert [read_log(p).audit.format for p in (xes, csv, gz)] == ["xes", "csv", "xes.gz"]
    assert all(read_log(p).n_events == small_log.events for p in (xes, csv, gz))


def test_parquet_round_trip(small_log: SmallLog, tmp_path: Path) -> None:
    log = read_log(small_log.xes)
    out = tmp_path / "log.parquet"
    df = log.df.copy()
    df["timestamp"] = df["timestamp"].dt.tz_localize("UTC").dt.tz_convert("Europe/Moscow")
    df["case_id"] = df["case_id"].astype(int)  # numeric ids are read as text
    df.rename(columns={"case_id": "case:concept:name", "activity": "concept:name",
                       "timestamp": "time:timestamp", "resource": "org:resource"}).to_parquet(out)
    back = read_log(out)
    assert back.audit.format == "parquet"
    assert events(back) == events(log)
    assert back.df.resource.astype(str).tolist() == log.df.resource.astype(str).tolist()


# --- CSV as ministries export it -----------------------------------------------------------

def test_cp1251_semicolon_russian_headers(tmp_path: Path) -> None:
    text = (RU_HEADER + "\n"
            "Д-1;Регистрация обращения;27.11.2026 14:05;Иванов И.И.;Канцелярия\n"
            "Д-1;Проверка документов;27.11.2026 15:30;Петров П.П.;Юридический отдел\n"
            "Д-2;Регистрация обращения;28.11.2026 09:00;Иванов И.И.;Канцелярия\n")
    log = read_log(write(tmp_path / "выгрузка.csv", text, "cp1251"))
    a = log.audit
    assert (a.encoding, a.delimiter) == ("cp1251", ";")
    assert a.columns == {"case": "Номер дела", "activity": "Операция", "timestamp": "Дата и время",
                         "resource": "Исполнитель", "department": "Подразделение"}
    assert events(log) == [("Д-1", "Регистрация обращения", "2026-11-27 14:05:00"),
                           ("Д-1", "Проверка документов", "2026-11-27 15:30:00"),
                           ("Д-2", "Регистрация обращения", "2026-11-28 09:00:00")]
    assert set(log.df.department.astype(str)) == {"Канцелярия", "Юридический отдел"}
    check_audit(log)


def test_encoding_decided_beyond_the_sample(tmp_path: Path) -> None:
    ascii_rows = "case;activity;timestamp\n" + "".join(f"{i};step;01.01.2026 10:00\n" for i in range(8000))
    late = tmp_path / "late.csv"  # first 64 KiB are ASCII, Cyrillic cp1251 comes later
    late.write_bytes(ascii_rows.encode() + "9;Проверка;02.01.2026 10:00\n".encode("cp1251"))
    log = read_log(late)
    assert log.audit.encoding == "cp1251" and "Проверка" in log.activities
    ru_rows = "case;activity;timestamp\n" + "".join(f"{i};Проверка;01.01.2026 10:00\n" for i in range(3000))
    broken = tmp_path / "broken.csv"  # UTF-8 with one corrupt byte: not re-read as cp1251
    broken.write_bytes(ru_rows.encode() + b"9;\xff;02.01.2026 10:00\n")
    log = read_log(broken)
    assert log.audit.encoding.startswith("utf-8") and "Проверка" in log.activities
    assert log.n_events == 3001


def test_utf8_bom_header_is_clean(tmp_path: Path) -> None:
    text = RU_HEADER + "\nД-1;Приём;27.11.2026 14:05:33;Иванов;Отдел\nД-1;Выдача;27.11.2026;Иванов;Отдел\n"
    log = read_log(write(tmp_path / "bom.csv", text, "utf-8-sig"))
    assert log.audit.encoding == "utf-8-sig"
    assert log.audit.columns["case"] == "Номер дела"
    # seconds and date-only values parse in the same column
    assert events(log) == [("Д-1", "Выдача", "2026-11-27 00:00:00"),
                           ("Д-1", "Приём", "2026-11-27 14:05:33")]
    assert log.audit.reordered


def test_tab_delimited_english(tmp_path: Path) -> None:
    text = "case_id\tactivity\ttimestamp\tresource\n1\tA\t2024-03-01 10:00\tann\n1\tB\t2024-03-01 11:00\tbob\n"
    log = read_log(write(tmp_path / "log.tsv", text))
    assert log.audit.delimiter == "tab"
    assert events(log) == [("1", "A", "2024-03-01 10:00:00"), ("1", "B", "2024-03-01 11:00:00")]


def test_quoted_fields_with_delimiters_and_newlines(tmp_path: Path) -> None:
    rows = ['"Номер обращения","Действие","Дата","Комментарий"']
    for i in range(30):  # commas are the delimiter; every comment is quoted and has ; and ,
        rows.append(f'"{i}","Проверка; этап 1","0{1 + i % 9}.03.2026 10:{i:02d}","a; b; c, d"')
    rows.append('"99","Согласование","05.03.2026 12:00","строка 1;\nстрока 2, с запятой"')
    log = read_log(write(tmp_path / "q.csv", "\n".join(rows) + "\n"))
    assert log.audit.delimiter == ","
    assert log.n_events == 31 and log.audit.rows_read == 31
    assert "Проверка; этап 1" in log.activities


def test_iso_with_timezone_to_naive_utc(tmp_path: Path) -> None:
    text = ("case,activity,timestamp\n"
            "c1,a,2026-03-29T01:30:00+03:00\n"
            "c1,b,2026-03-29T01:30:00Z\n"
            "c1,c,2026-03-29 05:00:00.250-0200\n"
            "c1,d,2026-03-29T08:00:00\n")
    path = write(tmp_path / "iso.csv", text)
    with pytest.raises(GosuprError, match=r"iso.csv: timestamps mix .*«2026-03-29T08:00:00».*--timezone"):
        read_log(path)  # offsets and a naive time: the order of d against a, b, c is unknown
    log = read_log(path, timezone="UTC")
    ts = dict(zip(log.df.activity.astype(str), log.df.timestamp))
    assert ts == {"a": pd.Timestamp("2026-03-28 22:30"), "b": pd.Timestamp("2026-03-29 01:30"),
                  "c": pd.Timestamp("2026-03-29 07:00:00.250"), "d": pd.Timestamp("2026-03-29 08:00")}
    assert log.df.timestamp.dtype == "datetime64[ns]"
    assert log.audit.time_zone == "times without an offset read as UTC, all converted to UTC; offsets converted to UTC"
    moscow = read_log(path, timezone="Europe/Moscow")
    assert moscow.df.timestamp.iloc[-1] == pd.Timestamp("2026-03-29 07:00:00.250")  # c now last
    assert moscow.df.activity.astype(str).tolist() == ["a", "b", "d", "c"]
    offsets_only = read_log(write(tmp_path / "off.csv", "\n".join(text.splitlines()[:4]) + "\n"))
    assert offsets_only.audit.time_zone is None  # nothing to decide: every reader converts offsets
    assert "time_zone" not in read_log(write(tmp_path / "naive.csv", "case,activity,timestamp\nc1,a,2026-01-02 10:00\n")).audit.to_dict()
    with pytest.raises(GosuprError, match="unknown time zone 'Europe/Mos'"):
        read_log(path, timezone="Europe/Mos")


def test_unsorted_rows_get_sorted_stably(tmp_path: Path) -> None:
    text = ("case;activity;timestamp\n"
            "2;x;01.01.2026 10:00\n1;c;01.01.2026 12:00\n1;a;01.01.2026 09:00\n"
            "1;b1;01.01.2026 10:00\n1;b2;01.01.2026 10:00\n2;w;01.01.2026 08:00\n")
    log = read_log(write(tmp_path / "u.csv", text))
    assert [a for _, a, _ in events(log)] == ["a", "b1", "b2", "c", "w", "x"]
    assert log.audit.reordered
    sorted_text = "case;activity;timestamp\n1;a;01.01.2026 09:00\n2;w;01.01.2026 08:00\n1;c;01.01.2026 12:00\n"
    assert not read_log(write(tmp_path / "s.csv", sorted_text)).audit.reordered


def test_dropped_rows_counted_per_reason(tmp_path: Path) -> None:
    text = ("Номер дела;Операция;Дата и время\n"
            "1;a;01.02.2026 10:00\n"
            ";a;01.02.2026 10:00\n"          # empty case id
            "  ;a;01.02.2026 10:00\n"        # blank case id
            "1;;01.02.2026 11:00\n"          # empty activity
            "1;b;31.02.2026 11:00\n"         # no such day
            "1;b;вчера\n"                    # not a date
            "1;b;\n"                         # no date
            "1;c;01.02.2026 12:00;extra\n"   # wrong field count
            "2;a;02.02.2026 08:00\n")
    log = read_log(write(tmp_path / "d.csv", text))
    a = log.audit
    assert a.dropped == {"empty_case_id": 2, "empty_activity": 1, "unparseable_timestamp": 3,
                         "malformed_row": 1}
    assert (a.rows_read, a.rows_kept) == (9, 2)
    check_audit(log)


ROW_KINDS = {"ok": "{c};a;01.02.2026 10:00", "no_case": ";a;01.02.2026 10:00",
             "no_activity": "{c};;01.02.2026 10:00", "bad_time": "{c};a;30.02.2026 10:00",
             "no_case_bad_time": ";a;xx", "extra_field": "{c};a;01.02.2026 10:00;x"}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(sorted(ROW_KINDS)), min_size=1, max_size=40))
def test_every_row_is_kept_or_counted(tmp_path: Path, kinds: list[str]) -> None:
    lines = ["case;activity;timestamp"] + [ROW_KINDS[k].format(c=i % 4) for i, k in enumerate(kinds)]
    path = write(tmp_path / "p.csv", "\n".join(lines) + "\n")
    expected = {"empty_case_id": kinds.count("no_case") + kinds.count("no_case_bad_time"),
                "empty_activity": kinds.count("no_activity"),
                "unparseable_timestamp": kinds.count("bad_time"),
                "malformed_row": kinds.count("extra_field")}
    expected = {k: v for k, v in expected.items() if v}
    if "ok" not in kinds:
        with pytest.raises(GosuprError, match="no usable rows"):
            read_log(path)
        return
    log = read_log(path)
    assert log.audit.dropped == expected
    assert (log.audit.rows_read, log.n_events) == (len(kinds), kinds.count("ok"))


def test_month_first_only_when_values_say_so(tmp_path: Path) -> None:
    day_first = "case,activity,timestamp\n1,a,03/01/2023 10:00\n1,b,04/02/2023 10:00\n"
    month_first = "case,activity,timestamp\n1,a,03/01/2023 10:00\n1,b,04/13/2023 10:00\n"
    a = read_log(write(tmp_path / "dmy.csv", day_first))
    b = read_log(write(tmp_path / "mdy.csv", month_first))
    assert a.df.timestamp.tolist() == [pd.Timestamp("2023-01-03 10:00"), pd.Timestamp("2023-02-04 10:00")]
    assert b.df.timestamp.tolist() == [pd.Timestamp("2023-03-01 10:00"), pd.Timestamp("2023-04-13 10:00")]


def test_separate_date_and_time_columns_are_joined(tmp_path: Path) -> None:
    text = "ID заявления;Этап;Дата;Время;Сотрудник\n7;Приём;27.11.2026;14:05;Анна\n7;Выдача;28.11.2026;9:10:05;Анна\n"
    log = read_log(write(tmp_path / "dt.csv", text))
    assert log.audit.columns["timestamp"] == "Дата + Время"
    assert [t for *_, t in events(log)] == ["2026-11-27 14:05:00", "2026-11-28 09:10:05"]


def test_excel_sep_line_and_utf16(tmp_path: Path) -> None:
    text = "sep=;\r\nДело;Мероприятие;Дата и время\r\n1;Приём;27.11.2026 14:05\r\n"
    assert read_log(write(tmp_path / "sep.csv", text)).activities == ["Приём"]
    text16 = "Дело\tМероприятие\tДата и время\r\n1\tПриём\t27.11.2026 14:05\r\n"
    log = read_log(write(tmp_path / "unicode.txt", text16, "utf-16"))
    assert (log.audit.encoding, log.audit.delimiter, log.activities) == ("utf-16", "tab", ["Приём"])


def test_title_lines_and_trailing_delimiters(tmp_path: Path) -> None:
    text = ("Выгрузка обращений за ноябрь 2026\n\n"
            "Номер дела;Операция;Дата и время\n"
            "1;Приём;27.11.2026 14:05;\n1;Выдача;28.11.2026 10:00;\n")
    log = read_log(write(tmp_path / "title.csv", text))
    assert log.n_events == 2 and log.audit.dropped == {}
    text = "Номер дела;Операция;Дата и время;\n1;Приём;27.11.2026 14:05\n1;Выдача;28.11.2026 10:00\n"
    log = read_log(write(tmp_path / "head.csv", text))
    assert log.n_events == 2 and log.audit.dropped == {}


# --- column mapping --------------------------------------------------------------------------

@pytest.mark.parametrize(("headers", "expected"), [
    (["ID заявления", "Действие", "Дата/время", "Ответственный", "Отдел"],
     ["ID заявления", "Действие", "Дата/время", "Ответственный", "Отдел"]),
    (["  НОМЕР ОБРАЩЕНИЯ ", "ЭТАП", "дата", "Сотрудник", "Департамент"],
     ["  НОМЕР ОБРАЩЕНИЯ ", "ЭТАП", "дата", "Сотрудник", "Департамент"]),
    (["CaseID", "Event", "Time:Timestamp", "User", "org:role"],
     ["CaseID", "Event", "Time:Timestamp", "User", "org:role"]),
    (["Рег. номер дела", "Вид операции", "Дата операции", "ФИО сотрудника", "Структурное подразделение"],
     ["Рег. номер дела", "Вид операции", "Дата операции", "ФИО сотрудника", "Структурное подразделение"]),
])
def test_header_synonyms(headers: list[str], expected: list[str]) -> None:
    m = resolve(headers, None, "x.csv")
    assert [m.get(r) for r in ("case", "activity", "timestamp", "resource", "department")] == expected


def test_column_map_overrides(tmp_path: Path) -> None:
    text = "Номер дела;Номер заявки;Операция;Статус;Дата и время\nD1;Z1;a;new;01.01.2026 10:00\nD1;Z1;b;done;01.01.2026 11:00\n"
    path = write(tmp_path / "o.csv", text)
    auto = read_log(path)
    assert auto.audit.columns["case"] == "Номер дела" and auto.activities == ["a", "b"]
    log = read_log(path, ColumnMap(case="номер заявки", activity="Статус"))
    assert log.audit.columns["case"] == "Номер заявки" and log.audit.columns["activity"] == "Статус"
    assert log.activities == ["done", "new"] and set(log.df.case_id) == {"Z1"}
    with pytest.raises(GosuprError, match=r"o\.csv.*«Нет такой».*--activity.*Номер заявки"):
        read_log(path, ColumnMap(activity="Нет такой"))


def test_missing_column_lists_headers(tmp_path: Path) -> None:
    path = write(tmp_path / "m.csv", "Номер дела;Комментарий;Сумма\n1;x;2\n")
    with pytest.raises(GosuprError) as err:
        read_log(path)
    msg = str(err.value)
    assert msg.startswith("m.csv:") or "m.csv" in msg
    for part in ("«Номер дела»", "«Комментарий»", "«Сумма»", "--activity", "--timestamp"):
        assert part in msg
    assert "\n" not in msg


# --- XES specifics ---------------------------------------------------------------------------

XES_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'


def xes_event(name: str, ts: str, life: str | None = None) -> str:
    lc = f'<string key="lifecycle:transition" value="{life}"/>' if life else ""
    return (f'<event><string key="concept:name" value="{name}"/>{lc}'
            f'<date key="time:timestamp" value="{ts}"/></event>')


def test_xes_lifecycle_keeps_complete_and_counts_the_rest(tmp_path: Path) -> None:
    trace = ('<trace><string key="concept:name" value="c1"/>'
             + xes_event("A", "2026-01-01T10:00:00", "start") + xes_event("A", "2026-01-01T10:05:00", "complete")
             + xes_event("B", "2026-01-01T11:00:00", "start") + xes_event("B", "2026-01-01T11:30:00", "complete")
             + "</trace>")
    path = write(tmp_path / "life.xes", XES_HEAD + "<log>" + trace + "</log>")
    log = read_log(path)
    assert events(log) == [("c1", "A", "2026-01-01 10:05:00"), ("c1", "B", "2026-01-01 11:30:00")]
    assert log.audit.dropped == {"lifecycle_not_complete": 2}
    check_audit(log)


def test_xes_namespaced_and_cp1251_declared(small_log: SmallLog, tmp_path: Path) -> None:
    src = small_log.xes.read_text(encoding="utf-8")
    assert "encoding='UTF-8'" in src
    ns = write(tmp_path / "ns.xes", re.sub(r"<log\b[^>]*>", '<log xes.version="1.0" xmlns="http://www.xes-standard.org/">', src, count=1))
    assert read_log(ns).n_events == small_log.events
    ru = src.replace("encoding='UTF-8'", "encoding='windows-1251'").replace(f'"{small_log.resource}"', '"Пётр"')
    log = read_log(write(tmp_path / "ru.xes", ru, "cp1251"))  # rustxes ignores the declaration
    assert log.audit.encoding == "windows-1251"
    assert "Пётр" in set(log.df.resource.astype(str)) and log.n_events == small_log.events
    assert events(log) == events(read_log(small_log.xes))


@pytest.mark.parametrize("path", [OFFICE.xes, pytest.param(SHARED / "logs" / "receipt.xes", marks=needs_shared)],
                         ids=["office", "receipt"])
def test_lxml_fallback_reads_like_rustxes(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from gosupr.ingest import xes

    fast = read_log(path)
    monkeypatch.setattr(xes, "_rustxes", lambda _path: None)
    slow = read_log(path)
    pd.testing.assert_frame_equal(fast.df, slow.df)
    assert fast.audit.to_dict() == slow.audit.to_dict()


def test_concurrent_xes_reads_restore_stdout(small_log: SmallLog, tmp_path: Path,
                                             capfd: pytest.CaptureFixture[str]) -> None:
    data = small_log.xes.read_bytes()
    cut = tmp_path / "cut.xes"
    cut.write_bytes(data[:5000])
    results: list[str] = []

    def work(path: Path) -> None:
        try:
            results.append(str(read_log(path).n_events))
        except GosuprError:
            results.append("error")

    threads = [threading.Thread(target=work, args=(p,))
               for p in [small_log.xes, cut] * 3]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("still visible")
    assert sorted(results) == [str(small_log.events)] * 3 + ["error"] * 3
    assert capfd.readouterr() == ("still visible\n", "")


def test_xes_bad_date_dropped_quietly(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    trace = ('<trace><string key="concept:name" value="c1"/>' + xes_event("A", "2026-01-01T10:00:00")
             + xes_event("B", "garbage") + "</trace>")
    log = read_log(write(tmp_path / "bad.xes", XES_HEAD + "<log>" + trace + "</log>"))
    assert log.audit.dropped == {"unparseable_timestamp": 1} and log.activities == ["A"]
    assert capfd.readouterr() == ("", "")


def test_truncated_xes_is_an_error_and_quiet(small_log: SmallLog, tmp_path: Path,
                                              capfd: pytest.CaptureFixture[str]) -> None:
    data = small_log.xes.read_bytes()
    path = tmp_path / "cut.xes"
    path.write_bytes(data[: len(data) // 2])
    gz = tmp_path / "cut.xes.gz"
    blob = gzip.compress(data)
    gz.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(GosuprError, match=r"cut\.xes: malformed XML at line \d+"):
        read_log(path)
    with pytest.raises(GosuprError, match=r"cut\.xes\.gz: .*(truncated|ends early)"):
        read_log(gz)
    out, err = capfd.readouterr()
    assert out == "" and err == ""  # rustxes' panic output never reaches the terminal


@pytest.mark.parametrize("doc", [
    ('<!DOCTYPE log [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]><log><trace>'
     '<string key="concept:name" value="&b;"/></trace></log>'),
    '<!DOCTYPE log SYSTEM "http://example.org/x.dtd"><log/>',
    '<!DOCTYPE log [<!ENTITY x SYSTEM "file:///etc/passwd">]><log>&x;</log>',
])
def test_xes_with_doctype_or_entity_refused(tmp_path: Path, doc: str) -> None:
    with pytest.raises(GosuprError, match=r"e\.xes: .*DOCTYPE"):
        read_log(write(tmp_path / "e.xes", XES_HEAD + doc))
    gz = tmp_path / "e.xes.gz"
    gz.write_bytes(gzip.compress((XES_HEAD + doc).encode()))
    with pytest.raises(GosuprError, match="DOCTYPE"):
        read_log(gz)


def test_gzip_bomb_refused_without_expanding(tmp_path: Path) -> None:
    body = XES_HEAD.encode() + b"<log><!--" + b"0" * (64 * 1024**2) + b"--></log>"
    blob = gzip.compress(body, compresslevel=9)
    del body
    assert len(blob) < 200_000
    bomb = tmp_path / "bomb.xes.gz"
    bomb.write_bytes(blob)
    liar = tmp_path / "liar.xes.gz"  # ISIZE trailer claims 100 bytes
    liar.write_bytes(blob[:-4] + struct.pack("<I", 100))
    for path in (bomb, liar):
        tracemalloc.start()
        with pytest.raises(GosuprError, match=r"\.xes\.gz: decompressed data is larger than the 4\.0 MiB limit"):
            read_log(path, max_bytes=4 * 1024**2)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert peak < 16 * 1024**2  # never held the 64 MiB expansion


def test_multi_member_gzip_csv(tmp_path: Path) -> None:
    # members larger than the 1 MiB read chunk, then zero padding, as concatenated gzip files are
    rows = [f"{i // 5};step {i % 5};01.01.2026 {i % 24:02d}:00;{'x' * 40}" for i in range(60_000)]
    half = len(rows) // 2
    first = ("case;activity;timestamp;note\n" + "\n".join(rows[:half]) + "\n").encode()
    second = ("\n".join(rows[half:]) + "\n").encode()
    assert len(first) > 1024**2
    path = tmp_path / "parts.csv.gz"
    path.write_bytes(gzip.compress(first) + gzip.compress(second) + b"\x00" * 16)
    log = read_log(path)
    assert (log.audit.format, log.n_events, log.n_cases) == ("csv.gz", 60_000, 12_000)
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(gzip.compress(first)[:-100])
    with pytest.raises(GosuprError, match=r"cut\.csv\.gz: gzip data ends early"):
        read_log(cut)


@pytest.mark.parametrize(("path", "cap"), [(OFFICE.xes, 4096),
                                           pytest.param(SHARED / "logs" / "receipt.xes", 1024**2, marks=needs_shared)],
                         ids=["office", "receipt"])
def test_size_cap_applies_to_plain_files(path: Path, cap: int) -> None:
    with pytest.raises(GosuprError, match=f"{re.escape(path.name)}: .*limit"):
        read_log(path, max_bytes=cap)


# --- bad input -------------------------------------------------------------------------------

def _bad_inputs(tmp_path: Path) -> dict[str, Path]:
    d = tmp_path / "folder.csv"
    d.mkdir()
    (tmp_path / "empty.csv").write_bytes(b"")
    write(tmp_path / "header_only.csv", "Номер дела;Операция;Дата и время\n")
    (tmp_path / "junk.csv").write_bytes(bytes(np.random.default_rng(7).integers(0, 256, 4096, dtype=np.uint8)))
    write(tmp_path / "readme.txt", "This is not a log.\nJust some words here.\n")
    write(tmp_path / "model.xes", '<?xml version="1.0"?><definitions><process id="p"/></definitions>')
    write(tmp_path / "fake.xes", "case;activity;timestamp\n1;a;01.01.2026 10:00\n")
    write(tmp_path / "fake.parquet", "case;activity;timestamp\n1;a;01.01.2026 10:00\n")
    write(tmp_path / "all_bad.csv", "case;activity;timestamp\n1;a;soon\n2;b;later\n")
    write(tmp_path / "not_a_log.csv", "name;price\napple;3\n")
    write(tmp_path / "empty_log.xes", XES_HEAD + "<log></log>")
    (tmp_path / "book.xlsx").write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    (tmp_path / "broken.parquet").write_bytes(b"PAR1" + b"\x01" * 200)
    write(tmp_path / "ragged.csv", "case;activity;timestamp\n1;a\n2;b\n")
    return {p.name: p for p in tmp_path.iterdir()} | {"missing.csv": tmp_path / "missing.csv"}


@pytest.mark.parametrize(("name", "pattern"), [
    ("missing.csv", "not found"),
    ("folder.csv", "directory"),
    ("empty.csv", "empty"),
    ("header_only.csv", "no data rows"),
    ("junk.csv", "binary"),
    ("readme.txt", "delimiter|no column"),
    ("model.xes", "not an XES"),
    ("fake.xes", "not an XES"),
    ("fake.parquet", "not a Parquet"),
    ("all_bad.csv", r"no usable rows: 2 read.*unparseable_timestamp 2.*«soon»"),
    ("not_a_log.csv", "no column found for case id, activity, timestamp"),
    ("empty_log.xes", "no events"),
    ("book.xlsx", "Excel"),
    ("broken.parquet", "cannot read as Parquet"),
    ("ragged.csv", "malformed_row 2.*delimiter"),
])
def test_bad_input_gives_one_line_error_naming_the_file(tmp_path: Path, name: str, pattern: str) -> None:
    path = _bad_inputs(tmp_path)[name]
    with pytest.raises(GosuprError) as err:
        read_log(path)
    msg = str(err.value)
    assert name in msg and "\n" not in msg
    assert re.search(pattern, msg), msg


def test_relative_source_is_kept_as_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub" / "l.csv", "case;activity;timestamp\n1;a;01.01.2026 10:00\n")
    monkeypatch.chdir(tmp_path)
    log = read_log("sub/l.csv")
    assert log.audit.source == "sub/l.csv" and log.name == "l"


# --- dates -----------------------------------------------------------------------------------

def test_dates_are_strict() -> None:
    values = ["27.11.2026 14:05", "1.2.2026 3:05", "31.02.2026 10:00", "29.02.2024 10:00",
              "29.02.2025", "27.11.26 14:05", "27.11.2026 24:00", "27.11.2026 14:05:33.25", "", None]
    got, label = parse_timestamps(pa.array(values, pa.string()))
    assert label == "dd.mm.yyyy"
    expected = ["2026-11-27T14:05:00", "2026-02-01T03:05:00", "NaT", "2024-02-29T10:00:00", "NaT",
                "2026-11-27T14:05:00", "NaT", "2026-11-27T14:05:33.250", "NaT", "NaT"]
    np.testing.assert_array_equal(got, np.array(expected, dtype="datetime64[ns]"))


def test_dates_large_column_matches_pandas() -> None:
    rng = np.random.default_rng(3)
    ts = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 10**8, 50_000), unit="s")
    text = pa.array(ts.strftime("%d.%m.%Y %H:%M:%S"))
    got, _ = parse_timestamps(text)
    assert (got == ts.to_numpy()).all()
    assert pc.sum(pc.is_null(text)).as_py() == 0


# --- regressions from the hostile-input suite ------------------------------------------------

XES_EVENT = ('<log xmlns="http://www.xes-standard.org/"><trace><string key="concept:name" value="Д-1"/>'
             '<event><string key="concept:name" value="Приём"/>'
             '<date key="time:timestamp" value="2026-01-09T10:00:00.000+03:00"/>{inner}</event>'
             '</trace></log>')


def test_deep_xes_nesting_refused_before_rustxes(tmp_path: Path) -> None:
    deep = '<list key="l"><values>' * 5000 + '</values></list>' * 5000  # rustxes would overflow
    with pytest.raises(GosuprError, match=r"deep\.xes: .*deeper than 256 levels"):
        read_log(write(tmp_path / "deep.xes", XES_HEAD + XES_EVENT.format(inner=deep)))
    # quoted '/>' and '>' in values, comments and CDATA do not fool the counter either way
    tricky = ('<string key="a" value="x/>"/><string key=\'b\' value=\'O"Brien/>\'/>'
              '<!-- <x><x><x> --><string key="c" value="a > b"/>')
    log = read_log(write(tmp_path / "ok.xes", XES_HEAD + XES_EVENT.format(inner=tricky * 300)))
    assert log.n_events == 1


def test_nesting_hidden_behind_tags_in_attribute_values_never_reaches_rustxes(tmp_path: Path) -> None:
    """quick-xml (under rustxes) accepts '<' in attribute values, so fake closing tags there could
    hide deep nesting from a counter that takes every '<' for a tag: such files go to lxml."""
    deep = '<list key="l"><values>' * 5000 + '</values></list>' * 5000
    hidden = '<string key="x" value="' + "</values></list>" * 5000 + '"/>' + deep
    with pytest.raises(GosuprError, match=r"hidden\.xes: malformed XML at line 2: Unescaped '<'"):
        read_log(write(tmp_path / "hidden.xes", XES_HEAD + XES_EVENT.format(inner=hidden)))


def test_gzip_bomb_refused_by_ratio(tmp_path: Path) -> None:
    rows = b"case;activity;timestamp\n" + b"1;step;01.01.2026 10:00\n" * (3 * 1024**2)  # 72 MiB
    bomb = tmp_path / "bomb.csv.gz"
    bomb.write_bytes(gzip.compress(rows, compresslevel=9))
    del rows
    tracemalloc.start()
    with pytest.raises(GosuprError, match=r"bomb\.csv\.gz: gzip data inflates more than 200 times"):
        read_log(bomb)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 160 * 1024**2


def test_nested_parquet_role_column_named(tmp_path: Path) -> None:
    table = pa.table({"case_id": pa.array([[1], [2]]), "activity": ["a", "b"],
                      "timestamp": ["2026-01-01 10:00", "2026-01-01 11:00"]})
    import pyarrow.parquet as pq

    pq.write_table(table, tmp_path / "n.parquet")
    with pytest.raises(GosuprError, match=r"n\.parquet: column «case_id» \(case id\) holds nested"):
        read_log(tmp_path / "n.parquet")


def test_error_messages_stay_one_line(tmp_path: Path) -> None:
    text = '"Колонка\n1";"Колонка\r\n2"\n1;2\n'
    with pytest.raises(GosuprError) as err:
        read_log(write(tmp_path / "m.csv", text))
    assert "\n" not in str(err.value) and "\r" not in str(err.value)
    assert "«Колонка 1», «Колонка 2»" in str(err.value)
    with pytest.raises(GosuprError) as err:
        read_log(write(tmp_path / "m2.csv", text), ColumnMap(case="a\nb"))
    assert "\n" not in str(err.value) and "«a b»" in str(err.value)
    nul = XES_HEAD + '<log><trace>\x00<event/></log>'
    with pytest.raises(GosuprError, match="malformed XML") as err:
        read_log(write(tmp_path / "nul.xes", nul))
    assert "\n" not in str(err.value)


def test_mixed_utf8_and_cp1251_refused(tmp_path: Path) -> None:
    rows = "".join(f"Д-{i};Проверка документов;09.01.2024 10:00\n" for i in range(3000))
    late = ("Д-9;Регистрация обращения;10.01.2024 10:00\n" * 5).encode("cp1251")
    for name, head in (("long.csv", rows), ("short.csv", rows[:120])):
        path = tmp_path / name
        path.write_bytes(("Номер дела;Операция;Дата и время\n" + head).encode() + late)
        with pytest.raises(GosuprError, match=rf"{name}: mixed encodings: line \d+ .*cp1251"):
            read_log(path)


def test_utf16_without_bom_doctype_refused(tmp_path: Path) -> None:
    doc = ('<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE log [<!ENTITY x SYSTEM '
           '"file:///etc/passwd">]><log><trace><string key="concept:name" value="&x;"/></trace></log>')
    for enc in ("utf-16-le", "utf-16-be"):
        path = tmp_path / f"{enc}.xes"
        path.write_bytes(doc.encode(enc))
        with pytest.raises(GosuprError, match="DOCTYPE"):
            read_log(path)


def test_quoted_values_ending_in_pipe_sniffed_right(tmp_path: Path) -> None:
    text = '"case";"activity";"timestamp";"x"\n' + '"1";"a";"01.01.2026 10:00";"|"\n' * 6
    log = read_log(write(tmp_path / "p.csv", text))
    assert (log.audit.delimiter, log.n_events, log.audit.dropped) == (";", 6, {})
