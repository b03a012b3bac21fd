"""One duration wording for the whole product: a finding's sentence, a table cell and a chart say the same."""

from __future__ import annotations

import math

import pytest

from analyze_helpers import make_log
from gosupr.durations import format_duration, format_duration_json_v1
from gosupr.mining.waste.detectors import DETECTORS
from gosupr.mining.waste.detectors._common import duration
from gosupr.mining.waste.facts import LogFacts
from gosupr.report.findings_render import finding_message, rows
from gosupr.report.i18n import fmt_duration


@pytest.mark.parametrize(("seconds", "en", "ru"), [
    (40, "40 s", "40 с"),
    (75, "75 s", "75 с"),
    (725, "12 min", "12 мин"),
    (4200, "70 min", "70 мин"),
    (30 * 3600, "30.0 h", "30.0 ч"),
    (2.5 * 86400, "2.5 days", "2.5 дн"),
    (-30 * 3600, "-30.0 h", "-30.0 ч"),  # a change: the unit follows the size
])
def test_the_one_wording(seconds: float, en: str, ru: str):
    assert format_duration(seconds) == fmt_duration(seconds, "en") == duration(seconds) == en
    assert format_duration(seconds, "ru") == fmt_duration(seconds, "ru") == ru


def test_no_number_reads_as_the_caller_says():
    assert format_duration(None) == format_duration(math.nan) == "—"
    assert duration(None) == duration(math.nan) == "an unknown time"


def test_thirty_hours_read_the_same_in_the_sentence_and_the_table():
    """The issue's example: 30 hours was "30.0 h" in a finding's message and "1.2 d" in its table row."""
    log = make_log([(["A", "B", "B", "C"], 6), (["A", "B", "C"], 6)], waits_h={("B", "B"): 30})
    (f,) = DETECTORS["self_loop"].detect(LogFacts.of(log), {})
    assert f.time_cost_s == 30 * 3600
    for lang, words in (("en", "30.0 h"), ("ru", "30.0 ч")):
        (row,) = rows([f], lang)
        assert row[4] == words and words in finding_message(f, lang)


def test_the_json_documents_keep_their_frozen_wording():
    """gosupr.reduction and gosupr.effect carry an English headline text; within a schema version it
    does not change, so it keeps the wording it was written with."""
    assert [format_duration_json_v1(v) for v in (40, 75, 4200, 30 * 3600, None)] == ["40 s", "1.2 min", "1.2 h", "1.2 d", "—"]
