"""Generate the binary, large and path-dependent files of the hostile-input corpus.

Small text cases are committed beside this script (csv/, xes/, bpmn/). What is generated here is
binary (gzip, Parquet, random bytes, mixed encodings), large (a gzip bomb, a 60 MB sparse BPMN,
100 000-deep nesting) or must name a file that only exists at test time (XML external entities
pointing at a secret file). Deterministic: a fixed seed, no wall clock.

    python tests/bad/make_corpus.py [DEST] [--secret FILE]

DEST defaults to tests/bad/generated/ (gitignored). Without --secret a secret file with a marker
is written into DEST. tests/test_hostile.py calls `build()` into a temporary folder instead.
"""

from __future__ import annotations

import argparse
import codecs
import gzip
import io
import random
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_DEST = HERE / "generated"
MARKER = "GOSUPR-SECRET-7f3a9c1e"  # ASCII, so it is found in any encoding of any output
BOMB_BYTES = (2 * 1024 + 256) * 1024 * 1024  # 2.25 GiB: past the default 2 GiB cap of read_log

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
XES_HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<log xes.version="1849-2016" xmlns="http://www.xes-standard.org/">\n')

RU_ROWS = [
    ("Д-1", "Регистрация заявления", "09.01.2024 10:00"),
    ("Д-1", "Проверка документов", "09.01.2024 11:00"),
    ("Д-1", "Выдача результата", "10.01.2024 15:00"),
    ("Д-2", "Регистрация заявления", "10.01.2024 09:30"),
    ("Д-2", "Проверка документов", "10.01.2024 12:00"),
    ("Д-2", "Выдача результата", "11.01.2024 16:00"),
]
RU_HEADER = ("Номер дела", "Операция", "Дата и время")


def _csv(rows: list[tuple[str, ...]], header: tuple[str, ...] = RU_HEADER, sep: str = ";") -> str:
    return "".join(sep.join(r) + "\r\n" for r in [header, *rows])


def _event(case: str, activity: str, ts: str) -> str:
    return (f'    <event><string key="concept:name" value="{activity}"/>'
            f'<date key="time:timestamp" value="{ts}"/></event>\n')


def _xes(traces: int = 2) -> str:
    body = []
    for t in range(1, traces + 1):
        body.append(f'  <trace>\n    <string key="concept:name" value="Д-{t}"/>\n')
        body.append(_event(f"Д-{t}", "Регистрация заявления", f"2024-01-{8 + t:02d}T10:00:00.000+03:00"))
        body.append(_event(f"Д-{t}", "Проверка документов", f"2024-01-{8 + t:02d}T11:00:00.000+03:00"))
        body.append("  </trace>\n")
    return XES_HEAD + "".join(body) + "</log>\n"


def _bpmn(process_body: str, prolog: str = "", extra_ns: str = "") -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n{prolog}'
            f'<definitions xmlns="{BPMN_NS}"{extra_ns} id="defs" targetNamespace="http://gosupr.test/bad">\n'
            f'  <process id="p">\n{process_body}  </process>\n</definitions>\n')


SIMPLE_PROCESS = ('    <startEvent id="start"/>\n    <task id="t1" name="{name}"/>\n    <endEvent id="end"/>\n'
                  '    <sequenceFlow id="f1" sourceRef="start" targetRef="t1"/>\n'
                  '    <sequenceFlow id="f2" sourceRef="t1" targetRef="end"/>\n')
# an entity in element content, where a reader would copy it into the model (annotation text)
LEAKY_PROCESS = SIMPLE_PROCESS.format(name="Проверка") + (
    '    <textAnnotation id="note"><text>&secret;</text></textAnnotation>\n'
    '    <association id="a1" sourceRef="note" targetRef="t1"/>\n')


def _xxe_doctype(root: str, secret: Path) -> str:
    return f'<!DOCTYPE {root} [\n  <!ENTITY secret SYSTEM "{secret.resolve().as_uri()}">\n]>\n'


# --- CSV ---------------------------------------------------------------------------------------

def binary_csv() -> bytes:
    """Random bytes with NULs, as when an image or a database file is given a .csv name."""
    rng = random.Random("binary.csv")
    return bytes(rng.randrange(256) for _ in range(8192))


def binary_no_nul_csv() -> bytes:
    """High bytes only: decodes as cp1251 garbage but has no table in it."""
    rng = random.Random("binary_no_nul.csv")
    return bytes(rng.randrange(0x80, 0x100) for _ in range(8192))


def mixed_encoding_csv() -> bytes:
    """A register stitched from two exports: first rows UTF-8, the rest cp1251."""
    head = _csv(RU_ROWS[:3]).encode("utf-8")
    tail = "".join(";".join(r) + "\r\n" for r in RU_ROWS[3:]).encode("cp1251")
    return head + tail


