"""Did the reform happen? BEFORE and AFTER logs compared figure by figure, with bootstrap intervals.

Every figure is a statistic of per-case values (see `bootstrap`): steps per case, case duration
(median, P90), hand-overs between departments, staff time (where the log allows an estimate that
is not just the case's waiting), the share of cases per outcome (the last outcome step a case took,
approve/refuse or sign/reject, else its last activity), the shares of the
top variants, directly-follows edges per case, and, when a plan is given, the share of cases in
which each planned removal still occurs. Cases of each log are resampled independently with a
fixed seed, so a run is deterministic.

Significance is decided for the whole family of figures at once: a change is significant when its
95% interval excludes zero *and* its p-value (from the bootstrap standard error) survives the
Holm–Bonferroni step-down, at alpha/2 over the work figures (steps, durations, hand-overs, staff
time) and at alpha/2 over all the others (outcomes, variants, edges, new waste). So the chance that
two samples of one process show any significant change is at most `alpha` (5%), whatever the
dependence between figures. Planned removals form their own family, judged the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from gosupr.errors import GosuprError
from gosupr.eventlog import CASE, DEPARTMENT, TIMESTAMP, EventLog
from gosupr.mining.compare.bootstrap import (
    DEFAULT_REPLICATES,
    bootstrap,
    holm,
    normal_p_values,
    percentile_interval,
    two_sample_rngs,
)
from gosupr.mining.compare.effect_plan import PlannedRemoval, occurs, removal_of
from gosupr.mining.compare.effect_sample import MIN_SUPPORT, Layout, outcome_counts, work_columns
from gosupr.mining.waste.facts import LogFacts

SCHEMA = "gosupr.effect/1"
MIN_CASES = 20  # fewer cases in either log: figures are shown, significance is not decided
RESIDUAL = 0.05  # a removal is realised when at most this share of AFTER cases still shows it


@dataclass
class Figure:
    """One compared figure: BEFORE, AFTER, the change with its interval, and the verdict."""

    key: str  # steps_per_case, case_duration_median_s, ..., outcome, variant, edge, pattern
    group: str  # work | outcome | variant | edge | pattern
    name: str = ""  # the outcome, edge "a → b", variant trace or finding it is about
    before: float | None = None
    after: float | None = None
    change: float | None = None
    low: float | None = None
    high: float | None = None
    p: float | None = None
    tested: bool = False
    significant: bool = False
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def relative(self) -> float | None:
        if self.before in (None, 0) or self.change is None:
            return None
        return self.change / self.before

    def to_dict(self) -> dict[str, Any]:
        d = {k: getattr(self, k) for k in ("key", "group", "name", "before", "after", "change", "low", "high", "p",
                                           "tested", "significant")}
        d["relative"] = self.relative
        if self.detail:
            d["detail"] = self.detail
        return d


@dataclass
class Realisation:
    """One planned removal: the share of cases still showing it, before and after, and the verdict."""

    removal: PlannedRemoval
    figure: Figure
    verdict: str  # realised | partial | not_realised | insufficient_evidence

    def to_dict(self) -> dict[str, Any]:
        f = self.figure
        return {**self.removal.to_dict(), "verdict": self.verdict, "share_before": f.before, "share_after": f.after,
                "change": f.change, "low": f.low, "high": f.high, "p": f.p,
                "cases_before": f.detail.get("cases_before"), "cases_after": f.detail.get("cases_after")}


@dataclass
class PlanResult:
    source: str
    removals: list[Realisation]

    @property
    def planned(self) -> int:
        return len(self.removals)

    @property
    def realised(self) -> int:
        return sum(r.verdict == "realised" for r in self.removals)

    @property
    def assessed(self) -> int:
        return sum(r.verdict != "insufficient_evidence" for r in self.removals)

    @property
    def realised_share(self) -> float | None:
        return self.realised / self.assessed if self.assessed else None

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "planned": self.planned, "assessed": self.assessed, "realised": self.realised,
                "realised_share": self.realised_share, "removals": [r.to_dict() for r in self.removals]}


@dataclass
class Effect:
    """BEFORE against AFTER: figures, outcome shift, the plan's realisation, waste and conformance."""

    before: dict[str, Any]  # name, cases, events, start, end
    after: dict[str, Any]
    figures: list[Figure]
    outcome_tv: dict[str, float | None]
    replicates: int
    seed: int
    alpha: float
    plan: PlanResult | None = None
    appeared: list[Figure] = field(default_factory=list)  # waste new in AFTER, tested against BEFORE
    gone: list[dict[str, Any]] = field(default_factory=list)  # BEFORE findings AFTER no longer shows
    conformance: dict[str, Any] | None = None
    split: dict[str, Any] | None = None
    edges_compared: int = 0
    notes: list[str] = field(default_factory=list)  # codes: missing:<figure>, insufficient_evidence
    durations: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)  # for charts

    def figure(self, key: str) -> Figure | None:
        return next((f for f in self.figures if f.key == key), None)

    def by_group(self, group: str) -> list[Figure]:
        return [f for f in self.figures if f.group == group]

    def to_dict(self) -> dict[str, Any]:
        return {
            "before": self.before, "after": self.after, "split": self.split,
            "method": {"bootstrap": "cases resampled independently in each log", "replicates": self.replicates,
                       "seed": self.seed, "interval": "95% percentile", "family_alpha": self.alpha,
                       "significance": "interval excludes 0 and Holm-Bonferroni: alpha/2 over work figures, alpha/2 over the rest",
                       "min_cases": MIN_CASES, "min_support": MIN_SUPPORT},
            "figures": [f.to_dict() for f in self.figures if f.group != "edge" or f.significant],
            "edges_compared": self.edges_compared,
            "outcome_tv": self.outcome_tv,
            "plan": self.plan.to_dict() if self.plan else None,
            "waste": {"appeared": [f.to_dict() for f in self.appeared if f.significant],
                      "candidates": [f.to_dict() for f in self.appeared if not f.significant],
                      "gone": self.gone},
            "conformance": self.conformance,
            "notes": self.notes,
        }


