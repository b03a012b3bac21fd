"""Bypassable step: present in only part of the cases, with no effect on the path or the outcome.

Cases with the step are compared with the cases that could have had it but did not: those that
reached the same point (every step that precedes it in ≥95% of its cases, and its fixed next
step). When no other activity's presence, repetition or the way cases end differs between the two
groups by more than a threshold (and more than sampling noise), the step is optional work with
no effect. Corrections, decisions and essential steps are never candidates.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gosupr.mining.findings import Finding
from gosupr.mining.kinds import Kind, Removal, ru_cost, ru_pct, subjects
from gosupr.mining.waste import words
from gosupr.mining.waste.detectors._common import (
    EVIDENCE_DEFAULTS,
    duration,
    finding,
    judged,
    outcome_equivalence,
    pct,
    per_case_median,
    proportion_gaps,
    quote,
    settings,
    whole_step,
)
from gosupr.mining.waste.facts import LogFacts
from gosupr.mining.waste.weighted import wmedian

KIND = "bypassable_step"
DEFAULTS: dict[str, Any] = {
    "min_cases": 5,  # in each group
    "min_presence": 0.05,  # share of cases with the step
    "max_presence": 0.95,
    "max_path_difference": 0.1,  # largest allowed difference in any activity's share between the groups
    "alpha": 0.01,  # ... and a difference counts only when significant at this level (Bonferroni)
    "context_share": 0.95,  # a preceding step belongs to the context when it precedes in this share
    # the step can go only when cases with it provably end like comparable cases without it
    **EVIDENCE_DEFAULTS,
}


def detect(facts: LogFacts, cfg: dict[str, Any] | None = None) -> list[Finding]:
    c = settings(DEFAULTS, cfg)
    A, C = facts.n_activities, facts.n_cases
    if C == 0:
        return []
    keys, k_first = facts.first_pos_table
    k_case, k_act = keys // A, keys % A
    k_rep = np.bincount(np.searchsorted(keys, facts.case * A + facts.act), minlength=len(keys)) >= 2
    k_w = None if facts.weight is None else facts.weight[k_case]  # each (case, activity) key counts its row's cases
    share = facts.case_freq / C
    nxt, nxt_share = facts.dominant_successor
    out: list[Finding] = []
    for x in range(A):
        label = facts.labels[x]
        if not (c["min_presence"] <= share[x] <= c["max_presence"]):
            continue
        if x in facts.essential or x in facts.decision_points or words.is_reject(label):
            continue
        fx = facts.first_positions(x)  # -1 in cases without x
        with_x = fx >= 0
        # the context: steps before x in (nearly) all its cases, and its fixed next step
        before = (k_first < fx[k_case]) & (k_act != x)
        n1 = facts.count(with_x)
        ctx_w = None if k_w is None else k_w[before]
        context = np.flatnonzero(np.bincount(k_act[before], weights=ctx_w, minlength=A) >= c["context_share"] * n1).tolist()
        if nxt[x] >= 0 and nxt[x] != x and nxt_share[x] >= c["context_share"]:
            context.append(int(nxt[x]))
        is_ctx = np.zeros(A, dtype=bool)
        is_ctx[context] = True
        has_ctx = np.bincount(k_case[is_ctx[k_act]], minlength=facts.n_rows) == int(is_ctx.sum())
        peers = ~with_x & has_ctx
        n2 = facts.count(peers)
        if min(n1, n2) < c["min_cases"]:
            continue
        worst, worst_label = _worst_difference(facts, x, with_x, peers, k_case, k_act, k_rep, k_w, c)
        if worst_label is not None:
            continue
        ev = facts.act == x
        cost, p85, n = per_case_median(facts.case[ev], facts.gap_prev_s[ev], facts)
        eq = outcome_equivalence(facts, with_x, [x], c, peers=peers)
        out.append(finding(
            facts, KIND, [label], n, cost,
            **judged(eq),
            evidence={
                "removal": "step",
                "equivalence": eq.to_dict(),
                "activity": label,
                "presence_share": round(float(share[x]), 4),
                "context": facts.in_order(context),
                "compared_cases": n2,
                "largest_difference": round(worst, 4),
                "case_duration_median_with_s": wmedian(facts.durations_s[with_x], facts.row_weights(np.flatnonzero(with_x))),
                "case_duration_median_without_s": wmedian(facts.durations_s[peers], facts.row_weights(np.flatnonzero(peers))),
                "time_p85_s": p85,
            },
            message=(
                f"{quote(label)} runs in only {pct(float(share[x]))} of cases ({n}); the {n2} comparable cases "
                f"without it take the same path and end the same way. It holds a median of {duration(cost)} per case."
            ),
        ))
    return out


def _worst_difference(
    facts: LogFacts, x: int, g1: np.ndarray, g2: np.ndarray,
    k_case: np.ndarray, k_act: np.ndarray, k_rep: np.ndarray, k_w: np.ndarray | None, c: dict[str, Any],
) -> tuple[float, str | None]:
    """Largest share difference between the groups over presence, repetition and the last step of
    every other activity; the label of the first significant one, or None. Counts are cases: a
    key or row weighs its row's cases (`k_w`, `facts.weight`; None for a plain log)."""
    A = facts.n_activities
    n1, n2 = facts.count(g1), facts.count(g2)
    feats = []
    in1, in2 = g1[k_case], g2[k_case]

    def cases_by(acts: np.ndarray, sel: np.ndarray, w: np.ndarray | None) -> np.ndarray:
        if w is None:
            return np.bincount(acts[sel], minlength=A)
        return np.bincount(acts[sel], weights=w[sel], minlength=A).astype(np.int64)

    for mask in (None, k_rep):  # presence, repetition
        s1 = cases_by(k_act, in1 if mask is None else mask & in1, k_w)
        s2 = cases_by(k_act, in2 if mask is None else mask & in2, k_w)
        feats.append((s1, s2))
    feats.append((cases_by(facts.last_act, g1, facts.weight), cases_by(facts.last_act, g2, facts.weight)))
    worst, worst_label = 0.0, None
    tests = len(feats) * (A - 1)
    for s1, s2 in feats:
        d, real = proportion_gaps(
            np.delete(s1, x), int(n1), np.delete(s2, x), int(n2), c["max_path_difference"], c["alpha"], tests
        )
        worst = max(worst, float(d.max()) if len(d) else 0.0)
        bad = np.flatnonzero(real)
        if len(bad) and worst_label is None:
            k = int(bad[0])
            worst_label = facts.labels[k if k < x else k + 1]
    return worst, worst_label


# -- what this kind is ----------------------------------------------------------------------------
def message_ru(f: Finding) -> str:
    e, (a, _) = f.evidence or {}, subjects(f)
    return (f"{a} выполняется лишь в {ru_pct(e.get('presence_share', f.case_share))} дел ({f.cases}); "
            f"{e.get('compared_cases', '—')} сопоставимых дел "
            f"без этого шага идут тем же путём и заканчиваются так же. Шаг занимает в медиане {ru_cost(f)} на дело.")


SPEC = Kind(
    name=KIND,
    title=("bypassable step", "необязательный шаг"),
    category="step",
    about="a step only some cases run, where comparable cases without it take the same path and end the same way",
    removal=Removal("step", whole_step, rank=2),
    messages={"ru": message_ru},
    order=60,
)
