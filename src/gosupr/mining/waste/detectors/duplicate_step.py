"""Duplicate step: b nearly always follows a directly, names the same work, and never changes the route.

E.g. «Проверка документов» → «Повторная проверка документов». Evidence: label similarity on
normalised, stemmed words (repetition markers such as «повторная», "re-" removed), the pair's
co-occurrence, and the route after b being the route a takes without b.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gosupr.mining.findings import Finding
from gosupr.mining.kinds import Kind, Removal, q, ru_cases, ru_cost, ru_pct
from gosupr.mining.waste import words
from gosupr.mining.waste.detectors._common import (
    EVIDENCE_DEFAULTS,
    cases_text,
    codes,
    duration,
    finding,
    judged,
    pct,
    per_case_median,
    proportion_gaps,
    quote,
    settings,
    shares,
)
from gosupr.mining.waste.evidence import equivalence
from gosupr.mining.waste.facts import LogFacts
from gosupr.mining.waste.weighted import wmean

KIND = "duplicate_step"
DEFAULTS: dict[str, Any] = {
    "min_cases": 2,
    "min_pair_share": 0.9,  # share of b's executions directly preceded by a
    "min_similarity": 0.85,  # same_work(a, b)
    "max_route_change": 0.1,  # largest allowed difference in a next step's share (after b vs after a alone)
    "alpha": 0.01,  # ... counted only when significant at this level (Bonferroni over next steps)
    "min_alone": 5,  # executions of a without b needed to compare routes
    # b can go only when the route after b provably equals the route after a alone (evidence.py)
    **EVIDENCE_DEFAULTS,
}


def detect(facts: LogFacts, cfg: dict[str, Any] | None = None) -> list[Finding]:
    c = settings(DEFAULTS, cfg)
    e = facts.edges
    out: list[Finding] = []
    for k in range(len(e)):
        a, b = int(e.src[k]), int(e.dst[k])
        if a == b or e.cases[k] < c["min_cases"]:
            continue
        pair_share = e.events[k] / facts.occurrences[b]
        if pair_share < c["min_pair_share"]:
            continue
        sim = words.same_work(facts.labels[a], facts.labels[b])
        if sim < c["min_similarity"]:
            continue
        # b must not route: no loop back to earlier steps after it ...
        b_ev = facts.act == b
        ew = facts.event_weights(b_ev)
        loop_back = wmean(facts.seen_before[b_ev], ew) if b_ev.any() else 0.0
        if loop_back > c["max_route_change"]:
            continue
        # ... and the case goes on after b as it goes on after a alone (refusals included); when a
        # is never alone, a split at b (an XOR decision) cannot be told apart from a's and stays
        after_b = facts.successors(b)
        alone = (facts.act == a) & (facts.next_act != b) & ~facts.seen_before
        after_a = facts.tally(facts.next_act, alone)  # next activity (-1 = case ends) → events
        route_change = loop_back
        if sum(after_a.values()) >= c["min_alone"]:
            keys = sorted(set(after_a) | set(after_b))
            s1 = np.array([after_b.get(k, 0) for k in keys])
            s2 = np.array([after_a.get(k, 0) for k in keys])
            d, real = proportion_gaps(s1, int(s1.sum()), s2, int(s2.sum()), c["max_route_change"], c["alpha"])
            if real.any():
                continue
            route_change = max(route_change, float(d.max()))
        elif b in facts.decision_points:
            continue
        sel = b_ev & (facts.prev_act == a)
        cost, p85, n = per_case_median(facts.case[sel], facts.gap_prev_s[sel], facts)
        essential = facts.essential.get(b)
        compared = sum(after_a.values()) >= c["min_alone"]
        if essential == "decision point" and compared:
            essential = None  # its split is the first step's split, shown by the comparison above
        la, lb = facts.labels[a], facts.labels[b]
        share = n / facts.n_cases
        keys = sorted(set(after_a) | set(after_b))
        eq = equivalence(
            np.array([after_b.get(k, 0) for k in keys]), sum(after_b.values()),
            np.array([after_a.get(k, 0) for k in keys]), sum(after_a.values()),
            [f"next is {facts.labels[k]}" if k >= 0 else "case ends" for k in keys],
            c["margin"], c["equivalence_alpha"], c["min_compared"],
        )
        verdict = judged(eq)
        if essential is not None:
            verdict = {"removable": False, "verdict": "protected", "reason": f"«{lb}» is essential ({essential})"}
        out.append(finding(
            facts, KIND, [la, lb], n, cost,
            **verdict,
            evidence={
                "removal": "step",
                "equivalence": eq.to_dict(),
                "first": la,
                "second": lb,
                "pair_share": round(pair_share, 4),
                "first_followed_by_second": round(e.events[k] / facts.occurrences[a], 4),
                "similarity": round(sim, 4),
                "route_change": round(route_change, 4),
                "route_compared": compared,
                "after_second": shares(after_b, facts.labels),
                "after_first_alone": shares(after_a, facts.labels),
                "essential": essential,
                "time_p85_s": p85,
            },
            message=(
                f"{quote(lb)} repeats the work of {quote(la)} right after it in {cases_text(n)} ({pct(share)}) "
                f"and never changes where the case goes; it holds a median of {duration(cost)} per case."
            ),
        ))
    return out


# -- what this kind is ----------------------------------------------------------------------------
def scope(facts: LogFacts, f: Finding) -> np.ndarray:
    """The second step of the pair where it directly follows the first."""
    cs = codes(facts, f)
    if len(cs) < 2:
        return np.zeros(facts.n_events, dtype=bool)
    return (facts.act == cs[-1]) & (facts.prev_act == cs[0])


def message_ru(f: Finding) -> str:
    e, acts = f.evidence or {}, list(f.activities) or list(f.elements)
    first, second = q(e.get("first", acts[0] if acts else "—")), q(e.get("second", acts[-1] if acts else "—"))
    return (f"{second} повторяет работу {first} сразу после неё {ru_cases(f.cases)} ({ru_pct(f.case_share)}) "
            f"и не меняет дальнейший путь дела; занимает в медиане {ru_cost(f)} на дело.")


SPEC = Kind(
    name=KIND,
    title=("duplicate step", "дублирующий шаг"),
    category="step",
    about="a step that repeats the work of the step right before it and never changes where the case goes",
    removal=Removal("step", scope, rank=0),
    messages={"ru": message_ru},
    order=40,
)
