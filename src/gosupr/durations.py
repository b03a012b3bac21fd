"""The one way gosupr words a duration for people, in English and Russian.

Seconds below 90 read as seconds, below 90 minutes as whole minutes, below 36 hours as hours with
one decimal, then as days: "45 s", "12 min", "30.0 h", "2.1 days" («45 с», «12 мин», «30.0 ч»,
«2.1 дн»). The unit is chosen on the size (a negative change reads like a positive one), so a
value reads the same in a finding's sentence, a table cell and a chart.

A base module: the detectors (mining) and the renderers (report) both word durations with it.
"""

from __future__ import annotations

import math

_UNITS = {"en": ("s", "min", "h", "days"), "ru": ("с", "мин", "ч", "дн")}


def format_duration(seconds: float | None, lang: str = "en", unknown: str = "—") -> str:
    """`seconds` for people in `lang` ("en" or "ru"); `unknown` when there is no number."""
    if seconds is None:
        return unknown
    s = float(seconds)
    if math.isnan(s):
        return unknown
    sec, minute, hour, day = _UNITS["ru" if lang == "ru" else "en"]
    size = abs(s)
    if size < 90:
        return f"{s:.0f} {sec}"
    if size < 90 * 60:
        return f"{s / 60:.0f} {minute}"
    if size < 36 * 3600:
        return f"{s / 3600:.1f} {hour}"
    return f"{s / 86400:.1f} {day}"


def format_duration_json_v1(seconds: float | None, lang: str = "en") -> str:
    """The wording frozen into the English `text`/`headline` fields of the gosupr.reduction and
    gosupr.effect JSON documents (largest unit that is at least 1: "1.2 d", "5.1 h", "12.0 min",
    "40 s"). Machine output must not change within a schema version; people read format_duration.
    Drop this with the next schema bump of those documents."""
    if seconds is None:
        return "—"
    s = float(seconds)
    for en, ru, size in (("d", "дн", 86400.0), ("h", "ч", 3600.0), ("min", "мин", 60.0)):
        if abs(s) >= size:
            return f"{s / size:.1f} {ru if lang == 'ru' else en}"
    return f"{s:.0f} {'с' if lang == 'ru' else 's'}"
