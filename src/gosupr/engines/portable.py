"""The one portable definition of a `LogSummary`, as Ibis expressions any SQL backend can run.

DuckDB, Spark and PostgreSQL engines hand `summarize` an Ibis table of raw rows (as read) and the
names of its role columns; everything after that — trimming, dropping and counting unusable rows,
parsing text timestamps, ordering events inside a case, variants, directly-follows pairs, timing
aggregates, sketches, departments — is written here once. Only aggregates (sizes that grow with
variants and activities) come back to Python, where `summary.assemble` orders them canonically.

Choices made so every backend gives the same numbers as the memory path:
- Text is trimmed and an empty value is missing; a row is dropped for the first reason that applies
  (`malformed_row` when the engine's CSV reader flags a record with the wrong number of fields,
  `empty_case_id`, `unparseable_timestamp`, `empty_activity`, `lifecycle_not_complete`), exactly as
  `ingest.csv` and `ingest.build` do. Lifecycle: when some rows say `complete` and others another transition, only
  `complete` rows (and rows without one) are kept.
- Text timestamps are parsed by regular expression and integer calendar arithmetic (no backend date
  formats): the families of `ingest.dates` (yyyy-mm-dd, dd.mm.yyyy, dd/mm/yyyy or mm/dd/yyyy,
  dd-mm-yyyy, times, fractions, `Z`/±hh:mm offsets converted to UTC), validated field by field.
  A column mixing offsets and naive times is refused, as `ingest.timezones` refuses it, unless a
  time zone is given: then naive times are local times of that zone, converted to UTC by the zone's
  offsets over the data's range (`local_to_utc_us`: a time in a DST gap moves to the end of the gap,
  a time the clocks pass twice is dropped as unparseable — pandas' `nonexistent="shift_forward"`,
  `ambiguous="NaT"`, as `ingest.timezones` does).
- Inside a case, events are ordered by time (µs) then by the original row order (`Roles.order`:
  e.g. file name then row number), which is the memory path's stable sort.
- Variants are grouped by two independent 31-bit hashes (random weights per position and per
  activity, summed; arithmetic that stays inside int64 on every backend) plus the case length; one
  representative case per variant gives its activity sequence.
- Paths (only when asked: `summarize(..., paths=True)`) add two such hashes over (position, department
  code) to the variant key; gap sums per (path, position) come from the window table joined to that key.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import pandas as pd

from gosupr.engines.summary import BITS, LogSummary, assemble
from gosupr.errors import GosuprError

REASONS = ("malformed_row", "empty_case_id", "unparseable_timestamp", "empty_activity", "lifecycle_not_complete")
_M = 2_147_483_647  # 2**31 - 1: hash products stay below 2**62

# --- text timestamps: numbered groups (y, b, a, H, M, S, f, z) per family; see ingest.dates --------
_TIME = r"(?:(?:[T ]|,\s*)+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?"
_TZ = r"\s*(Z|[+-]\d{2}(?::?\d{2})?)?$"
#: family → (regex, group index of year, of first part, of second part); time groups follow
FAMILIES: dict[str, tuple[str, int, int, int]] = {
    "ymd": (r"^(\d{4})[-./](\d{1,2})[-./](\d{1,2})" + _TIME + _TZ, 1, 3, 2),  # a = day (3), b = month (2)
    ".": (r"^(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})" + _TIME + _TZ, 3, 1, 2),
    "/": (r"^(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})" + _TIME + _TZ, 3, 1, 2),
    "-": (r"^(\d{1,2})-(\d{1,2})-(\d{4}|\d{2})" + _TIME + _TZ, 3, 1, 2),
}
_PARTS = {"/": r"^(\d{1,2})/(\d{1,2})/\d{2,4}", "-": r"^(\d{1,2})-(\d{1,2})-\d{2,4}"}


@dataclass(frozen=True)
class Roles:
    """Which raw columns play which role; `order` columns give the original row order.

    The timestamp column may be text (parsed here), a timestamp (converted here), or an integer
    column of epoch microseconds UTC that the engine computed with its own faster function.
    `native_us`, for a text timestamp: an integer column of epoch microseconds UTC the engine parsed
    natively where it can prove the value equal to this module's parse (naive `yyyy-mm-dd…` or
    `dd.mm.yyyy…` values, which no day/month-order question touches), null elsewhere; the regular
    expressions then run only on the rows it left null (they cost far more than the scan)."""

    case: str
    activity: str
    timestamp: str
    department: str | None = None
    lifecycle: str | None = None
    order: tuple[str, ...] = ()
    header: Mapping[str, str] = field(default_factory=dict)  # role → header as the user sees it (audit)
    malformed: str | None = None  # not null where the reader found the wrong number of fields (dropped first)
    native_us: str | None = None


#: what Ibis' strip removes (its SQL compilers: TRIM(x, string.whitespace))
_WHITESPACE = string.whitespace


def _text(col: Any) -> Any:
    """Trimmed string, missing where empty. Trimming costs several times what reading does, and most
    values need none: only a value that starts or ends with whitespace is trimmed (a CASE, so the
    others skip it; prefix and suffix tests compare bytes, far cheaper than the trim)."""
    import ibis

    s = col.cast("string")
    edge = ibis.or_(*[s.startswith(c) | s.endswith(c) for c in _WHITESPACE])
    return ibis.ifelse(edge, s.strip(), s).nullif("")


def _int(part: Any, default: int = 0) -> Any:
    return part.nullif("").cast("int64").fill_null(default)


def _count(cond: Any) -> Any:
    """How many rows satisfy `cond` (null counts as false; always an integer, never NULL). Written with
    CASE, not a boolean cast: PostgreSQL has no boolean → bigint cast."""
    import ibis

    return ibis.ifelse(cond, 1, 0).sum()


def days_from_civil(y: Any, m: Any, d: Any) -> Any:
    """Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's algorithm; years ≥ 1 here,
    so integer division needs no sign care)."""
    import ibis

    y2 = y - ibis.ifelse(m <= 2, 1, 0)
    era = y2 // 400
    yoe = y2 - era * 400
    mp = (m + 9) % 12  # March = 0
    doy = (153 * mp + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146_097 + doe - 719_468


def parse_text_us(t: Any, col: str, month_first: Mapping[str, bool]) -> Any:
    """`t` with `_t_us` (epoch microseconds UTC, null where unparseable) and `_aware` (the value
    carried a zone offset) parsed from its trimmed text column `col`.

    Built in stages (each a projection of named columns) so no backend sees an expression repeated
    into itself; the families are exclusive by their first characters, so at most one matches."""
    import ibis

    s = t[col]
    parts: dict[str, list[Any]] = {k: [] for k in ("y", "a", "b", "H", "M", "S", "f", "z")}
    for fam, (rx, gy, ga, gb) in FAMILIES.items():
        if month_first.get(fam):
            ga, gb = gb, ga
        hit = s.re_search(rx)
        for k, gi in (("y", gy), ("a", ga), ("b", gb), ("H", 4), ("M", 5), ("S", 6), ("f", 7), ("z", 8)):
            parts[k].append(ibis.ifelse(hit, s.re_extract(rx, gi), ibis.null("string")))
    t = t.mutate(_m=ibis.or_(*[s.re_search(rx) for rx, *_ in FAMILIES.values()]).fill_null(False),
                 **{f"_p{k}": ibis.coalesce(*v) for k, v in parts.items()})
    z = t._pz.nullif("")
    digits = z.replace(":", "")
    y = _int(t._py)
    t = t.mutate(_y=ibis.ifelse(y < 100, ibis.ifelse(y < 70, y + 2000, y + 1900), y), _d=_int(t._pa),
                 _mo=_int(t._pb), _hh=_int(t._pH), _mi=_int(t._pM), _ss=_int(t._pS),
                 _us=(t._pf.fill_null("") + "000000").substr(0, 6).cast("int64"),  # no NULL in `||`
                 _sg=ibis.ifelse(z.startswith("-"), -1, 1), _zh=_int(digits.substr(1, 2)),
                 _zm=_int(digits.substr(3, 2)), _z=z.notnull())
    t = t.mutate(_mok=(t._mo >= 1) & (t._mo <= 12))
    t = t.mutate(_ms=ibis.ifelse(t._mok, t._mo, 1))
    t = t.mutate(_first=days_from_civil(t._y, t._ms, ibis.literal(1)),
                 _next=days_from_civil(ibis.ifelse(t._ms == 12, t._y + 1, t._y),
                                       ibis.ifelse(t._ms == 12, 1, t._ms + 1), ibis.literal(1)))
    ok = (t._m & (t._y >= 1678) & (t._y <= 2261) & t._mok & (t._hh <= 23) & (t._mi <= 59) & (t._ss <= 59)
          & (t._zh <= 14) & (t._zm <= 59) & (t._d >= 1) & (t._d <= t._next - t._first))
    secs = ((t._first + t._d - 1) * 86_400 + t._hh * 3_600 + t._mi * 60 + t._ss
            - t._sg * (t._zh * 3_600 + t._zm * 60))
    t = t.mutate(_t_us=ibis.ifelse(ok, secs * 1_000_000 + t._us, ibis.null("int64")), _aware=ok & t._z)
    helpers = [c for c in t.columns if c.startswith(("_p", "_m", "_y", "_d", "_h", "_s", "_z", "_first", "_next",
                                                     "_us", "_ms", "_mo", "_mi"))
               and c not in ("_t_us", "_aware")]
    return t.drop(*helpers)


def zone_transitions(zone: str, lo_us: int, hi_us: int) -> tuple[int, list[tuple[int, int, int]]]:
    """(offset in seconds before the first transition, [(UTC second of a transition, offset before,
    offset after)]) of `zone` around the local times lo_us..hi_us (a day of margin each side).

    Offsets are sampled daily (vectorised), then each change is pinned to its second by bisection;
    the loop runs over transitions (two a year at most), never over events."""
    import zoneinfo
    from datetime import datetime, timezone

    import numpy as np

    tz = zoneinfo.ZoneInfo(zone)
    day = 86_400

    def offset(sec: int) -> int:
        off = datetime.fromtimestamp(sec, timezone.utc).astimezone(tz).utcoffset()
        return int(off.total_seconds()) if off is not None else 0

    start, end = lo_us // 1_000_000 - 2 * day, hi_us // 1_000_000 + 2 * day
    days = pd.DatetimeIndex(np.arange(start, end + day, day, dtype=np.int64) * 10**9, tz="UTC")
    offs = ((days.tz_convert(zone).tz_localize(None) - days.tz_localize(None)).total_seconds()).to_numpy().astype(np.int64)
    out = []
    for i in np.flatnonzero(offs[1:] != offs[:-1]):
        a, b = start + int(i) * day, start + (int(i) + 1) * day  # offset(a) differs from offset(b)
        while b - a > 1:
            mid = (a + b) // 2
            a, b = (mid, b) if offset(mid) == offs[i] else (a, mid)
        out.append((b, int(offs[i]), int(offs[i + 1])))
    return int(offs[0]), out


def local_to_utc_us(local: Any, zone: str, lo_us: int, hi_us: int) -> Any:
    """Epoch µs UTC of naive local times (`local`: µs as if they were UTC) in `zone`, for values in
    lo_us..hi_us: one CASE over the zone's transitions in that range. Local times in a spring-forward
    gap give the gap's end (the transition instant); local times in an autumn fold give null."""
    import ibis

    first, transitions = zone_transitions(zone, lo_us, hi_us)
    us = 1_000_000
    branches: list[tuple[Any, Any]] = []
    before = first
    for t, a, b in transitions:
        branches.append((local < (t + min(a, b)) * us, local - before * us))
        branches.append((local < (t + max(a, b)) * us,
                         ibis.literal(t * us, "int64") if b > a else ibis.null("int64")))
        before = b
    last = local - before * us
    return ibis.cases(*branches, else_=last) if branches else last


