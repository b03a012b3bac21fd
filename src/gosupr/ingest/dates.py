"""Vectorised, strict timestamp parsing for the formats ministries export.

The date family is detected from a sample of the values: `dd.mm.yyyy` (always day-first),
`dd/mm/yyyy` or `mm/dd/yyyy` (month-first only when a first part never exceeds 12 but a second
part does; day-first by default), `dd-mm-yyyy`, and ISO `yyyy-mm-dd` (a time zone offset or `Z`
converts to naive UTC; naive values are kept as written). A fast pass uses Arrow's strptime; since
that rolls 31.02 over into March, rows landing on days 1–3 or seconds 0–1 are re-checked by the
strict regex parser, which also handles fractions, two-digit years and offsets for the rest.
Values that do not parse become NaT (the caller drops and counts them).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

NAT = np.iinfo(np.int64).min
_NS = 1_000_000_000

_TIME = r"(?:(?:[T ]|,\s*)+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,](?P<f>\d{1,9}))?)?)?"
_TZ = r"\s*(?P<z>Z|[+-]\d{2}(?::?\d{2})?)?$"

# family: (sample detector, strict parser regex, fast strptime formats); order: dmy or mdy.
_FAMILIES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "ymd": (
        r"^\d{4}[-./]\d{1,2}[-./]\d{1,2}(\D|$)",
        r"^(?P<y>\d{4})[-./](?P<b>\d{1,2})[-./](?P<a>\d{1,2})" + _TIME + _TZ,
        ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S%z", "%Y-%m-%dT%H:%M:%S%z",
         "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d"),
    ),
    ".": (
        r"^\d{1,2}\.\d{1,2}\.\d{2,4}(\D|$)",
        r"^(?P<a>\d{1,2})\.(?P<b>\d{1,2})\.(?P<y>\d{4}|\d{2})" + _TIME + _TZ,
        ("%d.%m.%Y %H:%M", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y"),
    ),
    "/": (
        r"^\d{1,2}/\d{1,2}/\d{2,4}(\D|$)",
        r"^(?P<a>\d{1,2})/(?P<b>\d{1,2})/(?P<y>\d{4}|\d{2})" + _TIME + _TZ,
        ("%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y"),
    ),
    "-": (
        r"^\d{1,2}-\d{1,2}-\d{2,4}(\D|$)",
        r"^(?P<a>\d{1,2})-(?P<b>\d{1,2})-(?P<y>\d{4}|\d{2})" + _TIME + _TZ,
        ("%d-%m-%Y %H:%M", "%d-%m-%Y %H:%M:%S", "%d-%m-%Y"),
    ),
}
# Values whose day may not exist in their month (29–31.02, 31.04/06/09/11): strptime rolls them
# over, so these few rows are re-parsed strictly.
_BAD_DAY = r"(0?2\D(29|30|31)|(0?[469]|11)\D31)"
_ROLLOVER = {"ymd": rf"^\d{{4}}\D{_BAD_DAY}(\D|$)", "mdy": rf"^{_BAD_DAY}\D",
             ".": r"^(29|30|31)\.0?2\.|^31\.(0?[469]|11)\.", "/": r"^(29|30|31)/0?2/|^31/(0?[469]|11)/",
             "-": r"^(29|30|31)-0?2-|^31-(0?[469]|11)-"}
_Y1900 = int(np.datetime64("1900-01-01", "ns").astype(np.int64))
_Y2200 = int(np.datetime64("2200-01-01", "ns").astype(np.int64))
LABELS = {("ymd", False): "yyyy-mm-dd", (".", False): "dd.mm.yyyy", ("/", False): "dd/mm/yyyy",
          ("/", True): "mm/dd/yyyy", ("-", False): "dd-mm-yyyy", ("-", True): "mm-dd-yyyy"}


def _ints(arr: pa.Array, default: int = 0) -> np.ndarray:
    """Digits → int64; missing or empty → default."""
    arr = pc.if_else(pc.equal(pc.binary_length(arr), 0), None, arr)
    return pc.fill_null(pc.cast(arr, pa.int64()), default).to_numpy(zero_copy_only=False)


def parse_strict(values: pa.Array, family: str, month_first: bool = False) -> np.ndarray:
    """Parse with a regex per family and validate every field; int64 ns, NAT where invalid."""
    out = np.full(len(values), NAT, dtype=np.int64)
    if len(values) == 0:
        return out
    pattern = _FAMILIES[family][1]
    # a DFA match is several times cheaper than extraction: extract only from matching rows
    matched = pc.fill_null(pc.match_substring_regex(values, pattern), False).to_numpy(
        zero_copy_only=False)
    if not matched.any():
        return out
    parts = pc.extract_regex(values.filter(pa.array(matched)), pattern)
    a, b, y = (_ints(parts.field(k)) for k in ("a", "b", "y"))
    day, month = (b, a) if month_first else (a, b)
    y = np.where(y < 100, np.where(y < 70, 2000 + y, 1900 + y), y)
    hh, mm, ss = (_ints(parts.field(k)) for k in ("H", "M", "S"))
    frac = pc.utf8_slice_codeunits(pc.utf8_rpad(parts.field("f"), 9, "0"), 0, 9)
    ns = _ints(frac)
    tz = parts.field("z")
    sign = np.where(pc.starts_with(tz, "-").to_numpy(zero_copy_only=False), -1, 1)
    digits = pc.replace_substring(tz, ":", "")
    tzh = _ints(pc.utf8_slice_codeunits(digits, 1, 3))
    tzm = _ints(pc.utf8_slice_codeunits(digits, 3, 5))
    ok = ((y >= 1678) & (y <= 2261) & (month >= 1) & (month <= 12) & (hh <= 23) & (mm <= 59)
          & (ss <= 59) & (tzh <= 14) & (tzm <= 59))
    month0 = np.where(ok, (y - 1970) * 12 + month - 1, 0)
    first = month0.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    nxt = (month0 + 1).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    ok &= (day >= 1) & (day <= nxt - first)
    secs = (first + day - 1) * 86400 + hh * 3600 + mm * 60 + ss - sign * (tzh * 3600 + tzm * 60)
    val = np.where(ok, secs * _NS + ns, NAT)
    out[np.flatnonzero(matched)] = val
    return out


def _fast(values: pa.Array, fmt: str) -> np.ndarray:
    """Arrow strptime → int64 ns (NAT where it fails); lenient, so callers re-check rollovers."""
    ts = pc.strptime(values, format=fmt, unit="ns", error_is_null=True)
    return pc.fill_null(ts.cast(pa.int64()), NAT).to_numpy(zero_copy_only=False)


def _detect(sample: pa.Array) -> list[str]:
    hits = {f: pc.sum(pc.match_substring_regex(sample, spec[0])).as_py() or 0
            for f, spec in _FAMILIES.items()}
    ranked = sorted((f for f in hits if hits[f]), key=lambda f: -hits[f])
    return ranked + [f for f in _FAMILIES if f not in ranked]


def _month_first(values: pa.Array, family: str) -> bool:
    """For `/` and `-` dates: month-first only if no first part but some second part exceeds 12."""
    if family not in ("/", "-"):
        return False
    sep = "/" if family == "/" else "-"
    pattern = rf"^(?P<a>\d{{1,2}}){sep}(?P<b>\d{{1,2}}){sep}\d{{2,4}}"
    values = values.filter(pc.fill_null(pc.match_substring_regex(values, pattern), False))
    parts = pc.extract_regex(values, pattern)
    if len(parts) == 0:
        return False
    a, b = _ints(parts.field("a")), _ints(parts.field("b"))
    return bool((a > 12).sum() == 0 and (b > 12).any())


def _formats(family: str, month_first: bool, sample: pa.Array) -> list[str]:
    """The family's strptime formats that the sample actually uses (others meet parse_strict)."""
    fmts = list(_FAMILIES[family][2])
    if month_first:
        fmts = [f.replace("%d", "%D").replace("%m", "%d").replace("%D", "%m") for f in fmts]
    return [f for f in fmts if pc.sum(pc.is_valid(pc.strptime(
        sample, format=f, unit="ns", error_is_null=True))).as_py()]


