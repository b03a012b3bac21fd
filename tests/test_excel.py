"""Workbooks as event logs (.xlsx, .ods): sheets, title rows, merged headers, Excel dates, hostile files."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
import xlsxwriter

from gosupr.errors import GosuprError
from gosupr.ingest import ColumnMap, read_log
from gosupr.ingest.excel import excel_times, find_header, header_names
from material import SmallLog

ROOT = Path(__file__).resolve().parents[1]
HEAD = ["Номер дела", "Операция", "Дата и время", "Исполнитель"]
ROWS = [
    ("Д-1", "Регистрация заявления", dt.datetime(2024, 3, 12, 10, 5), "Иванова"),
    ("Д-1", "Проверка документов", "13.03.2024 11:00", "Петров"),
    ("Д-1", "Выдача результата", 45370.5, "Сидорова"),  # a bare serial: 19.03.2024 12:00
    ("Д-2", "Регистрация заявления", dt.datetime(2024, 3, 14, 9, 30), "Иванова"),
    ("Д-2", "Проверка документов", "15.03.2024 16:45", "Петров"),
]


def gosupr(*args: object) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gosupr", *map(str, args)], capture_output=True,
                          text=True, timeout=600)


def workbook(path: Path, sheets: dict[str, list[tuple]], *, title: str | None = None,
             merged_header: bool = False) -> Path:
    """A workbook: each sheet gets its rows as given (datetimes as date cells); the first row of a
    sheet's rows is its header. `title`: a title row and a blank row above the header;
    `merged_header`: the header in two rows, «Сведения об операции» merged over activity and time
    and the other cells merged down."""
    wb = xlsxwriter.Workbook(str(path))
    stamp = wb.add_format({"num_format": "dd.mm.yyyy hh:mm"})
    for name, rows in sheets.items():
        ws = wb.add_worksheet(name)
        r = 0
        if title:
            ws.merge_range(0, 0, 0, len(rows[0]) - 1, title)
            r = 2
        if merged_header:
            for j, h in enumerate(rows[0]):
                if j in (1, 2):
                    ws.write(r + 1, j, h)
                else:
                    ws.merge_range(r, j, r + 1, j, h)
            ws.merge_range(r, 1, r, 2, "Сведения об операции")
            r += 2
        else:
            ws.write_row(r, 0, rows[0])
            r += 1
        for row in rows[1:]:
            for j, v in enumerate(row):
                if isinstance(v, dt.datetime):
                    ws.write_datetime(r, j, v, stamp)
                elif v is not None:
                    ws.write(r, j, v)
            r += 1
    wb.close()
    return path


def write_ods(path: Path, rows: list[tuple]) -> Path:
    """A minimal OpenDocument spreadsheet (mimetype, manifest, content.xml), as LibreOffice lays it out."""
    from xml.sax.saxutils import escape

    def cell(v: object) -> str:
        if isinstance(v, dt.datetime):
            return (f'<table:table-cell office:value-type="date" office:date-value="{v.isoformat()}">'
                    f"<text:p>{v:%d.%m.%Y %H:%M}</text:p></table:table-cell>")
        if isinstance(v, float):
            return f'<table:table-cell office:value-type="float" office:value="{v}"><text:p>{v}</text:p></table:table-cell>'
        return f'<table:table-cell office:value-type="string"><text:p>{escape(str(v))}</text:p></table:table-cell>'

    trailing = '<table:table-cell table:number-columns-repeated="1020"/>'  # as LibreOffice pads rows
    body = "".join("<table:table-row>" + "".join(cell(v) for v in r) + trailing + "</table:table-row>" for r in rows)
    body += (f'<table:table-row table:number-rows-repeated="{1048576 - len(rows)}">'
             '<table:table-cell table:number-columns-repeated="1024"/></table:table-row>')  # and the sheet
    ns = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"')
    content = (f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content {ns} office:version="1.2">'
               f'<office:body><office:spreadsheet><table:table table:name="Журнал">{body}</table:table>'
               "</office:spreadsheet></office:body></office:document-content>")
    manifest = ('<?xml version="1.0" encoding="UTF-8"?>\n<manifest:manifest xmlns:manifest="urn:oasis:names:tc:'
                'opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" '
                'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/></manifest:manifest>')
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
        z.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
    return path


def error_of(path: Path, columns: ColumnMap | None = None) -> str:
    with pytest.raises(GosuprError) as err:
        read_log(path, columns)
    msg = str(err.value)
    assert path.name in msg and "\n" not in msg, msg
    return msg


def stamps(log) -> list[str]:
    return [str(t)[:16] for t in log.df["timestamp"]]


# --- the proof: the same log as CSV and as a workbook gives the same model and findings ------------

def test_discover_on_the_workbook_equals_discover_on_the_csv(tmp_path: Path, examples_dir: Path) -> None:
    """land_lease_journal.xlsx is land_lease.csv as an Excel register (title row, merged two-row
    header, date cells mixed with text and serial times): same JSON but for the input's own
    description (file, format, encoding, delimiter, sheet), and the same BPMN bytes."""
    docs, models = [], []
    for src, name in (("land_lease.csv", "land_lease.csv"), ("land_lease_journal.xlsx", "land_lease.xlsx")):
        log = tmp_path / name  # the same stem: the model is named after the log
        shutil.copyfile(examples_dir / src, log)
        out = tmp_path / f"{name}.bpmn"
        p = gosupr("discover", log, "-o", out, "--format", "json")
        assert p.returncode == 0 and p.stderr == "", p.stderr
        doc = json.loads(p.stdout)
        audit, doc["log"] = doc.pop("log"), None
        doc.pop("output")
        assert audit["rows_read"] == audit["rows_kept"] == 6736 and audit["dropped"] == {}
        docs.append((doc, audit))
        models.append(out.read_bytes())
    (csv_doc, csv_audit), (xlsx_doc, xlsx_audit) = docs
    assert xlsx_doc == csv_doc
    assert models[0] == models[1]
    assert (xlsx_audit["format"], xlsx_audit["sheet"], xlsx_audit["encoding"]) == ("xlsx", "Журнал", None)
    assert (csv_audit["format"], csv_audit["sheet"], csv_audit["encoding"]) == ("csv", None, "cp1251")
    assert {k: v for k, v in xlsx_audit.items() if k not in ("source", "format", "sheet", "encoding", "delimiter")} == \
        {k: v for k, v in csv_audit.items() if k not in ("source", "format", "sheet", "encoding", "delimiter")}
    assert len(csv_doc["findings"]) >= 5  # findings were compared, not two empty lists


def test_small_log_as_workbook_reads_like_the_csv(tmp_path: Path, small_log: SmallLog) -> None:
    """A pm4py CSV export (ours, and running-example.csv, a real log not ours) copied cell by cell into a workbook."""
    import csv

    with small_log.csv.open(encoding="utf-8-sig", newline="") as fh:
        sample = fh.read(4096)
        fh.seek(0)
        rows = [tuple(r) for r in csv.reader(fh, csv.Sniffer().sniff(sample))]
    book = workbook(tmp_path / f"{small_log.name}.xlsx", {"Sheet1": rows})
    a, b = read_log(book), read_log(small_log.csv)
    assert (a.n_cases, a.n_events) == (small_log.cases, small_log.events) and a.audit.rows_dropped == 0
    assert a.variants.traces == b.variants.traces and stamps(a) == stamps(b)


# --- reading ---------------------------------------------------------------------------------------

def test_date_cells_text_dates_and_serial_numbers(tmp_path: Path) -> None:
    rows = [*ROWS,
            ("Д-2", "Выдача результата", 45371.999988426, "Сидорова"),  # 20.03.2024 23:59:59 (float noise)
            ("Д-3", "Регистрация заявления", 12.0, "Иванова"),  # 12.01.1900: before Excel's leap bug
            ("Д-3", "Проверка документов", "завтра", "Петров")]
    log = read_log(workbook(tmp_path / "dates.xlsx", {"Журнал": [tuple(HEAD), *rows]}))
    assert log.audit.dropped == {"unparseable_timestamp": 2}
    assert log.audit.rows_read == 8 and log.audit.rows_kept == 6
    assert stamps(log) == ["2024-03-12 10:05", "2024-03-13 11:00", "2024-03-19 12:00",
                           "2024-03-14 09:30", "2024-03-15 16:45", "2024-03-20 23:59"]
    assert str(log.df["timestamp"].iloc[-1]) == "2024-03-20 23:59:59"


def test_1904_date_system(tmp_path: Path) -> None:
    """A Mac workbook counts days from 1904: the same serial number is four years later."""
    path = tmp_path / "mac.xlsx"
    wb = xlsxwriter.Workbook(str(path), {"date_1904": True})
    ws = wb.add_worksheet()
    ws.write_row(0, 0, HEAD[:3])
    ws.write_row(1, 0, ("Д-1", "Приём"))
    ws.write_datetime(1, 2, dt.datetime(2024, 3, 12, 10, 5), wb.add_format({"num_format": "dd.mm.yyyy hh:mm"}))
    ws.write_row(2, 0, ("Д-1", "Выдача", 43908.5))  # 1904 system: 19.03.2024 12:00
    wb.close()
    assert stamps(read_log(path)) == ["2024-03-12 10:05", "2024-03-19 12:00"]


def test_excel_times_keeps_text_and_blanks_time_of_day() -> None:
    got = excel_times(pa.array(["45370.25", "2024-03-12 10:05:00", "13.03.2024 11:00",
                                "1899-12-31 10:00:00", "60", "999999", None, "45370.000000001"]))
    # 60 is before 1 March 1900 (Excel's leap-year bug), 999999 past what a timestamp holds
    assert got.to_pylist() == ["2024-03-19T06:00:00", "2024-03-12 10:05:00", "13.03.2024 11:00",
                               "", "", "", None, "2024-03-19T00:00:00"]
    assert excel_times(pa.array(["45370.5000058"])).to_pylist() == ["2024-03-19T12:00:00.501"]


def test_date_and_time_in_two_columns(tmp_path: Path) -> None:
    """«Дата» as date cells or text, «Время» as time cells, text or a fraction of a day."""
    path = tmp_path / "split.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    day, clock = wb.add_format({"num_format": "dd.mm.yyyy"}), wb.add_format({"num_format": "hh:mm"})
    ws = wb.add_worksheet("Журнал")
    ws.write_row(0, 0, ["Номер дела", "Операция", "Дата", "Время"])
    events = [("Д-1", "Приём", dt.datetime(2024, 3, 12), dt.time(10, 5)),
              ("Д-1", "Проверка", "12.03.2024", "16:30"),
              ("Д-1", "Выдача", dt.datetime(2024, 3, 13), 0.375),
              ("Д-2", "Приём", dt.datetime(2024, 3, 13), dt.time(8, 0)),
              ("Д-2", "Выдача", dt.datetime(2024, 3, 13), None)]
    for i, (case, act, d, t) in enumerate(events, start=1):
        ws.write_row(i, 0, (case, act))
        ws.write_datetime(i, 2, d, day) if isinstance(d, dt.datetime) else ws.write(i, 2, d)
        if isinstance(t, dt.time):
            ws.write_datetime(i, 3, t, clock)
        elif t is not None:
            ws.write(i, 3, t)
    wb.close()
    log = read_log(path)
    assert log.audit.columns["timestamp"] == "Дата + Время"
    assert log.audit.dropped == {"unparseable_timestamp": 1}  # no time: not an event time
    assert stamps(log) == ["2024-03-12 10:05", "2024-03-12 16:30", "2024-03-13 09:00", "2024-03-13 08:00"]


def test_title_rows_and_merged_two_row_header(tmp_path: Path) -> None:
    path = workbook(tmp_path / "journal.xlsx", {"Журнал": [tuple(HEAD), *ROWS]},
                    title="Журнал регистрации обращений", merged_header=True)
    log = read_log(path)
    assert log.audit.columns == {"case": "Номер дела", "activity": "Операция",
                                 "timestamp": "Дата и время", "resource": "Исполнитель"}
    assert (log.audit.rows_read, log.audit.dropped, log.n_cases) == (5, {}, 2)
    assert log.audit.sheet == "Журнал" and log.audit.format == "xlsx"


def test_case_number_merged_over_its_operations(tmp_path: Path) -> None:
    """«Номер дела» and «Исполнитель» merged down over a case's rows, as registers print them:
    every operation keeps its case; a merge across columns (a heading) fills nothing."""
    path = tmp_path / "merged.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Журнал")
    ws.merge_range("A1:D1", "Журнал регистрации обращений")
    ws.write_row(2, 0, HEAD)
    ws.merge_range("A4:A6", "Д-1")
    ws.merge_range("D4:D5", "Петров")
    ws.merge_range("A7:A8", "Д-2")
    for r, (_, act, when, _) in enumerate(ROWS, start=3):
        ws.write(r, 1, act)
        ws.write(r, 2, when if isinstance(when, (str, float)) else f"{when:%d.%m.%Y %H:%M}")
    ws.write("D6", "Сидорова")
    ws.merge_range("B9:C9", "Итого: 2 дела")  # across columns: not an operation of Д-2
    wb.close()
    log = read_log(path)
    assert log.audit.rows_read == 6 and log.audit.dropped == {"empty_case_id": 1}
    assert log.n_cases == 2 and log.n_events == 5
    by_case = log.df.groupby("case_id", observed=True)["resource"].agg(list).to_dict()
    assert by_case == {"Д-1": ["Петров", "Петров", "Сидорова"], "Д-2": ["", ""]}


def test_sheet_part_follows_the_relationships_whatever_the_attribute_order(tmp_path: Path) -> None:
    from gosupr.ingest.excel_merges import sheet_part

    path = tmp_path / "order.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("xl/workbook.xml", '<workbook xmlns:r="r"><sheets><sheet name="Сводка" sheetId="1" r:id="rId7"/>'
                                      '<sheet r:id="rId3" sheetId="2" name="A &amp; B"/></sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels", '<Relationships><Relationship Target="worksheets/s7.xml" Id="rId7"/>'
                                                 '<Relationship Id="rId3" Target="/xl/other/s3.xml"/></Relationships>')
    assert sheet_part(path, "A & B") == "xl/other/s3.xml"
    assert sheet_part(path, "Сводка") == "xl/worksheets/s7.xml"
    assert sheet_part(path, "Нет") is None


def test_header_names_fill_cells_merged_down_but_not_from_a_title() -> None:
    rows = [["Журнал регистрации", "", "", ""],
            ["", "", "", ""],
            ["Номер дела", "Сведения об операции", "", "Исполнитель"],
            ["", "Операция", "Дата", ""],
            ["Д-1", "Приём", "01.02.2024", "Иванова"]]
    assert header_names(rows, 3) == ["Номер дела", "Операция", "Дата", "Исполнитель"]
    r, names, mapping = find_header(rows, None, "x.xlsx")
    assert r == 3 and mapping["activity"] == "Операция"
    # a title row right above the header lends nothing to an unnamed column
    assert header_names([["Журнал", "", ""], ["Номер дела", "", "Дата"]], 1) == ["Номер дела", "", "Дата"]


def test_sheet_is_chosen_by_header_by_name_or_by_number(tmp_path: Path) -> None:
    summary = [("Показатель", "Значение"), ("Всего дел", 2.0)]
    path = workbook(tmp_path / "book.xlsx", {"Сводка": summary, "Журнал": [tuple(HEAD), *ROWS],
                                             "Архив": [tuple(HEAD), *ROWS[:2]]})
    assert read_log(path).audit.sheet == "Журнал"  # the first sheet whose header matches
    assert read_log(path, ColumnMap(sheet="Архив")).n_events == 2
    assert read_log(path, ColumnMap(sheet=" архив ")).audit.sheet == "Архив"
    assert read_log(path, ColumnMap(sheet="3")).audit.sheet == "Архив"
    msg = error_of(path, ColumnMap(sheet="1"))
    assert "sheet «Сводка»" in msg and "«Показатель»" in msg  # the headers it saw
    msg = error_of(path, ColumnMap(sheet="Лист9"))
    assert "no sheet «Лист9»" in msg and "«Сводка», «Журнал», «Архив»" in msg


def test_sheet_option_on_the_command_line(tmp_path: Path) -> None:
    path = workbook(tmp_path / "book.xlsx", {"Журнал": [tuple(HEAD), *ROWS], "Архив": [tuple(HEAD), *ROWS[:2]]})
    p = gosupr("analyze", path, "--sheet", "2", "--format", "json")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["log"]["sheet"] == "Архив"
    p = gosupr("analyze", path, "--sheet", "Сводка")
    assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1 and "no sheet «Сводка»" in p.stderr


def test_chart_and_hidden_sheets_are_passed_over_quietly(tmp_path: Path) -> None:
    path = tmp_path / "charts.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    chart_sheet = wb.add_chartsheet("Диаграмма")
    ws = wb.add_worksheet("Журнал")
    for i, row in enumerate([tuple(HEAD), *ROWS[:2]]):
        ws.write_row(i, 0, row[:2])
        ws.write(i, 2, row[2] if i == 0 else "12.03.2024 1%d:00" % i)
    chart = wb.add_chart({"type": "column"})
    chart.add_series({"values": "='Журнал'!$D$2:$D$3"})
    chart_sheet.set_chart(chart)
    wb.add_worksheet("Скрытый").hide()
    wb.close()
    p = gosupr("analyze", path, "--format", "json")
    assert p.returncode == 0 and p.stderr == "", p.stderr  # calamine's warning stays off stderr
    assert json.loads(p.stdout)["log"]["sheet"] == "Журнал"


def test_no_sheet_with_a_log_lists_the_sheets(tmp_path: Path) -> None:
    path = workbook(tmp_path / "report.xlsx", {"Сводка": [("Показатель", "Значение"), ("Дел", 2.0)],
                                               "Диаграмма": [("a", "b")]})
    msg = error_of(path)
    assert "no sheet has a header row" in msg and "«Сводка», «Диаграмма»" in msg and "--sheet" in msg


def test_ods(tmp_path: Path) -> None:
    log = read_log(write_ods(tmp_path / "journal.ods", [tuple(HEAD), *ROWS]))  # date, text and float cells
    assert (log.audit.format, log.audit.sheet, log.audit.rows_kept) == ("ods", "Журнал", 5)
    assert stamps(log) == ["2024-03-12 10:05", "2024-03-13 11:00", "2024-03-19 12:00",
                           "2024-03-14 09:30", "2024-03-15 16:45"]


def test_ods_cell_bomb(tmp_path: Path) -> None:
    """900 bytes whose repeated row and cell ask calamine for 50 million cells (6 GB)."""
    path = write_ods(tmp_path / "bomb.ods", [tuple(HEAD[:3])])
    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i) for i in z.infolist()}
    bomb = ('<table:table-row table:number-rows-repeated="5000"><table:table-cell table:number-columns-repeated='
            '"10000" office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row>')
    parts["content.xml"] = parts["content.xml"].replace(b"</table:table>", bomb.encode() + b"</table:table>")
    with zipfile.ZipFile(path, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data, compress_type=zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED)
    msg = error_of(path)  # after the padding rows: the extent counts them too
    assert "1,053,576 rows × 10,000 columns" in msg and "cell bomb" in msg


def test_batch_config_takes_the_sheet(tmp_path: Path) -> None:
    from gosupr.batch.config import parse_config

    cfg = parse_config({"columns": {"*.xlsx": {"sheet": 2, "case": "Номер дела"}}}, source="gosupr.toml")
    cols = cfg.columns_for(tmp_path / "book.xlsx")
    assert cols == {"sheet": "2", "case": "Номер дела"}
    path = workbook(tmp_path / "book.xlsx", {"Журнал": [tuple(HEAD), *ROWS], "Архив": [tuple(HEAD), *ROWS[:2]]})
    assert read_log(path, ColumnMap(**cols)).audit.sheet == "Архив"


# --- untrusted workbooks ---------------------------------------------------------------------------

def test_truncated_workbook(tmp_path: Path) -> None:
    good = workbook(tmp_path / "good.xlsx", {"Журнал": [tuple(HEAD), *ROWS]}).read_bytes()
    (tmp_path / "cut.xlsx").write_bytes(good[: len(good) // 2])
    assert "corrupt workbook" in error_of(tmp_path / "cut.xlsx")


def _zip_member_sizes(data: bytes, member: str, size: int) -> bytes:
    """The workbook with `member`'s declared uncompressed size replaced (central directory and
    local header), as a crafted archive would lie."""
    out = bytearray(data)
    name = member.encode()
    for sig, at in ((b"PK\x01\x02", 24), (b"PK\x03\x04", 22)):
        i = out.find(sig)
        while i >= 0:
            n_at = 28 if sig == b"PK\x01\x02" else 26
            n = struct.unpack_from("<H", out, i + n_at)[0]
            off = 46 if sig == b"PK\x01\x02" else 30
            if bytes(out[i + off: i + off + n]) == name:
                struct.pack_into("<I", out, i + at, size)
            i = out.find(sig, i + 4)
    return bytes(out)


def test_member_that_lies_about_its_size(tmp_path: Path) -> None:
    good = workbook(tmp_path / "good.xlsx", {"Журнал": [tuple(HEAD), *ROWS]}).read_bytes()
    (tmp_path / "lie.xlsx").write_bytes(_zip_member_sizes(good, "xl/worksheets/sheet1.xml", 100))
    assert "inflates past its declared size" in error_of(tmp_path / "lie.xlsx")


def test_declared_size_over_the_limit(tmp_path: Path) -> None:
    good = workbook(tmp_path / "good.xlsx", {"Журнал": [tuple(HEAD), *ROWS]}).read_bytes()
    (tmp_path / "big.xlsx").write_bytes(_zip_member_sizes(good, "xl/worksheets/sheet1.xml", 3 * 1024**3))
    assert "limit" in error_of(tmp_path / "big.xlsx")
    with pytest.raises(GosuprError, match="limit"):
        read_log(tmp_path / "good.xlsx", max_bytes=2000)


def test_cell_bomb_is_refused_before_calamine_allocates(tmp_path: Path) -> None:
    """Two cells far apart: calamine would allocate 17 billion cells and abort the process."""
    path = tmp_path / "sparse.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    ws.write_row(0, 0, HEAD[:3])
    ws.write("XFD1048576", "x")
    wb.close()
    msg = error_of(path)
    assert "1,048,576 rows × 16,384 columns" in msg and "cell bomb" in msg


def test_extent_tells_dense_from_sparse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With a low floor, the grid against the cells written decides: a filled 300 × 30 sheet
    passes, the same sheet with one far cell (999 rows × 702 columns) does not."""
    from gosupr.ingest import excel_safety

    monkeypatch.setattr(excel_safety, "SPARSE_FLOOR", 1000)
    n = 300
    for name, far in (("dense.xlsx", None), ("sparse.xlsx", "ZZ999")):
        wb = xlsxwriter.Workbook(str(tmp_path / name))
        ws = wb.add_worksheet()
        ws.write_row(0, 0, [*HEAD[:3], *[f"Поле {i}" for i in range(27)]])
        ws.write_column(1, 0, [f"Д-{i // 3}" for i in range(n)])
        ws.write_column(1, 1, [("Приём", "Проверка", "Выдача")[i % 3] for i in range(n)])
        ws.write_column(1, 2, [f"{1 + i // 3 % 28:02d}.02.2024 1{i % 3}:00" for i in range(n)])
        for j in range(3, 30):
            ws.write_column(1, j, list(range(n)))
        if far:
            ws.write(far, "x")
        wb.close()
    assert read_log(tmp_path / "dense.xlsx").n_events == n
    assert "999 rows × 702 columns" in error_of(tmp_path / "sparse.xlsx")


