"""Shared pieces of the waste detectors: building a Finding, per-case medians, wording durations."""

from __future__ import annotations

from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

from .. import words
from ..findings import Finding, severity_for
from ..logfacts import LogFacts


def settings(defaults: dict[str, Any], cfg: dict[str, Any] | None) -> dict[str, Any]:
    """Defaults overlaid with the user's thresholds (unknown keys are refused by AnalyzeConfig)."""
    return {**defaults, **(cfg or {})}


def per_case_median(case_idx: np.ndarray, values: np.ndarray) -> tuple[float | None, float | None, int]:
    """Sum `values` per case, then the median and P85 over those cases, and how many cases."""
    ok = ~np.isnan(values)
    if not ok.any():
        n = len(np.unique(case_idx))
        return None, None, n
    s = pd.Series(values[ok]).groupby(case_idx[ok]).sum()
    return float(s.median()), float(s.quantile(0.85)), len(np.unique(case_idx))


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
) -> Finding:
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
    )


def duration(seconds: float | None) -> str:
    """A duration a person reads at a glance: 45 s, 12 min, 3.5 h, 2.1 days."""
    if seconds is None or np.isnan(seconds):
        return "an unknown time"
    s = float(seconds)
    if s < 90:
        return f"{s:.0f} s"
    if s < 90 * 60:
        return f"{s / 60:.0f} min"
    if s < 36 * 3600:
        return f"{s / 3600:.1f} h"
    return f"{s / 86400:.1f} days"


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


def outcome_shift(
    facts: LogFacts, affected: np.ndarray, own: list[int], min_diff: float, alpha: float, min_cases: int = 10
) -> tuple[float, bool, str | None]:
    """Do the cases with a loop end differently from comparable cases without it?

    Comparable: the cases that ran the loop's first step `own[0]` without looping (they reached
    the same point). Compared on the last activity and on the presence of outcome steps (outcome
    alternatives, refusals, returns), the loop's own activities left out. Returns the largest
    share difference, whether the ends differ, and where the difference is largest ("ends with X"
    or "has X"); with fewer than `min_cases` on either side there is no evidence, and they count
    as differing."""
    A = facts.n_activities
    peers = ~affected & facts.cases_with(own[0])
    n1, n2 = int(affected.sum()), int(peers.sum())
    if min(n1, n2) < max(min_cases, 1):
        return 0.0, True, None  # too few to compare: the evidence cannot clear it
    keep = np.ones(A, dtype=bool)
    keep[own] = False
    last1 = np.bincount(facts.last_act[affected], minlength=A)[keep]
    last2 = np.bincount(facts.last_act[peers], minlength=A)[keep]
    marks = [a for a in range(A) if keep[a] and (
        facts.essential.get(a) in ("outcome", "decision") or words.is_reject(facts.labels[a]))]
    pres1 = np.array([int((facts.cases_with(a) & affected).sum()) for a in marks], dtype=np.int64)
    pres2 = np.array([int((facts.cases_with(a) & peers).sum()) for a in marks], dtype=np.int64)
    s1, s2 = np.concatenate((last1, pres1)), np.concatenate((last2, pres2))
    if not len(s1):
        return 0.0, False, None
    d, real = proportion_gaps(s1, n1, s2, n2, min_diff, alpha)
    names = [f"ends with {facts.labels[a]}" for a in np.flatnonzero(keep)] + [f"has {facts.labels[a]}" for a in marks]
    return float(d.max()), bool(real.any()), names[int(d.argmax())]
