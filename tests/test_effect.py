"""`gosupr compare BEFORE_LOG AFTER_LOG`: did the reform happen? Proven on AFTER logs with a known effect."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gosupr.eventlog import EventLog
from gosupr.ingest import read_log
from gosupr.mining.compare.bootstrap import CaseSample, bootstrap, holm
from gosupr.mining.compare.effect import compare_logs, split_at
from gosupr.mining.compare.effect_plan import load_plan, occurs
from gosupr.mining.waste.analyze import AnalyzeConfig
from gosupr.mining.waste.facts import LogFacts

ROOT = Path(__file__).resolve().parents[1]
PAIRS = [
    ("land_lease.csv", "land_lease.after.csv"),
    ("construction_permit.csv", "construction_permit.after.csv"),
    ("memo_approval.xes", "memo_approval.after.xes"),
]
WORK = ("steps_per_case", "case_duration_median_s", "case_duration_p90_s")


def gosupr(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gosupr", *map(str, args)], capture_output=True, text=True, timeout=600)


def _truth(after: str) -> dict:
    return json.loads((ROOT / "examples" / "logs" / (after.rsplit(".", 1)[0] + ".truth.json")).read_text("utf-8"))


# At 400 cases most findings lack positive evidence at gosupr's default bar (and are not applied);
# the reform team of these examples accepted a wider margin, as a ministry may decide to.
WIDE = AnalyzeConfig(thresholds={kind: {"margin": 0.4, "min_compared": 5}
                                 for kind in ("self_loop", "rework", "ping_pong", "duplicate_step", "bypassable_step")})


@pytest.fixture(scope="module")
def plans(tmp_path_factory) -> dict[str, Path]:
    """The reduce JSON of each BEFORE log, at the wide bar: the plan the reform was meant to carry out."""
    from gosupr.pipeline import run_reduce
    from gosupr.report import reduce_render as rr
    from gosupr.report.jsondoc import dumps

    out = {}
    d = tmp_path_factory.mktemp("plans")
    for before, _ in PAIRS:
        res = run_reduce(ROOT / "examples" / "logs" / before, None, analyze_config=WIDE)
        p = d / f"{before}.reduce.json"
        p.write_text(dumps(rr.document(res.reduction, res.log.audit.to_dict(), res.outputs)), "utf-8")
        out[before] = p
    return out


# -- the bootstrap ----------------------------------------------------------------------------------
def test_point_estimates_are_numpys_figures_and_replicates_are_seeded() -> None:
    rng = np.random.default_rng(3)
    x = rng.exponential(5.0, 101)
    s = CaseSample(n=101, dense=x[:, None], quantile_values=[x, x], quantile_levels=[0.5, 0.9],
                   sparse_case=np.array([0, 0, 5]), sparse_col=np.array([1, 1, 0]), sparse_val=np.array([2.0, 1.0, 4.0]),
                   sparse_k=2)
    point, reps = bootstrap(s, 300, np.random.default_rng(1))
    assert point[0] == pytest.approx(x.mean())
    assert point[1] == pytest.approx(np.median(x)) and point[2] == pytest.approx(np.quantile(x, 0.9))
    assert point[3:] == pytest.approx([4 / 101, 3 / 101])
    assert reps.shape == (300, 5) and reps[:, 0].std() > 0
    again = bootstrap(s, 300, np.random.default_rng(1))[1]
    assert np.array_equal(reps, again)
    # a replicate's weighted quantile equals numpy's on the resampled cases it stands for
    w = np.bincount(np.random.default_rng(9).integers(0, 101, 101), minlength=101)
    from gosupr.mining.compare.bootstrap import _evaluate, _prepare

    got = _evaluate(s, w[None, :].astype(float), _prepare(s))[0]
    resampled = np.repeat(x, w)
    assert got[1] == pytest.approx(np.median(resampled)) and got[2] == pytest.approx(np.quantile(resampled, 0.9))


def test_holm_rejects_step_down_and_keeps_the_rest() -> None:
    p = np.array([0.001, 0.04, 0.012, np.nan, 0.5])
    assert holm(p, 0.05).tolist() == [True, False, True, False, False]
    assert not holm(np.array([0.03, 0.04]), 0.05).any()


# -- the proof: a reform with a known effect ---------------------------------------------------------
@pytest.mark.parametrize("before,after", PAIRS)
def test_plan_realisation_matches_what_the_reform_removed(before: str, after: str, plans) -> None:
    truth = _truth(after)["reform"]
    logs = ROOT / "examples" / "logs"
    b, a = read_log(logs / before), read_log(logs / after)
    eff = compare_logs(b, a, plan=load_plan(plans[before], b.activities), plan_source=plans[before].name)
    verdict = {frozenset(r.removal.activities): r.verdict for r in eff.plan.removals}
    removed = {frozenset(w["activities"]) for w in truth["removed"]}
    kept = {frozenset(w["activities"]) for w in truth["kept"]}
    assert {k for k, v in verdict.items() if v == "realised"} == removed
    assert {k for k, v in verdict.items() if v != "realised"} == kept
    assert all(verdict[k] == "not_realised" for k in kept)
    assert eff.plan.realised == len(removed) and eff.plan.planned == len(removed) + len(kept)
    # the reform's own ping-pong appears, and it is the only new waste called significant
    new = {frozenset(f.detail["activities"]) for f in eff.appeared if f.significant}
    assert new == {frozenset(truth["new"][0]["activities"])}
    # the true changes (from 50,000 simulated cases per period) lie in the intervals
    for key in WORK:
        f = eff.figure(key)
        assert f.low <= truth["true_change"][key] <= f.high, (key, f.low, truth["true_change"][key], f.high)
    # outcomes are decided by essential steps only: no significant shift
    assert not any(f.significant for f in eff.by_group("outcome"))
    assert eff.outcome_tv["low"] < 0.02


def test_random_halves_of_one_period_show_no_significant_change() -> None:
    """The family-wise promise: at most alpha (5%) of random splits show any significant figure;
    checked on 20 seeded splits (at most one may)."""
    log = read_log(ROOT / "examples" / "logs" / "land_lease.csv")
    _, lengths = log.case_bounds
    alarms, shifted = [], []
    for seed in range(20):
        half = np.random.default_rng(1000 + seed).permutation(log.n_cases) < log.n_cases // 2
        m = np.repeat(half, lengths)
        eff = compare_logs(log.subset(m), log.subset(~m), seed=seed, replicates=500)
        hits = [f.key + ":" + f.name for f in eff.figures + eff.appeared if f.significant]
        alarms.append(hits)
        shifted.append(eff.outcome_tv["low"] > 0.02)  # what --fail-on outcome-shift=0.02 would say
    assert sum(bool(h) for h in alarms) <= 1, alarms
    assert sum(shifted) <= 1  # a 97.5% one-sided bound: noise passes it rarely
    assert any(f.tested for f in eff.by_group("edge")) and eff.by_group("variant")


def test_same_seed_same_numbers_and_figures_are_complete() -> None:
    logs = ROOT / "examples" / "logs"
    b, a = read_log(logs / "memo_approval.xes"), read_log(logs / "memo_approval.after.xes")
    one, two = compare_logs(b, a, seed=5, replicates=200), compare_logs(b, a, seed=5, replicates=200)
    assert [f.to_dict() for f in one.figures] == [f.to_dict() for f in two.figures]
    keys = {f.key for f in one.figures}
    assert set(WORK) | {"department_handovers_per_case", "staff_hours_per_case", "outcome", "variant", "edge"} <= keys
    outcomes = {f.name for f in one.by_group("outcome")}
    assert outcomes == {"Утверждение служебной записки", "Отклонение служебной записки"}


def test_gates_flag_a_real_shift_and_leave_the_example_reform_alone() -> None:
    from gosupr.mining.compare.effect_gates import evaluate_effect_gates, parse_effect_gates

    logs = ROOT / "examples" / "logs"
    before, after = read_log(logs / "land_lease.csv"), read_log(logs / "land_lease.after.csv")
    gates = parse_effect_gates(["duration-up,outcome-shift=0.02"])
    assert evaluate_effect_gates(compare_logs(before, after, waste=False, replicates=300), gates) == []
    # two refusals in three disappear: outcomes shift
    refused = after.df.groupby("case_id", observed=True)["activity"].apply(lambda a: (a == "Отказ в предоставлении услуги").any())
    drop = set(refused[refused].index[::3]) | set(refused[refused].index[1::3])
    fewer = after.subset(~after.df["case_id"].isin(drop).to_numpy())
    eff = compare_logs(before, fewer, waste=False, replicates=300)
    assert next(f for f in eff.by_group("outcome") if f.name == "Отказ в предоставлении услуги").significant
    assert [v.split(":")[0] for v in evaluate_effect_gates(eff, gates)] == ["outcome-shift=0.02"]
    # every case takes 60% longer: durations rise
    df = before.df.copy()
    start = df.groupby("case_id", observed=True)["timestamp"].transform("min")
    df["timestamp"] = start + (df["timestamp"] - start) * 1.6
    slower = EventLog.from_frame(df)
    eff = compare_logs(before, slower, waste=False, replicates=300)
    assert [v.split(":")[0] for v in evaluate_effect_gates(eff, gates)] == ["duration-up"]


# -- the pieces -------------------------------------------------------------------------------------
def _log(traces: dict[str, list[str]]) -> EventLog:
    rows = [(c, a, pd.Timestamp("2025-01-01") + pd.Timedelta(hours=i)) for c, t in traces.items() for i, a in enumerate(t)]
    return EventLog.from_frame(pd.DataFrame(rows, columns=["case_id", "activity", "timestamp"]))


def test_occurs_flags_the_pattern_and_leaves_other_cases_alone() -> None:
    facts = LogFacts.of(_log({
        "1": ["a", "b", "a", "c"],  # ping-pong a-b-a, rework of a
        "2": ["a", "b", "c", "c"],  # self-loop c
        "3": ["a", "c", "b"],
    }))
    assert occurs(facts, "ping_pong", ("a", "b"), "repeats").tolist() == [True, False, False]
    assert occurs(facts, "rework", ("a", "b"), "repeats").tolist() == [True, False, False]
    assert occurs(facts, "self_loop", ("c",), "repeats").tolist() == [False, True, False]
    assert occurs(facts, "bypassable_step", ("b",), "step").tolist() == [True, True, True]
    assert occurs(facts, "redundant_approval", ("x",), "step").tolist() == [False, False, False]
    assert occurs(facts, "waiting", ("a", "b"), "repeats") is None


def test_plan_from_a_to_be_model_is_the_steps_it_no_longer_has(tmp_path: Path) -> None:
    from gosupr.pipeline import run_reduce

    before = ROOT / "examples" / "logs" / "construction_permit.csv"
    run_reduce(before, tmp_path / "to-be.bpmn", analyze_config=WIDE)
    b = read_log(before)
    plan = load_plan(tmp_path / "to-be.bpmn", b.activities)
    steps = {r.step for r in plan}
    assert {"Визирование проекта разрешения", "Телефонное информирование заявителя",
            "Повторная проверка документов"} <= steps
    assert "Подписание разрешения на строительство" not in steps


def test_plan_json_tolerates_extra_and_missing_fields(tmp_path: Path) -> None:
    p = tmp_path / "plan.json"
    p.write_text(json.dumps({"schema": "gosupr.reduction/2", "removed": [
        {"kind": "redundant_approval", "activities": ["Виза"], "verdict": "removed", "events_removed": 3},
        {"kind": "ping_pong", "activities": ["a", "b"], "cases_touched": 2},
        {"kind": "bypassable_step", "activities": ["Звонок"], "applied": False},
    ]}, ensure_ascii=False), "utf-8")
    plan = load_plan(p, [])
    assert [(r.kind, r.removal, r.step) for r in plan] == [("redundant_approval", "step", "Виза"), ("ping_pong", "repeats", None)]


def test_split_at_cuts_by_case_start_and_refuses_an_empty_period() -> None:
    log = _log({"1": ["a", "b"], "2": ["a", "c"]})
    log.df.loc[log.df["case_id"] == "2", "timestamp"] += pd.Timedelta(days=30)
    b, a = split_at(log, pd.Timestamp("2025-01-15"))
    assert (b.n_cases, a.n_cases) == (1, 1)
    from gosupr.errors import GosuprError

    with pytest.raises(GosuprError, match="no case starts after"):
        split_at(log, pd.Timestamp("2030-01-01"))


def test_split_by_a_period_column_of_one_export(tmp_path: Path) -> None:
    """--split-by: one continuous export whose column names the period; the earlier period is BEFORE."""
    logs = ROOT / "examples" / "logs"
    parts = []
    for name, period in (("land_lease.after.csv", "после реформы"), ("land_lease.csv", "до реформы")):
        df = read_log(logs / name).df.copy()
        df["Этап"] = period
        parts.append(df)
    one = tmp_path / "export.csv"
    pd.concat(parts).to_csv(one, index=False, encoding="utf-8")
    p = gosupr("compare", one, "--split-by", "Этап", "--format", "json", "--replicates", "200")
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert doc["split"] == {"by": "Этап", "before": "до реформы", "after": "после реформы", "cases_without_value": 0}
    assert (doc["before"]["cases"], doc["after"]["cases"]) == (400, 400)
    steps = next(f for f in doc["figures"] if f["key"] == "steps_per_case")
    assert steps["significant"] and steps["change"] < 0
    parts[0].loc[parts[0].index[:5], "Этап"] = "пилот"
    pd.concat(parts).to_csv(one, index=False, encoding="utf-8")
    bad = gosupr("compare", one, "--split-by", "Этап")
    assert bad.returncode == 2 and "needs exactly two values" in bad.stderr and "«пилот»" in bad.stderr


# -- the command ------------------------------------------------------------------------------------
def test_cli_json_gates_and_exit_codes(plans, tmp_path: Path) -> None:
    logs = ROOT / "examples" / "logs"
    before, after = logs / "land_lease.csv", logs / "land_lease.after.csv"
    p = gosupr("compare", before, after, "--plan", plans["land_lease.csv"], "--format", "json",
               "--fail-on", "plan-realised-below=0.8", "--replicates", "200")
    assert p.returncode == 1, p.stderr
    doc = json.loads(p.stdout)
    assert doc["schema"] == "gosupr.effect/1"
    assert doc["plan"]["realised"] == 4 and doc["plan"]["planned"] == 6
    assert doc["gates"]["violated"] and "plan-realised-below" in p.stderr
    ok = gosupr("compare", before, after, "--plan", plans["land_lease.csv"], "--format", "markdown", "--lang", "ru",
                "--fail-on", "plan-realised-below=0.6,duration-up,outcome-shift=0.02", "--replicates", "200")
    assert ok.returncode == 0, ok.stderr
    assert "4 из 6 запланированных удалений выполнено" in ok.stdout and "«Согласование проекта договора» всё ещё в" in ok.stdout
    bad = gosupr("compare", before, after, "--fail-on", "plan-realised-below=0.8")
    assert bad.returncode == 2 and "needs --plan" in bad.stderr
    mixed = gosupr("compare", before, logs / "land_lease.normative.bpmn")
    assert mixed.returncode == 2 and "is a BPMN model" in mixed.stderr


def test_receipt_split_at_its_median_case_start(shared_data: Path) -> None:
    """Real data: every figure with its interval, no crash."""
    path = shared_data / "logs" / "receipt.xes"
    log = read_log(path)
    starts, _ = log.case_bounds
    median = pd.Series(log.df["timestamp"].to_numpy()[starts]).median()
    p = gosupr("compare", path, "--split-at", median.isoformat(), "--format", "json", "--replicates", "300")
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert doc["split"]["at"].startswith(str(median.date()))
    assert abs(doc["before"]["cases"] - doc["after"]["cases"]) <= 0.05 * log.n_cases
    assert doc["before"]["cases"] + doc["after"]["cases"] == log.n_cases
    keys = {f["key"] for f in doc["figures"]}
    assert {"steps_per_case", "case_duration_median_s", "case_duration_p90_s", "outcome", "variant"} <= keys
    for f in doc["figures"]:
        assert f["low"] is not None and f["high"] is not None and f["low"] <= f["high"], f
    assert doc["outcome_tv"]["low"] is not None and doc["edges_compared"] > 0


def test_html_page_and_conformance_to_the_to_be_model(plans, tmp_path: Path) -> None:
    """--html: one self-contained page; --model: AFTER fits the to-be model better than BEFORE."""
    from gosupr.pipeline import run_reduce

    logs = ROOT / "examples" / "logs"
    run_reduce(logs / "memo_approval.xes", tmp_path / "to-be.bpmn")
    page = tmp_path / "effect.html"
    p = gosupr("compare", logs / "memo_approval.xes", logs / "memo_approval.after.xes", "--plan", plans["memo_approval.xes"],
               "--model", tmp_path / "to-be.bpmn", "--html", page, "--lang", "ru", "--format", "json", "--replicates", "200")
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    c = doc["conformance"]
    assert c["after"]["fitness"] > c["before"]["fitness"]
    html = page.read_text("utf-8")
    assert "<script" not in html and "http://" not in html.replace("http://www.w3.org", "")
    for part in ('id="plan"', 'id="durations"', 'id="variants"', 'id="figures"', "Визирование руководителем отдела"):
        assert part in html


def test_batch_measures_before_after_pairs_from_the_config(plans, tmp_path: Path) -> None:
    logs = ROOT / "examples" / "logs"
    cfg = tmp_path / "gosupr.toml"
    cfg.write_text(
        "[[effect]]\n"
        f'before = "{(logs / "land_lease.csv").as_posix()}"\n'
        f'after = "{(logs / "land_lease.after.csv").as_posix()}"\n'
        f'plan = "{plans["land_lease.csv"].as_posix()}"\n'
        'fail_on = ["plan-realised-below=0.8", "duration-up"]\n', "utf-8")
    p = subprocess.run([sys.executable, "-m", "gosupr", "batch", "--config", cfg, "--out", tmp_path / "out", "-q"],
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 1, p.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text("utf-8"))
    (r,) = summary["inputs"]
    assert r["kind"] == "effect" and r["status"] == "gate-failed"
    assert [g["name"] for g in r["gates"] if not g["passed"]] == ["plan-realised-below=0.8"]
    assert r["headline"]["plan_realised_share"] == pytest.approx(4 / 6)
    eff = json.loads((tmp_path / "out" / r["outputs"]["effect"]).read_text("utf-8"))
    assert eff["schema"] == "gosupr.effect/1" and eff["plan"]["realised"] == 4
    bad = tmp_path / "bad.toml"
    bad.write_text('[[effect]]\nbefore = "a.csv"\nafter = "b.csv"\nfail_on = ["duration-down"]\n', "utf-8")
    p = subprocess.run([sys.executable, "-m", "gosupr", "batch", "--config", bad, "--out", tmp_path / "out2", "-q"],
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 2 and "duration-down" in p.stderr