def _corpus():
    """tests/bad/make_corpus.py: its OLE2 and BIFF8 writers make the .xls and encrypted files."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_corpus", ROOT / "tests" / "bad" / "make_corpus.py")
    assert spec is not None and spec.loader is not None
    corpus = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(corpus)
    return corpus


def test_cell_references_are_found_however_they_are_spelt() -> None:
    from gosupr.ingest.excel_safety import ref_extent

    pad = b" " * 24  # a piece leaves its last bytes to the next one
    assert ref_extent(b'<row r="9" spans="1:3"><c r="B5" s="1"><v>1</v></c>' + pad) == (5, 2, 1)
    assert ref_extent(b"<c s='1' r='XFD1048576'/>" + pad) == (1048576, 16384, 1)  # order, quotes
    assert ref_extent(b'<x:c x:r="AA10"/>\n<c\n r="C3"/>' + pad) == (10, 27, 2)  # prefix, new line
    assert ref_extent(b'<c r = "ZZ77"/>' + pad)[:2] == (77, 702)  # spaces around '='
    assert ref_extent(b'<t>r="A1"</t>' + pad) == (0, 0, 0)  # not an attribute


def test_a_reference_split_between_pieces_is_seen_once() -> None:
    from gosupr.ingest.excel_safety import _Extent

    doc = b"x" * 40 + b' r="XFD1048576"' + b"y" * 40
    for cut in range(len(doc)):
        extent = _Extent()
        extent.feed(doc[:cut])
        extent.feed(doc[cut:])
        extent.feed(b"\x00" * 24)  # as check() ends the stream
        assert (extent.rows, extent.cols, extent.cells) == (1048576, 16384, 1), cut


def test_password_protected_workbooks(tmp_path: Path) -> None:
    corpus = _corpus()
    (tmp_path / "secret.xlsx").write_bytes(corpus.password_xlsx())
    assert "password-protected" in error_of(tmp_path / "secret.xlsx")
    (tmp_path / "secret.xls").write_bytes(corpus.password_xls())
    assert "password-protected" in error_of(tmp_path / "secret.xls")


def test_xls(tmp_path: Path) -> None:
    rows = [tuple(HEAD[:3]), *[(c, a, t if not isinstance(t, dt.datetime) else f"{t:%d.%m.%Y %H:%M}")
                               for c, a, t, _ in ROWS]]
    path = tmp_path / "old.xls"
    path.write_bytes(_corpus().xls(rows, sheet="Лист1"))
    log = read_log(path)
    assert (log.audit.format, log.audit.sheet, log.audit.rows_kept) == ("xls", "Лист1", 5)
    assert stamps(log) == ["2024-03-12 10:05", "2024-03-13 11:00", "2024-03-19 12:00",
                           "2024-03-14 09:30", "2024-03-15 16:45"]


def test_reader_panic_is_one_line_and_no_report(tmp_path: Path) -> None:
    """calamine panics on some malformed compound files; Rust prints a report on fd 2."""
    path = tmp_path / "panic.xls"
    path.write_bytes(_corpus().panic_xls())
    p = gosupr("analyze", path)
    assert p.returncode == 2 and p.stderr.count("\n") == 1, p.stderr
    assert "corrupt workbook" in p.stderr and "panicked" not in p.stderr


def test_zip_that_is_not_a_workbook_and_xlsb(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "logs.xlsx", "w") as z:
        z.writestr("journal.csv", "a;b;c\n")
    assert "not an Excel (.xlsx) or OpenDocument" in error_of(tmp_path / "logs.xlsx")
    with zipfile.ZipFile(tmp_path / "book.xlsb", "w") as z:
        z.writestr("xl/workbook.bin", b"\x00" * 10)
    assert "save it as .xlsx" in error_of(tmp_path / "book.xlsb")


def test_header_without_rows(tmp_path: Path) -> None:
    path = workbook(tmp_path / "empty.xlsx", {"Журнал": [tuple(HEAD)]}, title="Журнал регистрации")
    assert "has a header but no data rows" in error_of(path)


def test_empty_rows_below_the_header_are_counted(tmp_path: Path) -> None:
    rows = [tuple(HEAD), ROWS[0], (None, None, None, None), ROWS[1], ("Итого: 2", None, None, None)]
    path = workbook(tmp_path / "gaps.xlsx", {"Журнал": rows})
    log = read_log(path)
    assert log.audit.rows_read == 4 and log.audit.rows_kept == 2
    assert log.audit.dropped == {"empty_case_id": 1, "unparseable_timestamp": 1}
    assert np.all(log.df["case_id"] == "Д-1")
