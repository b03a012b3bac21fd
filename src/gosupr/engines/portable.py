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
"""

from __future__ import annotations

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
    column of epoch microseconds UTC that the engine computed with its own faster function."""

    case: str
    activity: str
    timestamp: str
    department: str | None = None
    lifecycle: str | None = None
    order: tuple[str, ...] = ()
    header: Mapping[str, str] = field(default_factory=dict)  # role → header as the user sees it (audit)
    malformed: str | None = None  # not null where the reader found the wrong number of fields (dropped first)


def _text(col: Any) -> Any:
    """Trimmed string, missing where empty."""
    return col.cast("string").strip().nullif("")


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


def sketch_bin(v: Any) -> Any:
    """`summary.sketch_bins` as an expression: exact below 2**(BITS+1), else by power-of-two arithmetic
    (exact in float64: log2 is corrected by comparisons, divisions are by powers of two)."""
    import ibis

    two = ibis.literal(2.0)
    e0 = ibis.greatest(v, 1).log2().floor().cast("int64")
    e1 = ibis.ifelse(two**e0 > v, e0 - 1, e0)
    e = ibis.ifelse(two ** (e1 + 1) <= v, e1 + 1, e1)
    top = (v / two ** (e - BITS)).floor().cast("int64")
    return ibis.ifelse(v < 2 ** (BITS + 1), v, (e - BITS) * 2**BITS + top).cast("int64")


def _weighted(wt: Any, codes_n: int) -> Any:
    """`wt` with h1, h2: R_i[pos] · C_i[code] mod M for fixed pseudo-random tables R_i (per position)
    and C_i (per activity code). A case's key is (Σ h1 mod M, Σ h2 mod M, length): two different
    sequences of one length collide with probability about 1/M² ≈ 2⁻⁶², and the tables are small
    (longest case, distinct activities), joined on every backend alike."""
    import ibis
    import numpy as np

    longest = int(wt.aggregate(m=wt.pos.max()).to_pandas().iloc[0]["m"])
    rng = np.random.default_rng(15)
    r = rng.integers(1, _M, size=(longest + 1, 2), dtype=np.int64)
    c = rng.integers(1, _M, size=(max(codes_n, 1), 2), dtype=np.int64)
    pos_t = ibis.memtable(pd.DataFrame({"pos": np.arange(longest + 1, dtype=np.int64), "r1": r[:, 0], "r2": r[:, 1]}))
    code_t = ibis.memtable(pd.DataFrame({"code": np.arange(len(c), dtype=np.int64), "c1": c[:, 0], "c2": c[:, 1]}))
    j = wt.join(pos_t, "pos").join(code_t, "code")
    return j.mutate(h1=(j.r1 * j.c1) % _M, h2=(j.r2 * j.c2) % _M)


def _is_text(table: Any, column: str) -> bool:
    return table.schema()[column].is_string()


def _month_first(raw: Any, roles: Roles) -> dict[str, bool]:
    """`ingest.dates._month_first` over the whole column: month-first only if no first part but
    some second part exceeds 12 (for `/` and `-` dates)."""
    import ibis

    s = _text(raw[roles.timestamp])
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
        t = raw.select(_txt=_text(raw[roles.timestamp]), **cols)
        t = parse_text_us(t, "_txt", _month_first(raw, roles)).drop("_txt")
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
              cache: Callable[[Any], Any] | None = None,
              progress: Callable[[str], None] | None = None, timezone: str | None = None) -> LogSummary:
    """The `LogSummary` of the raw rows in `raw` (an Ibis table on any backend).

    `rows_before`/`dropped_before`: rows a reader dropped before `raw` (e.g. malformed CSV lines);
    `cache` materialises an intermediate table (a backend temp table) — without it the backend may
    recompute the window stage per query; `progress` is told each stage's name; `timezone`: the zone
    of text times written without an offset (`--timezone`), converted from it to UTC.
    """
    import ibis

    cache = cache or (lambda t: t.cache())
    say = progress or (lambda _s: None)
    say("scan")
    p = prepared(raw, roles, timezone, cache)
    if _is_text(raw, roles.timestamp):  # parse text times once, not in every later query
        p = cache(p)
    kept = p.keep
    aggs = {r: _count(p.reason == r) for r in REASONS}
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
    ej = ev.select("case_id", "activity", "t_us", *order_cols).join(codes, "activity")
    ej = ej.mutate(t_ms=ej.t_us // 1000)
    w = ibis.window(group_by=ej.case_id, order_by=[ej.t_us, *[ej[c] for c in order_cols]])
    say("order events")
    # only what later stages read: a narrow table is cheaper to sort, write and scan again
    wt = cache(ej.select("case_id", "code", "t_ms", pos=ibis.row_number().over(w),
                         nxt=ej.code.lead().over(w), nxt_ms=ej.t_ms.lead().over(w)))
    name_of = pd.Series(names, dtype=object)

    say("directly-follows")
    pairs = wt.filter(wt.nxt.notnull()).mutate(gap=wt.nxt_ms - wt.t_ms)
    pairs = pairs.mutate(bin=sketch_bin(pairs.gap))
    edges = pairs.group_by(source=pairs.code, target=pairs.nxt).aggregate(
        n=pairs.count(), total_ms=pairs.gap.sum(), min_ms=pairs.gap.min(), max_ms=pairs.gap.max()).to_pandas()
    edge_sketch = pairs.group_by(source=pairs.code, target=pairs.nxt, bin=pairs.bin).aggregate(
        n=pairs.count()).to_pandas()
    for frame in (edges, edge_sketch):  # codes → names on the few aggregate rows
        for col in ("source", "target"):
            frame[col] = name_of.iloc[frame[col].astype("int64").to_numpy()].to_numpy()

    say("variants")
    hashed = _weighted(wt, codes_n=len(names))
    cases = hashed.group_by("case_id").aggregate(k1=hashed.h1.sum() % _M, k2=hashed.h2.sum() % _M,
                                                 length=hashed.count(), t0=hashed.t_ms.min(), t1=hashed.t_ms.max())
    cases = cases.mutate(dur=cases.t1 - cases.t0)
    cases = cache(cases.mutate(bin=sketch_bin(cases.dur)))
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

    deps = None
    if roles.department is not None:
        say("departments")
        # two plain group-bys: far cheaper than COUNT(DISTINCT) per group on most backends
        per_case = ev.group_by(["department", "case_id"]).aggregate(n=ev.count())
        deps = per_case.group_by(name=per_case.department).aggregate(
            events=per_case.n.sum(), cases=per_case.count()).to_pandas()
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
    )
