"""Time zones decided on the whole timestamp column, and said in the audit.

Offsets (`+03:00`, `Z`) are converted to UTC; times without one are kept as written. A column
with both cannot be ordered: a naive 10:00 and a `+03:00` 10:00 would be compared as if both
were UTC, silently reordering events. So a mix is refused, unless the user names the zone of the
naive times (`--timezone Europe/Moscow`), in which case they are converted from it to UTC too.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from gosupr.errors import GosuprError
from gosupr.ingest.columns import shown

# an offset right after a time of day (a bare "-24" after a date is a two-digit year, not a zone)
_AWARE = r"\d:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)$"


def check_zone(name: str) -> str:
    """The zone name if the system knows it; GosuprError otherwise."""
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise GosuprError(f"unknown time zone {name!r}; use a name like Europe/Moscow or Asia/Yakutsk") from None
    return name


def decide_zone(values: pa.Array, ns: np.ndarray, timezone: str | None,
                source: str) -> tuple[np.ndarray, str | None]:
    """(timestamps as naive UTC, what the audit says about zones: None when there was nothing to
    decide, i.e. no --timezone and not a mix)."""
    parsed = ~np.isnat(ns)
    aware = pc.fill_null(pc.match_substring_regex(values, _AWARE), False).to_numpy(zero_copy_only=False) & parsed
    naive = parsed & ~aware
    if timezone is None:
        if aware.any() and naive.any():
            with_off = shown(values[int(np.flatnonzero(aware)[0])].as_py(), 40)
            without = shown(values[int(np.flatnonzero(naive)[0])].as_py(), 40)
            raise GosuprError(
                f"timestamps mix times with a zone offset (e.g. «{with_off}») and without one (e.g. "
                f"«{without}»): they cannot be ordered; name the zone of those without an offset, "
                f"e.g. --timezone Europe/Moscow", path=source)
        return ns, None  # offsets only (to UTC, as every reader does) or none: nothing to decide
    import pandas as pd

    if naive.any():
        local = pd.DatetimeIndex(ns[naive]).tz_localize(check_zone(timezone), ambiguous="NaT",
                                                        nonexistent="shift_forward")
        ns = ns.copy()
        ns[naive] = local.tz_convert("UTC").tz_localize(None).to_numpy()
    said = f"times without an offset read as {timezone}, all converted to UTC"
    return ns, said + ("; offsets converted to UTC" if aware.any() else "")