# -- splitting one log ------------------------------------------------------------------------------
def split_at(log: EventLog, at: datetime | pd.Timestamp) -> tuple[EventLog, EventLog]:
    """Cases starting before `at`, and the others: two periods of one continuous export."""
    starts, lengths = log.case_bounds
    first = log.df[TIMESTAMP].to_numpy()[starts]
    early = first < np.datetime64(pd.Timestamp(at).to_datetime64(), "ns")
    per_event = np.repeat(early, lengths)
    ts = pd.Timestamp(at)
    when = ts.strftime("%Y-%m-%d" if ts == ts.normalize() else "%Y-%m-%d %H:%M:%S")
    before = log.subset(per_event, name=f"{log.name} < {when}")
    after = log.subset(~per_event, name=f"{log.name} ≥ {when}")
    for part, what in ((before, "before"), (after, "after")):
        if part.n_cases == 0:
            raise GosuprError(f"no case starts {what} {pd.Timestamp(at).date()}; choose a date inside "
                              f"{log.audit.start} … {log.audit.end}", path=log.audit.source)
    return before, after


def split_by(log: EventLog, period: EventLog, column: str) -> tuple[EventLog, EventLog, dict[str, Any]]:
    """Two periods named by a column's value (at each case's first event) in `period`, the same
    file read with that column as its department. The period whose cases start earlier is BEFORE;
    cases without a value are left out and counted."""
    starts, _ = period.case_bounds
    value = period.df[DEPARTMENT].astype(str).to_numpy()[starts]
    case_ids = period.df[CASE].to_numpy()[starts]
    named = value != ""
    kinds = sorted(set(value[named].tolist()))
    if len(kinds) != 2:
        shown = ", ".join(f"«{k}»" for k in kinds[:5]) + (" …" if len(kinds) > 5 else "")
        raise GosuprError(f"--split-by {column}: needs exactly two values to compare, found {len(kinds)} ({shown}); "
                          f"use --split-at DATE or a column with two periods", path=log.audit.source)
    first = period.df[TIMESTAMP].to_numpy()[starts]
    early = [np.median(first[named & (value == k)].astype("int64")) for k in kinds]
    b_value, a_value = kinds if early[0] <= early[1] else kinds[::-1]
    period_of = pd.Series(value, index=case_ids)
    per_event = period_of.reindex(log.df[CASE].to_numpy()).to_numpy()
    before = log.subset(per_event == b_value, name=f"{log.name}: {b_value}")
    after = log.subset(per_event == a_value, name=f"{log.name}: {a_value}")
    info = {"by": column, "before": b_value, "after": a_value, "cases_without_value": int((~named).sum())}
    return before, after, info