def _past_the_sample(first: str, then: str) -> bytes:
    """1 200 cases (more than the 64 KiB sniffing sample) in `first`, 10 more in `then`."""
    rows = [(f"Д-{i}", a, t) for i in range(1, 1201) for _, a, t in RU_ROWS[:3]]
    head = _csv(rows).encode(first)
    tail = "".join(";".join((f"Д-{i}", a, t)) + "\r\n"
                   for i in range(1201, 1211) for _, a, t in RU_ROWS[:3]).encode(then)
    return head + tail


def utf8_then_cp1251_csv() -> bytes:
    """More than the 64 KiB sniffing sample in UTF-8, then cp1251 rows: the sample says UTF-8."""
    return _past_the_sample("utf-8", "cp1251")


def cp1251_then_utf8_csv() -> bytes:
    """More than the 64 KiB sample in cp1251, then UTF-8 rows: cp1251 decodes any byte, so only a
    look at the whole file tells the UTF-8 part (which would become mojibake activities)."""
    return _past_the_sample("cp1251", "utf-8")


def giant_case_csv() -> bytes:
    """The department taken as the case id: one "case" of 12 000 events (a wrong --case column)."""
    acts = [a for _, a, _ in RU_ROWS[:3]]
    rows = [("Отдел земельных отношений", acts[i % 3], f"{1 + i // 600 % 28:02d}.01.2024 {i // 60 % 10 + 8:02d}:{i % 60:02d}")
            for i in range(12_000)]
    return _csv(rows).encode("utf-8")


def ids_as_activities_csv() -> bytes:
    """A document number taken as the activity: 3 000 distinct "activities" in 3 000 events."""
    rows = [(f"Д-{i // 3}", f"Исх. № {i:05d}", f"{1 + i // 120 % 28:02d}.01.2024 {i % 10 + 8:02d}:00")
            for i in range(3_000)]
    return _csv(rows).encode("utf-8")