def _fast_pass(sub: pa.Array, todo: np.ndarray, out: np.ndarray, family: str, month_first: bool,
               fmt: str) -> tuple[pa.Array, np.ndarray]:
    """Parse `sub` (the rows `todo`) with one format into `out`; return what is still unparsed."""
    got = _fast(sub, fmt)
    good = got != NAT
    if good.any():
        out[todo[good]] = got[good]
        # Arrow rolls 31.02 into March and :60 into the next minute: re-check such rows strictly.
        pattern = _ROLLOVER["mdy" if month_first else family]
        if "%S" in fmt:
            pattern += r"|:6\d(\D|$)"
        suspect = pc.fill_null(pc.match_substring_regex(sub, pattern), False).to_numpy(
            zero_copy_only=False)
        suspect = good & (suspect | (got < _Y1900) | (got > _Y2200))
        if suspect.any():
            idx = np.flatnonzero(suspect)
            out[todo[idx]] = parse_strict(sub.take(pa.array(idx)), family, month_first)
    return sub.filter(pa.array(~good)), todo[~good]


def parse_timestamps(values: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, str | None]:
    """Timestamps as datetime64[ns] (naive UTC, NaT where unparseable) and the detected format."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if not pa.types.is_string(values.type):
        values = values.cast(pa.string())
    values = pc.utf8_trim_whitespace(values)
    out = np.full(len(values), NAT, dtype=np.int64)
    todo = np.flatnonzero(pc.fill_null(pc.greater(pc.binary_length(values), 0), False).to_numpy(
        zero_copy_only=False))
    label = None
    for family in _detect(values.take(pa.array(todo[:: max(1, len(todo) // 2000)][:2000]))):
        if len(todo) == 0:
            break
        before = len(todo)
        sub = values.take(pa.array(todo)) if len(todo) < len(values) else values
        month_first = _month_first(sub, family)
        sample = values.take(pa.array(todo[:: max(1, len(todo) // 500)][:500]))
        for fmt in _formats(family, month_first, sample):
            if len(todo):
                sub, todo = _fast_pass(sub, todo, out, family, month_first, fmt)
        if len(todo):
            got = parse_strict(sub, family, month_first)
            good = got != NAT
            out[todo[good]] = got[good]
            todo = todo[~good]
        if label is None and len(todo) < before:
            label = LABELS[family, month_first]
    return out.view("datetime64[ns]"), label