def epoch_us(ts: Any) -> Any:
    """Microseconds since 1970-01-01 UTC of a timestamp column (backends keep µs; ns are truncated)."""
    import ibis

    return ts.delta(ibis.timestamp("1970-01-01 00:00:00"), unit="microsecond").cast("int64")


def with_sketch_bin(t: Any, col: str, out: str = "bin") -> Any:
    """`t` with `out` = `summary.sketch_bins` of its column `col`: exact below 2**(BITS+1), else by
    power-of-two arithmetic (exact in float64: log2 is corrected by comparisons, divisions are by
    powers of two). In stages of named columns: written as one expression, every use of the exponent
    repeats the logarithm inside it (a dozen per row, most of the directly-follows query's time)."""
    import ibis

    two = ibis.literal(2.0)
    v = t[col]
    t = t.mutate(_e0=ibis.greatest(v, 1).log2().floor().cast("int64"))
    # log2 in float64 is off by at most one near powers of two: one step down or up corrects it
    t = t.mutate(_e=t._e0 - ibis.ifelse(two**t._e0 > v, 1, 0) + ibis.ifelse(two ** (t._e0 + 1) <= v, 1, 0))
    top = (v / two ** (t._e - BITS)).floor().cast("int64")
    t = t.mutate(**{out: ibis.ifelse(v < 2 ** (BITS + 1), v, (t._e - BITS) * 2**BITS + top).cast("int64")})
    return t.drop("_e0", "_e")


