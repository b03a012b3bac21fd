"""Writing event logs the way ministries export them: `;`-CSV in cp1251, UTF-8 CSV, XES, and an
Excel register (xlsx; needs xlsxwriter, from the `test` extra).

Byte-for-byte deterministic (gzip without a timestamp), vectorised over events: each distinct
value is escaped once, lines are assembled with array operations.
"""

from __future__ import annotations

import gzip
import itertools
import os
import re
from datetime import datetime

import numpy as np
import pandas as pd

from gosupr.errors import GosuprError
from gosupr.eventlog import ACTIVITY, CASE, DEPARTMENT, RESOURCE, TIMESTAMP
from gosupr.fileio import write_bytes

RU_HEADERS = {
    CASE: "Номер дела",
    ACTIVITY: "Операция",
    TIMESTAMP: "Дата и время",
    RESOURCE: "Исполнитель",
    DEPARTMENT: "Подразделение",
}
_DIALECTS = {"ru": (";", "\r\n", "cp1251"), "en": (",", "\n", "utf-8")}
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _columns(df: pd.DataFrame) -> list[str]:
    missing = [c for c in (CASE, ACTIVITY, TIMESTAMP) if c not in df.columns]
    if missing:
        raise ValueError(f"frame lacks columns {missing}")
    return [c for c in (CASE, ACTIVITY, TIMESTAMP, RESOURCE, DEPARTMENT) if c in df.columns]


def _mapped(col: pd.Series, escape) -> np.ndarray:
    """Escape each distinct value once, then spread it over the events."""
    cat = col.astype("string").fillna("").astype("category") if not isinstance(col.dtype, pd.CategoricalDtype) else col
    cats = np.array([escape(str(v)) for v in cat.cat.categories] + [""], dtype=object)
    codes = cat.cat.codes.to_numpy()
    return cats[np.where(codes < 0, len(cats) - 1, codes)]


def _csv_field(sep: str):
    def esc(v: str) -> str:
        return '"' + v.replace('"', '""') + '"' if (sep in v or '"' in v or "\n" in v or "\r" in v) else v

    return esc


def _stamps(ts: pd.Series, unit: str) -> np.ndarray:
    stamps: np.ndarray = pd.to_datetime(ts).to_numpy().astype(f"datetime64[{unit}]")
    return np.datetime_as_string(stamps, unit=unit)  # type: ignore[call-overload]


def _ru_dates(ts: pd.Series) -> np.ndarray:
    """dd.mm.yyyy hh:mm by permuting the characters of ISO 'yyyy-mm-ddThh:mm' (no per-row strftime)."""
    iso = _stamps(ts, "m").astype("U16")
    chars = iso.view(np.uint32).reshape(-1, 16)
    out = chars[:, [8, 9, 4, 5, 6, 4, 0, 1, 2, 3, 10, 11, 12, 13, 14, 15]].copy()
    out[:, [2, 5]] = ord(".")
    out[:, 10] = ord(" ")
    return np.ascontiguousarray(out).view("U16").ravel()


def _join(parts: list[np.ndarray | str]) -> str:
    """Row-wise concatenation of per-event columns and constant separators, in one pass."""
    cols = [itertools.repeat(p) if isinstance(p, str) else p.tolist() for p in parts]
    return "".join(map("".join, zip(*cols)))


def _save(path: str | os.PathLike, data: bytes) -> None:
    if str(path).endswith(".gz"):
        data = gzip.compress(data, compresslevel=6, mtime=0)
    write_bytes(path, data)


def write_csv(df: pd.DataFrame, path: str | os.PathLike, dialect: str = "ru", order: str = "case") -> None:
    """CSV as exported by registers: ``ru`` = `;`, cp1251, Russian headers, ``dd.mm.yyyy hh:mm``,
    CRLF; ``en`` = `,`, UTF-8, canonical headers, ISO timestamps. `order`: ``case`` (by case then
    time, as given) or ``time`` (a journal: by time, stable, so one case's order is kept).
    """
    if dialect not in _DIALECTS:
        raise ValueError("dialect must be 'ru' or 'en'")
    sep, eol, encoding = _DIALECTS[dialect]
    cols = _columns(df)
    if order == "time":
        df = df.iloc[np.argsort(df[TIMESTAMP].to_numpy(), kind="stable")]
    elif order != "case":
        raise ValueError("order must be 'case' or 'time'")
    esc = _csv_field(sep)
    fields = []
    for c in cols:
        if c == TIMESTAMP:
            fields.append(_ru_dates(df[c]) if dialect == "ru" else _stamps(df[c], "s"))
        else:
            fields.append(_mapped(df[c], esc))
    header = sep.join(RU_HEADERS[c] if dialect == "ru" else c for c in cols) + eol
    parts: list[np.ndarray | str] = []
    for i, f in enumerate(fields):
        parts += [f, sep if i < len(fields) - 1 else eol]
    text = header + (_join(parts) if len(df) else "")
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError as e:
        raise GosuprError(
            f"a value cannot be written in {encoding} ({text[e.start : e.end]!r}); use dialect 'en'", path=str(path)
        ) from None
    _save(path, data)


# The register as a ministry document system exports it: a title row, a blank row, a two-row header
# with merged cells, then one event per row ordered by time.
XLSX_SHEET = "Журнал"
XLSX_TEXT_EVERY, XLSX_SERIAL_EVERY = 9, 13  # rows whose time is text / a bare serial number
_XLSX_CREATED = datetime(2024, 1, 9)  # document property: a fixed date, never the wall clock
_EXCEL_EPOCH = np.datetime64("1899-12-30", "ns")


