"""The to-be log as a file: today's cases with the removed events taken out (`reduce --to-be-log`).

CSV (UTF-8, ISO 8601 times) or Parquet, chosen by the extension. The columns are the input's
mapped columns under the input's own names (case, activity, time, resource, department), so the
file reads back like the original; later timestamps are shifted by the handling time the removed
events took (see waste_removal.py).
"""

from __future__ import annotations

import io
import os
from pathlib import Path

from gosupr.errors import GosuprError
from gosupr.eventlog import TIMESTAMP, EventLog

SUFFIXES = (".csv", ".parquet")


def check_suffix(path: str | os.PathLike) -> str:
    """The format for `path`, or a clear error before any work is done."""
    suffix = Path(path).suffix.lower()
    if suffix not in SUFFIXES:
        raise GosuprError("the to-be log must end in .csv or .parquet", path=str(path))
    return suffix


def frame(to_be: EventLog, audit_columns: dict[str, str]):
    """The to-be events with the input's column names (roles it did not map keep gosupr's names)."""
    from gosupr.eventlog import ROLES

    names = {"case_id": "case", "activity": "activity", "timestamp": "timestamp", "resource": "resource", "department": "department"}
    df = to_be.df[[c for c in ROLES if c in to_be.df.columns]].copy()
    rename = {c: audit_columns.get(names[c], c) for c in df.columns}
    for c in df.columns:
        if c != TIMESTAMP:
            df[c] = df[c].astype("string")
    return df.rename(columns=rename)


def write(to_be: EventLog, audit_columns: dict[str, str], path: str | os.PathLike) -> None:
    """Write atomically (never half a file)."""
    from gosupr.fileio import write_bytes

    write_bytes(path, to_bytes(to_be, audit_columns, path))


def to_bytes(to_be: EventLog, audit_columns: dict[str, str], path: str | os.PathLike) -> bytes:
    """The file's content, in the format `path`'s extension names."""
    suffix = check_suffix(path)
    df = frame(to_be, audit_columns)
    if suffix == ".csv":
        ts = audit_columns.get("timestamp", TIMESTAMP)
        fmt = "%Y-%m-%dT%H:%M:%S.%f" if (df[ts].dt.microsecond != 0).any() else "%Y-%m-%dT%H:%M:%S"  # no time lost
        out = df.assign(**{ts: df[ts].dt.strftime(fmt)})
        buf = io.StringIO()
        out.to_csv(buf, index=False, lineterminator="\n")
        return buf.getvalue().encode("utf-8")
    buf = io.BytesIO()
    df.to_parquet(buf, index=False)
    return buf.getvalue()
