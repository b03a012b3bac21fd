"""Rare path: directly-follows edges taken by very few cases; each adds arcs to the model.

Not removable as such (the cases on them are real), but a to-be model may leave them to
exception handling. Reported edges are capped; the evidence says how many there are in all.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gosupr.mining.findings import Finding
from gosupr.mining.kinds import Kind, Removal, ru_cases, ru_cost, ru_pct, subjects
from gosupr.mining.waste.detectors._common import duration, finding, pct, quote, settings
from gosupr.mining.waste.facts import LogFacts

KIND = "rare_path"
DEFAULTS: dict[str, Any] = {
    "max_share": 0.01,  # an edge taken by fewer than this share of cases is rare
    "max_cases": None,  # or an absolute bound (whichever is larger applies)
    "max_findings": 10,
}


def detect(facts: LogFacts, cfg: dict[str, Any] | None = None) -> list[Finding]:
    c = settings(DEFAULTS, cfg)
    e = facts.edges
    C = facts.n_cases
    if not len(e) or not C:
        return []
    limit = c["max_share"] * C
    if c["max_cases"] is not None:
        limit = max(limit, float(c["max_cases"]))
    rare = np.flatnonzero((e.cases < limit) & (e.src != e.dst))  # a rare a→a is a self-loop, reported there
    counts = facts.variants.counts
    rare_variants = int((counts < limit).sum())
    rare_variant_cases = int(counts[counts < limit].sum())
    # first the rare shortcuts between common steps (they add arcs to the main path), then the rarest
    common = np.minimum(facts.case_freq[e.src], facts.case_freq[e.dst])
    order = sorted(rare, key=lambda k: (-common[k], e.cases[k], facts.labels[e.src[k]], facts.labels[e.dst[k]]))
    out: list[Finding] = []
    for k in order[: c["max_findings"]]:
        a, b = int(e.src[k]), int(e.dst[k])
        la, lb = facts.labels[a], facts.labels[b]
        n = int(e.cases[k])
        out.append(finding(
            facts, KIND, [la, lb], n, float(e.median_s[k]),
            evidence={
                "from": la,
                "to": lb,
                "events": int(e.events[k]),
                "cases_with_from": int(facts.case_freq[a]),
                "cases_with_to": int(facts.case_freq[b]),
                "edge_share": round(n / C, 6),
                "rare_edges_total": len(rare),
                "edges_total": len(e),
                "rare_variants": rare_variants,
                "rare_variant_cases": rare_variant_cases,
                "variants_total": len(counts),
                "time_p85_s": float(e.p85_s[k]),
            },
            message=(
                f"Only {n} case{'s' if n != 1 else ''} ({pct(n / C)}) go{'es' if n == 1 else ''} directly from {quote(la)} "
                f"to {quote(lb)}, one of {len(rare)} rare transitions; this transition takes a median of "
                f"{duration(float(e.median_s[k]))}."
            ),
        ))
    return out


# -- what this kind is ----------------------------------------------------------------------------
def message_ru(f: Finding) -> str:
    e, (a, b) = f.evidence or {}, subjects(f)
    return (f"Прямой переход от {a} к {b} есть лишь {ru_cases(f.cases)} ({ru_pct(f.case_share)}); "
            f"это один из {e.get('rare_edges_total', '—')} редких переходов, он занимает в медиане {ru_cost(f)}.")


SPEC = Kind(
    name=KIND,
    title=("rare path", "редкий путь"),
    category="context",
    about="a direct transition very few cases take (each adds arcs to the model)",
    removal=Removal("cases"),
    messages={"ru": message_ru},
    order=70,
    min_share=False,  # rare by definition
)
