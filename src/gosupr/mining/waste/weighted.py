"""Medians and quantiles over weighted values, equal to numpy's over the values repeated.

The waste analysis reads either one row per case (weights None: numpy as before, bit for bit) or
one row per path of the log summary, weighted by its cases. A weighted quantile here is exactly
`np.quantile(np.repeat(values, weights), q)` (linear interpolation, numpy's lerp), without the
repeat: its cost follows the rows, not the cases.
"""

from __future__ import annotations

import numpy as np


def _at(order_v: np.ndarray, cum: np.ndarray, k: int) -> float:
    """The k-th (0-based) value of the repeated, sorted array."""
    return float(order_v[int(np.searchsorted(cum, k, side="right"))])


def _sorted(v: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The values with a positive weight, sorted, and their cumulative weights."""
    w = np.asarray(weights, dtype=np.int64)
    keep = w > 0
    order = np.argsort(v[keep], kind="stable")
    return v[keep][order], np.cumsum(w[keep][order])


def wquantile(values: np.ndarray, weights: np.ndarray | None, q: float) -> float:
    """The q-quantile of `values` repeated `weights` times (numpy's linear method)."""
    v = np.asarray(values, dtype=float)
    if weights is None:
        return float(np.quantile(v, q))
    sv, cum = _sorted(v, weights)
    n = int(cum[-1])
    h = q * (n - 1)
    lo = int(np.floor(h))
    a, b = _at(sv, cum, lo), _at(sv, cum, min(lo + 1, n - 1))
    t = h - lo
    diff = b - a
    return float(b - diff * (1 - t)) if t >= 0.5 else float(a + diff * t)


def wmedian(values: np.ndarray, weights: np.ndarray | None) -> float:
    """The median of `values` repeated `weights` times (numpy's: the mean of the two middle ones)."""
    v = np.asarray(values, dtype=float)
    if weights is None:
        return float(np.median(v))
    sv, cum = _sorted(v, weights)
    n = int(cum[-1])
    if n % 2:
        return _at(sv, cum, n // 2)
    return float(np.mean([_at(sv, cum, n // 2 - 1), _at(sv, cum, n // 2)]))


def wmean(values: np.ndarray, weights: np.ndarray | None) -> float:
    v = np.asarray(values, dtype=float)
    if weights is None:
        return float(v.mean())
    return float(np.average(v, weights=np.asarray(weights, dtype=float)))


def wstd(values: np.ndarray, weights: np.ndarray | None) -> float:
    """Population standard deviation (numpy's ddof=0) of `values` repeated `weights` times."""
    v = np.asarray(values, dtype=float)
    if weights is None:
        return float(np.std(v))
    m = wmean(v, weights)
    return float(np.sqrt(wmean((v - m) ** 2, weights)))