def write_xlsx(df: pd.DataFrame, path: str | os.PathLike, title: str) -> None:
    """An Excel register: «Журнал регистрации операций: <title>» merged over the columns, a blank
    row, the header in rows 3-4 («Номер дела», «Исполнитель», «Подразделение» merged down over
    both rows; «Сведения об операции» merged across «Операция» and «Дата и время»), events from
    row 5 ordered by time. Times are date cells (dd.mm.yyyy hh:mm), except every 9th row typed as
    text and every 13th a bare serial number, as in registers edited by hand. Byte-for-byte
    deterministic for a given xlsxwriter version.
    """
    import io

    try:
        import xlsxwriter
    except ImportError:
        raise GosuprError("writing .xlsx needs xlsxwriter (pip install 'gosupr[test]')", path=str(path)) from None
    cols = _columns(df)
    df = df.iloc[np.argsort(df[TIMESTAMP].to_numpy(), kind="stable")]
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    wb.set_properties({"created": _XLSX_CREATED})
    ws = wb.add_worksheet(XLSX_SHEET)
    head = wb.add_format({"bold": True, "align": "center", "valign": "vcenter", "border": 1, "text_wrap": True})
    stamp = wb.add_format({"num_format": "dd.mm.yyyy hh:mm"})
    last = len(cols) - 1
    ws.merge_range(0, 0, 0, last, f"Журнал регистрации операций: {title}", wb.add_format({"bold": True}))
    ti = cols.index(TIMESTAMP)
    for j, c in enumerate(cols):
        if c in (ACTIVITY, TIMESTAMP):
            ws.write(3, j, RU_HEADERS[c], head)
        else:
            ws.merge_range(2, j, 3, j, RU_HEADERS[c], head)
    ws.merge_range(2, cols.index(ACTIVITY), 2, ti, "Сведения об операции", head)
    for j, c in enumerate(cols):
        if c != TIMESTAMP:
            ws.write_column(4, j, _mapped(df[c], str).tolist())
    ts = pd.to_datetime(df[TIMESTAMP]).to_numpy().astype("datetime64[ns]")
    serial = ((ts - _EXCEL_EPOCH).astype(np.int64) / 86_400e9).tolist()
    text = _ru_dates(df[TIMESTAMP]).tolist()
    for i, (days, txt) in enumerate(zip(serial, text)):
        if i % XLSX_SERIAL_EVERY == XLSX_SERIAL_EVERY - 1:
            ws.write_number(4 + i, ti, days)
        elif i % XLSX_TEXT_EVERY == XLSX_TEXT_EVERY - 1:
            ws.write_string(4 + i, ti, txt)
        else:
            ws.write_number(4 + i, ti, days, stamp)
    ws.set_column(0, last, 24)
    wb.close()
    write_bytes(path, buf.getvalue())


def xml_attr(v: str) -> str:
    """Escape for a double-quoted XML attribute; characters XML 1.0 forbids become U+FFFD."""
    v = _XML_BAD.sub("\ufffd", v)
    return (
        v.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
        .replace("\t", "&#9;").replace("\n", "&#10;").replace("\r", "&#13;")
    )  # fmt: skip


_XES_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1849-2016" xes.features="" xmlns="http://www.xes-standard.org/">
\t<extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>
\t<extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext"/>
\t<extension name="Organizational" prefix="org" uri="http://www.xes-standard.org/org.xesext"/>
\t<global scope="trace">
\t\t<string key="concept:name" value="__INVALID__"/>
\t</global>
\t<global scope="event">
\t\t<string key="concept:name" value="__INVALID__"/>
\t\t<date key="time:timestamp" value="1970-01-01T00:00:00.000+00:00"/>
\t</global>
\t<classifier name="Activity" keys="concept:name"/>
\t<string key="concept:name" value="{name}"/>
"""


def write_xes(df: pd.DataFrame, path: str | os.PathLike, name: str | None = None) -> None:
    """IEEE 1849 XES: a trace per case, concept:name, time:timestamp (UTC), org:resource, org:group.

    Events keep the frame's order within a case; gzip-compressed when `path` ends in ``.gz``.
    """
    cols = _columns(df)
    if name is None:
        base = os.path.basename(str(path))
        name = base.removesuffix(".gz").removesuffix(".xes")
    head = _XES_HEAD.format(name=xml_attr(name))
    if len(df) == 0:
        _save(path, (head + "</log>\n").encode("utf-8"))
        return
    codes, _ = pd.factorize(df[CASE], use_na_sentinel=False)
    df = df.iloc[np.argsort(codes, kind="stable")]  # one trace per case, events in given order
    codes = np.sort(codes, kind="stable")
    new = np.concatenate(([True], codes[1:] != codes[:-1]))
    last = np.concatenate((new[1:], [True]))
    names = _mapped(df[CASE], xml_attr)
    parts: list[np.ndarray | str] = [
        np.where(new, "\t<trace>\n\t\t<string key=\"concept:name\" value=\"" + names + "\"/>\n", ""),
        '\t\t<event><string key="concept:name" value="', _mapped(df[ACTIVITY], xml_attr),
        '"/><date key="time:timestamp" value="', _stamps(df[TIMESTAMP], "ms"), '+00:00"/>',
    ]  # fmt: skip
    for col, key in ((RESOURCE, "org:resource"), (DEPARTMENT, "org:group")):
        if col in cols:
            vals = _mapped(df[col], xml_attr)
            parts.append(np.where(vals == "", "", f'<string key="{key}" value="' + vals + '"/>'))
    parts += ["</event>\n", np.where(last, "\t</trace>\n", "")]
    _save(path, (head + _join(parts) + "</log>\n").encode("utf-8"))
