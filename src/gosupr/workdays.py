"""Working days on the Russian production calendar (производственный календарь), vectorised.

Regulation terms are counted in working days: Monday to Friday, less the public holidays and the
days off moved by government decree, plus the Saturdays those decrees make working days (27 April
2024, 2 November 2024, 28 December 2024, 1 November 2025, …). The `holidays` library keeps both:
its Russian calendar lists the moved days off as holidays and the working Saturdays in
`weekend_workdays`. A ministry's own exceptions come on top (`extra_holidays`,
`extra_working_days` in `[regulation]`).

Counting is date-based, as terms are: the working days elapsed from day `a` to day `b` are the
working days in (a, b], so an act done on the day of registration took 0 days and one done on the
next working day took 1. Sums of consecutive gaps telescope to the whole span, which lets a case's
overrun be split exactly among its steps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np

FIRST_YEAR, LAST_YEAR = 2000, 2040  # the span the calendar is built for; outside it: weekends only


@dataclass(frozen=True)
class WorkCalendar:
    """Days off on weekdays (`holidays`) and working weekend days (`working_weekends`), as sorted
    datetime64[D] arrays, for numpy's busday functions."""

    holidays: np.ndarray
    working_weekends: np.ndarray
    source: str = "holidays (RU)"
    overrides: dict[str, int] = field(default_factory=dict)

    def working_days_between(self, start: np.ndarray, end: np.ndarray) -> np.ndarray:
        """Working days in (start, end] for each pair of dates (negative when end < start)."""
        a, b = _days(start), _days(end)
        lo = np.minimum(a, b) + np.timedelta64(1, "D")
        hi = np.maximum(a, b) + np.timedelta64(1, "D")
        n = np.busday_count(lo, hi, weekmask="1111100", holidays=self.holidays)
        ww = self.working_weekends
        if len(ww):
            n = n + np.searchsorted(ww, hi, side="left") - np.searchsorted(ww, lo, side="left")
        n = np.where(b >= a, n, -n)
        return n.astype(np.int64)

    def is_working_day(self, days: np.ndarray) -> np.ndarray:
        d = _days(days)
        on = np.is_busday(d, weekmask="1111100", holidays=self.holidays)
        if len(self.working_weekends):
            on |= np.isin(d, self.working_weekends)
        return on


def _days(x: np.ndarray | list | date) -> np.ndarray:
    return np.asarray(x).astype("datetime64[D]")


def russian_calendar(
    extra_holidays: list[date] | tuple[date, ...] = (),
    extra_working_days: list[date] | tuple[date, ...] = (),
    years: range = range(FIRST_YEAR, LAST_YEAR + 1),
) -> WorkCalendar:
    """The Russian production calendar for `years`, with the ministry's own overrides on top.

    An extra working day wins over a holiday of the same date (a decree can cancel a day off)."""
    import holidays as hol

    ru = hol.country_holidays("RU", years=list(years))
    off = {d for d in ru if d.weekday() < 5}
    work = {d for d in getattr(ru, "weekend_workdays", ()) if d.weekday() >= 5}
    extra_off, extra_on = set(extra_holidays), set(extra_working_days)
    off = (off | {d for d in extra_off if d.weekday() < 5}) - extra_on
    work = (work | {d for d in extra_on if d.weekday() >= 5}) - extra_off
    return WorkCalendar(
        holidays=np.array(sorted(off), dtype="datetime64[D]"),
        working_weekends=np.array(sorted(work), dtype="datetime64[D]"),
        source=f"holidays {getattr(hol, '__version__', '?')} (RU)",
        overrides={"extra_holidays": len(extra_off), "extra_working_days": len(extra_on)},
    )