def _weighted(wt: Any, codes_n: int, depts_n: int | None = None) -> Any:
    """`wt` with h1, h2: R_i[pos] · C_i[code] mod M for fixed pseudo-random tables R_i (per position)
    and C_i (per activity code). A case's key is (Σ h1 mod M, Σ h2 mod M, length): two different
    sequences of one length collide with probability about 1/M² ≈ 2⁻⁶², and the tables are small
    (longest case, distinct activities), joined on every backend alike.

    With `depts_n` (paths asked for, `wt` has `dcode`) also g1, g2: the same over (position,
    department code) with independent tables, so (k1, k2, length, Σ g1, Σ g2) keys a path."""
    import ibis
    import numpy as np

    longest = int(wt.aggregate(m=wt.pos.max()).to_pandas().iloc[0]["m"])
    rng = np.random.default_rng(15)
    r = rng.integers(1, _M, size=(longest + 1, 2), dtype=np.int64)
    c = rng.integers(1, _M, size=(max(codes_n, 1), 2), dtype=np.int64)
    pos_cols = {"pos": np.arange(longest + 1, dtype=np.int64), "r1": r[:, 0], "r2": r[:, 1]}
    if depts_n is not None:  # drawn after the activity tables, which stay as they were
        rd = rng.integers(1, _M, size=(longest + 1, 2), dtype=np.int64)
        cd = rng.integers(1, _M, size=(max(depts_n, 1), 2), dtype=np.int64)
        pos_cols.update(r3=rd[:, 0], r4=rd[:, 1])
    pos_t = ibis.memtable(pd.DataFrame(pos_cols))
    code_t = ibis.memtable(pd.DataFrame({"code": np.arange(len(c), dtype=np.int64), "c1": c[:, 0], "c2": c[:, 1]}))
    j = wt.join(pos_t, "pos").join(code_t, "code")
    if depts_n is None:
        return j.mutate(h1=(j.r1 * j.c1) % _M, h2=(j.r2 * j.c2) % _M)
    dept_t = ibis.memtable(pd.DataFrame({"dcode": np.arange(len(cd), dtype=np.int64), "c3": cd[:, 0], "c4": cd[:, 1]}))
    j = j.join(dept_t, "dcode")
    return j.mutate(h1=(j.r1 * j.c1) % _M, h2=(j.r2 * j.c2) % _M, g1=(j.r3 * j.c3) % _M, g2=(j.r4 * j.c4) % _M)


