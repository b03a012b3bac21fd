"""Issue 4's proof: the reduction removes exactly the injected waste, keeps the essential behaviour,
and is idempotent; the waste transformations do what they say on small hand-made logs."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gosupr.eventlog import EventLog
from gosupr.ingest import read_log
from gosupr.mining.analyze import analyze_log
from gosupr.mining.findings import Finding
from gosupr.mining.reduce import pct_change, reduce_process, select_findings
from gosupr.mining.waste_removal import remove_waste

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("examples_generate", ROOT / "examples" / "generate.py")
gen = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gen)
EXAMPLES = [row[0] for row in gen.LOGS]


def _truth(examples_dir: Path, name: str) -> dict:
    return json.loads((examples_dir / (name.rsplit(".", 1)[0] + ".truth.json")).read_text(encoding="utf-8"))


@pytest.fixture(scope="module", params=EXAMPLES)
def reduced(request, examples_dir):
    log = read_log(examples_dir / request.param)
    return request.param, log, reduce_process(log)


def test_removes_exactly_the_injected_waste(reduced, examples_dir):
    name, log, red = reduced
    truth = _truth(examples_dir, name)
    applied = {(f.kind, tuple(f.activities)) for f in red.applied}
    injected = {(w["kind"], tuple(w["activities"])) for w in truth["waste"]}
    assert applied == injected
    # event by event: what was taken out is what the generator marked as waste
    fname, process, n, seed, _ = next(r for r in gen.LOGS if r[0] == name)
    from gosupr.synth import generate

    marked, _ = generate(process, n, seed=seed, mark_waste=True)
    marked_log = EventLog.from_frame(marked.drop(columns=["waste"]).assign(_w=marked["waste"].to_numpy()))
    rem = remove_waste(marked_log, red.applied)
    is_waste = (marked_log.df["_w"].astype(str) != "").to_numpy()
    assert is_waste.sum() == truth["waste_events"]
    assert np.array_equal(rem.dropped, is_waste)
    assert red.removal.events_removed == truth["waste_events"]


def test_essential_behaviour_is_kept(reduced, examples_dir):
    name, log, red = reduced
    truth = _truth(examples_dir, name)
    assert red.quality["fitness_essential"] >= 0.95
    to_be_tasks = {n.name for n in red.to_be.tasks()}
    assert set(truth["essential"]) <= to_be_tasks
    # the essential log keeps every case and its outcome
    assert red.essential_log.n_cases == log.n_cases
    last = lambda lg: lg.df.groupby("case_id", observed=True)["activity"].last().astype(str)
    assert (last(red.essential_log) == last(log)).all()


def test_reduction_is_idempotent(reduced):
    _, _, red = reduced
    again, _ = select_findings(analyze_log(red.essential_log))
    assert again == []


def test_report_numbers_are_consistent(reduced):
    _, log, red = reduced
    assert red.after["model"]["tasks"] < red.before["model"]["tasks"]
    assert red.after["work"]["steps_per_case_mean"] < red.before["work"]["steps_per_case_mean"]
    assert red.after["work"]["case_duration_median_s"] < red.before["work"]["case_duration_median_s"]
    share = red.headline["steps_removable_share"]
    assert share == pytest.approx(red.removal.events_removed / log.n_events, abs=1e-4)
    q = red.quality
    assert 0.0 <= q["outcome_preserved_share"] <= 1.0 and q["fitness_today"] < q["fitness_essential"]


def _log(rows: list[tuple[str, str, str]]) -> EventLog:
    return EventLog.from_frame(pd.DataFrame(rows, columns=["case_id", "activity", "timestamp"]))


def test_rework_collapses_to_first_pass_and_moves_later_events_earlier():
    log = _log([
        ("1", "Регистрация", "2026-01-01 09:00"),
        ("1", "Проверка", "2026-01-01 10:00"),
        ("1", "Доработка", "2026-01-02 10:00"),
        ("1", "Проверка", "2026-01-03 10:00"),
        ("1", "Решение", "2026-01-03 12:00"),
        ("2", "Регистрация", "2026-01-01 09:00"),
        ("2", "Проверка", "2026-01-01 10:00"),
        ("2", "Решение", "2026-01-01 12:00"),
    ])
    f = Finding(kind="rework", activities=["Проверка", "Доработка"], removable=True)
    rem = remove_waste(log, [f])
    c1 = rem.log.df[rem.log.df.case_id == "1"]
    assert c1.activity.astype(str).tolist() == ["Регистрация", "Проверка", "Решение"]
    # the two days of rework (waits before the removed steps) are gone from the case's duration
    assert c1.timestamp.iloc[-1] == pd.Timestamp("2026-01-01 12:00")
    assert rem.events_removed == 2 and rem.events_removed_by_kind == {"rework": 2}
    c2 = rem.log.df[rem.log.df.case_id == "2"]
    assert len(c2) == 3  # a case without the loop is left alone


def test_ping_pong_rounds_are_cut_but_the_first_handover_stays():
    log = _log([
        ("1", "Передача в юротдел", "2026-01-01 09:00"),
        ("1", "Возврат в отдел", "2026-01-01 10:00"),
        ("1", "Передача в юротдел", "2026-01-01 11:00"),
        ("1", "Экспертиза", "2026-01-01 12:00"),
    ])
    f = Finding(kind="ping_pong", activities=["Передача в юротдел", "Возврат в отдел"], removable=True)
    out = remove_waste(log, [f]).log.df.activity.astype(str).tolist()
    assert out == ["Передача в юротдел", "Экспертиза"]


def test_self_loop_duplicate_and_drop():
    log = _log([
        ("1", "Скан", "2026-01-01 09:00"),
        ("1", "Скан", "2026-01-01 09:10"),
        ("1", "Проверка", "2026-01-01 10:00"),
        ("1", "Повторная проверка", "2026-01-01 11:00"),
        ("1", "Виза", "2026-01-01 12:00"),
        ("1", "Решение", "2026-01-01 13:00"),
    ])
    fs = [
        Finding(kind="self_loop", activities=["Скан"], removable=True),
        Finding(kind="duplicate_step", activities=["Проверка", "Повторная проверка"], removable=True),
        Finding(kind="redundant_approval", activities=["Виза"], removable=True),
    ]
    out = remove_waste(log, fs).log.df.activity.astype(str).tolist()
    assert out == ["Скан", "Проверка", "Решение"]


def test_only_removable_findings_of_accepted_kinds_are_applied():
    fs = [
        Finding(kind="rework", activities=["a"], removable=True),
        Finding(kind="waiting", activities=["a", "b"], removable=False),
        Finding(kind="bypassable_step", activities=["c"], removable=True),
    ]
    applied, rest = select_findings(fs, accept=["bypassable_step"])
    assert [f.kind for f in applied] == ["bypassable_step"] and len(rest) == 2
    from gosupr.errors import GosuprError

    with pytest.raises(GosuprError, match="unknown kind"):
        select_findings(fs, accept=["nonsense"])


def test_pct_change():
    assert pct_change(20, 17) == -15.0
    assert pct_change(0, 5) is None and pct_change(None, 1) is None
