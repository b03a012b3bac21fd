"""Shared pieces of the waste detectors: building a Finding, per-case medians, wording durations."""

from __future__ import annotations

from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

from gosupr.durations import format_duration
from gosupr.mining.findings import Finding, severity_for
from gosupr.mining.waste.evidence import ALPHA, DIFFERENT, MARGIN, MIN_CASES, TOO_FEW, Equivalence, equivalence
from gosupr.mining.waste.facts import LogFacts
from gosupr.mining.waste.weighted import wmedian, wquantile


def settings(defaults: dict[str, Any], cfg: dict[str, Any] | None) -> dict[str, Any]:
    """Defaults overlaid with the user's thresholds (unknown keys are refused by AnalyzeConfig)."""
    return {**defaults, **(cfg or {})}


def per_case_median(case_idx: np.ndarray, values: np.ndarray,
                    facts: LogFacts | None = None) -> tuple[float | None, float | None, int]:
    """Sum `values` per case (row), then the median and P85 over those cases, and how many cases
    (rows weighted by their cases when `facts` has weights)."""
    ok = ~np.isnan(values)
    n = facts.count_rows(case_idx) if facts is not None else len(np.unique(case_idx))
    if not ok.any():
        return None, None, n
    s = pd.Series(values[ok]).groupby(case_idx[ok]).sum()
    if facts is None or facts.weight is None:
        return float(s.median()), float(s.quantile(0.85)), n
    w = facts.weight[s.index.to_numpy()]
    return wmedian(s.to_numpy(), w), wquantile(s.to_numpy(), w, 0.85), n


def finding(
    facts: LogFacts,
    kind: str,
    activities: list[str],
    cases: int,
    time_cost_s: float | None,
    *,
    removable: bool = False,
    evidence: dict[str, Any] | None = None,
    message: str = "",
    verdict: str | None = None,
    reason: str = "",
) -> Finding:
    """A Finding with its share and severity worked out; `verdict` defaults to what `removable` says."""
    share = cases / facts.n_cases if facts.n_cases else 0.0
    cost = None if time_cost_s is None or np.isnan(time_cost_s) else max(float(time_cost_s), 0.0)
    return Finding(
        kind=kind,
        activities=activities,
        cases=int(cases),
        case_share=share,
        time_cost_s=cost,
        severity=severity_for(share, cost, facts.median_case_s),
        removable=removable,
        evidence=evidence or {},
        message=message,
        verdict=verdict or ("removable" if removable else "informational"),
        reason=reason,
    )


#: the thresholds every removal-proving detector takes (see evidence.py)
EVIDENCE_DEFAULTS: dict[str, Any] = {
    "margin": MARGIN,  # outcome shares must agree within this (5 points) ...
    "equivalence_alpha": ALPHA,  # ... with a (1 - 2·alpha) interval (TOST)
    "min_compared": MIN_CASES,  # cases needed on each side
}


def judged(eq: Equivalence) -> dict[str, Any]:
    """`removable`, `verdict` and `reason` keywords for `finding` from an outcome comparison."""
    if eq.positive:
        return {"removable": True, "verdict": "removable"}
    if eq.result == DIFFERENT:
        return {"removable": False, "verdict": "outcomes_differ",
                "reason": f"outcomes differ: {eq.at} {100 * eq.difference:+.1f} points"}
    if eq.result == TOO_FEW:
        why = f"too few cases to compare ({eq.n_with} with, {eq.n_without} without; {eq.min_cases} needed on each side)"
    else:
        why = (f"the outcome difference ({eq.at}: {100 * eq.difference:+.1f} points, interval "
               f"{100 * eq.ci_low:+.1f}…{100 * eq.ci_high:+.1f}) is not shown to be within ±{100 * eq.margin:.0f} points")
    return {"removable": False, "verdict": "insufficient_evidence", "reason": why}


def duration(seconds: float | None) -> str:
    """A duration in a detector's English sentence (gosupr.durations: 45 s, 12 min, 3.5 h, 2.1 days)."""
    return format_duration(seconds, "en", unknown="an unknown time")