def _is_text(table: Any, column: str) -> bool:
    return table.schema()[column].is_string()


def _to_parse(raw: Any, roles: Roles) -> Any:
    """The trimmed text timestamps left to the regular expressions: null where `native_us` has a value
    (a CASE, so backends skip the trimming and matching for those rows)."""
    import ibis

    s = _text(raw[roles.timestamp])
    if roles.native_us is None:
        return s
    return ibis.ifelse(raw[roles.native_us].isnull(), s, ibis.null("string"))


def left_to_parse(raw: Any, roles: Roles) -> int:
    """How many rows hold a text timestamp that `native_us` left to the regular expressions."""
    s = _to_parse(raw, roles)
    return int(raw.aggregate(n=_count(s.notnull())).to_pandas().iloc[0]["n"] or 0)


def _month_first(raw: Any, roles: Roles) -> dict[str, bool]:
    """`ingest.dates._month_first` over the whole column: month-first only if no first part but
    some second part exceeds 12 (for `/` and `-` dates)."""
    import ibis

    s = _to_parse(raw, roles)
    aggs = {}
    for i, rx in enumerate(_PARTS.values()):
        hit = s.re_search(rx)
        aggs[f"a{i}"] = ibis.ifelse(hit, _int(s.re_extract(rx, 1)), 0).max()
        aggs[f"b{i}"] = ibis.ifelse(hit, _int(s.re_extract(rx, 2)), 0).max()
    row = raw.aggregate(**aggs).to_pandas().iloc[0]
    return {fam: bool((row[f"a{i}"] or 0) <= 12 and (row[f"b{i}"] or 0) > 12) for i, fam in enumerate(_PARTS)}


