"""Parquet via pyarrow: only the role columns are read; any scalar column type is accepted
(strings, dictionaries, numbers as case ids, timestamps with or without time zone, dates);
nested role columns (lists, structs, maps) are refused by name."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from gosupr.errors import GosuprError
from gosupr.ingest import columns as cols
from gosupr.ingest.build import RawLog
from gosupr.ingest.sniff import too_big


def _check_types(schema: pa.Schema, mapping: dict[str, str], source: str) -> None:
    """Role columns must hold scalars: a list/struct/map column is not a case id or activity."""
    for role, header in mapping.items():
        t = schema.field(header).type
        if pa.types.is_dictionary(t):
            t = t.value_type
        if pa.types.is_nested(t):
            raise GosuprError(
                f"column «{cols.shown(header)}» ({cols.ROLE_HUMAN.get(role, role)}) holds nested "
                f"values ({t}), not text, numbers or dates; flatten it"
                + (f" or pick another column with {cols.ROLE_FLAG[role]}" if role in cols.ROLE_FLAG
                   else " or rename it"), path=source)


def read_parquet(path: Path, source: str, override: cols.ColumnMap | None, max_bytes: int,
                 size: int) -> RawLog:
    """Read the role columns of a Parquet event log."""
    if size > max_bytes:
        raise too_big(source, max_bytes)
    try:
        pf = pq.ParquetFile(path)
        headers = pf.schema_arrow.names
        mapping = cols.resolve(headers, override, source)
        _check_types(pf.schema_arrow, mapping, source)
        table = pf.read(columns=sorted(set(mapping.values())))
    except (pa.ArrowException, OSError) as exc:
        msg = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise GosuprError(f"cannot read as Parquet ({msg}); export the log again",
                          path=source) from None
    if table.num_rows == 0:
        raise GosuprError("Parquet file has no rows; export the log with its events", path=source)
    return RawLog(format="parquet", columns=mapping,
                  data={role: table[h] for role, h in mapping.items()}, rows_read=table.num_rows)