# -- the comparison -------------------------------------------------------------------------------
def compare_logs(
    before: EventLog,
    after: EventLog,
    *,
    plan: list[PlannedRemoval] | None = None,
    plan_source: str = "",
    model: Any = None,
    analyze_config: Any = None,
    replicates: int = DEFAULT_REPLICATES,
    seed: int = 0,
    alpha: float = 0.05,
    waste: bool = True,
) -> Effect:
    """Every figure of BEFORE and AFTER with the change, its 95% interval and a family-wise verdict."""
    if before.n_cases == 0 or after.n_cases == 0:
        empty = before if before.n_cases == 0 else after
        raise GosuprError("the log has no cases to compare; check the file or the split", path=empty.audit.source)
    fb, fa = LogFacts.of(before), LogFacts.of(after)
    wb, wa = work_columns(before, fb), work_columns(after, fa)
    work_keys = [k for k in wb if k in wa]
    notes: list[str] = []
    for k in ("department_handovers_per_case", "staff_hours_per_case"):
        if k not in work_keys:
            notes.append(f"missing:{k}")  # no departments, or no resources/start times for staff time

    # waste: findings in each log; the ones new in AFTER are tested against BEFORE
    found_b, found_a, new, gone = [], [], [], []
    if waste:
        from gosupr.mining.waste.analyze import analyze_log

        found_b, found_a = analyze_log(before, analyze_config, fb), analyze_log(after, analyze_config, fa)
        new, gone = _new_and_gone(found_b, found_a)
    plan = list(plan or [])
    patterns: list[tuple[str, str, PlannedRemoval, np.ndarray | None, np.ndarray | None]] = []
    for r in plan:
        patterns.append(("plan", "", r, occurs(fb, r.kind, r.activities, r.removal), occurs(fa, r.kind, r.activities, r.removal)))
    for f, r in new:
        ob = occurs(fb, r.kind, r.activities, r.removal) if r else None
        oa = occurs(fa, r.kind, r.activities, r.removal) if r else None
        patterns.append(("pattern", f.kind, r, ob, oa))

    lay = Layout.of(before, after, fb, fa, work_keys)
    occ_b = [ob for _, _, _, ob, _ in patterns]
    occ_a = [oa for _, _, _, _, oa in patterns]
    sb, sa = lay.sample(before, fb, wb, occ_b, lay.outcome_b), lay.sample(after, fa, wa, occ_a, lay.outcome_a)
    rb, ra = two_sample_rngs(seed)
    pb, Rb = bootstrap(sb, replicates, rb)
    pa, Ra = bootstrap(sa, replicates, ra)
    change, D = pa - pb, Ra - Rb
    lo, hi = percentile_interval(D)
    pv = normal_p_values(change, D)

    def fig(j: int, key: str, group: str, name: str = "", **detail: Any) -> Figure:
        return Figure(key, group, name, _f(pb[j]), _f(pa[j]), _f(change[j]), _f(lo[j]), _f(hi[j]), _f(pv[j]),
                      detail=detail)

    figures: list[Figure] = []
    nd = len(work_keys)
    for j, k in enumerate(work_keys):
        figures.append(fig(j, k, "work"))
    plan_figs, pattern_figs = [], []
    for i, (what, kind, r, ob, oa) in enumerate(patterns):
        f = fig(nd + i, what, what, " → ".join(r.activities) if r else kind,
                cases_before=int(ob.sum()) if ob is not None else None,
                cases_after=int(oa.sum()) if oa is not None else None)
        f.tested = ob is not None and oa is not None
        (plan_figs if what == "plan" else pattern_figs).append(f)
    j0 = nd + len(patterns)
    figures.insert(1, fig(j0, "case_duration_median_s", "work"))
    figures.insert(2, fig(j0 + 1, "case_duration_p90_s", "work"))
    for f in figures:
        f.tested = True
    j0 += 2
    n_out = len(lay.outcomes)
    ob_counts, oa_counts = outcome_counts(fb, lay.outcome_b), outcome_counts(fa, lay.outcome_a)
    for i, k in enumerate(lay.outcomes):
        f = fig(j0 + i, "outcome", "outcome", k, cases_before=ob_counts.get(k, 0), cases_after=oa_counts.get(k, 0))
        f.tested = max(ob_counts.get(k, 0), oa_counts.get(k, 0)) >= MIN_SUPPORT
        figures.append(f)
    tv = _tv(pb[j0 : j0 + n_out], pa[j0 : j0 + n_out], Rb[:, j0 : j0 + n_out], Ra[:, j0 : j0 + n_out])
    j0 += n_out
    for i, t in enumerate(lay.variants):
        f = fig(j0 + i, "variant", "variant", " → ".join(t), trace=list(t), steps=len(t), number=f"V{i + 1}")
        f.tested = True
        figures.append(f)
    j0 += len(lay.variants)
    for i, (s, d) in enumerate(lay.edges):
        f = fig(j0 + i, "edge", "edge", f"{s} → {d}", source=s, target=d,
                cases_before=lay.edge_cases_b.get((s, d), 0), cases_after=lay.edge_cases_a.get((s, d), 0))
        f.tested = True
        figures.append(f)
    for f in pattern_figs:
        f.tested = f.tested and max(f.detail["cases_before"], f.detail["cases_after"]) >= MIN_SUPPORT

    decided = before.n_cases >= MIN_CASES and after.n_cases >= MIN_CASES
    if not decided:
        notes.append("insufficient_evidence")
        for f in [*figures, *pattern_figs, *plan_figs]:
            f.tested = False
    # half the error budget for the headline work figures, half for everything else (outcomes,
    # variants, edges, new waste), so dozens of edges do not drown the few figures read first
    _decide([f for f in figures if f.group == "work"], alpha / 2, decided)
    _decide([f for f in figures if f.group != "work"] + pattern_figs, alpha / 2, decided)
    _decide(plan_figs, alpha, decided)
    for f in pattern_figs:  # only an increase is new waste
        f.significant = f.significant and (f.change or 0) > 0

    res = Effect(
        before=_info(before), after=_info(after), figures=figures, outcome_tv=tv, replicates=replicates,
        seed=seed, alpha=alpha, appeared=pattern_figs, gone=gone, edges_compared=len(lay.edges), notes=notes,
        durations=(fb.durations_s, fa.durations_s),
    )
    for f, (_, kind, r, _, _) in zip(pattern_figs, patterns[len(plan):]):
        f.detail["kind"] = kind
        if r is not None:
            f.detail["activities"] = list(r.activities)
    if plan:
        res.plan = PlanResult(plan_source, [Realisation(r, f, _verdict(f, decided)) for r, f in zip(plan, plan_figs)])
    if model is not None:
        res.conformance = _conformance(model, before, after)
    return res