def _lifecycle_filter(raw: Any, roles: Roles) -> bool:
    """Whether the lifecycle column has both `complete` and other transitions (then others drop)."""
    if roles.lifecycle is None:
        return False
    life = _text(raw[roles.lifecycle]).lower()
    row = raw.aggregate(c=_count(life == "complete"),
                        o=_count(life.notnull() & (life != "complete"))).to_pandas().iloc[0]
    return bool((row["c"] or 0) > 0 and (row["o"] or 0) > 0)


def _in_zone(t: Any, timezone: str) -> Any:
    """`t` with its naive `_t_us` read as local times of `timezone` (offset-carrying ones stay)."""
    import ibis

    naive = t._t_us.notnull() & ~t._aware.fill_null(False)
    row = t.aggregate(lo=t._t_us.min(where=naive), hi=t._t_us.max(where=naive)).to_pandas().iloc[0]
    if pd.isna(row["lo"]):
        return t
    utc = local_to_utc_us(t._t_us, timezone, int(row["lo"]), int(row["hi"]))
    return t.mutate(_t_us=ibis.ifelse(naive, utc, t._t_us))


def prepared(raw: Any, roles: Roles, timezone: str | None = None, cache: Callable[[Any], Any] | None = None) -> Any:
    """Every raw row with case_id, activity, t_us, department, order columns `_o<i>`, `aware`, its
    drop `reason` (null when kept) and `keep`; `timezone`: the zone of text times without an offset.
    With a zone, the parsed times are materialised first (`cache`): the zone's CASE then reads a
    plain column, instead of repeating the whole text parse in every branch (which PostgreSQL's
    planner takes minutes over)."""
    import ibis

    for o in roles.order:
        if o.startswith("_") and o in ("_t_us", "_aware", "_txt"):
            raise ValueError(f"order column {o!r} clashes with a working column")
    cols: dict[str, Any] = {"case_id": _text(raw[roles.case]), "activity": _text(raw[roles.activity])}
    if roles.department is not None:
        cols["department"] = _text(raw[roles.department]).fill_null("")
    for i, o in enumerate(roles.order):
        cols[f"_o{i}"] = raw[o]
    if roles.malformed is not None:
        cols["_bad"] = raw[roles.malformed].notnull()
    life = None
    if _lifecycle_filter(raw, roles):
        cols["_life"] = _text(raw[roles.lifecycle]).lower()
        life = True
    ts_type = raw.schema()[roles.timestamp]
    if ts_type.is_string():
        native = {} if roles.native_us is None else {"_native": raw[roles.native_us].cast("int64")}
        t = raw.select(_txt=_to_parse(raw, roles), **native, **cols)
        t = parse_text_us(t, "_txt", _month_first(raw, roles)).drop("_txt")
        if native:
            t = t.mutate(_t_us=ibis.coalesce(t._native, t._t_us)).drop("_native")
        if timezone is not None:
            t = _in_zone((cache or (lambda x: x.cache()))(t), timezone)
    elif ts_type.is_integer():  # the engine already gave epoch microseconds (its native, faster conversion)
        t = raw.select(_t_us=raw[roles.timestamp].cast("int64"), _aware=ibis.literal(False), **cols)
    else:
        t = raw.select(_t_us=epoch_us(raw[roles.timestamp]), _aware=ibis.literal(False), **cols)
    cases = [(t._bad, REASONS[0])] if roles.malformed is not None else []
    cases += [(t.case_id.isnull(), REASONS[1]), (t._t_us.isnull(), REASONS[2]), (t.activity.isnull(), REASONS[3])]
    if life:
        cases.append((t._life.notnull() & (t._life != "complete"), REASONS[4]))
    keep = ibis.and_(*[~bad for bad, _ in cases])  # a plain conjunction filters far faster than the CASE
    t = t.mutate(reason=ibis.cases(*cases, else_=ibis.null("string")), keep=keep, aware=t._aware.fill_null(False))
    return t.rename(t_us="_t_us").drop(*(["_aware"] + (["_life"] if life else []) + (["_bad"] if roles.malformed else [])))


