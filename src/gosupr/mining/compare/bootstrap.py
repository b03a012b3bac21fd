"""Seeded case-level bootstrap: every figure of a log recomputed on resampled cases, with array ops.

A log becomes a `CaseSample`: per-case columns whose means are figures (steps, hand-overs, staff
time, "the removed step still occurs"), per-case columns whose quantiles are figures (durations),
and sparse per-case counts whose means are figures (outcomes, variants, directly-follows edges:
one column each, stored as (case, column, count) triples so a log with thousands of edges stays
small). A replicate draws n cases with replacement, i.e. a vector of case weights; each figure is
then a weighted mean or a weighted quantile over the cases. The point estimate is the same
computation with every weight 1, so estimate and replicates share one definition.

Cost: replicates come in chunks sized so that a chunk's weight matrix holds about 4 million
entries; the work per chunk is one matrix product, one cumulative sum per quantile column and one
sparse product over the (case, column, count) triples. No Python loop touches an event or a case.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

CHUNK_CELLS = 4_000_000
DEFAULT_REPLICATES = 1000


@dataclass
class CaseSample:
    """Per-case data of one log, laid out for the bootstrap. All arrays are aligned by case index."""

    n: int
    dense: np.ndarray  # (n, k) float: figure j is the mean of column j
    quantile_values: list[np.ndarray] = field(default_factory=list)  # (n,) columns
    quantile_levels: list[float] = field(default_factory=list)  # the quantile of each column
    sparse_case: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    sparse_col: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    sparse_val: np.ndarray = field(default_factory=lambda: np.zeros(0))
    sparse_k: int = 0  # number of sparse columns

    @property
    def n_figures(self) -> int:
        return self.dense.shape[1] + len(self.quantile_values) + self.sparse_k


def _weights(n: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """(size, n) multinomial case counts: how often each case is drawn in each replicate."""
    draws = rng.integers(0, n, size=(size, n)) + (np.arange(size, dtype=np.int64) * n)[:, None]
    return np.bincount(draws.ravel(), minlength=size * n).reshape(size, n).astype(np.float64)


def _evaluate(s: CaseSample, w: np.ndarray, prep: "_Prepared") -> np.ndarray:
    """Every figure for each row of case weights `w` (rows sum to n): (rows, n_figures)."""
    rows = w.shape[0]
    parts = [w @ s.dense / s.n]
    cums: dict[int, np.ndarray] = {}  # one cumulative sum per distinct column (median and P90 share one)
    for (xs, order, key), q in zip(prep.quantiles, s.quantile_levels):
        cum = cums.get(key)
        if cum is None:
            cum = cums[key] = np.cumsum(w[:, order], axis=1)
        h = (s.n - 1) * q  # numpy's "linear" quantile on the sample the weights expand to
        k0 = int(np.floor(h))
        frac = h - k0
        i0 = (cum > k0).argmax(axis=1)
        i1 = (cum > min(k0 + 1, s.n - 1)).argmax(axis=1)
        parts.append((xs[i0] + frac * (xs[i1] - xs[i0]))[:, None])
    if s.sparse_k:
        parts.append(np.asarray(prep.sparse_t @ w.T).T / s.n)  # (k × n) sparse times (n × rows)
    return np.hstack(parts) if parts else np.zeros((rows, 0))


@dataclass
class _Prepared:
    quantiles: list[tuple[np.ndarray, np.ndarray, int]]  # sorted values, the sorting order, the column's key
    sparse_t: object  # scipy CSR matrix (sparse columns × cases)


def _prepare(s: CaseSample) -> _Prepared:
    from scipy.sparse import csr_matrix

    quantiles = []
    for col in s.quantile_values:
        order = np.argsort(col, kind="stable")
        quantiles.append((col[order], order, id(col)))
    sparse_t = csr_matrix((s.sparse_val.astype(np.float64), (s.sparse_col, s.sparse_case)), shape=(s.sparse_k, s.n))
    return _Prepared(quantiles, sparse_t)


def bootstrap(s: CaseSample, replicates: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(point estimates (F,), replicate estimates (replicates, F)); NaN when the log has no cases."""
    F = s.n_figures
    if s.n == 0:
        return np.full(F, np.nan), np.full((replicates, F), np.nan)
    prep = _prepare(s)
    point = _evaluate(s, np.ones((1, s.n)), prep)[0]
    chunk = max(1, min(replicates, CHUNK_CELLS // max(s.n, 1)))
    reps = np.empty((replicates, F))
    for lo in range(0, replicates, chunk):
        size = min(chunk, replicates - lo)
        reps[lo : lo + size] = _evaluate(s, _weights(s.n, size, rng), prep)
    return point, reps


def two_sample_rngs(seed: int) -> tuple[np.random.Generator, np.random.Generator]:
    """Independent, reproducible streams for the BEFORE and the AFTER resampling."""
    a, b = np.random.SeedSequence(seed).spawn(2)
    return np.random.default_rng(a), np.random.default_rng(b)


def percentile_interval(reps: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Per column, the (1-level)/2 and (1+level)/2 quantiles of the replicates."""
    lo, hi = np.nanquantile(reps, [(1 - level) / 2, (1 + level) / 2], axis=0)
    return lo, hi


def normal_p_values(change: np.ndarray, reps: np.ndarray) -> np.ndarray:
    """Two-sided p of "no change" from the bootstrap standard error (z = change / se).

    The replicates' percentile interval is what the report shows; the p-values are continuous so
    that a multiple-comparison correction over many figures can reach small levels, which a
    bootstrap with 1000 replicates cannot resolve from its tail counts. A figure whose replicates
    never vary has p 0 when it changed and 1 when it did not.
    """
    from math import erfc, sqrt

    se = np.nanstd(reps, axis=0, ddof=1) if len(reps) > 1 else np.zeros(reps.shape[1])
    out = np.ones(len(change))
    for j, (d, e) in enumerate(zip(change, se)):
        if not np.isfinite(d):
            out[j] = np.nan
        elif e > 0:
            out[j] = erfc(abs(d) / e / sqrt(2.0))
        else:
            out[j] = 0.0 if d != 0 else 1.0
    return out


def holm(p: np.ndarray, alpha: float) -> np.ndarray:
    """Holm–Bonferroni step-down: which hypotheses are rejected with family-wise error ≤ alpha.

    Valid under any dependence between the figures (steps, durations and edges move together).
    NaN p-values are not tested.
    """
    p = np.asarray(p, dtype=float)
    ok = np.isfinite(p)
    idx = np.flatnonzero(ok)
    out = np.zeros(len(p), dtype=bool)
    m = len(idx)
    if not m:
        return out
    order = idx[np.argsort(p[idx], kind="stable")]
    thresholds = alpha / (m - np.arange(m))
    passed = p[order] <= thresholds
    k = m if passed.all() else int(np.argmin(passed))
    out[order[:k]] = True
    return out
