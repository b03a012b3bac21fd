"""`gosupr check`: is the regulation followed? A log against its normative model and its terms.

One pass: the model becomes a Petri net (our own translation), the log's activities meet the
model's tasks by the same label matching `compare` uses, variants are aligned most frequent first
within a time budget (what the budget left out is stated as coverage), deviations are spread back
over cases and departments, mandatory steps are checked, and every term is measured on every case
in working or calendar days.
"""

from __future__ import annotations

import difflib
import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from gosupr.bpmn.model import ProcessModel
from gosupr.errors import GosuprError
from gosupr.eventlog import ACTIVITY, EventLog, Variants
from gosupr.mining.compare.matching import ActivityMatch, normalise_label
from gosupr.mining.conformance.align import AlignmentResult, summarise_alignments
from gosupr.mining.conformance.deviations import SKIPPED, Deviation, aggregate, case_deviations
from gosupr.mining.conformance.terms import TermResult, measure_term
from gosupr.regulation import Regulation

SCHEMA = "gosupr.check/1"
ALGORITHM = "dijkstra_less_memory"  # pm4py alignments: optimal like its A*, far faster on silent-rich nets


@dataclass
class MandatoryResult:
    """One `mandatory` pattern: the model tasks it names and the aligned cases that skipped them."""

    pattern: str
    steps: list[str]
    cases_skipped: int
    share: float

    def to_dict(self) -> dict[str, Any]:
        return {"pattern": self.pattern, "steps": self.steps, "cases_skipped": self.cases_skipped,
                "share": round(self.share, 6)}


@dataclass
class CheckResult:
    log_name: str
    model_name: str
    cases: int
    events: int
    fitness: AlignmentResult
    matching: ActivityMatch
    deviations: list[Deviation]
    mandatory: list[MandatoryResult]
    terms: list[TermResult]
    per_case: pd.DataFrame  # case_id, kind, activity, department
    calendar: str
    nonconforming_cases: int = 0
    regulation_source: str | None = None

    @property
    def coverage_share(self) -> float:
        c = self.fitness.coverage
        return c.cases_replayed / c.cases if c.cases else 1.0

    @property
    def mandatory_skipped(self) -> int:
        """Aligned cases that skipped at least one mandatory step."""
        if self.per_case.empty:
            return 0
        m = self.per_case[(self.per_case["kind"] == SKIPPED) & self.per_case["mandatory"]]
        return int(m["case_id"].nunique())

    def overdue_share(self) -> float:
        """The largest share of measured cases over any one term."""
        return max((t.share_over for t in self.terms), default=0.0)


def check_log(
    log: EventLog,
    model: ProcessModel,
    regulation: Regulation | None = None,
    *,
    time_budget_s: float = 60.0,
    model_name: str = "model",
) -> CheckResult:
    """Deviations, fitness (alignments, with coverage), mandatory steps and terms of `log` against
    the normative `model` and `regulation`. Regulation steps that name nothing are errors (exit 2)
    raised before any alignment runs."""
    from gosupr.mining.compare.matching import match_activities
    from gosupr.mining.conformance.align import align_variants
    from gosupr.mining.conformance.replay import as_net, visible_labels
    from gosupr.workdays import russian_calendar

    reg = regulation or Regulation()
    net = as_net(model, log)
    labels = visible_labels(net[0])
    match = match_activities(log.activities, labels)
    rename = match.rename
    cats = log.df[ACTIVITY].cat.categories
    # the log's activity codes, with each category spelled as its model task (matching is one-to-one)
    names = pd.Categorical.from_codes(
        log.df[ACTIVITY].cat.codes.to_numpy(), categories=[rename.get(a, a) for a in cats], validate=False
    )
    src = reg.source

    mand = {p: resolve_steps(p, labels, "mandatory", src, "not a task of the model") for p in reg.mandatory}
    all_names = set(labels) | set(names.categories)
    steps = {t.key: (_resolve(t.start, all_names, t.key, src), _resolve(t.end, all_names, t.key, src)) for t in reg.terms}

    base = log.variants
    variants = Variants([tuple(rename.get(a, a) for a in t) for t in base.traces], base.counts, base.case_variant)
    al = align_variants(net, variants, time_budget_s=time_budget_s, algorithm=ALGORITHM)
    fit = summarise_alignments(al)
    mandatory_steps = {s for hit in mand.values() for s in hit}
    per_case = case_deviations(log, variants, al.variants, labels)
    per_case["mandatory"] = per_case["activity"].isin(mandatory_steps).to_numpy(dtype=bool)
    aligned_cases = fit.coverage.cases_replayed
    devs = aggregate(per_case, aligned_cases, mandatory_steps)
    mres = []
    for p, hit in mand.items():
        sk = per_case[(per_case["kind"] == SKIPPED) & per_case["activity"].isin(hit)]["case_id"].nunique()
        mres.append(MandatoryResult(p, hit, int(sk), sk / aligned_cases if aligned_cases else 0.0))

    cal = russian_calendar(reg.extra_holidays, reg.extra_working_days)
    terms = [measure_term(log, names, t, *steps[t.key], cal) for t in reg.terms]
    bad = set(per_case["case_id"].tolist())
    for t in terms:
        if t.per_case is not None:
            bad |= set(t.per_case.loc[t.per_case["overrun"] > 0, "case_id"].tolist())
    return CheckResult(
        log_name=log.name, model_name=model_name, cases=log.n_cases, events=log.n_events, fitness=fit,
        matching=match, deviations=devs, mandatory=mres, terms=terms, per_case=per_case, calendar=cal.source,
        nonconforming_cases=len(bad), regulation_source=src,
    )


def _resolve(pattern: str | None, names: set[str], key: str, source: str | None) -> list[str]:
    return [] if pattern is None else resolve_steps(pattern, names, key, source)


def matches_any(name: str, patterns: list[str]) -> bool:
    """Whether a step name falls under any mandatory pattern (for reduce's protection)."""
    return any(matches_pattern(name, p) for p in patterns)


def matches_pattern(name: str, pattern: str) -> bool:
    """A step name against a mandatory/term pattern: normalised label equality or a glob on it."""
    n, p = normalise_label(name), normalise_label(pattern)
    return n == p or (any(c in p for c in "*?[") and fnmatch.fnmatchcase(n, p))


def resolve_steps(
    pattern: str, names: Iterable[str], key: str, source: str | None,
    where: str = "neither a task of the model nor an activity of the log",
) -> list[str]:
    """The names a pattern stands for: exact (normalised) names, a glob, or else the one name it
    begins. None found is an error naming the key and `where` the step was looked for."""
    names = sorted(set(names))
    hit = [n for n in names if matches_pattern(n, pattern)]
    if not hit and not any(c in pattern for c in "*?["):
        p = normalise_label(pattern)
        starts = [n for n in names if normalise_label(n).startswith(p + " ")]
        if len(starts) == 1:
            hit = starts
    if not hit:
        close = difflib.get_close_matches(pattern, names, n=1, cutoff=0.6)
        hint = f" (did you mean «{close[0]}»?)" if close else ""
        raise GosuprError(
            f"'regulation.{key}': step «{pattern}» is {where}{hint}",
            path=source,
        )
    return hit