def summarize(raw: Any, roles: Roles, *, source: str, columns: Mapping[str, str] | None = None,
              rows_before: int = 0, dropped_before: Mapping[str, int] | None = None,
              cache: Callable[[Any], Any] | None = None, keep_rows: bool = False,
              progress: Callable[..., None] | None = None, paths: bool = False,
              timezone: str | None = None) -> LogSummary:
    """The `LogSummary` of the raw rows in `raw` (an Ibis table on any backend).

    `rows_before`/`dropped_before`: rows a reader dropped before `raw` (e.g. malformed CSV lines);
    `cache` materialises an intermediate table (a backend temp table) — without it the backend may
    recompute the window stage per query; `keep_rows`: materialise the cleaned rows too, so the source
    is read and cleaned once rather than twice (an engine asks where that write is cheap next to a
    second read; text timestamps are always kept, their parse costs more); `progress` is told each
    stage's name; `paths`: also the per-path table (`LogSummary.paths`) the waste analysis reads
    (discovery does not: it costs a join); `timezone`: the zone of text
    times written without an offset (`--timezone`), converted from it to UTC.
    """
    import ibis

    cache = cache or (lambda t: t.cache())
    say = progress or (lambda _s, _rows=None: None)
    say("scan")
    p = prepared(raw, roles, timezone, cache)
    if keep_rows or _is_text(raw, roles.timestamp):  # parse text times once, not in every later query
        p = cache(p)
    kept = p.keep
    aggs = {r: _count(p.reason == r) for r in REASONS}
    if roles.department is not None:  # the department dictionary, in the same scan: departments are then
        aggs["depts"] = p.department.collect(distinct=True, where=kept)  # counted on the ordered table
    by_dept = paths and roles.department is not None
    profile = p.aggregate(
        rows=p.count(),
        aware=_count(p.t_us.notnull() & p.aware),
        naive=_count(p.t_us.notnull() & ~p.aware),
        first_us=p.t_us.min(where=kept), last_us=p.t_us.max(where=kept),
        acts=p.activity.collect(distinct=True, where=kept),  # the activity dictionary, in the same scan
        **aggs,
    ).to_pandas().iloc[0]
    if timezone is None and (profile["aware"] or 0) > 0 and (profile["naive"] or 0) > 0:
        raise GosuprError("timestamps mix times with a zone offset and without one: they cannot be ordered; "
                          "name the zone of those without an offset, e.g. --timezone Europe/Moscow", path=source)
    rows = int(profile["rows"])
    dropped = dict(dropped_before or {})
    for r in REASONS:
        if profile[r]:
            dropped[r] = dropped.get(r, 0) + int(profile[r])
    if rows == sum(int(profile[r] or 0) for r in REASONS):
        parts = ", ".join(f"{k} {v}" for k, v in sorted(dropped.items()))
        raise GosuprError(f"no usable rows: {rows} read, all dropped ({parts}); check the column choice "
                          "(--case/--activity/--timestamp)", path=source)
    ev = p.filter(kept)
    order_cols = [f"_o{i}" for i in range(len(roles.order))]

    names = sorted(str(a) for a in profile["acts"])
    codes = ibis.memtable(pd.DataFrame({"activity": names, "code": range(len(names))}))
    dept = [] if roles.department is None else ["department"]
    ej = ev.select("case_id", "activity", "t_us", *dept, *order_cols).join(codes, "activity")
    dnames = sorted(str(d) for d in profile["depts"]) if dept else []
    if dept:
        dcodes = ibis.memtable(pd.DataFrame({"department": dnames, "dcode": range(len(dnames))}))
        ej, dept = ej.join(dcodes, "department").drop("department"), ["dcode"]
    ej = ej.mutate(t_ms=ej.t_us // 1000)
    w = ibis.window(group_by=ej.case_id, order_by=[ej.t_us, *[ej[c] for c in order_cols]])
    say("order events", rows)
    # only what later stages read: a narrow table is cheaper to sort, write and scan again
    wt = cache(ej.select("case_id", "code", "t_ms", *dept, pos=ibis.row_number().over(w),
                         nxt=ej.code.lead().over(w), nxt_ms=ej.t_ms.lead().over(w)))
    name_of = pd.Series(names, dtype=object)

    say("directly-follows")
    pairs = wt.filter(wt.nxt.notnull()).mutate(gap=wt.nxt_ms - wt.t_ms)
    pairs = with_sketch_bin(pairs, "gap")
    # one scan: per (pair, bin) the additive aggregates; per pair they add up on these few rows
    per_bin = pairs.group_by(source=pairs.code, target=pairs.nxt, bin=pairs.bin).aggregate(
        n=pairs.count(), total_ms=pairs.gap.sum(), min_ms=pairs.gap.min(), max_ms=pairs.gap.max()).to_pandas()
    edge_sketch = per_bin[["source", "target", "bin", "n"]].copy()
    edges = per_bin.groupby(["source", "target"], sort=False).agg(
        n=("n", "sum"), total_ms=("total_ms", "sum"), min_ms=("min_ms", "min"), max_ms=("max_ms", "max")).reset_index()
    for frame in (edges, edge_sketch):  # codes → names on the few aggregate rows
        for col in ("source", "target"):
            frame[col] = name_of.iloc[frame[col].astype("int64").to_numpy()].to_numpy()

    say("variants")
    hashed = _weighted(wt, codes_n=len(names), depts_n=len(dnames) if by_dept else None)
    dkey = {"d1": hashed.g1.sum() % _M, "d2": hashed.g2.sum() % _M} if by_dept else {}
    cases = hashed.group_by("case_id").aggregate(k1=hashed.h1.sum() % _M, k2=hashed.h2.sum() % _M,
                                                 length=hashed.count(), t0=hashed.t_ms.min(), t1=hashed.t_ms.max(),
                                                 **dkey)
    cases = cases.mutate(dur=cases.t1 - cases.t0)
    cases = cache(with_sketch_bin(cases, "dur"))
    key = ["k1", "k2", "length"]
    variants = cases.group_by(key).aggregate(n=cases.count(), total_ms=cases.dur.sum(), min_ms=cases.dur.min(),
                                              max_ms=cases.dur.max(), rep=cases.case_id.min()).to_pandas()
    vsk = cases.group_by([*key, "bin"]).aggregate(n=cases.count()).to_pandas()
    reps = ibis.memtable(pd.DataFrame({"case_id": variants["rep"].astype(str)}))
    steps = wt.semi_join(reps, "case_id").select("case_id", "pos", "code").to_pandas()
    steps = steps.sort_values(["case_id", "pos"], kind="stable")
    steps["activity"] = name_of.iloc[steps["code"].astype("int64").to_numpy()].to_numpy()
    traces = steps.groupby("case_id", sort=False)["activity"].agg(tuple)
    variants["vid"] = range(len(variants))
    variants["trace"] = variants["rep"].map(traces)
    vsk = vsk.merge(variants[[*key, "vid"]], on=key)[["vid", "bin", "n"]]

    ptab = psk = None
    if paths:
        say("paths")
        ptab, psk = _paths(wt, cases, [*key, *dkey], name_of, dnames if by_dept else None)

    deps = None
    if roles.department is not None:
        say("departments")
        # two plain group-bys: far cheaper than COUNT(DISTINCT) per group on most backends
        per_case = wt.group_by(["dcode", "case_id"]).aggregate(n=wt.count())
        deps = per_case.group_by(name=per_case.dcode).aggregate(
            events=per_case.n.sum(), cases=per_case.count()).to_pandas()
        deps["name"] = pd.Series(dnames, dtype=object).iloc[deps["name"].astype("int64").to_numpy()].to_numpy()
    first, last = profile["first_us"], profile["last_us"]
    return assemble(
        source=source,
        columns=dict(columns or roles.header),
        rows_scanned=rows + rows_before,
        dropped=dropped,
        first_ms=None if pd.isna(first) else int(first) // 1000,
        last_ms=None if pd.isna(last) else int(last) // 1000,
        variants=variants[["vid", "trace", "n", "total_ms", "min_ms", "max_ms"]],
        variant_sketch=vsk, edges=edges, edge_sketch=edge_sketch, departments=deps,
        paths=ptab, path_sketch=psk,
    )


def _paths(wt: Any, cases: Any, pkey: list[str], name_of: pd.Series,
           dnames: list[str] | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`summary.assemble`'s paths and path_sketch: cases grouped by their path key `pkey` (the variant
    key, plus the department hash when there are departments); per-(path, position) gap sums from the
    window table `wt` joined to each event's case key; one representative case per path gives its
    activity and department sequences. Only per-path (and per-path-position) rows leave the backend."""
    import ibis

    agg = cases.group_by(pkey).aggregate(n=cases.count(), total_ms=cases.dur.sum(), min_ms=cases.dur.min(),
                                         max_ms=cases.dur.max(), rep=cases.case_id.min()).to_pandas()
    agg["pid"] = range(len(agg))
    sk = cases.group_by([*pkey, "bin"]).aggregate(n=cases.count()).to_pandas()
    sk = sk.merge(agg[[*pkey, "pid"]], on=pkey)[["pid", "bin", "n"]]

    steps = wt.filter(wt.nxt.notnull()).select("case_id", "pos", gap=wt.nxt_ms - wt.t_ms)
    steps = steps.join(cases.select("case_id", *pkey), "case_id")
    sums = steps.group_by([*pkey, "pos"]).aggregate(total=steps.gap.sum()).to_pandas()
    sums = sums.merge(agg[[*pkey, "pid"]], on=pkey).sort_values(["pid", "pos"], kind="stable")
    gaps = sums.groupby("pid", sort=False)["total"].agg(lambda g: tuple(int(x) for x in g))

    reps = ibis.memtable(pd.DataFrame({"case_id": agg["rep"].astype(str)}))
    cols = ["case_id", "pos", "code", *(["dcode"] if dnames is not None else [])]
    ev = wt.semi_join(reps, "case_id").select(*cols).to_pandas().sort_values(["case_id", "pos"], kind="stable")
    ev["activity"] = name_of.iloc[ev["code"].astype("int64").to_numpy()].to_numpy()
    by_case = ev.groupby("case_id", sort=False)
    agg["trace"] = agg["rep"].map(by_case["activity"].agg(tuple))
    if dnames is None:
        agg["depts"] = None
    else:
        ev["department"] = pd.Series(dnames, dtype=object).iloc[ev["dcode"].astype("int64").to_numpy()].to_numpy()
        agg["depts"] = agg["rep"].map(by_case["department"].agg(tuple))
    agg["gaps"] = [gaps.get(p, ()) for p in agg["pid"]]
    return agg[["pid", "trace", "depts", "n", "total_ms", "min_ms", "max_ms", "gaps"]], sk
