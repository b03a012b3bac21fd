"""Shapes of a log that say a column was chosen wrongly, caught before any mining starts.

A department or registry column taken as the case id (`--case Подразделение`) makes a handful of
cases with hundreds of thousands of events each; a document number or free-text column taken as
the activity makes as many activities as events. Neither is a process anyone can read, and both
are where mining costs explode, so they are refused with the column and the numbers, unless the
user says the shape is real (`--allow-huge-cases`).
"""

from __future__ import annotations

from gosupr.errors import GosuprError
from gosupr.eventlog import ACTIVITY, CASE, EventLog

MAX_CASE_EVENTS = 10_000  # a ministry case of 10 000 steps is a wrong case column, not a case
MAX_ACTIVITIES = 2_000  # activity names in real registries: tens to a few hundred
MAX_ACTIVITY_SHARE = 0.5  # more distinct activities than half the events: ids or free text
SHARE_FROM_EVENTS = 1_000  # the share rule only once the log is big enough to say so

_OVERRIDE = "or pass --allow-huge-cases if this really is the process"


def check_shape(log: EventLog, source: str) -> None:
    """GosuprError naming the column and the numbers when the log's shape signals a wrong column."""
    events = log.n_events
    if not events:
        return
    cols = log.audit.columns
    starts, lengths = log.case_bounds
    biggest = int(lengths.argmax())
    if int(lengths[biggest]) > MAX_CASE_EVENTS:
        case = str(log.df[CASE].iloc[int(starts[biggest])])
        raise GosuprError(
            f"case «{_short(case)}» has {int(lengths[biggest]):,} of the log's {events:,} events (more than "
            f"{MAX_CASE_EVENTS:,}): column «{cols.get('case', CASE)}» does not look like a case id; choose "
            f"the case column with --case, {_OVERRIDE}", path=source)
    n_act = int(log.df[ACTIVITY].nunique())
    if n_act > MAX_ACTIVITIES or (events >= SHARE_FROM_EVENTS and n_act > MAX_ACTIVITY_SHARE * events):
        raise GosuprError(
            f"{n_act:,} distinct activities in {events:,} events (at most {MAX_ACTIVITIES:,}, and fewer "
            f"than half the events, are expected): column «{cols.get('activity', ACTIVITY)}» does not look "
            f"like activity names; choose the activity column with --activity, {_OVERRIDE}", path=source)


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