def _f(x: Any) -> float | None:
    return None if x is None or not np.isfinite(x) else float(x)


def _info(log: EventLog) -> dict[str, Any]:
    import os

    a = log.audit
    return {"name": log.name, "source": os.path.basename(str(a.source)), "cases": log.n_cases, "events": log.n_events,
            "start": a.start, "end": a.end}


def _tv(pb: np.ndarray, pa: np.ndarray, Rb: np.ndarray, Ra: np.ndarray) -> dict[str, float | None]:
    """Total-variation distance of the outcome shares, with a bias-corrected bootstrap interval.

    The plug-in distance is never negative, so sampling noise alone makes it positive, and its
    replicates (noise on noise) more so. The replicates' excess over the estimate measures that
    bias; the interval is the replicates' 2.5–97.5% range moved down by it (clipped at 0), so its
    lower bound is near 0 when the outcomes did not move and tracks the shift when they did.
    """
    if not len(pb):
        return {"value": None, "low": None, "high": None}
    theta = 0.5 * float(np.abs(pa - pb).sum())
    reps = 0.5 * np.abs(Ra - Rb).sum(axis=1)
    bias = float(reps.mean()) - theta
    q_lo, q_hi = np.quantile(reps, [0.025, 0.975])
    return {"value": theta, "low": float(max(0.0, q_lo - bias)), "high": float(max(0.0, q_hi - bias))}


def _decide(figs: list[Figure], alpha: float, decided: bool) -> None:
    """Significant: tested, interval excludes 0, and Holm over the tested figures of this family."""
    tested = [f for f in figs if f.tested and f.p is not None]
    if not decided or not tested:
        return
    reject = holm(np.array([f.p for f in tested]), alpha)
    for f, r in zip(tested, reject):
        excl = f.low is not None and f.high is not None and (f.low > 0 or f.high < 0)
        f.significant = bool(r and excl)


def _verdict(f: Figure, decided: bool) -> str:
    if not f.tested or not decided or (f.detail.get("cases_before") or 0) < MIN_SUPPORT:
        return "insufficient_evidence"
    if f.significant and (f.change or 0) < 0:
        return "realised" if (f.after or 0) <= RESIDUAL else "partial"
    return "not_realised"


def _new_and_gone(found_b: list, found_a: list) -> tuple[list, list[dict[str, Any]]]:
    """AFTER findings BEFORE did not report (with the pattern to test), and BEFORE findings AFTER lost."""
    def key(f: Any) -> tuple[str, frozenset]:
        return f.kind, frozenset(f.activities)

    kb, ka = {key(f) for f in found_b}, {key(f) for f in found_a}
    new = []
    for f in found_a:
        if key(f) in kb or f.evidence.get("between") == "departments":
            continue
        new.append((f, removal_of(f.kind, f.evidence, f.activities)))
    gone = [{"kind": f.kind, "activities": list(f.activities), "cases_before": f.cases} for f in found_b if key(f) not in ka]
    return new, gone


def _conformance(model: Any, before: EventLog, after: EventLog) -> dict[str, Any]:
    """Token-replay fitness of both logs on the to-be model (the AFTER log should fit it)."""
    from gosupr.mining.compare.replay import model_fitness

    out: dict[str, Any] = {"model": getattr(model, "name", "")}
    for side, log in (("before", before), ("after", after)):
        fit, share, n = model_fitness(model, log)
        out[side] = {"fitness": round(fit, 4), "fitting_case_share": round(share, 4), "cases_replayed": n}
    return out
