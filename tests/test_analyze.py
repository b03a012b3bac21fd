"""analyze as a whole: configuration, the findings document, and the real logs in ../shared/data/logs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analyze_helpers import make_log
from gosupr.errors import GosuprError
from gosupr.ingest import read_log
from gosupr.mining.waste.analyze import (
    AnalyzeConfig,
    analyze_log,
    findings_document,
    removable_steps,
    waste_totals,
)
from gosupr.mining.waste.detectors import DETECTORS
from gosupr.mining.waste.facts import LogFacts
from material import SHARED, SHARED_REASON

LOGS = SHARED / "logs"

VISA = "Визирование проекта начальником отдела"
CHAIN = [
    (["Регистрация заявления", "Проверка документов", VISA, "Подписание решения", "Уведомление заявителя", "Архивирование"], 60),
    (["Регистрация заявления", "Проверка документов", "Доработка документов", "Проверка документов", VISA,
      "Подписание решения", "Уведомление заявителя", "Архивирование"], 20),
    (["Регистрация заявления", "Проверка документов", "Отказ", "Уведомление заявителя", "Архивирование"], 20),
]


# -- configuration ------------------------------------------------------------------------------
def test_config_from_toml(tmp_path: Path):
    p = tmp_path / "gosupr.toml"
    p.write_text(
        "[discover]\nnoise = 0.3\n\n[analyze]\nkinds = [\"rework\", \"redundant_approval\"]\nmin_share = 0.25\n\n"
        "[analyze.rework]\nmin_cases = 11\n", encoding="utf-8",
    )
    cfg = AnalyzeConfig.from_toml(p)
    assert cfg.kinds == ["rework", "redundant_approval"] and cfg.min_share == 0.25
    assert cfg.thresholds == {"rework": {"min_cases": 11}}
    found = analyze_log(make_log(CHAIN), cfg)
    assert [f.kind for f in found] == ["redundant_approval"]  # rework: 10 cases < 11
    assert [f.kind for f in analyze_log(make_log(CHAIN), cfg.with_options(min_share=0.9))] == []


@pytest.mark.parametrize(
    "text, words",
    [
        ("[analyze]\nmin_shares = 0.1\n", ["analyze.min_shares", "gosupr.toml"]),
        ("[analyze.rework]\nmin_case = 3\n", ["analyze.rework.min_case", "min_cases"]),
        ("[analyze]\nkinds = [\"rewrok\"]\n", ["rewrok", "rework"]),
        ("[analyze]\nmin_share = 2\n", ["min_share"]),
        ("[analyze.waiting]\ntop = \"five\"\n", ["analyze.waiting.top"]),
        ("[analyze\n", ["not valid TOML"]),
    ],
)
def test_config_errors_name_the_key_and_the_file(tmp_path: Path, text: str, words: list[str]):
    p = tmp_path / "gosupr.toml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(GosuprError) as e:
        AnalyzeConfig.from_toml(p)
    msg = str(e.value)
    assert "\n" not in msg and all(w in msg for w in words), msg


def test_missing_config_file_is_a_user_error(tmp_path: Path):
    with pytest.raises(GosuprError, match="not found"):
        AnalyzeConfig.from_toml(tmp_path / "nope.toml")


def test_every_detector_has_kind_defaults_and_detect():
    for kind, mod in DETECTORS.items():
        assert kind == mod.KIND and isinstance(mod.DEFAULTS, dict) and callable(mod.detect)


# -- results ------------------------------------------------------------------------------------
def test_headline_and_document():
    log = make_log(CHAIN)
    found = analyze_log(log)
    assert removable_steps(found) == [VISA]
    h = waste_totals(found, log)
    assert h["removable_steps"] == 1 and h["removable_step_names"] == [VISA]
    assert h["removable_time_per_case_s"] == pytest.approx(80 * 3600 / 100)  # 1 h in 80 of 100 cases
    assert "1 step can be removed" in h["text"]
    # the same numbers reduce reports: events, not steps
    assert h["events_removable"] == 80 and h["cases_touched"] == 80
    assert h["events_removable_share"] == pytest.approx(80 / log.n_events, abs=1e-4)
    assert "80 events" in h["text"]
    doc = findings_document(found, log)
    assert doc["schema"] == "gosupr.findings/2" and doc["tool"]["name"] == "gosupr" and doc["tool"]["pm4py"]
    assert doc["log"]["cases"] == 100 and len(doc["findings"]) == len(found)
    assert all("events_removed" in f and "cases_touched" in f and "verdict" in f for f in doc["findings"])
    json.dumps(doc, ensure_ascii=False)  # plain JSON types only


def test_empty_log_has_no_findings():
    log = make_log([])
    assert analyze_log(log) == [] and waste_totals([], log)["removable_steps"] == 0


def test_a_removable_step_is_reported_once():
    """A duplicate second step that is also optional is a duplicate_step, not a bypassable_step too."""
    first, second = "Проверка документов", "Повторная проверка документов"
    ok = ["Регистрация заявления", first, second, "Запрос", "Решение о выдаче", "Уведомление", "Архив"]
    found = analyze_log(make_log([(ok, 240), ([s for s in ok if s != second], 160)]))
    assert [f.kind for f in found if f.removable] == ["duplicate_step"]
    # with too few cases it is still reported once, under the same kind, as insufficient evidence
    few = analyze_log(make_log([(ok, 24), ([s for s in ok if s != second], 16)]))
    assert [(f.kind, f.verdict) for f in few if second in f.activities] == [("duplicate_step", "insufficient_evidence")]


# -- real logs ----------------------------------------------------------------------------------
def _read(name: str):
    path = LOGS / name
    if not path.exists():
        pytest.skip(SHARED_REASON)
    return read_log(path)


def test_receipt_findings_make_sense():
    log = _read("receipt.xes")
    facts = LogFacts.of(log)
    found = analyze_log(log, facts=facts)
    by = {(f.kind, tuple(f.activities)): f for f in found}
    # every case starts with the confirmation of receipt: essential, never removable
    assert facts.essential[facts.labels.index("Confirmation of receipt")] == "start"
    assert "Confirmation of receipt" not in removable_steps(found)
    # the checks send work back to adjustment (T02→T03, T17→T18) or do not always lead on (T12): none redundant
    assert not [f for f in found if f.kind == "redundant_approval"]
    # the check → adjust → check bounce between two groups is the biggest loop
    pp = by[("ping_pong", ("T02 Check confirmation of receipt", "T03 Adjust confirmation of receipt"))]
    assert pp.cases >= 10 and pp.time_cost_s > 3600
    assert all(0 < f.case_share <= 1 and f.cases <= log.n_cases for f in found if f.kind not in ("rare_path",))
    assert all(f.message and "\n" not in f.message for f in found)
    # deterministic: the same document twice
    again = analyze_log(read_log(LOGS / "receipt.xes"))
    assert json.dumps(findings_document(found, log), sort_keys=True) == json.dumps(findings_document(again, log), sort_keys=True)


def test_running_example_rework_is_the_reinitiated_request():
    found = analyze_log(_read("running-example.xes"))
    (loop,) = [f for f in found if f.kind == "rework"]
    assert loop.activities[0] == "decide" and "reinitiate request" in loop.activities
    # 2 cases against 4: too few to show the loop leaves the outcome alone, so nothing is removable
    assert loop.cases == 2 and not any(f.removable for f in found)


def test_road_traffic_waits_are_months():
    found = analyze_log(_read("roadtraffic50traces.xes"))
    waits = [f for f in found if f.kind == "waiting"]
    assert waits and all(f.time_cost_s > 30 * 86400 for f in waits)
    assert ["Create Fine", "Send Fine"] in [f.activities for f in waits]
