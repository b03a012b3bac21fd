"""Each waste detector: a small log it must flag, and a look-alike it must leave alone."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analyze_helpers import make_log
from gosupr.mining.waste.analyze import analyze_log, removes_step
from gosupr.mining.waste.detectors import DETECTORS
from gosupr.mining.waste.facts import LogFacts
from gosupr.mining.waste.words import core_stems, is_control, is_reject, same_work, stems

H = 3600.0


def run(kind: str, log, cfg: dict | None = None):
    return DETECTORS[kind].detect(LogFacts.of(log), cfg or {})


# -- self_loop ----------------------------------------------------------------------------------
def _scans(k: int):
    return make_log([
        (["Регистрация", "Сканирование", "Сканирование", "Решение", "Архив"], k),
        (["Регистрация", "Сканирование", "Решение", "Архив"], k),
    ])


def test_self_loop_flags_an_immediate_repeat():
    (f,) = run("self_loop", _scans(60))
    assert f.activities == ["Сканирование"] and f.cases == 60 and f.case_share == pytest.approx(0.5)
    assert f.time_cost_s == pytest.approx(H)
    assert f.evidence["extra_executions"] == 60
    assert f.removable and f.verdict == "removable" and f.evidence["removal"] == "repeats"  # cases provably end alike
    eq = f.evidence["equivalence"]
    assert eq["n_with"] == 60 and eq["n_without"] == 60 and eq["ci"][0] > -0.05 and eq["ci"][1] < 0.05


def test_self_loop_on_ten_cases_is_insufficient_evidence():
    (f,) = run("self_loop", _scans(10))
    assert not f.removable and f.verdict == "insufficient_evidence" and "too few cases" in f.reason


def test_self_loop_ignores_a_repeat_with_steps_between():
    log = make_log([(["Регистрация", "Сканирование", "Проверка", "Сканирование", "Решение", "Архив"], 10)])
    assert run("self_loop", log) == []


# -- rework -------------------------------------------------------------------------------------
LOOP = ["Регистрация", "Проверка", "Замечания", "Доработка", "Проверка", "Решение", "Архив"]
STRAIGHT = ["Регистрация", "Проверка", "Решение", "Архив"]


def test_rework_flags_a_loop_back_with_its_body():
    log = make_log([(LOOP, 12), (STRAIGHT, 18)])
    (f,) = run("rework", log)
    assert f.activities == ["Проверка", "Замечания", "Доработка"]
    assert f.cases == 12 and f.time_cost_s == pytest.approx(3 * H)  # first to last «Проверка»
    assert f.evidence["repetitions"] == 12 and f.evidence["removal"] == "repeats"
    assert f.verdict == "insufficient_evidence" and not f.removable  # 12 against 18: no positive evidence
    (big,) = run("rework", make_log([(LOOP, 60), (STRAIGHT, 90)]))
    assert big.removable and big.verdict == "removable"


def test_a_loop_that_changes_the_outcome_keeps_its_rounds():
    refused = ["Регистрация", "Проверка", "Замечания", "Доработка", "Проверка", "Отказ в услуге", "Архив"]
    granted = ["Регистрация", "Проверка", "Выдача результата", "Архив"]
    (f,) = run("rework", make_log([(refused, 40), (LOOP[:-2] + ["Выдача результата", "Архив"], 4), (granted, 60)]))
    assert f.activities[0] == "Проверка" and not f.removable and f.verdict == "outcomes_differ"
    eq = f.evidence["equivalence"]
    assert abs(eq["difference"]) > 0.5 and (eq["ci"][0] > 0.05 or eq["ci"][1] < -0.05)


def test_rework_leaves_immediate_repeats_and_handovers_to_other_detectors():
    same_step_twice = ["Регистрация", "Проверка", "Проверка", "Решение", "Архив"]
    handover = ["Регистрация", ("Передача в юротдел", "A"), ("Возврат из юротдела", "B"), ("Передача в юротдел", "A"), "Решение"]
    log = make_log([(same_step_twice, 10), (handover, 10), (STRAIGHT, 10)])
    assert run("rework", log) == []


def test_rework_reports_one_loop_once():
    log = make_log([(LOOP[:5] + LOOP[2:], 6), (LOOP, 6), (STRAIGHT, 8)])  # 1 or 2 extra rounds
    found = run("rework", log)
    assert [f.activities[0] for f in found] == ["Проверка"]
    assert found[0].cases == 12 and found[0].evidence["repetitions"] == 18


# -- ping_pong ----------------------------------------------------------------------------------
BOUNCE = ["Регистрация", ("Передача в юротдел", "Земельный"), ("Возврат из юротдела", "Юридический"),
          ("Передача в юротдел", "Земельный"), ("Экспертиза", "Юридический"), "Решение"]


def test_ping_pong_flags_a_bounce_between_departments():
    log = make_log([(BOUNCE, 60), (["Регистрация", ("Передача в юротдел", "Земельный"), ("Экспертиза", "Юридический"), "Решение"], 60)])
    (f,) = [f for f in run("ping_pong", log) if f.evidence["between"] == "activities"]
    assert f.activities == ["Передача в юротдел", "Возврат из юротдела"]
    assert f.cases == 60 and f.time_cost_s == pytest.approx(2 * H) and f.removable


def test_ping_pong_ignores_the_same_pattern_inside_one_team():
    in_team = [s if isinstance(s, str) else (s[0], "Земельный") for s in BOUNCE]
    log = make_log([(in_team, 7), (STRAIGHT, 13)])
    assert run("ping_pong", log) == []
    assert [f.activities[0] for f in run("rework", log)] == ["Передача в юротдел"]  # a correction loop instead


def test_ping_pong_between_departments_needs_repeated_handovers():
    normal = ["Регистрация", ("Приём", "Канцелярия"), ("Экспертиза", "Юридический"), ("Подготовка", "Канцелярия"),
              ("Подпись", "Руководство")]
    bouncing = [("Приём", "Канцелярия"), ("Запрос", "Юридический"), ("Ответ", "Канцелярия"), ("Уточнение", "Юридический"),
                ("Ответ на уточнение", "Канцелярия"), ("Экспертиза", "Юридический"), ("Подпись", "Руководство")]
    assert run("ping_pong", make_log([(normal, 20)])) == []
    (f,) = run("ping_pong", make_log([(bouncing, 6), (normal, 14)]))
    assert f.evidence["between"] == "departments" and f.evidence["departments"] == ["Канцелярия", "Юридический"]
    assert f.cases == 6


# -- duplicate_step -----------------------------------------------------------------------------
def _checks(second: str, *, loop_back: bool = False):
    first = "Проверка документов"
    ok = ["Регистрация заявления", first, second, "Межведомственный запрос", "Принятие решения", "Уведомление", "Архив"]
    no = ["Регистрация заявления", first, second, "Отказ в услуге", "Уведомление", "Архив"]
    traces = [(ok, 480), (no, 120), ([s for s in ok if s != second], 320), ([s for s in no if s != second], 80)]
    if loop_back:
        traces.append((["Регистрация заявления", first, second, first, second, "Межведомственный запрос", "Принятие решения",
                        "Уведомление", "Архив"], 280))
    return make_log(traces)


def test_duplicate_step_flags_a_repeated_check_that_never_routes():
    (f,) = run("duplicate_step", _checks("Повторная проверка документов"))
    assert f.activities == ["Проверка документов", "Повторная проверка документов"]
    assert f.cases == 600 and f.removable and f.time_cost_s == pytest.approx(H)
    assert f.evidence["equivalence"]["n_with"] == 600 and f.evidence["equivalence"]["n_without"] == 400
    assert f.evidence["pair_share"] == 1.0 and f.evidence["similarity"] == 1.0


def test_duplicate_step_leaves_different_work_and_routing_checks():
    assert run("duplicate_step", _checks("Проверка плана участка")) == []
    assert run("duplicate_step", _checks("Повторная проверка документов", loop_back=True)) == []


# -- redundant_approval -------------------------------------------------------------------------
def _chain(visa_returns: bool):
    visa = "Визирование проекта начальником отдела"
    tail = [visa, "Подписание решения", "Уведомление заявителя", "Архивирование"]
    traces = [
        (["Регистрация заявления", "Проверка документов"] + tail, 60),
        (["Регистрация заявления", "Проверка документов", "Доработка документов", "Проверка документов"] + tail, 20),
        (["Регистрация заявления", "Проверка документов", "Отказ", "Уведомление заявителя", "Архивирование"], 20),
    ]
    if visa_returns:
        traces.append((["Регистрация заявления", "Проверка документов", visa, "Возврат на доработку", "Проверка документов"] + tail, 5))
    return make_log(traces)


def test_redundant_approval_flags_a_visa_that_never_rejects():
    (f,) = run("redundant_approval", _chain(visa_returns=False))
    assert f.activities == ["Визирование проекта начальником отдела"] and f.removable
    assert f.cases == 80 and f.evidence["next"] == "Подписание решения" and f.evidence["same_next_share"] == 1.0
    assert f.evidence["decisions"]["reject_rate_upper"] < 0.05  # 0 of 80, and provably below 5%


def test_redundant_approval_keeps_checks_that_reject_and_the_signature():
    found = run("redundant_approval", _chain(visa_returns=True))
    assert found == []  # the visa sends cases back; the check rejects; the signature is the decision


# -- bypassable_step ----------------------------------------------------------------------------
def _optional_call(with_grant: int, with_refusal: int, without_grant: int, without_refusal: int):
    head = ["Регистрация заявления", "Проверка документов"]

    def trace(call: bool, grant: bool):
        return head + (["Звонок заявителю"] if call else []) + ["Рассмотрение", "Выдача результата" if grant else "Отказ в услуге",
                                                               "Архивирование"]
    return make_log([
        (trace(True, True), with_grant), (trace(True, False), with_refusal),
        (trace(False, True), without_grant), (trace(False, False), without_refusal),
        (head + ["Отказ в услуге", "Архивирование"], 10),  # refused at the check: never reach the call
    ])


def test_bypassable_step_flags_optional_work_without_effect():
    (f,) = run("bypassable_step", _optional_call(480, 120, 720, 180))
    assert f.activities == ["Звонок заявителю"] and f.removable and f.cases == 600
    assert f.evidence["compared_cases"] == 900  # the early refusals are not comparable
    (small,) = run("bypassable_step", _optional_call(16, 4, 24, 6))
    assert small.verdict == "insufficient_evidence" and not small.removable
    assert f.time_cost_s == pytest.approx(H)


def test_bypassable_step_keeps_a_step_that_goes_with_another_outcome():
    assert run("bypassable_step", _optional_call(4, 16, 36, 4)) == []


# -- rare_path ----------------------------------------------------------------------------------
def test_rare_path_flags_a_shortcut_few_cases_take():
    (f,) = run("rare_path", make_log([(["Приём", "Проверка", "Решение"], 199), (["Приём", "Решение"], 1)]))
    assert f.activities == ["Приём", "Решение"] and f.cases == 1 and not f.removable
    assert f.evidence["rare_edges_total"] == 1


def test_rare_path_ignores_a_common_alternative():
    assert run("rare_path", make_log([(["Приём", "Проверка", "Решение"], 140), (["Приём", "Решение"], 60)])) == []


# -- waiting ------------------------------------------------------------------------------------
def test_waiting_flags_the_transition_that_stands_out():
    log = make_log([(["Приём", "Проверка", "Решение", "Выдача"], 20)], waits_h={("Проверка", "Решение"): 72})
    (f,) = run("waiting", log)
    assert f.activities == ["Проверка", "Решение"] and f.time_cost_s == pytest.approx(72 * H) and f.cases == 20


def test_waiting_ignores_an_even_flow():
    assert run("waiting", make_log([(["Приём", "Проверка", "Решение", "Выдача"], 20)])) == []


# -- thresholds and words -----------------------------------------------------------------------
def test_thresholds_change_what_is_flagged():
    log = make_log([(LOOP, 3), (STRAIGHT, 17)])
    assert len(run("rework", log)) == 1
    assert run("rework", log, {"min_cases": 4}) == []


def test_decision_object_pairs_an_approval_with_its_rejection():
    from gosupr.mining.waste.words import decision_object

    assert decision_object("Declaration APPROVED by SUPERVISOR") == decision_object("Declaration REJECTED by SUPERVISOR")
    assert decision_object("Declaration FINAL_APPROVED by SUPERVISOR") == decision_object("Declaration REJECTED by SUPERVISOR")
    assert decision_object("Declaration APPROVED by SUPERVISOR") != decision_object("Declaration REJECTED by EMPLOYEE")
    assert decision_object("Согласование проекта договора") == decision_object("Отказ в согласовании проекта договора")
    assert decision_object("Согласование проекта договора") != decision_object("Отказ в выдаче разрешения")


def test_russian_words_are_normalised_for_matching():
    assert stems("Проверка документов") == stems("проверку документа") == ("проверк", "документ")
    assert core_stems("Повторная проверка документов") == core_stems("Проверка документов")
    assert same_work("Check documents", "Re-check documents") == 1.0
    assert same_work("T02 Check confirmation of receipt", "T04 Determine confirmation of receipt") < 0.85
    assert is_control("Визирование проекта") and is_control("Согласование с юристом") and is_control("Approve request")
    assert is_reject("Возврат на доработку") and is_reject("T03 Adjust confirmation of receipt") and not is_reject("Проверка")
    assert stems("Ёлка") == stems("елка")


# -- any log ------------------------------------------------------------------------------------
_labels = st.sampled_from(["Приём", "Проверка", "Повторная проверка", "Визирование", "Доработка", "Решение", "Архив"])
_steps = st.tuples(_labels, st.sampled_from(["A", "B", ""]))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.lists(_steps, min_size=1, max_size=8), st.integers(1, 4)), min_size=1, max_size=6),
       st.sampled_from([0.0, 0.5, 24.0]))
def test_any_log_gives_valid_findings(traces, gap):
    log = make_log(traces, gap_h=gap)
    found = analyze_log(log)
    facts = LogFacts.of(log)
    for mod in DETECTORS.values():  # every detector alone too, with its defaults
        mod.detect(facts, {})
    for f in found:
        assert f.kind in DETECTORS and f.activities and f.severity in ("high", "medium", "low")
        assert 0 <= f.cases <= log.n_cases and 0.0 <= f.case_share <= 1.0
        assert f.time_cost_s is None or f.time_cost_s >= 0
        if removes_step(f) and f.kind != "duplicate_step":  # a duplicate's echo of a decision may go
            assert facts.labels.index(f.activities[-1]) not in facts.essential


def test_an_empty_log_has_nothing_to_detect():
    facts = LogFacts.of(make_log([]))
    assert all(mod.detect(facts, {}) == [] for mod in DETECTORS.values())