def codes(facts: LogFacts, f: Finding) -> list[int]:
    """The finding's activities as the log's activity codes (those the log has), for removal scopes."""
    index = {x: i for i, x in enumerate(facts.labels)}
    return [index[x] for x in f.activities if x in index]


def whole_step(facts: LogFacts, f: Finding) -> np.ndarray:
    """Removal scope of a step kind: every event of the finding's activities."""
    return np.isin(facts.act, codes(facts, f))


def pct(share: float) -> str:
    return f"{100 * share:.1f}%" if share < 0.1 else f"{100 * share:.0f}%"


def cases_text(n: int) -> str:
    return f"{n} case" if n == 1 else f"{n} cases"


def quote(label: str) -> str:
    return f"«{label}»"


def shares(counts: dict[int, int], labels: list[str], end: str = "(case ends)") -> dict[str, float]:
    """Successor or predecessor counts as label → share, for evidence."""
    total = sum(counts.values()) or 1
    return {(labels[k] if k >= 0 else end): round(v / total, 4) for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))}


def proportion_gaps(
    s1: np.ndarray, n1: int, s2: np.ndarray, n2: int, min_diff: float, alpha: float, tests: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Differences of shares s1/n1 vs s2/n2 per category, and which are real: wider than `min_diff`
    and significant in a two-proportion z-test at level `alpha`, Bonferroni-corrected for the
    number of comparisons (so neither small samples nor many activities raise false alarms)."""
    k = max(tests if tests is not None else len(s1), 1)
    z = NormalDist().inv_cdf(1 - alpha / (2 * k))
    p1, p2 = s1 / max(n1, 1), s2 / max(n2, 1)
    p = (s1 + s2) / max(n1 + n2, 1)
    se = np.sqrt(p * (1 - p) * (1 / max(n1, 1) + 1 / max(n2, 1)))
    d = np.abs(p1 - p2)
    return d, (d > min_diff) & (d > z * se)


#: essential steps whose presence is an outcome of the case (a refusal, a decision, a final act)
OUTCOME_REASONS = ("outcome", "decision", "decision point", "final act", "end")


def outcome_equivalence(
    facts: LogFacts, affected: np.ndarray, own: list[int], c: dict[str, Any], peers: np.ndarray | None = None
) -> Equivalence:
    """Do the cases with a loop end like comparable cases without it, within the margin?

    Comparable: the cases that ran the loop's first step `own[0]` without looping (they reached
    the same point), unless the caller knows better (`peers`). Compared on the last activity and on the presence of the essential steps
    that decide or end a case (outcome alternatives, decisions, final acts, ends), the loop's own
    activities left out; other waste (a return elsewhere) is not an outcome. See
    `evidence.equivalence` for the test."""
    A = facts.n_activities
    if peers is None:
        peers = ~affected & facts.cases_with(own[0])
    n1, n2 = facts.count(affected), facts.count(peers)
    keep = np.ones(A, dtype=bool)
    keep[own] = False
    w = facts.weight
    last1 = np.bincount(facts.last_act[affected], weights=None if w is None else w[affected], minlength=A)[keep]
    last2 = np.bincount(facts.last_act[peers], weights=None if w is None else w[peers], minlength=A)[keep]
    marks = [a for a in range(A) if keep[a] and facts.essential.get(a) in OUTCOME_REASONS]
    pres1 = np.array([facts.count(facts.cases_with(a) & affected) for a in marks], dtype=np.int64)
    pres2 = np.array([facts.count(facts.cases_with(a) & peers) for a in marks], dtype=np.int64)
    names = [f"ends with {facts.labels[a]}" for a in np.flatnonzero(keep)] + [f"has {facts.labels[a]}" for a in marks]
    s1, s2 = np.concatenate((last1, pres1)), np.concatenate((last2, pres2))
    used = (s1 + s2) > 0  # a share that is 0 on both sides tells nothing
    return equivalence(s1[used], n1, s2[used], n2, [x for x, u in zip(names, used) if u],
                       c["margin"], c["equivalence_alpha"], c["min_compared"])
