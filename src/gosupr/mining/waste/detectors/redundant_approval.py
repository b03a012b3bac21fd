"""Redundant approval: a control step (approval, sign-off, check, visa) that never rejects.

An approver is judged by its decisions. Where rejections are logged as their own activities for
the same role and object («Declaration APPROVED by SUPERVISOR» / «Declaration REJECTED by
SUPERVISOR», «Согласование проекта» / «Отказ в согласовании проекта»), the rejection rate is those
rejections over all decisions of the role; otherwise it is the share of the step's executions
followed by a return, correction or refusal, or repeated. The step is removable only when the
rate is at most `max_reject` and its upper confidence bound stays within `margin` (positive
evidence that the approver does not stop cases); it must also be followed by the same next step
in (nearly) every case. The final act that produces the outcome and essential steps are kept.
"""

from __future__ import annotations

from typing import Any

from gosupr.mining.findings import Finding
from gosupr.mining.kinds import Kind, Removal, q, ru_cost, ru_pct, subjects
from gosupr.mining.waste import words
from gosupr.mining.waste.detectors._common import (
    EVIDENCE_DEFAULTS,
    duration,
    finding,
    pct,
    per_case_median,
    quote,
    settings,
    shares,
    whole_step,
)
from gosupr.mining.waste.evidence import rate_upper
from gosupr.mining.waste.facts import LogFacts

KIND = "redundant_approval"
DEFAULTS: dict[str, Any] = {
    "min_cases": 5,
    "min_same_next": 0.95,  # share of executions followed by the one usual next step
    "max_reject": 0.01,  # observed rejection rate over the role's decisions
    **EVIDENCE_DEFAULTS,  # margin: the rate's upper bound must stay below it; min_compared: decisions needed
}


def rejections_of(facts: LogFacts, a: int) -> list[int]:
    """Reject activities of the same role and object as approval `a`."""
    obj = words.decision_object(facts.labels[a])
    if not obj:
        return []
    return [b for b, label in enumerate(facts.labels)
            if b != a and words.is_reject(label) and words.decision_object(label) == obj]


def detect(facts: LogFacts, cfg: dict[str, Any] | None = None) -> list[Finding]:
    c = settings(DEFAULTS, cfg)
    out: list[Finding] = []
    for a, label in enumerate(facts.labels):
        if not words.is_control(label) or words.is_reject(label) or facts.essential.get(a) or facts.occurrences[a] < c["min_cases"]:
            continue
        ev = facts.act == a
        succ = facts.successors(a)
        nxt, n_next = max(succ.items(), key=lambda kv: (kv[1], -kv[0]))
        same_next = n_next / facts.occurrences[a]
        if nxt < 0 or same_next < c["min_same_next"] or words.is_reject(facts.labels[nxt]):
            continue
        rej_acts = rejections_of(facts, a)
        rejected = int(sum(facts.occurrences[b] for b in rej_acts))
        sent_back = facts.count_events(ev & facts.back_next)  # events weigh the cases of their row
        repeated = facts.count_events(ev & (facts.prev_same_pos >= 0))
        decisions = int(facts.occurrences[a]) + rejected
        k = rejected + max(sent_back, repeated)
        rate = k / decisions
        if rate > c["max_reject"]:
            continue  # it does reject: a working control, not waste
        upper = rate_upper(k, decisions, c["equivalence_alpha"])
        cost, p85, n = per_case_median(facts.case[ev], facts.gap_prev_s[ev], facts)
        if n < c["min_cases"]:
            continue
        if decisions >= c["min_compared"] and upper <= c["margin"]:
            verdict: dict[str, Any] = {"removable": True, "verdict": "removable"}
        else:
            verdict = {"removable": False, "verdict": "insufficient_evidence", "reason": (
                f"{decisions} decisions with {k} rejections: the rejection rate could be up to "
                f"{100 * upper:.1f}%, not shown to be below {100 * c['margin']:.0f}%")}
        out.append(finding(
            facts, KIND, [label], n, cost,
            **verdict,
            evidence={
                "removal": "step",
                "activity": label,
                "next": facts.labels[nxt],
                "same_next_share": round(same_next, 4),
                "decisions": {
                    "approved": int(facts.occurrences[a]),
                    "rejected": rejected,
                    "rejected_as": [facts.labels[b] for b in rej_acts],
                    "sent_back_or_repeated": max(sent_back, repeated),
                    "reject_rate": round(rate, 6),
                    "reject_rate_upper": round(upper, 6),
                    "ci_level": round(1 - c["equivalence_alpha"], 4),
                    "margin": c["margin"],
                },
                "successors": shares(succ, facts.labels),
                "predecessors": shares(facts.predecessors(a), facts.labels, end="(case starts)"),
                "time_p85_s": p85,
            },
            message=(
                f"{quote(label)} is followed by {quote(facts.labels[nxt])} in {pct(same_next)} of {n} cases "
                f"and rejects {k} of {decisions} decisions; it holds a median of {duration(cost)} per case."
            ),
        ))
    return out


# -- what this kind is ----------------------------------------------------------------------------
def message_ru(f: Finding) -> str:
    e, (a, _) = f.evidence or {}, subjects(f)
    nxt = q(e["next"]) if e.get("next") else "один и тот же шаг"
    return (f"За {a} следует {nxt} в {ru_pct(e.get('same_next_share'))} из {f.cases} дел, и согласование ни разу не возвращает дело; "
            f"занимает в медиане {ru_cost(f)} на дело.")


SPEC = Kind(
    name=KIND,
    title=("redundant approval", "избыточное согласование"),
    category="step",
    about="an approval that is always followed by the same step and provably (almost) never rejects",
    removal=Removal("step", whole_step, rank=1),
    messages={"ru": message_ru},
    order=50,
)
