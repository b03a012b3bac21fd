"""Ping-pong: a case bounces between two activities of two departments (a→b→a…), or between two
departments whatever the steps (A→B→A→B…).

A bounce needs a hand-over: the two steps are done by different departments (without departments,
by different people). a→b→a inside one team is a correction loop and is reported as rework.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from gosupr.mining.findings import Finding
from gosupr.mining.kinds import Kind, Removal, q, ru_cases, ru_cost, ru_pct, subjects
from gosupr.mining.waste.detectors._common import (
    EVIDENCE_DEFAULTS,
    cases_text,
    codes,
    duration,
    finding,
    judged,
    outcome_equivalence,
    pct,
    quote,
    settings,
)
from gosupr.mining.waste.facts import LogFacts
from gosupr.mining.waste.weighted import wmedian, wquantile

KIND = "ping_pong"
DEFAULTS: dict[str, Any] = {
    "min_cases": 2,
    "departments": True,
    # department hand-overs A→B→A are normal (register in A, decide in B, issue in A); a bounce
    # needs this many alternating runs: 4 = A→B→A→B
    "min_department_runs": 4,
    # the extra rounds can go only when affected cases provably end like the others (evidence.py)
    **EVIDENCE_DEFAULTS,
}


def _bounces(seq: np.ndarray, case: np.ndarray) -> np.ndarray:
    """Start indices i where seq[i] == seq[i+2] != seq[i+1], all three in one case."""
    if len(seq) < 3:
        return np.zeros(0, dtype=np.int64)
    same_case = (case[:-2] == case[2:])
    hit = same_case & (seq[:-2] == seq[2:]) & (seq[:-2] != seq[1:-1])
    return np.flatnonzero(hit)


def detect(facts: LogFacts, cfg: dict[str, Any] | None = None) -> list[Finding]:
    c = settings(DEFAULTS, cfg)
    out = _activity_bounces(facts, c)
    if c["departments"] and facts.dept is not None:
        out += _department_bounces(facts, c)
    return out


def _activity_bounces(facts: LogFacts, c: dict[str, Any]) -> list[Finding]:
    i = np.flatnonzero(facts.bounce)
    if not len(i):
        return []
    a, b = facts.act[i], facts.act[i + 1]
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    A = facts.n_activities
    frame = pd.DataFrame({
        "pair": lo * A + hi, "case": facts.case[i],
        "t0": facts.ts_s[i], "t1": facts.ts_s[i + 2],
    })
    per_case = frame.groupby(["pair", "case"], sort=True).agg(t0=("t0", "min"), t1=("t1", "max"), n=("t0", "size"))
    out = []
    for pair, g in per_case.groupby(level=0, sort=True):
        rows = g.index.get_level_values(1).to_numpy()
        n = facts.count_rows(rows)  # cases, each row weighed by the cases it stands for
        if n < c["min_cases"]:
            continue
        x, y = int(pair) // A, int(pair) % A
        span = (g["t1"] - g["t0"]).to_numpy()
        rw = facts.row_weights(rows)
        cost = wmedian(span, rw)
        labels = facts.in_order([x, y])
        share = n / facts.n_cases
        affected = np.zeros(facts.n_rows, dtype=bool)
        affected[rows] = True
        per_row = g["n"].to_numpy()  # bounces in each affected row
        in_order = [facts.labels.index(lb) for lb in labels]  # the bounce starts at the first of the two
        eq = outcome_equivalence(facts, affected, in_order, c)
        out.append(finding(
            facts, KIND, labels, n, cost,
            **judged(eq),
            evidence={
                "removal": "repeats",
                "equivalence": eq.to_dict(),
                "between": "activities",
                "handover_share": 1.0,
                "bounces": int(per_row.sum() if rw is None else (per_row * rw).sum()),
                "bounces_per_case_median": wmedian(per_row, rw),
                "bounces_per_case_max": int(per_row.max()),
                "time_p85_s": wquantile(span, rw, 0.85),
            },
            message=(
                f"{cases_text(n)} ({pct(share)}) bounce between {quote(labels[0])} and {quote(labels[1])}, "
                f"losing a median of {duration(cost)} per affected case."
            ),
        ))
    return out


def _department_bounces(facts: LogFacts, c: dict[str, Any]) -> list[Finding]:
    """Runs of events in one department; a bounce is ≥ min_department_runs alternating runs."""
    assert facts.dept is not None
    known = facts.dept >= 0
    dept, case, idx = facts.dept[known], facts.case[known], np.flatnonzero(known)
    new_run = np.ones(len(dept), dtype=bool)
    new_run[1:] = (dept[1:] != dept[:-1]) | (case[1:] != case[:-1])
    rd, rc, ri = dept[new_run], case[new_run], idx[new_run]
    i = _bounces(rd, rc)
    # a stretch already explained by an activity bounce is reported there
    i = i[~_covers_activity_bounce(facts, ri, rc, i)]
    if not len(i):
        return []
    # chain consecutive bounce triples into alternating stretches: runs = triples in a row + 2
    starts_chain = np.ones(len(i), dtype=bool)
    starts_chain[1:] = (i[1:] != i[:-1] + 1) | (rd[i[1:]] != rd[i[:-1] + 1])
    chain_id = np.cumsum(starts_chain) - 1
    D = len(facts.dept_labels)
    frame = pd.DataFrame({
        "chain": chain_id, "case": rc[i],
        "pair": np.minimum(rd[i], rd[i + 1]) * D + np.maximum(rd[i], rd[i + 1]),
        "t0": facts.ts_s[ri[i]], "t1": facts.ts_s[ri[i + 2]], "act": facts.act[ri[i + 1]],
    })
    chains = frame.groupby("chain", sort=True).agg(
        case=("case", "first"), pair=("pair", "first"), t0=("t0", "min"), t1=("t1", "max"), triples=("t0", "size"))
    chains = chains[chains["triples"] + 2 >= c["min_department_runs"]]
    out = []
    for pair, g in chains.groupby("pair", sort=True):
        per_case = g.groupby("case").agg(t0=("t0", "min"), t1=("t1", "max"), runs=("triples", "sum"))
        rows = per_case.index.to_numpy()
        n = facts.count_rows(rows)
        if n < c["min_cases"]:
            continue
        d1, d2 = facts.dept_labels[int(pair) // D], facts.dept_labels[int(pair) % D]
        span = (per_case["t1"] - per_case["t0"]).to_numpy()
        rw = facts.row_weights(rows)
        cost = wmedian(span, rw)
        top = _top_acts(facts, frame[frame["chain"].isin(g.index)], 3)
        share = n / facts.n_cases
        out.append(finding(
            facts, KIND, facts.in_order(top), n, cost,
            evidence={
                "removal": None,  # hand-overs between departments: re-route work, no step to drop
                "between": "departments",
                "departments": [d1, d2],
                "handovers_per_case_median": wmedian(per_case["runs"].to_numpy(), rw) + 1,
                "time_p85_s": wquantile(span, rw, 0.85),
            },
            message=(
                f"{cases_text(n)} ({pct(share)}) are handed back and forth between departments {quote(d1)} and "
                f"{quote(d2)}, losing a median of {duration(cost)} per affected case."
            ),
        ))
    return out


def _top_acts(facts: LogFacts, triples: pd.DataFrame, k: int) -> list[int]:
    """The `k` activities most often in the middle of the triples (each counted for the cases of its
    row), ties in order of first appearance, as `value_counts` has them."""
    if facts.weight is None:
        return [int(a) for a in triples["act"].value_counts().index[:k]]
    w = pd.Series(facts.weight[triples["case"].to_numpy()], index=triples.index)
    counts = w.groupby(triples["act"], sort=False).sum().sort_values(ascending=False)
    return [int(a) for a in counts.index[:k]]


def _covers_activity_bounce(facts: LogFacts, run_start: np.ndarray, run_case: np.ndarray, i: np.ndarray) -> np.ndarray:
    """Per department triple i: an activity-level bounce starts inside its three runs."""
    cum = np.concatenate(([0], np.cumsum(facts.bounce)))
    nxt = np.append(run_start, facts.n_events)[i + 3]  # runs i..i+2 end where run i+3 starts
    case_end = facts.starts[run_case[i]] + facts.lengths[run_case[i]]
    hi = np.minimum(nxt, case_end)
    return (cum[hi] - cum[run_start[i]]) > 0


# -- what this kind is ----------------------------------------------------------------------------
def scope(facts: LogFacts, f: Finding) -> np.ndarray:
    """The rounds of a→b→a between the finding's two activities, first occurrences kept (a bounce
    between departments re-routes work: no step to drop)."""
    out = np.zeros(facts.n_events, dtype=bool)
    cs = codes(facts, f)
    if f.evidence.get("between", "activities") != "activities" or len(set(cs)) != 2:
        return out
    i = np.flatnonzero(facts.bounce)
    pair = set(cs)
    i = i[np.isin(facts.act[i], list(pair)) & np.isin(facts.act[i + 1], list(pair))]
    out[i + 1] = True
    out[i + 2] = True
    return out & (facts.prev_same_pos >= 0)


def message_ru(f: Finding) -> str:
    e, (a, b) = f.evidence or {}, subjects(f)
    n, share, cost = f.cases, ru_pct(f.case_share), ru_cost(f)
    if e.get("between") == "departments" and len(e.get("departments") or []) == 2:
        d1, d2 = e["departments"]
        return (f"{ru_cases(n).capitalize()} ({share}) дело передаётся туда и обратно между подразделениями {q(d1)} и {q(d2)}; "
                f"потеря в медиане {cost} на дело.")
    return f"{ru_cases(n).capitalize()} ({share}) дело ходит туда и обратно между {a} и {b}; потеря в медиане {cost} на дело."


SPEC = Kind(
    name=KIND,
    title=("ping-pong", "пинг-понг"),
    category="loop",
    about="a case bounced between two steps of two departments (a → b → a), or between two departments",
    removal=Removal("repeats", scope),
    messages={"ru": message_ru},
    order=30,
)
