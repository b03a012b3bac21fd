"""Positive evidence that a removal leaves outcomes alone: equivalence tests, not failed difference tests.

A removal is safe only when the log *shows* that cases with the waste end like comparable cases
without it, within a stated margin. Failing to prove a difference (a small sample) is not that:
two one-sided tests (TOST) must put the whole confidence interval of every outcome share's
difference inside ±margin, with at least `min_cases` cases on each side. Intervals are
Agresti–Caffo (one success and one failure added to each group), so a share of 0 of 30 is not
read as "exactly 0".
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np

#: defaults shared by every detector that proves a removal safe
MARGIN = 0.05  # largest outcome-share difference accepted as "the same", in shares (5 points)
ALPHA = 0.05  # each one-sided test; the interval shown is the (1 - 2·alpha) one
MIN_CASES = 30  # cases needed on each side before any evidence counts

EQUIVALENT = "equivalent"
DIFFERENT = "different"
TOO_FEW = "too_few_cases"
UNDECIDED = "undecided"  # the interval straddles the margin: neither same nor different


@dataclass(frozen=True)
class Equivalence:
    """The outcome comparison behind a verdict: both group sizes, the worst difference and its interval."""

    result: str  # equivalent | different | undecided | too_few_cases
    n_with: int
    n_without: int
    difference: float  # share with − share without, at the category whose interval reaches farthest
    ci_low: float
    ci_high: float
    at: str | None  # which outcome share ("ends with X", "has X")
    margin: float
    alpha: float
    min_cases: int

    @property
    def positive(self) -> bool:
        return self.result == EQUIVALENT

    def to_dict(self) -> dict[str, Any]:
        return {
            "test": "TOST (two one-sided tests) on outcome shares",
            "result": self.result,
            "n_with": self.n_with,
            "n_without": self.n_without,
            "difference": round(self.difference, 4),
            "ci": [round(self.ci_low, 4), round(self.ci_high, 4)],
            "ci_level": round(1 - 2 * self.alpha, 4),
            "at": self.at,
            "margin": self.margin,
            "min_cases": self.min_cases,
        }


def equivalence(
    s1: np.ndarray, n1: int, s2: np.ndarray, n2: int, names: list[str],
    margin: float = MARGIN, alpha: float = ALPHA, min_cases: int = MIN_CASES,
) -> Equivalence:
    """Are the shares s1/n1 and s2/n2 the same within ±margin, in every category at once?

    Intersection–union: the groups are equivalent only when every category passes its TOST, so no
    multiplicity correction is needed. The category reported is the one whose interval reaches
    farthest from zero."""
    s1, s2 = np.asarray(s1, dtype=float), np.asarray(s2, dtype=float)
    if min(n1, n2) < max(min_cases, 1) or not len(s1):
        d = float(s1[0] / max(n1, 1) - s2[0] / max(n2, 1)) if len(s1) and n1 and n2 else 0.0
        return Equivalence(TOO_FEW, int(n1), int(n2), d, float("nan"), float("nan"), names[0] if names else None,
                           margin, alpha, min_cases)
    lo, hi, d = diff_interval(s1, n1, s2, n2, alpha)
    reach = np.maximum(np.abs(lo), np.abs(hi))
    k = int(reach.argmax())
    if (reach < margin).all():
        result = EQUIVALENT
    elif ((lo > margin) | (hi < -margin)).any():
        result = DIFFERENT
    else:
        result = UNDECIDED
    return Equivalence(result, int(n1), int(n2), float(d[k]), float(lo[k]), float(hi[k]), names[k],
                       margin, alpha, min_cases)


def diff_interval(s1: np.ndarray, n1: int, s2: np.ndarray, n2: int, alpha: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Agresti–Caffo (1 − 2·alpha) interval of p1 − p2, per category; and the observed difference."""
    z = NormalDist().inv_cdf(1 - alpha)
    p1, p2 = (s1 + 1) / (n1 + 2), (s2 + 1) / (n2 + 2)
    se = np.sqrt(p1 * (1 - p1) / (n1 + 2) + p2 * (1 - p2) / (n2 + 2))
    d = s1 / n1 - s2 / n2
    c = p1 - p2
    return c - z * se, c + z * se, d


def rate_upper(k: int, n: int, alpha: float = ALPHA) -> float:
    """One-sided (1 − alpha) upper bound of a rate k/n (Wilson score): how high it could really be."""
    if n <= 0:
        return 1.0
    z = NormalDist().inv_cdf(1 - alpha)
    p = k / n
    centre = p + z * z / (2 * n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return float(min(1.0, (centre + half) / (1 + z * z / n)))
