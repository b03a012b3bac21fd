"""Rework: an activity done again after other steps (a loop back), e.g. check → correct → check.

`activities` are the reworked step first, then the loop body (steps between its repeats in at
least half of the affected cases) in process order.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from gosupr.mining.findings import Finding
from gosupr.mining.kinds import Kind, Removal, ru_cases, ru_cost, ru_pct, subjects
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
    shares,
)
from gosupr.mining.waste.facts import LogFacts, unique_keys
from gosupr.mining.waste.weighted import wmean, wmedian, wquantile

KIND = "rework"
DEFAULTS: dict[str, Any] = {
    "min_cases": 2,
    "min_body_share": 0.5,  # a step belongs to the loop when it lies between repeats in this share of cases
    # the extra rounds can go only when affected cases provably end like the others (evidence.py)
    **EVIDENCE_DEFAULTS,
}


def detect(facts: LogFacts, cfg: dict[str, Any] | None = None) -> list[Finding]:
    c = settings(DEFAULTS, cfg)
    back = (facts.prev_same_pos >= 0) & (facts.prev_same_pos < facts.pos - 1)
    # a→b→a with a hand-over between departments is a ping-pong, reported there
    bounce_end = np.zeros_like(back)
    bounce_end[2:] = facts.bounce[:-2]
    back &= ~bounce_end
    loops: list[tuple[int, set[int], Finding]] = []
    A = facts.n_activities
    for a in np.unique(facts.act[back]):
        sel = back & (facts.act == a)
        cases = np.unique(facts.case[sel])
        n = facts.count_rows(cases)  # cases, each row weighed by the cases it stands for
        if n < c["min_cases"]:
            continue
        affected = np.zeros(facts.n_rows, dtype=bool)
        affected[cases] = True
        is_a = facts.act == a
        ev = is_a & affected[facts.case]
        ts = pd.Series(facts.ts_s[ev]).groupby(facts.case[ev])
        t_last = ts.max()
        span = (t_last - ts.min()).to_numpy()  # first execution to the last repetition
        rw = facts.row_weights(t_last.index.to_numpy())  # per affected row, in `span` order
        cost = wmedian(span, rw)
        # the loop body: steps lying between the first and the last execution of `a`
        cum = np.cumsum(is_a)
        before = cum - is_a - (cum - is_a)[facts.starts][facts.case]
        total = np.bincount(facts.case[is_a], minlength=facts.n_rows)
        inside = affected[facts.case] & ~is_a & (before >= 1) & (before < total[facts.case])
        keys = unique_keys(facts.case[inside] * A + facts.act[inside], facts.n_rows * A)
        body_cases = np.bincount(keys % A, weights=facts.row_weights(keys // A), minlength=A).astype(np.int64)
        body = [int(b) for b in np.flatnonzero(body_cases >= max(c["min_body_share"] * n, min(2, n)))]
        label = facts.labels[a]
        share = n / facts.n_cases
        gap = facts.pos[sel] - facts.prev_same_pos[sel]
        ew = facts.event_weights(sel)  # each event stands for its row's cases
        eq = outcome_equivalence(facts, affected, [int(a)] + body, c)
        loops.append((int(a), set(body),
            finding(
                facts, KIND, [label] + facts.in_order([b for b in body if b != a]), n, cost,
                **judged(eq),
                evidence={
                    "removal": "repeats",
                    "equivalence": eq.to_dict(),
                    "activity": label,
                    "repetitions": facts.count_events(sel),
                    "loop_body": {facts.labels[b]: round(int(body_cases[b]) / n, 4) for b in body},
                    "returned_from": shares(facts.tally(facts.prev_act, sel), facts.labels),
                    "one_step_loops_share": round(wmean(gap == 2, ew), 4),
                    "time_p85_s": wquantile(span, rw, 0.85),
                },
                message=(
                    f"{quote(label)} is done again after other steps in {cases_text(n)} ({pct(share)}); "
                    f"from its first to its last execution a median of {duration(cost)} passes."
                ),
            )
        ))
    return _one_per_loop(loops)


def _one_per_loop(loops: list[tuple[int, set[int], Finding]]) -> list[Finding]:
    """Steps inside one loop all repeat; report the loop once, at the step that starts it (most cases)."""
    out = []
    for a, body, f in loops:
        same_loop = [
            g for b, bb, g in loops
            if b != a and a in bb and b in body and (g.cases, -g.evidence["repetitions"], b) > (f.cases, -f.evidence["repetitions"], a)
        ]
        if not same_loop:
            out.append(f)
    return out


# -- what this kind is ----------------------------------------------------------------------------
def scope(facts: LogFacts, f: Finding) -> np.ndarray:
    """Later passes of the loop back to the reworked step (the finding's first activity): second and
    later occurrences of its steps between the first and the last execution of the reworked step,
    in the cases the detector counted."""
    cs = codes(facts, f)
    if not cs or f.activities[0] not in facts.labels:  # no reworked step in this log: nothing to remove
        return np.zeros(facts.n_events, dtype=bool)
    a = cs[0]
    is_a = facts.act == a
    back = is_a & (facts.prev_same_pos >= 0) & (facts.prev_same_pos < facts.pos - 1)
    bounce_end = np.zeros_like(back)
    bounce_end[2:] = facts.bounce[:-2]
    back &= ~bounce_end  # as the detector counts: a→b→a with a hand-over is a ping-pong
    affected = np.zeros(facts.n_rows, dtype=bool)
    affected[facts.case[back]] = True
    first = facts.first_positions(a)
    last = np.full(facts.n_rows, -1, dtype=np.int64)
    np.maximum.at(last, facts.case[is_a], facts.pos[is_a])
    c = facts.case
    return (affected[c] & np.isin(facts.act, cs) & (facts.prev_same_pos >= 0)
            & (facts.pos > first[c]) & (facts.pos <= last[c]))


def message_ru(f: Finding) -> str:
    a, _ = subjects(f)
    return (f"{a} выполняется снова после других шагов {ru_cases(f.cases)} ({ru_pct(f.case_share)}); "
            f"от первого до последнего выполнения проходит в медиане {ru_cost(f)}.")


SPEC = Kind(
    name=KIND,
    title=("rework loop", "петля доработки"),
    category="loop",
    about="a step done again after other steps (check → correct → check)",
    removal=Removal("repeats", scope),
    messages={"ru": message_ru},
    order=20,
)