def truncated_csv_gz() -> bytes:
    data = gzip.compress(_csv(RU_ROWS * 200).encode("utf-8"), mtime=0)
    return data[: len(data) // 2]


def zip_as_csv() -> bytes:
    """An Excel workbook (a ZIP) saved under a .csv name."""
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("xl/worksheets/sheet1.xml", "<worksheet/>")
    return buf.getvalue()


def _bomb(prefix: bytes, unit: bytes, total: int) -> bytes:
    """One gzip member that inflates to `prefix` + `unit` repeated up to `total` bytes (valid CRC
    and ISIZE), built from one compressed block repeated, so it costs seconds, not minutes."""
    block = unit * max(1, (1 << 20) // len(unit))  # ~1 MiB
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = comp.compress(prefix) + comp.flush(zlib.Z_FULL_FLUSH)
    one = comp.compress(block) + comp.flush(zlib.Z_FULL_FLUSH)
    # a full flush resets the window, so the same input gives the same bytes again
    assert comp.compress(block) + comp.flush(zlib.Z_FULL_FLUSH) == one
    n = max(1, (total - len(prefix)) // len(block))
    tail = comp.flush(zlib.Z_FINISH)
    crc = zlib.crc32(prefix)
    for _ in range(n + 1):  # n blocks plus the one used for the check above
        crc = zlib.crc32(block, crc)
    size = len(prefix) + (n + 1) * len(block)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    return header + head + one * (n + 1) + tail + struct.pack("<II", crc, size & 0xFFFFFFFF)


def bomb_csv_gz() -> bytes:
    row = "Д-1;Проверка документов;09.01.2024 11:00\r\n".encode()
    return _bomb(";".join(RU_HEADER).encode("utf-8") + b"\r\n", row, BOMB_BYTES)


# --- Parquet -------------------------------------------------------------------------------------

def _parquet(table: object) -> bytes:
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


def _ru_table():
    import pyarrow as pa

    return pa.table({
        "case_id": [r[0] for r in RU_ROWS],
        "activity": [r[1] for r in RU_ROWS],
        "timestamp": [f"{r[2][6:10]}-{r[2][3:5]}-{r[2][:2]} {r[2][11:]}:00" for r in RU_ROWS],
    })


def truncated_parquet() -> bytes:
    data = _parquet(_ru_table())
    return data[: len(data) // 2]


def footer_only_parquet() -> bytes:
    """Starts with PAR1 but the rest is garbage."""
    return b"PAR1" + bytes(range(256)) * 4 + b"PAR1"


def no_rows_parquet() -> bytes:
    return _parquet(_ru_table().slice(0, 0))


def nested_parquet() -> bytes:
    """The activity column holds structs and the case id lists: not text."""
    import pyarrow as pa

    n = len(RU_ROWS)
    return _parquet(pa.table({
        "case_id": pa.array([[1, 2]] * n),
        "activity": pa.array([{"name": r[1], "code": i} for i, r in enumerate(RU_ROWS)]),
        "timestamp": _ru_table()["timestamp"],
    }))


def epoch_int_parquet() -> bytes:
    """Timestamps as integer epoch seconds instead of a timestamp type."""
    import pyarrow as pa

    t = _ru_table()
    return _parquet(t.set_column(2, "timestamp", pa.array([1704790800 + 3600 * i for i in range(len(t))])))


def text_as_parquet() -> bytes:
    return _csv(RU_ROWS).encode("utf-8")


# --- workbooks (.xlsx, .ods) -----------------------------------------------------------------------

def _workbook(sheets: dict[str, list[tuple]]) -> bytes:
    """An .xlsx from xlsxwriter (a test dependency), deterministic (fixed creation date)."""
    import datetime

    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    wb.set_properties({"created": datetime.datetime(2024, 1, 9)})
    for name, rows in sheets.items():
        sheet = wb.add_worksheet(name)
        for i, row in enumerate(rows):
            sheet.write_row(i, 0, row)
    wb.close()
    return buf.getvalue()


def truncated_xlsx() -> bytes:
    data = _workbook({"Журнал": [RU_HEADER, *RU_ROWS]})
    return data[: len(data) // 2]


def register_xlsx() -> bytes:
    """A register as exported: title row, blank row, a header with «Дата и время» merged over two
    header rows, a blank row and a time-of-day cell among the events."""
    import datetime

    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    wb.set_properties({"created": datetime.datetime(2024, 1, 9)})
    ws = wb.add_worksheet("Журнал")
    stamp = wb.add_format({"num_format": "dd.mm.yyyy hh:mm"})
    ws.merge_range("A1:C1", "Журнал регистрации обращений")
    ws.merge_range("A3:B3", "Сведения об обращении")
    ws.write_row("A4", RU_HEADER[:2])
    ws.merge_range("C3:C4", RU_HEADER[2])
    r = 4
    for i, (case, act, ts) in enumerate(RU_ROWS):
        if i == 3:
            r += 1  # a blank row between the cases
        when = datetime.datetime.strptime(ts, "%d.%m.%Y %H:%M")
        ws.write_row(r, 0, (case, act))
        ws.write_datetime(r, 2, when, stamp) if i % 2 else ws.write_string(r, 2, ts)
        r += 1
    ws.write_row(r, 0, ("Д-2", "Архивирование"))
    ws.write_datetime(r, 2, datetime.datetime(1899, 12, 31, 10, 0), wb.add_format({"num_format": "hh:mm"}))
    wb.close()
    return buf.getvalue()


def no_log_sheet_xlsx() -> bytes:
    return _workbook({"Сводка": [("Показатель", "Значение"), ("Всего дел", 2)],
                      "Отделы": [("Отдел", "Сотрудников"), ("Юридический", 4)]})


def cell_bomb_xlsx() -> bytes:
    """6 KB with a cell at XFD1048576: a dense grid of 17 billion cells for the reader."""
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet("Журнал")
    for i, row in enumerate([RU_HEADER, *RU_ROWS]):
        ws.write_row(i, 0, row)
    ws.write("XFD1048576", "x")
    wb.close()
    return buf.getvalue()


def _zip_stored_header(name: bytes, crc: int, comp: int, size: int, offset: int | None = None) -> bytes:
    """A deflated member's local header (offset None) or central directory entry."""
    if offset is None:
        return struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 8, 0, 0x21, crc, comp, size, len(name), 0) + name
    return struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0, 8, 0, 0x21, crc, comp, size,
                       len(name), 0, 0, 0, 0, 0, offset) + name


def _zip(members: list[tuple[str, bytes, int, int, int]]) -> bytes:
    """A ZIP of (name, raw deflate data, crc, declared size, -) members, sizes as given."""
    out, central = bytearray(), bytearray()
    for name, data, crc, size, _ in members:
        offset = len(out)
        out += _zip_stored_header(name.encode(), crc, len(data), size) + data
        central += _zip_stored_header(name.encode(), crc, len(data), size, offset)
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(members), len(members), len(central), len(out), 0)
    return bytes(out + central + end)


def _deflated(data: bytes) -> tuple[bytes, int, int]:
    comp = zlib.compressobj(6, zlib.DEFLATED, -15)
    return comp.compress(data) + comp.flush(), zlib.crc32(data), len(data)


def _bomb_xlsx(total: int, declared: int | None) -> bytes:
    """A workbook whose sheet inflates to `total` bytes of rows (repeated deflate blocks, valid CRC),
    declaring `declared` bytes (None: the truth)."""
    with zipfile.ZipFile(io.BytesIO(_workbook({"Журнал": [RU_HEADER, *RU_ROWS]}))) as zf:
        parts = {i.filename: zf.read(i) for i in zf.infolist()}
    sheet = "xl/worksheets/sheet1.xml"
    head, tail = parts[sheet].split(b"</sheetData>")
    row = ('<row><c t="inlineStr"><is><t>Д-1</t></is></c><c t="inlineStr"><is><t>Проверка документов</t></is>'
           '</c><c t="inlineStr"><is><t>09.01.2024 11:00</t></is></c></row>').encode("utf-8")
    block = row * ((1 << 20) // len(row))
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = comp.compress(head) + comp.flush(zlib.Z_FULL_FLUSH)
    one = comp.compress(block) + comp.flush(zlib.Z_FULL_FLUSH)
    n = max(1, (total - len(head)) // len(block))
    crc = zlib.crc32(head)
    for _ in range(n):
        crc = zlib.crc32(block, crc)
    end = b"</sheetData>" + tail
    crc = zlib.crc32(end, crc)
    data = first + one * n + comp.compress(end) + comp.flush()
    size = len(head) + n * len(block) + len(end)
    members = [(k, *_deflated(v), 0) for k, v in parts.items() if k != sheet]
    members.append((sheet, data, crc, size if declared is None else declared, 0))
    return _zip(members)


def bomb_xlsx() -> bytes:
    """A 10 MB workbook whose sheet says (truthfully) it inflates to 2.25 GiB."""
    return _bomb_xlsx(BOMB_BYTES, None)


def lying_bomb_xlsx() -> bytes:
    """The sheet claims 1 MiB but inflates to 1 GiB: headers must not be trusted."""
    return _bomb_xlsx(1 << 30, 1 << 20)


def _cfb(streams: list[tuple[str, bytes]]) -> bytes:
    """An OLE2 compound file (version 3, 512-byte sectors) holding `streams` side by side under the
    root; each stream is padded with zeros to 4096 bytes so none goes to the mini stream."""
    free, end, fat_sect, nostream = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
    streams = [(name, body.ljust(max(4096, -(-len(body) // 512) * 512), b"\x00")) for name, body in streams]
    data, fat = b"", [fat_sect, end]
    for _, body in streams:
        first, n = len(fat), len(body) // 512
        fat += list(range(first + 1, first + n)) + [end]
        data += body
    assert len(fat) <= 128 and len(streams) <= 3
    fat += [free] * (128 - len(fat))
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16
              + struct.pack("<HHHHH6xIIIIIIIII", 0x3E, 3, 0xFFFE, 9, 6, 0, 1, 1, 0, 4096, end, 0, end, 0)
              + struct.pack("<109I", 0, *[free] * 108))

    def entry(name: str, kind: int, right: int, child: int, start: int, size: int) -> bytes:
        raw = (name + "\x00").encode("utf-16-le") if name else b""
        return (raw.ljust(64, b"\x00") + struct.pack("<HBBIII", len(raw), kind, 1, nostream, right, child)
                + b"\x00" * 36 + struct.pack("<IQ", start, size))

    # siblings in a right-leaning chain, in the order CFB compares names (length, then upper case)
    order = sorted(range(len(streams)), key=lambda i: (len(streams[i][0]), streams[i][0].upper()))
    starts, at = [], 2
    for _, body in streams:
        starts.append(at)
        at += len(body) // 512
    entries = [entry("Root Entry", 5, nostream, order[0] + 1, end, 0)]
    for i, (name, body) in enumerate(streams):
        nxt = order.index(i) + 1
        entries.append(entry(name, 2, order[nxt] + 1 if nxt < len(order) else nostream, nostream, starts[i], len(body)))
    entries += [entry("", 0, nostream, nostream, 0, 0)] * (4 - len(entries))
    return header + struct.pack("<128I", *fat) + b"".join(entries) + data


def password_xlsx() -> bytes:
    """A password-protected .xlsx as Excel saves it: no ZIP but an OLE2 compound file holding the
    streams EncryptionInfo and EncryptedPackage (the content here is random; only the container
    is real)."""
    rng = random.Random("password.xlsx")
    info = b"\x04\x00\x04\x00\x40\x00\x00\x00" + (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<encryption xmlns='
        '"http://schemas.microsoft.com/office/2006/encryption"/>').encode()
    package = struct.pack("<Q", 6000) + bytes(rng.randrange(256) for _ in range(4096 - 8))
    return _cfb([("EncryptionInfo", info), ("EncryptedPackage", package)])


def _record(kind: int, body: bytes = b"") -> bytes:
    return struct.pack("<HH", kind, len(body)) + body


def xls(rows: list[tuple], sheet: str = "Журнал", password: bool = False) -> bytes:
    """A BIFF8 workbook (Excel 97-2003 .xls) with one sheet: text cells in the shared string
    table, numbers as NUMBER records (a time as a bare serial number). `password`: a FILEPASS
    record (RC4), as Excel writes a workbook with an opening password."""
    bof = lambda dt: _record(0x0809, struct.pack("<HHHHII", 0x0600, dt, 0x0DBB, 0x07CC, 0, 6))  # noqa: E731
    texts = sorted({v for r in rows for v in r if isinstance(v, str)})
    sst = struct.pack("<II", len(texts), len(texts)) + b"".join(
        struct.pack("<HB", len(t), 1) + t.encode("utf-16-le") for t in texts)
    name = struct.pack("<BB", len(sheet), 1) + sheet.encode("utf-16-le")
    cells = b""
    for i, row in enumerate(rows):
        for j, v in enumerate(row):
            if isinstance(v, str):
                cells += _record(0x00FD, struct.pack("<HHHI", i, j, 15, texts.index(v)))
            elif v is not None:
                cells += _record(0x0203, struct.pack("<HHHd", i, j, 15, float(v)))
    dims = _record(0x0200, struct.pack("<IIHHH", 0, len(rows), 0, max(map(len, rows)), 0))
    worksheet = bof(0x0010) + dims + cells + _record(0x000A)
    head = bof(0x0005) + (_record(0x002F, struct.pack("<HHH", 1, 1, 2) + bytes(48)) if password else b"")
    head += _record(0x0042, struct.pack("<H", 1200))
    tail = _record(0x00FC, sst) + _record(0x000A)
    offset = len(head) + 4 + 6 + len(name) + len(tail)
    globals_ = head + _record(0x0085, struct.pack("<IBB", offset, 0, 0) + name) + tail
    return _cfb([("Workbook", globals_ + worksheet)])


def register_xls() -> bytes:
    """The six events in an .xls: times as text, and one as a bare serial number."""
    rows = [RU_HEADER, *RU_ROWS[:5], (*RU_ROWS[5][:2], 45302.666666667)]  # 11.01.2024 16:00
    return xls(rows)


def password_xls() -> bytes:
    return xls([RU_HEADER, *RU_ROWS], password=True)


def panic_xls() -> bytes:
    """register.xls whose Workbook stream claims 1000 bytes (below the mini-stream cutoff) in a
    file without a mini stream: calamine panics (index out of bounds) instead of returning an error."""
    data = bytearray(register_xls())
    entry = 512 + 512 + 128  # header, FAT sector, root entry: then the Workbook entry
    assert data[entry:entry + 16] == "Workbook".encode("utf-16-le")
    struct.pack_into("<Q", data, entry + 120, 1000)
    return bytes(data)


ODS_MANIFEST = ('<?xml version="1.0" encoding="UTF-8"?>\n<manifest:manifest xmlns:manifest="urn:oasis:names:tc:'
                'opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" '
                'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/></manifest:manifest>')


def register_ods(extra_rows: str = "") -> bytes:
    """The six events in an OpenDocument spreadsheet, times as date cells."""
    cells = []
    for case, act, ts in RU_ROWS:
        iso = f"{ts[6:10]}-{ts[3:5]}-{ts[:2]}T{ts[11:]}:00"
        cells.append(f'<table:table-row><table:table-cell office:value-type="string"><text:p>{case}</text:p>'
                     f'</table:table-cell><table:table-cell office:value-type="string"><text:p>{act}</text:p>'
                     f'</table:table-cell><table:table-cell office:value-type="date" office:date-value="{iso}">'
                     f"<text:p>{ts}</text:p></table:table-cell></table:table-row>")
    head = "".join(f'<table:table-cell office:value-type="string"><text:p>{h}</text:p></table:table-cell>'
                   for h in RU_HEADER)
    content = ('<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content '
               'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body>'
               f'<office:spreadsheet><table:table table:name="Журнал"><table:table-row>{head}</table:table-row>'
               + "".join(cells) + extra_rows
               + "</table:table></office:spreadsheet></office:body></office:document-content>")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr(zipfile.ZipInfo("META-INF/manifest.xml"), ODS_MANIFEST, compress_type=zipfile.ZIP_DEFLATED)
        z.writestr(zipfile.ZipInfo("content.xml"), content, compress_type=zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def cell_bomb_ods() -> bytes:
    """One row repeated 5000 times holding one cell repeated 10 000 times: 900 bytes of content
    that calamine expands to 50 million cells (6 GB)."""
    return register_ods('<table:table-row table:number-rows-repeated="5000"><table:table-cell '
                        'table:number-columns-repeated="10000" office:value-type="string"><text:p>x</text:p>'
                        "</table:table-cell></table:table-row>")


# --- XES -----------------------------------------------------------------------------------------

def bomb_xes_gz() -> bytes:
    """A tiny file that inflates to 2.25 GiB of well-formed-looking events."""
    unit = _event("Д-1", "Проверка документов", "2024-01-09T11:00:00.000+03:00").encode("utf-8")
    prefix = (XES_HEAD + '  <trace>\n    <string key="concept:name" value="Д-1"/>\n').encode("utf-8")
    return _bomb(prefix, unit, BOMB_BYTES)


def isize_lie_xes_gz() -> bytes:
    """A valid small XES.gz whose gzip trailer claims 2 GB (ISIZE is not to be trusted)."""
    data = bytearray(gzip.compress(_xes().encode("utf-8"), mtime=0))
    data[-4:] = struct.pack("<I", 2_000_000_000)
    return bytes(data)


def truncated_xes_gz() -> bytes:
    data = gzip.compress(_xes(50).encode("utf-8"), mtime=0)
    return data[: len(data) * 2 // 3]


def deep_nesting_xes() -> bytes:
    """An event attribute nested 100 000 levels deep (a stack-exhaustion attempt)."""
    depth = 100_000
    inner = '<list key="l">' * depth + '<string key="x" value="y"/>' + "</list>" * depth
    ev = ('    <event><string key="concept:name" value="Проверка"/>'
          f'<date key="time:timestamp" value="2024-01-09T10:00:00.000+03:00"/>{inner}</event>\n')
    return (XES_HEAD + '  <trace>\n    <string key="concept:name" value="Д-1"/>\n' + ev
            + "  </trace>\n</log>\n").encode("utf-8")


def deep_elements_xes() -> bytes:
    """100 000 nested unknown elements inside a trace (not attributes)."""
    depth = 100_000
    return (XES_HEAD + "  <trace>" + "<x>" * depth + "</x>" * depth + "</trace>\n</log>\n").encode("utf-8")


def nul_char_xes() -> bytes:
    """A NUL byte between elements, and the last </trace> missing: not XML either way
    (libxml2's message for the NUL ends in a line break, which must not reach the one-line error)."""
    text = _xes().replace("<event>", "<event>\x00", 1)
    return text.replace("  </trace>\n</log>", "</log>").encode("utf-8")


def binary_xes() -> bytes:
    rng = random.Random("binary.xes")
    return b"<?xml " + bytes(rng.randrange(256) for _ in range(4096))


def xxe_xes(secret: Path) -> bytes:
    """The entity is used in element content (the XML spec forbids external entities in attributes)."""
    text = _xes().replace(XES_HEAD, "")
    text = text.replace('<string key="concept:name" value="Д-1"/>',
                        '<string key="concept:name" value="Д-1">&secret;</string>')
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + _xxe_doctype("log", secret)
            + '<log xes.version="1849-2016" xmlns="http://www.xes-standard.org/">\n' + text).encode("utf-8")


def xxe_xes_gz(secret: Path) -> bytes:
    return gzip.compress(xxe_xes(secret), mtime=0)


def xxe_xes_utf16(secret: Path) -> bytes:
    return codecs.BOM_UTF16_LE + xxe_xes(secret).decode("utf-8").replace(
        'encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16-le")


def xxe_xes_utf16_nobom(secret: Path) -> bytes:
    return xxe_xes(secret).decode("utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16-le")


def laughs_xes_utf16_nobom() -> bytes:
    """Billion laughs in UTF-16 without BOM, expanded in attribute values (where entities always expand)."""
    levels = "".join(f'  <!ENTITY l{i} "{f"&l{i - 1};" * 10}">\n' for i in range(1, 10))
    dtd = '<!DOCTYPE log [\n  <!ENTITY l0 "lol">\n' + levels + "]>\n"
    text = ('<?xml version="1.0" encoding="UTF-16"?>\n' + dtd
            + _xes().split("\n", 1)[1].replace('value="Проверка документов"', 'value="&l9;"'))
    return text.encode("utf-16-le")


def xxe_xes_late(secret: Path) -> bytes:
    """The DOCTYPE behind 1.5 MiB of comment, past the first read chunk."""
    text = xxe_xes(secret).decode("utf-8")
    decl, rest = text.split("\n", 1)
    return (decl + "\n<!--" + " " * (3 << 19) + "-->\n" + rest).encode("utf-8")


# --- BPMN ----------------------------------------------------------------------------------------

def xxe_bpmn(secret: Path) -> bytes:
    return _bpmn(LEAKY_PROCESS, _xxe_doctype("definitions", secret)).encode("utf-8")


def xxe_parameter_bpmn(secret: Path) -> bytes:
    """A parameter entity pulls the file into the DTD: an error-based leak if the parser echoes it."""
    dtd = f'<!DOCTYPE definitions [\n  <!ENTITY % leak SYSTEM "{secret.resolve().as_uri()}">\n  %leak;\n]>\n'
    return _bpmn(LEAKY_PROCESS, dtd).encode("utf-8")


def xxe_bpmn_utf16(secret: Path) -> bytes:
    text = xxe_bpmn(secret).decode("utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"')
    return codecs.BOM_UTF16_BE + text.encode("utf-16-be")


def xxe_bpmn_utf16_nobom(secret: Path) -> bytes:
    text = xxe_bpmn(secret).decode("utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"')
    return text.encode("utf-16-le")


def xxe_bpmn_no_decl(secret: Path) -> bytes:
    """No XML declaration, UTF-16 without BOM, DOCTYPE first: nothing ASCII to recognise."""
    text = xxe_bpmn(secret).decode("utf-8").split("\n", 1)[1]
    return text.encode("utf-16-le")


def xxe_bpmn_late(secret: Path) -> bytes:
    """The DOCTYPE after a 100 KB comment and processing instructions."""
    text = xxe_bpmn(secret).decode("utf-8")
    decl, rest = text.split("\n", 1)
    return (decl + "\n<?pi x?>\n<!--" + " x" * 50_000 + "-->\n" + rest).encode("utf-8")


def xinclude_bpmn(secret: Path) -> bytes:
    """XInclude of the secret as text in a documentation element: must stay a dead element."""
    body = (SIMPLE_PROCESS.format(name="Проверка")
            + f'    <documentation><xi:include href="{secret.resolve().as_uri()}" parse="text"/></documentation>\n')
    return _bpmn(body, extra_ns=' xmlns:xi="http://www.w3.org/2001/XInclude"').encode("utf-8")


def deep_nesting_bpmn() -> bytes:
    depth = 100_000
    body = ("    <task id=\"t0\" name=\"Проверка\"><extensionElements>" + "<x:e>" * depth + "</x:e>" * depth
            + "</extensionElements></task>\n")
    return _bpmn(body, extra_ns=' xmlns:x="http://gosupr.test/ext"').encode("utf-8")


def deep_subprocess_bpmn(depth: int = 200) -> bytes:
    """Sub-processes nested 200 deep (valid XML, under libxml2's depth limit): recursion in the
    reader, layout and renderers must not blow the Python stack."""
    opening = "".join(f'<subProcess id="sp{i}" name="Уровень {i}">' for i in range(depth))
    inner = ('<startEvent id="s_in"/><task id="t_in" name="Проверка"/>'
             '<sequenceFlow id="f_in" sourceRef="s_in" targetRef="t_in"/>')
    body = ('    <startEvent id="start"/>\n    ' + opening + inner + "</subProcess>" * depth
            + '\n    <endEvent id="end"/>\n'
            '    <sequenceFlow id="f1" sourceRef="start" targetRef="sp0"/>\n'
            '    <sequenceFlow id="f2" sourceRef="sp0" targetRef="end"/>\n')
    return _bpmn(body).encode("utf-8")


def binary_bpmn() -> bytes:
    rng = random.Random("binary.bpmn")
    return bytes(rng.randrange(256) for _ in range(4096))


def gzip_as_bpmn() -> bytes:
    """A compressed BPMN under a .bpmn name."""
    return gzip.compress(_bpmn(SIMPLE_PROCESS.format(name="Проверка")).encode("utf-8"), mtime=0)


def _sparse(path: Path, size: int) -> None:
    """A file of `size` bytes that takes no disk space (zeros)."""
    with path.open("wb") as fh:
        fh.truncate(size)


# --- the corpus ----------------------------------------------------------------------------------

def _writers(secret: Path) -> dict[str, Callable[[], bytes]]:
    return {
        "csv/binary.csv": binary_csv,
        "csv/binary_no_nul.csv": binary_no_nul_csv,
        "csv/mixed_encoding.csv": mixed_encoding_csv,
        "csv/utf8_then_cp1251.csv": utf8_then_cp1251_csv,
        "csv/cp1251_then_utf8.csv": cp1251_then_utf8_csv,
        "csv/giant_case.csv": giant_case_csv,
        "csv/ids_as_activities.csv": ids_as_activities_csv,
        "csv/truncated.csv.gz": truncated_csv_gz,
        "csv/workbook.csv": zip_as_csv,
        "csv/bomb.csv.gz": bomb_csv_gz,
        "xlsx/truncated.xlsx": truncated_xlsx,
        "xlsx/register.xlsx": register_xlsx,
        "xlsx/no_log_sheet.xlsx": no_log_sheet_xlsx,
        "xlsx/cell_bomb.xlsx": cell_bomb_xlsx,
        "xlsx/bomb.xlsx": bomb_xlsx,
        "xlsx/lying_bomb.xlsx": lying_bomb_xlsx,
        "xlsx/password.xlsx": password_xlsx,
        "xls/register.xls": register_xls,
        "xls/password.xls": password_xls,
        "xls/panic.xls": panic_xls,
        "ods/register.ods": register_ods,
        "ods/cell_bomb.ods": cell_bomb_ods,
        "parquet/truncated.parquet": truncated_parquet,
        "parquet/garbage.parquet": footer_only_parquet,
        "parquet/no_rows.parquet": no_rows_parquet,
        "parquet/nested.parquet": nested_parquet,
        "parquet/epoch_int.parquet": epoch_int_parquet,
        "parquet/text.parquet": text_as_parquet,
        "xes/bomb.xes.gz": bomb_xes_gz,
        "xes/isize_lie.xes.gz": isize_lie_xes_gz,
        "xes/truncated.xes.gz": truncated_xes_gz,
        "xes/deep_nesting.xes": deep_nesting_xes,
        "xes/deep_elements.xes": deep_elements_xes,
        "xes/binary.xes": binary_xes,
        "xes/nul_char.xes": nul_char_xes,
        "xes/xxe.xes": lambda: xxe_xes(secret),
        "xes/xxe.xes.gz": lambda: xxe_xes_gz(secret),
        "xes/xxe_utf16.xes": lambda: xxe_xes_utf16(secret),
        "xes/xxe_utf16_nobom.xes": lambda: xxe_xes_utf16_nobom(secret),
        "xes/xxe_late.xes": lambda: xxe_xes_late(secret),
        "xes/laughs_utf16_nobom.xes": laughs_xes_utf16_nobom,
        "bpmn/xxe.bpmn": lambda: xxe_bpmn(secret),
        "bpmn/xxe_parameter.bpmn": lambda: xxe_parameter_bpmn(secret),
        "bpmn/xxe_utf16.bpmn": lambda: xxe_bpmn_utf16(secret),
        "bpmn/xxe_utf16_nobom.bpmn": lambda: xxe_bpmn_utf16_nobom(secret),
        "bpmn/xxe_no_decl.bpmn": lambda: xxe_bpmn_no_decl(secret),
        "bpmn/xxe_late.bpmn": lambda: xxe_bpmn_late(secret),
        "bpmn/xinclude.bpmn": lambda: xinclude_bpmn(secret),
        "bpmn/deep_nesting.bpmn": deep_nesting_bpmn,
        "bpmn/deep_subprocess.bpmn": deep_subprocess_bpmn,
        "bpmn/binary.bpmn": binary_bpmn,
        "bpmn/gzipped.bpmn": gzip_as_bpmn,
    }


def write_secret(path: Path) -> Path:
    """A local file an XML external entity would try to read; its marker must never leak."""
    path.write_text(f"{MARKER} не должно утечь\nпароль=hunter2\n", encoding="utf-8")
    return path


def build(dest: Path, secret: Path | None = None, only: set[str] | None = None) -> dict[str, Path]:
    """Write the generated corpus under `dest` (relative names as in MANIFEST.json); return them.

    `only` limits the work to some names (the bomb alone takes a few seconds).
    """
    dest.mkdir(parents=True, exist_ok=True)
    secret = secret or write_secret(dest / "secret.txt")
    out: dict[str, Path] = {}
    for name, make in _writers(secret).items():
        if only is not None and name not in only:
            continue
        data = make()
        path = dest / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        out[name] = path
    if only is None or "bpmn/huge.bpmn" in only:
        huge = dest / "bpmn" / "huge.bpmn"
        huge.parent.mkdir(parents=True, exist_ok=True)
        _sparse(huge, 60 * 1024 * 1024)
        out["bpmn/huge.bpmn"] = huge
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dest", nargs="?", type=Path, default=DEFAULT_DEST)
    ap.add_argument("--secret", type=Path, default=None, help="file the XXE cases point at")
    args = ap.parse_args()
    for name, path in sorted(build(args.dest, args.secret).items()):
        print(f"{path.stat().st_size:>12}  {name}")


if __name__ == "__main__":
    main()
