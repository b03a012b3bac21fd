"""Waiting: the transitions where cases wait longest between two steps (a Lean waste).

Transitions are ranked by the total time cases spend in them; one is reported when its median
gap stands out, or its P85 gap is among the log's longest 15% of gaps (many registries record
most steps within seconds while a quarter of the cases wait days: the median alone hides that).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gosupr.mining.findings import Finding
from gosupr.mining.kinds import Kind, ru_cases, ru_pct, subjects
from gosupr.mining.waste.detectors._common import cases_text, duration, finding, pct, quote, settings
from gosupr.mining.waste.facts import LogFacts
from gosupr.mining.waste.weighted import wmedian, wquantile

KIND = "waiting"
DEFAULTS: dict[str, Any] = {
    "top": 5,  # report the transitions with the most waiting in total
    "min_cases": 5,
    "min_share_of_case": 0.1,  # median or P85 gap at least this share of the median case duration
    "min_ratio": 2.0,  # ... and this many times the typical gap between two steps (it must stand out)
}


def detect(facts: LogFacts, cfg: dict[str, Any] | None = None) -> list[Finding]:
    c = settings(DEFAULTS, cfg)
    e = facts.edges
    if not len(e):
        return []
    has = ~np.isnan(facts.gap_next_s)
    gaps = facts.gap_next_s[has]
    gw = facts.event_weights(has)  # each gap stands for its row's cases
    typical = wmedian(gaps, gw) if len(gaps) else 0.0
    floor = max(c["min_share_of_case"] * (facts.median_case_s or 0.0), c["min_ratio"] * typical)
    long_gap = max(floor, wquantile(gaps, gw, 0.85) if len(gaps) else 0.0)
    total = e.mean_s * e.events
    all_waiting = float(gaps.sum() if gw is None else (gaps * gw).sum()) or 1.0
    # an immediate repetition a→a is a self-loop, reported there
    ok = (e.cases >= c["min_cases"]) & (e.src != e.dst) & (np.maximum(e.median_s, e.p85_s) > 0)
    ok &= (e.median_s >= floor) | (e.p85_s >= long_gap)
    idx = np.flatnonzero(ok)
    ranked = sorted(idx.tolist(), key=lambda k: (-total[k], k))[: c["top"]]
    out: list[Finding] = []
    for k in ranked:
        la, lb = facts.labels[e.src[k]], facts.labels[e.dst[k]]
        n = int(e.cases[k])
        med, p85 = float(e.median_s[k]), float(e.p85_s[k])
        share_total = float(total[k]) / all_waiting
        out.append(finding(
            facts, KIND, [la, lb], n, med,
            evidence={
                "from": la,
                "to": lb,
                "events": int(e.events[k]),
                "median_s": med,
                "p85_s": p85,
                "mean_s": float(e.mean_s[k]),
                "total_s": float(total[k]),
                "share_of_all_waiting": round(share_total, 4),
                "typical_gap_s": typical,
                "long_gap_s": long_gap,
            },
            message=(
                f"Between {quote(la)} and {quote(lb)} {cases_text(n)} ({pct(n / facts.n_cases)}) wait a median of "
                f"{duration(med)} (P85 {duration(p85)}), {pct(share_total)} of all waiting in the log."
            ),
        ))
    return out


# -- what this kind is ----------------------------------------------------------------------------
def message_ru(f: Finding) -> str:
    from gosupr.durations import format_duration

    e, (a, b) = f.evidence or {}, subjects(f)
    p85, med = format_duration(e.get("p85_s"), "ru"), format_duration(e.get("median_s", f.time_cost_s), "ru")
    return (f"Между {a} и {b} {ru_cases(f.cases)} ({ru_pct(f.case_share)}) ожидание в медиане {med} "
            f"(P85 {p85}); это {ru_pct(e.get('share_of_all_waiting'))} всего ожидания в журнале.")


SPEC = Kind(
    name=KIND,
    title=("waiting", "ожидание"),
    category="waiting",
    about="the transitions where cases wait longest between two steps",
    messages={"ru": message_ru},
    order=80,
)
