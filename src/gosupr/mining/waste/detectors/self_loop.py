"""Self-loop: an activity immediately repeated in a case (the same step done twice in a row)."""

from __future__ import annotations

from typing import Any

import numpy as np

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
    per_case_median,
    quote,
    settings,
)
from gosupr.mining.waste.facts import LogFacts
from gosupr.mining.waste.weighted import wmedian

KIND = "self_loop"
DEFAULTS: dict[str, Any] = {
    "min_cases": 2,
    # the repeats can go only when affected cases provably end like the others (evidence.py)
    **EVIDENCE_DEFAULTS,
}


def detect(facts: LogFacts, cfg: dict[str, Any] | None = None) -> list[Finding]:
    c = settings(DEFAULTS, cfg)
    repeat = facts.prev_act == facts.act  # the repeated occurrence, not the first one
    out: list[Finding] = []
    for a in np.unique(facts.act[repeat]):
        sel = repeat & (facts.act == a)
        cases = facts.case[sel]
        n_cases = facts.count_rows(cases)
        if n_cases < c["min_cases"]:
            continue
        # the extra time: from the first execution to each immediate repetition
        cost, p85, _ = per_case_median(cases, facts.gap_prev_s[sel], facts)
        rows = np.unique(cases)
        per_case = np.bincount(cases)[rows]  # repeats within one row (each of its cases has them all)
        label = facts.labels[a]
        share = n_cases / facts.n_cases
        affected = np.zeros(facts.n_rows, dtype=bool)
        affected[cases] = True
        eq = outcome_equivalence(facts, affected, [int(a)], c)
        out.append(
            finding(
                facts, KIND, [label], n_cases, cost,
                **judged(eq),
                evidence={
                    "removal": "repeats",
                    "equivalence": eq.to_dict(),
                    "activity": label,
                    "extra_executions": facts.count_events(sel),
                    "repeats_per_case_median": wmedian(per_case, facts.row_weights(rows)),
                    "repeats_per_case_max": int(per_case.max()),
                    "time_p85_s": p85,
                },
                message=(
                    f"{quote(label)} is immediately repeated in {cases_text(n_cases)} ({pct(share)}), "
                    f"adding a median of {duration(cost)} per affected case."
                ),
            )
        )
    return out


# -- what this kind is ----------------------------------------------------------------------------
def scope(facts: LogFacts, f: Finding) -> np.ndarray:
    """The immediate repeats of the step; its first execution stays."""
    a = codes(facts, f)[:1]
    return (facts.act == a[0]) & (facts.prev_act == a[0]) if a else np.zeros(facts.n_events, dtype=bool)


def message_ru(f: Finding) -> str:
    a, _ = subjects(f)
    return f"{a} сразу повторяется {ru_cases(f.cases)} ({ru_pct(f.case_share)}); это добавляет в медиане {ru_cost(f)} на затронутое дело."


SPEC = Kind(
    name=KIND,
    title=("self-loop", "самоповтор"),
    category="loop",
    about="a step immediately repeated in a case",
    removal=Removal("repeats", scope),
    messages={"ru": message_ru},
    order=10,
)
