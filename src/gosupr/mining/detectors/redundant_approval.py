"""Redundant approval: a control step (approval, sign-off, check, visa) that never rejects.

It is followed by the same next step in (nearly) every case and never by a return, correction or
refusal, and it is never repeated. The final act that produces the outcome (the signature on the
decision) and checks that do reject sometimes are kept.
"""

from __future__ import annotations

from typing import Any

from .. import words
from ..findings import Finding
from ..logfacts import LogFacts
from ._common import duration, finding, pct, per_case_median, quote, settings, shares

KIND = "redundant_approval"
DEFAULTS: dict[str, Any] = {
    "min_cases": 5,
    "min_same_next": 0.95,  # share of executions followed by the one usual next step
    "max_reject": 0.01,  # share of executions followed by a return/correction/refusal, or repeated
}


def detect(facts: LogFacts, cfg: dict[str, Any] | None = None) -> list[Finding]:
    c = settings(DEFAULTS, cfg)
    out: list[Finding] = []
    for a, label in enumerate(facts.labels):
        if not words.is_control(label) or facts.essential.get(a) or facts.occurrences[a] < c["min_cases"]:
            continue
        ev = facts.act == a
        succ = facts.successors(a)
        nxt, n_next = max(succ.items(), key=lambda kv: (kv[1], -kv[0]))
        same_next = n_next / facts.occurrences[a]
        if nxt < 0 or same_next < c["min_same_next"] or words.is_reject(facts.labels[nxt]):
            continue
        rejects = float(facts.back_next[ev].mean())
        repeated = float((facts.prev_same_pos[ev] >= 0).mean())
        if max(rejects, repeated) > c["max_reject"]:
            continue
        cost, p85, n = per_case_median(facts.case[ev], facts.gap_prev_s[ev])
        if n < c["min_cases"]:
            continue
        out.append(finding(
            facts, KIND, [label], n, cost,
            removable=True,
            evidence={
                "removal": "step",
                "activity": label,
                "next": facts.labels[nxt],
                "same_next_share": round(same_next, 4),
                "reject_share": round(rejects, 4),
                "repeated_share": round(repeated, 4),
                "successors": shares(succ, facts.labels),
                "predecessors": shares(facts.predecessors(a), facts.labels, end="(case starts)"),
                "time_p85_s": p85,
            },
            message=(
                f"{quote(label)} is followed by {quote(facts.labels[nxt])} in {pct(same_next)} of {n} cases "
                f"and never sends a case back; it holds a median of {duration(cost)} per case."
            ),
        ))
    return out
