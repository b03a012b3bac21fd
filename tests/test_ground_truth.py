"""analyze on the example logs, scored against their ground truth (examples/logs/*.truth.json).

Every injected waste must be found with the right kind and activities; no essential step may be
marked removable. Recall and false positives are printed for each example (visible without -s).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gosupr.ingest import read_log
from gosupr.mining.findings import Finding
from gosupr.mining.waste.analyze import analyze_log, removable_steps

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "logs"
# the waste examples; the after-reform periods (`"reform"` in their truth) are scored by test_effect
TRUTHS = sorted(t for t in EXAMPLES.glob("*.truth.json") if "reform" not in json.loads(t.read_text(encoding="utf-8")))
# the kinds a truth file lists; rare_path and waiting describe the log, they are not injected
WASTE_KINDS = {"self_loop", "rework", "ping_pong", "duplicate_step", "redundant_approval", "bypassable_step"}


def matches(f: Finding, w: dict) -> bool:
    """Same kind, same activities (a rework loop: same reworked step, its body listed)."""
    if f.kind != w["kind"]:
        return False
    if f.kind == "rework":
        return f.activities[0] == w["activities"][0] and set(w["activities"]) <= set(f.activities)
    return set(f.activities) == set(w["activities"])


def score(findings: list[Finding], truth: dict) -> dict:
    waste = truth["waste"]
    found = [next((f for f in findings if matches(f, w)), None) for w in waste]
    flagged = [f for f in findings if f.kind in WASTE_KINDS]
    fps = [f for f in flagged if not any(matches(f, w) for w in waste)]
    essential_removed = sorted(set(removable_steps(findings)) & set(truth["essential"]))
    return {
        "found": found,
        "recall": sum(f is not None for f in found) / len(waste) if waste else 1.0,
        "false_positives": fps,
        "essential_removed": essential_removed,
    }


@pytest.mark.skipif(not TRUTHS, reason="examples/logs/*.truth.json not generated")
@pytest.mark.parametrize("truth_path", TRUTHS, ids=lambda p: p.name.split(".")[0])
def test_every_injected_waste_is_found_and_essentials_stay(truth_path: Path, capsys):
    truth = json.loads(truth_path.read_text(encoding="utf-8"))
    log = read_log(EXAMPLES / truth["log"])
    findings = analyze_log(log)
    s = score(findings, truth)
    lines = [(
        f"[ground truth] {truth['log']}: recall {s['recall']:.2f} "
        f"({sum(f is not None for f in s['found'])}/{len(truth['waste'])}), "
        f"false positives {len(s['false_positives'])}, essential marked removable {len(s['essential_removed'])}"
    )]
    for w, f in zip(truth["waste"], s["found"]):
        got = f"found, {f.cases} cases, removable={f.removable}" if f else "MISSED"
        lines.append(f"    {w['kind']:<18} {' → '.join(w['activities'])} (truth {w['cases_affected']} cases): {got}")
    for f in s["false_positives"]:
        lines.append(f"    false positive: {f.kind} {' → '.join(f.activities)} ({f.cases} cases)")
    with capsys.disabled():
        print("\n" + "\n".join(lines))

    assert s["essential_removed"] == [], f"essential steps marked removable: {s['essential_removed']}"
    missed = [w for w, f in zip(truth["waste"], s["found"]) if f is None]
    assert not missed, f"missed: {missed}"
    for w, f in zip(truth["waste"], s["found"]):
        # the case counts follow the truth's own definitions (README), so they agree closely
        assert abs(f.cases - w["cases_affected"]) <= max(2, 0.05 * w["cases_affected"]), (w, f.cases)
        # at 400 cases a 5-point equivalence is often beyond reach: removable with evidence, or
        # honestly "insufficient evidence"; never "outcomes differ", protected or periodic
        assert f.verdict in ("removable", "insufficient_evidence"), (w, f.verdict, f.reason)
        step_kind = w["kind"] in ("duplicate_step", "redundant_approval", "bypassable_step")
        assert f.evidence["removal"] == ("step" if step_kind else "repeats")
    assert s["false_positives"] == [], [(f.kind, f.activities) for f in s["false_positives"]]


@pytest.fixture(scope="session")
def large_examples():
    """The examples' processes and seeds at 3,000 cases: enough for a 5-point equivalence test."""
    from gosupr.eventlog import EventLog
    from gosupr.synth import generator as synth

    out = {}
    for truth_path in TRUTHS:
        truth = json.loads(truth_path.read_text(encoding="utf-8"))
        df, big = synth.generate(truth["process"], 3000, seed=truth["seed"])
        out[truth["process"]] = (EventLog.from_frame(df, name=truth["process"]), big)
    return out


@pytest.mark.slow
@pytest.mark.skipif(not TRUTHS, reason="examples/logs/*.truth.json not generated")
def test_ground_truth_is_removable_with_positive_evidence(large_examples, capsys):
    """Recall 100% and no false removals, every injected waste removable on positive evidence."""
    for name, (log, truth) in sorted(large_examples.items()):
        findings = analyze_log(log)
        s = score(findings, truth)
        assert s["recall"] == 1.0, (name, [w for w, f in zip(truth["waste"], s["found"]) if f is None])
        for w, f in zip(truth["waste"], s["found"]):
            assert f.removable and f.verdict == "removable", (name, w["kind"], f.reason)
            eq, dec = f.evidence.get("equivalence"), f.evidence.get("decisions")
            if eq is not None:  # both group sizes, the difference and its interval, inside the margin
                assert min(eq["n_with"], eq["n_without"]) >= eq["min_cases"]
                assert -eq["margin"] < eq["ci"][0] <= eq["difference"] <= eq["ci"][1] < eq["margin"] or (
                    -eq["margin"] < eq["ci"][0] and eq["ci"][1] < eq["margin"])
            else:
                assert dec["reject_rate_upper"] < dec["margin"]
        removable = [f for f in findings if f.removable]
        assert all(any(matches(f, w) for w in truth["waste"]) for f in removable), name
        assert s["essential_removed"] == []
        with capsys.disabled():
            print(f"\n[ground truth, 3000 cases] {name}: {len(removable)} of {len(truth['waste'])} removable with evidence")


@pytest.mark.skipif(not TRUTHS, reason="examples/logs/*.truth.json not generated")
def test_essential_steps_are_inferred_from_the_log(capsys):
    """Beyond "not removable": the log's own evidence marks most of the truth's essentials."""
    from gosupr.mining.waste.facts import LogFacts

    for truth_path in TRUTHS:
        truth = json.loads(truth_path.read_text(encoding="utf-8"))
        facts = LogFacts.of(read_log(EXAMPLES / truth["log"]))
        inferred = {facts.labels[a] for a in facts.essential}
        assert inferred <= set(truth["essential"]), inferred - set(truth["essential"])
        outcomes = set(truth["outcomes"])
        assert outcomes <= inferred, f"{truth['log']}: outcomes {outcomes - inferred} not seen as essential"
        with capsys.disabled():
            print(f"\n[essential] {truth['log']}: {len(inferred)} of {len(truth['essential'])} essential steps inferred")
