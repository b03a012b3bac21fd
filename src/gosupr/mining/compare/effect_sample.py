"""The per-case values of two logs in one column layout, ready for the bootstrap.

BEFORE and AFTER have their own activity codes; outcomes, variants and directly-follows edges are
matched by label (trace, label pair) into one key space, so column j means the same thing in
both samples. Dense columns: the work figures and the per-case "pattern still occurs" flags;
quantile columns: case durations (median, P90); sparse columns: outcomes, top variants, edges.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gosupr.eventlog import EventLog
from gosupr.mining.compare.bootstrap import CaseSample
from gosupr.mining.waste.facts import LogFacts

MIN_SUPPORT = 5  # an outcome, variant or edge is tested when this many cases of either log have it
TOP_VARIANTS = 10


def work_columns(log: EventLog, facts: LogFacts) -> dict[str, np.ndarray]:
    """Per-case steps, department hand-overs and staff hours (the last two where the log allows)."""
    from gosupr.mining.metrics import _service_seconds

    n = facts.n_cases
    cols = {"steps_per_case": facts.lengths.astype(float)}
    if facts.dept is not None and facts.n_events > 1:
        d = facts.dept
        hand = (facts.next_act[:-1] >= 0) & (d[:-1] >= 0) & (d[1:] >= 0) & (d[:-1] != d[1:])
        cols["department_handovers_per_case"] = np.bincount(facts.case[:-1][hand], minlength=n).astype(float)
    svc, method = _service_seconds(log)
    if method != "case-gap":  # without resources or start times it would only restate the durations
        cols["staff_hours_per_case"] = np.bincount(facts.case, weights=svc, minlength=n) / 3600.0
    return cols


@dataclass
class Layout:
    """The shared column keys of two logs and each log's per-case outcome codes."""

    work_keys: list[str]
    outcomes: list[str]
    variants: list[tuple[str, ...]]
    edges: list[tuple[str, str]]
    edge_cases_b: dict[tuple[str, str], int]
    edge_cases_a: dict[tuple[str, str], int]
    outcome_b: np.ndarray
    outcome_a: np.ndarray

    @classmethod
    def of(cls, before: EventLog, after: EventLog, fb: LogFacts, fa: LogFacts, work_keys: list[str]) -> Layout:
        marks = _outcome_marks(fb) | _outcome_marks(fa)
        ob, oa = _outcome_codes(fb, marks), _outcome_codes(fa, marks)
        outcomes = sorted({fb.labels[c] for c in np.unique(ob)} | {fa.labels[c] for c in np.unique(oa)})
        edges, eb, ea = _supported_edges(fb, fa)
        return cls(work_keys, outcomes, _top_variants(before, after), edges, eb, ea, ob, oa)

    def sample(self, log: EventLog, facts: LogFacts, work: dict[str, np.ndarray],
               occurrences: list[np.ndarray | None], outcome: np.ndarray) -> CaseSample:
        """One log's CaseSample in this layout; `occurrences` are per-case flags (None: all False)."""
        n = facts.n_cases
        dense = [work[k] for k in self.work_keys]
        dense += [np.zeros(n) if o is None else o.astype(float) for o in occurrences]
        oi = {k: i for i, k in enumerate(self.outcomes)}
        cs, cc, cv = [np.arange(n)], [np.array([oi.get(x, -1) for x in facts.labels], dtype=np.int64)[outcome]], [np.ones(n)]
        vi = {t: i for i, t in enumerate(self.variants)}
        vmap = np.array([vi.get(t, -1) for t in log.variants.traces], dtype=np.int64)
        vcol = vmap[log.variants.case_variant.to_numpy()]
        keep = vcol >= 0
        cs.append(np.flatnonzero(keep))
        cc.append(len(self.outcomes) + vcol[keep])
        cv.append(np.ones(int(keep.sum())))
        pc, pe, pn = _edge_pairs(facts)
        A = max(facts.n_activities, 1)
        ei = {k: i for i, k in enumerate(self.edges)}
        lut = np.full(A * A, -1, dtype=np.int64)  # edge code -> column, built over distinct edges only
        for code in np.unique(pe).tolist():
            lut[code] = ei.get((facts.labels[code // A], facts.labels[code % A]), -1)
        col = lut[pe]
        ok = col >= 0
        cs.append(pc[ok])
        cc.append(len(self.outcomes) + len(self.variants) + col[ok])
        cv.append(pn[ok].astype(float))
        q = facts.durations_s
        return CaseSample(
            n=n,
            dense=np.column_stack(dense) if dense else np.zeros((n, 0)),
            quantile_values=[q, q],
            quantile_levels=[0.5, 0.9],
            sparse_case=np.concatenate(cs).astype(np.int64),
            sparse_col=np.concatenate(cc).astype(np.int64),
            sparse_val=np.concatenate(cv),
            sparse_k=len(self.outcomes) + len(self.variants) + len(self.edges),
        )


def _edge_pairs(facts: LogFacts) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (case, edge code) pairs with their counts, edge code = src * A + dst."""
    A = max(facts.n_activities, 1)
    has = facts.next_act >= 0
    key = facts.case[has] * (A * A) + facts.act[has] * A + facts.next_act[has]
    uniq, cnt = np.unique(key, return_counts=True)
    return uniq // (A * A), uniq % (A * A), cnt


def _outcome_marks(facts: LogFacts) -> set[str]:
    """Steps that decide how a case ends: exclusive alternatives (approve/reject), the final act
    (the last signature or approval), and refusals named as such."""
    from gosupr.mining.waste import words

    acts = set(facts.outcome_alternatives) | set(facts.final_acts)
    acts |= {a for a, x in enumerate(facts.labels) if words.is_reject(x) and words.essential_role(x) == "outcome"}
    return {facts.labels[a] for a in acts}


def _outcome_codes(facts: LogFacts, marks: set[str]) -> np.ndarray:
    """Per case, its outcome: the last outcome step it took (see `_outcome_marks`, from either
    log), else its last activity."""
    out = facts.last_act.copy()
    is_mark = np.array([x in marks for x in facts.labels], dtype=bool)
    idx = np.flatnonzero(is_mark[facts.act]) if len(is_mark) else np.zeros(0, dtype=np.int64)
    if len(idx):
        c = facts.case[idx]
        last = idx[np.r_[c[1:] != c[:-1], True]]
        out[facts.case[last]] = facts.act[last]
    return out


def outcome_counts(facts: LogFacts, codes: np.ndarray) -> dict[str, int]:
    c = np.bincount(codes, minlength=facts.n_activities)
    return {facts.labels[i]: int(c[i]) for i in np.flatnonzero(c)}


def _top_variants(before: EventLog, after: EventLog) -> list[tuple[str, ...]]:
    """The top variants of either log (by cases) that enough cases of either log follow."""
    keys: list[tuple[str, ...]] = []
    counts: dict[tuple[str, ...], int] = {}
    for log in (before, after):
        v = log.variants
        for t, c in zip(v.traces, v.counts.tolist()):
            counts[t] = max(counts.get(t, 0), c)
        keys += [t for t, c in zip(v.traces[:TOP_VARIANTS], v.counts[:TOP_VARIANTS].tolist()) if c >= MIN_SUPPORT]
    return list(dict.fromkeys(keys))


def _supported_edges(fb: LogFacts, fa: LogFacts) -> tuple[list[tuple[str, str]], dict, dict]:
    """Directly-follows edges (by labels) that at least MIN_SUPPORT cases of either log take."""
    def cases(facts: LogFacts) -> dict[tuple[str, str], int]:
        e = facts.edges
        return {(facts.labels[s], facts.labels[d]): int(c) for s, d, c in zip(e.src.tolist(), e.dst.tolist(), e.cases.tolist())}

    cb, ca = cases(fb), cases(fa)
    keys = sorted(k for k in set(cb) | set(ca) if max(cb.get(k, 0), ca.get(k, 0)) >= MIN_SUPPORT)
    return keys, cb, ca


