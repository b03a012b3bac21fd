"""`gosupr check`: the regulation against the log. Working days, regulation files, deviations found
exactly as injected in the examples, terms, fitness equal to pm4py's alignments on real logs."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gosupr.bpmn.reader import read_bpmn
from gosupr.errors import GosuprError
from gosupr.eventlog import EventLog
from gosupr.ingest import read_log
from gosupr.mining.compare.matching import match_activities
from gosupr.mining.conformance.check import check_log
from gosupr.regulation import load_regulation, mandatory_patterns, parse_regulation, parse_term
from gosupr.synth.regulation import REGULATIONS, generate_regulated, normative_model
from gosupr.workdays import russian_calendar
from material import SmallLog

PROCESSES = ("land_lease", "construction_permit", "memo_approval")


def _d(*days: str) -> np.ndarray:
    return np.array(days, dtype="datetime64[D]")


# -- working days ------------------------------------------------------------------------------
def test_new_year_holidays_and_transfers_2024_2025() -> None:
    cal = russian_calendar()
    on = cal.is_working_day(_d("2024-01-08", "2024-01-09", "2024-04-27", "2024-04-29", "2024-04-30", "2024-05-10",
                               "2024-11-02", "2024-12-28", "2024-12-30", "2025-01-08", "2025-01-09", "2025-05-02",
                               "2025-05-08", "2025-11-01", "2025-11-03"))
    assert on.tolist() == [False, True, True, False, False, False, True, True, False, False, True, False, False, True, False]
    # (a, b]: a step done the next working day took 1 working day
    a = _d("2023-12-29", "2024-04-26", "2024-04-26", "2024-12-27", "2025-04-30", "2024-03-01")
    b = _d("2024-01-09", "2024-04-27", "2024-05-02", "2025-01-09", "2025-05-12", "2024-03-01")
    assert cal.working_days_between(a, b).tolist() == [1, 1, 2, 2, 4, 0]  # 5, 6, 7 and 12 May 2025
    assert cal.working_days_between(b[:1], a[:1]).tolist() == [-1]
    # the whole of 2024 had 248 working days and 2025 had 247 (the official production calendars)
    days = np.arange(np.datetime64("2024-01-01"), np.datetime64("2026-01-01"))
    work = cal.is_working_day(days)
    assert int(work[days < np.datetime64("2025-01-01")].sum()) == 248
    assert int(work[days >= np.datetime64("2025-01-01")].sum()) == 247


def test_calendar_overrides() -> None:
    cal = russian_calendar(extra_holidays=[date(2024, 3, 7)], extra_working_days=[date(2024, 3, 9), date(2024, 5, 10)])
    assert cal.is_working_day(_d("2024-03-07", "2024-03-09", "2024-05-10")).tolist() == [False, True, True]
    assert cal.working_days_between(_d("2024-03-06"), _d("2024-03-11")).tolist() == [2]  # 9 Mar and 11 Mar


# -- regulation files --------------------------------------------------------------------------
def test_terms_parse_in_english_and_russian() -> None:
    assert parse_term("case", "30 working days") .to_dict() == {"key": "case", "amount": 30, "unit": "working", "from": None, "to": None}
    t = parse_term("case", "30 рабочих дней от «Регистрация заявления»")
    assert (t.amount, t.unit, t.start) == (30, "working", "Регистрация заявления")
    t = parse_term("Принятие решения -> Уведомление заявителя", "3 календарных дня")
    assert (t.amount, t.unit, t.start, t.end) == (3, "calendar", "Принятие решения", "Уведомление заявителя")
    assert parse_term("a -> b", "10 days").unit == "calendar"


@pytest.mark.parametrize(
    "body, key",
    [
        ('case = "thirty working days"', "regulation.case"),
        ('"A -> B" = 3', 'regulation."A -> B"'),
        ('"A -> " = "3 days"', 'regulation."A -> "'),
        ('deadline = "3 days"', "regulation.deadline"),
        ('mandatory = "Правовая экспертиза"', "regulation.mandatory"),
        ("extra_holidays = [\"31.12.2024\"]", "regulation.extra_holidays"),
    ],
)
def test_bad_regulation_names_the_key(tmp_path: Path, body: str, key: str) -> None:
    p = tmp_path / "gosupr.toml"
    p.write_text("[regulation]\n" + body + "\n", encoding="utf-8")
    with pytest.raises(GosuprError) as e:
        load_regulation(p)
    assert f"'{key}" in str(e.value) and str(p) in str(e.value)


def test_unknown_step_names_the_key() -> None:
    log = EventLog.from_frame(generate_regulated("memo_approval", 30, 5, violations=False)[0])
    model = normative_model("memo_approval")
    for section, key in (
        ({"Рассмотрение министром -> Вручение ордена": "2 working days"}, "regulation.Рассмотрение министром -> Вручение ордена"),
        ({"mandatory": ["Согласование с прокуратурой"]}, "regulation.mandatory"),
        ({"case": "10 working days from Приём граждан"}, "regulation.case"),
    ):
        reg = parse_regulation(section, source="gosupr.toml")
        with pytest.raises(GosuprError) as e:
            check_log(log, model, reg)
        assert f"'{key}'" in str(e.value) and "gosupr.toml" in str(e.value)


def test_mandatory_patterns_for_reduce(examples_dir: Path) -> None:
    pats = mandatory_patterns(examples_dir / "land_lease.regulation.toml")
    assert pats == list(REGULATIONS["land_lease"].mandatory)
    assert mandatory_patterns({"regulation": {"mandatory": ["Подписание*"]}}) == ["Подписание*"]
    assert mandatory_patterns(None) == []
    from gosupr.mining.conformance.check import matches_any

    assert matches_any("Принятие  решения о предоставлении участка", pats)
    assert not matches_any("Сканирование документов", pats)


# -- matching ----------------------------------------------------------------------------------
def test_activities_meet_tasks_by_label_then_similarity() -> None:
    m = match_activities(
        ["Регистрация заявления", "правовая  экспертиза", "Принятие решения о предоставлении учаcтка", "Звонок"],
        ["Регистрация заявления", "Правовая экспертиза", "Принятие решения о предоставлении участка", "Архивирование дела"],
    )
    how = {p.before: (p.after, p.how) for p in m.pairs}
    assert how["Регистрация заявления"] == ("Регистрация заявления", "id")
    assert how["правовая  экспертиза"] == ("Правовая экспертиза", "label")
    assert how["Принятие решения о предоставлении учаcтка"][1] == "similar-label"  # a Latin 'c' typed by hand
    assert m.unmatched_activities == ("Звонок",) and m.unmatched_tasks == ("Архивирование дела",)


# -- the examples: every injected violation, with its cases -------------------------------------
@pytest.fixture(scope="module", params=PROCESSES)
def checked(request, examples_dir: Path):
    p = request.param
    truth = json.loads((examples_dir / f"{p}.violations.expected.json").read_text("utf-8"))
    reg = load_regulation(examples_dir / truth["regulation"])
    log = read_log(examples_dir / truth["log"])
    return truth, log, check_log(log, read_bpmn(reg.model), reg)


def _cases(per_case: pd.DataFrame, kind: str, acts: set[str]) -> set[str]:
    return set(per_case.loc[(per_case["kind"] == kind) & per_case["activity"].isin(acts), "case_id"])


def test_every_injected_violation_is_found_with_its_cases(checked) -> None:
    truth, log, r = checked
    assert r.fitness.coverage.complete and r.coverage_share == 1.0
    injected: set[str] = set()
    for v in truth["violations"]:
        want = set(v["case_ids"])
        assert len(want) == v["cases"] > 0
        injected |= want
        if v["kind"] == "skip":
            assert _cases(r.per_case, "skipped", {v["step"]}) == want
        elif v["kind"] == "swap":  # either of the two steps is the one out of place
            assert _cases(r.per_case, "out_of_order", {v["step"], v["other"]}) == want
        else:
            term = next(t for t in r.terms if t.term.end == v["step"])
            over = set(term.per_case.loc[term.per_case["overrun"] > 0, "case_id"])
            assert over == want and term.cases_over == v["cases"]
    # nothing else deviates from the model
    assert set(r.per_case["case_id"]) == injected - {c for v in truth["violations"] if v["kind"] == "late" for c in v["case_ids"]}
    skipped_mandatory = {c for v in truth["violations"] if v["kind"] == "skip" for c in v["case_ids"]}
    assert r.mandatory_skipped == len(skipped_mandatory)


def test_case_term_matches_a_plain_count(checked) -> None:
    """The whole-case term, recounted day by day with the `holidays` calendar directly."""
    import holidays

    truth, log, r = checked
    term = next(t for t in r.terms if t.term.key == "case")
    ru = holidays.country_holidays("RU", years=range(2023, 2027))
    working_sat = set(ru.weekend_workdays)

    def wd(a: date, b: date) -> int:
        n, d = 0, a
        while d < b:
            d += timedelta(days=1)
            n += (d.weekday() < 5 and d not in ru) or d in working_sat
        return n

    df = log.df
    if term.term.start:
        first = df[df["activity"] == term.term.start].groupby("case_id", observed=True)["timestamp"].min()
    else:
        first = df.groupby("case_id", observed=True)["timestamp"].min()
    last = df.groupby("case_id", observed=True)["timestamp"].max()
    want = {c: wd(first[c].date(), last[c].date()) for c in first.index}
    got = dict(zip(term.per_case["case_id"], term.per_case["days"]))
    assert got == want
    assert term.cases_over == sum(1 for v in want.values() if v > term.term.amount)


@pytest.mark.parametrize("process", PROCESSES)
def test_a_conforming_log_has_no_violation(process: str) -> None:
    df, truth = generate_regulated(process, 300, 77, violations=False)
    assert truth["violations"] == []
    reg = parse_regulation({"mandatory": truth["mandatory"], **truth["terms"]}, source="gosupr.toml")
    r = check_log(EventLog.from_frame(df), normative_model(process), reg)
    assert r.fitness.log_fitness == pytest.approx(1.0, abs=1e-3) and r.fitness.fitting_case_share == 1.0
    assert r.deviations == [] and r.per_case.empty and r.mandatory_skipped == 0
    step_terms = [t for t in r.terms if t.term.key != "case"]
    assert step_terms and all(t.cases_over == 0 and t.cases_measured > 0 for t in step_terms)


def test_overrun_is_charged_to_the_late_step(checked) -> None:
    truth, log, r = checked
    late = next(v for v in truth["violations"] if v["kind"] == "late")
    term = next(t for t in r.terms if t.term.end == late["step"])
    assert term.steps and term.steps[0].name == late["step"]
    assert term.median_overrun is not None and term.p90_overrun >= term.median_overrun > 0
    if log.has_department:
        assert term.departments and term.departments[0].excess > 0


# -- real logs: fitness equals pm4py's alignments on the same net --------------------------------
def _pm4py_fitness(log: EventLog, net) -> float:
    from gosupr._pm4py import pm4py, quiet

    pm4py()
    import pm4py as pm

    frame = log.df.rename(columns={"case_id": "case:concept:name", "activity": "concept:name", "timestamp": "time:timestamp"})
    frame = frame[["case:concept:name", "concept:name", "time:timestamp"]].astype({"case:concept:name": str, "concept:name": str})
    with quiet():
        return float(pm.fitness_alignments(frame, *net, multi_processing=False)["log_fitness"])


def test_small_log_fitness_equals_pm4py(small_log: SmallLog) -> None:
    from gosupr.mining.conformance.replay import as_net

    log = read_log(small_log.xes)
    model = read_bpmn(small_log.bpmn)
    r = check_log(log, model)
    assert r.fitness.coverage.complete
    assert abs(r.fitness.log_fitness - _pm4py_fitness(log, as_net(model, log))) < 0.01
    assert r.deviations == [] and not r.matching.unmatched_activities


@pytest.mark.slow
def test_receipt_fitness_equals_pm4py(shared_data: Path) -> None:
    """receipt.xes against a model discovered from it. pm4py's A* takes minutes on the rare long
    variants, so both sides run on the cases of the 40 most frequent variants (95% of the cases)."""
    from gosupr.mining.conformance.replay import as_net
    from gosupr.mining.discover import discover_model

    full = read_log(shared_data / "logs" / "receipt.xes")
    model = discover_model(full)
    keep = full.variants.case_variant < 40
    cases = set(keep.index[keep.to_numpy()])
    log = full.subset(full.df["case_id"].isin(cases).to_numpy(), name="receipt-top40")
    r = check_log(log, model)
    assert r.fitness.coverage.complete and r.fitness.coverage.cases > 0.9 * full.n_cases
    ref = _pm4py_fitness(log, as_net(model, full))
    assert 0.5 < ref < 1.0
    assert abs(r.fitness.log_fitness - ref) < 0.01
    assert any(d.kind == "out_of_order" for d in r.deviations)


# -- the command -------------------------------------------------------------------------------
def _gosupr(*args, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gosupr.cli", *map(str, args)], capture_output=True, text=True, cwd=cwd)


def test_cli_json_cases_html_and_gates(examples_dir: Path, tmp_path: Path) -> None:
    cases, html = tmp_path / "дела.csv", tmp_path / "check.html"
    p = _gosupr("check", examples_dir / "land_lease.violations.csv", "--config", examples_dir / "land_lease.regulation.toml",
                "-f", "json", "--cases", cases, "--html", html, "--lang", "ru", "--fail-on", "fitness-below=0.5")
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    truth = json.loads((examples_dir / "land_lease.violations.expected.json").read_text("utf-8"))
    assert doc["schema"] == "gosupr.check/1" and doc["fitness"]["coverage"]["cases_replayed"] == truth["cases"]
    skipped = {d["activity"]: d["cases"] for d in doc["deviations"] if d["kind"] == "skipped"}
    assert skipped == {v["step"]: v["cases"] for v in truth["violations"] if v["kind"] == "skip"}
    assert all(d["mandatory"] for d in doc["deviations"] if d["kind"] == "skipped")
    raw = cases.read_bytes()
    assert raw.startswith("\ufeff".encode()) and "Номер дела;Отклонения" in raw.decode("utf-8-sig")
    rows = pd.read_csv(cases, sep=";", encoding="utf-8-sig", dtype=str)
    assert set(rows["Номер дела"]) == {c for v in truth["violations"] for c in v["case_ids"]}
    page = html.read_text("utf-8")
    assert 'data-highlight="deviation"' in page and "Согласование проекта договора" in page

    p = _gosupr("check", examples_dir / "land_lease.violations.csv", "--config", examples_dir / "land_lease.regulation.toml",
                "-f", "markdown", "--fail-on", "mandatory-skipped", "--fail-on", "overdue-share-above=0.01")
    assert p.returncode == 1 and p.stdout.startswith("## gosupr check")
    assert "mandatory-skipped" in p.stderr and "overdue-share-above=0.01" in p.stderr and len(p.stderr.splitlines()) == 1


def test_cli_bad_regulation_is_one_line_exit_2(examples_dir: Path, tmp_path: Path) -> None:
    cfg = tmp_path / "gosupr.toml"
    cfg.write_text('[regulation]\nmandatory = ["Правовая экспертиза"]\n"Принятие решения -> Выдача ордера" = "3 working days"\n', "utf-8")
    out = tmp_path / "cases.csv"
    p = _gosupr("check", examples_dir / "land_lease.violations.csv", examples_dir / "land_lease.normative.bpmn",
                "--config", cfg, "--cases", out)
    assert p.returncode == 2 and len(p.stderr.splitlines()) == 1
    assert "'regulation.Принятие решения -> Выдача ордера'" in p.stderr and "Выдача ордера" in p.stderr
    assert not out.exists()
    cfg.write_text('[regulation]\ncase = "тридцать дней"\n', "utf-8")
    p = _gosupr("check", examples_dir / "land_lease.violations.csv", examples_dir / "land_lease.normative.bpmn", "--config", cfg)
    assert p.returncode == 2 and "'regulation.case'" in p.stderr and "Traceback" not in p.stderr
    p = _gosupr("check", examples_dir / "land_lease.violations.csv", "--fail-on", "fitness-below=2")
    assert p.returncode == 2 and "fitness-below" in p.stderr


def test_batch_checks_the_logs_its_regulation_governs(examples_dir: Path, tmp_path: Path) -> None:
    from gosupr.batch.runner import run_batch

    cfg = tmp_path / "gosupr.toml"
    cfg.write_text(
        "[regulation]\n"
        f'model = "{(examples_dir / "memo_approval.normative.bpmn").as_posix()}"\n'
        'logs = ["memo_approval.violations.csv"]\nmandatory = ["Согласование с *"]\n', "utf-8")
    res = run_batch([str(examples_dir / "memo_approval.violations.csv")], config_path=str(cfg), out_dir=str(tmp_path / "out"))
    (r,) = res.inputs
    assert r["status"] == "ok" and "check" in r["outputs"]
    truth = json.loads((examples_dir / "memo_approval.violations.expected.json").read_text("utf-8"))
    skip = next(v for v in truth["violations"] if v["kind"] == "skip")
    assert r["headline"]["mandatory_skipped_cases"] == skip["cases"]
    doc = json.loads((tmp_path / "out" / r["outputs"]["check"]).read_text("utf-8"))
    assert doc["schema"] == "gosupr.check/1"


def test_an_exhausted_budget_is_stated_never_silent(examples_dir: Path) -> None:
    from gosupr.mining.conformance.check_gates import evaluate_check_gates, parse_check_gates
    from gosupr.report.check_render import partial_note, to_markdown

    reg = load_regulation(examples_dir / "memo_approval.regulation.toml")
    log = read_log(examples_dir / "memo_approval.violations.csv")
    r = check_log(log, read_bpmn(reg.model), reg, time_budget_s=1e-9)
    cov = r.fitness.coverage
    assert cov.cases_replayed == 0 and cov.cases == log.n_cases and "time budget" in cov.reason
    assert r.fitness.log_fitness is None and r.fitness.partial and r.deviations == []
    assert "time budget" in partial_note(r, "en") and "0.0%" in to_markdown(r, "en")
    assert evaluate_check_gates(r, parse_check_gates(["fitness-below=0.9"]))  # unknown fitness fails the gate
    assert r.terms and r.terms[0].cases_measured == log.n_cases  # terms need no alignment


def test_a_term_few_cases_reach_is_insufficient_evidence() -> None:
    from gosupr.report.check_render import term_rows

    df, truth = generate_regulated("memo_approval", 20, 9, violations=False)
    log = EventLog.from_frame(df)
    # a refusal is rare: few cases have both steps
    reg = parse_regulation({"Отклонение служебной записки -> Списание в дело": "1 calendar days",
                            "Рассмотрение министром -> Списание в дело": "30 working days"}, source="gosupr.toml")
    rare, common = check_log(log, normative_model("memo_approval"), reg).terms
    n_refused = int(log.df["case_id"][log.df["activity"] == "Отклонение служебной записки"].nunique())
    assert 0 < rare.cases_measured == n_refused < 5
    assert rare.evidence == "insufficient" and common.evidence == "sufficient"
    assert common.cases_over == 0 and common.cases_measured == log.n_cases
    r = check_log(log, normative_model("memo_approval"), reg)
    assert "insufficient evidence" in term_rows(r, "en")[0][3] and "недостаточно данных" in term_rows(r, "ru")[0][3]


def test_log_spelling_meets_model_tasks_and_output_is_deterministic() -> None:
    """Activities spelled differently from the model's tasks (case, spaces, a typo) still meet them,
    as in `compare`; the JSON document is the same on every run."""
    from gosupr.report.check_render import to_json

    df, truth = generate_regulated("memo_approval", 60, 21, violations=False)
    df["activity"] = df["activity"].astype(str).replace({
        "Уведомление инициатора": "уведомление  инициатора",
        "Рассмотрение министром": "Расмотрение министром",
    })
    reg = parse_regulation({"mandatory": truth["mandatory"], **truth["terms"]}, source="gosupr.toml")
    log = EventLog.from_frame(df)
    r = check_log(log, normative_model("memo_approval"), reg)
    how = {p.before: p.how for p in r.matching.pairs}
    assert how["уведомление  инициатора"] == "label" and how["Расмотрение министром"] == "similar-label"
    assert r.deviations == [] and not r.matching.unmatched_activities and not r.matching.unmatched_tasks
    assert all(t.cases_measured == log.n_cases for t in r.terms)
    again = check_log(EventLog.from_frame(df), normative_model("memo_approval"), reg)
    assert to_json(r) == to_json(again)


def test_batch_config_checks_its_regulation_section(tmp_path: Path, examples_dir: Path) -> None:
    from gosupr.batch.config import load_config

    cfg = tmp_path / "gosupr.toml"
    cfg.write_text('[regulation]\nmodel = "m.bpmn"\n"A -> B" = "three days"\n', "utf-8")
    with pytest.raises(GosuprError, match="'regulation.\"A -> B\"'"):
        load_config(cfg)
    cfg.write_text('[regulation]\nmodel = "m.bpmn"\nlogs = ["logs/*.csv"]\n', "utf-8")
    c = load_config(cfg)
    assert c.regulation.model == str(tmp_path / "m.bpmn")
    assert c.regulation_for(tmp_path / "logs" / "a.csv") is c.regulation
    assert c.regulation_for(tmp_path / "other" / "a.csv") is None
    p = _gosupr("check", examples_dir / "land_lease.violations.csv")
    assert p.returncode == 2 and "MODEL.bpmn" in p.stderr and len(p.stderr.splitlines()) == 1
