"""Quality retained by a to-be model: the evidence behind "without loss of quality"."""

from __future__ import annotations

from typing import Any

from ..bpmn.model import ProcessModel
from ..eventlog import EventLog


#: Replay is per variant (~5-10 ms each): a log of 50,000 variants would take minutes. The most
#: frequent variants are replayed first until a cap; the coverage says how many cases the numbers rest on.
def quality_limits() -> Any:
    from .conformance import ReplayLimits

    return ReplayLimits(max_variants=3000, time_budget_s=30.0, chunk=250)


def evaluate_quality(
    to_be: ProcessModel,
    *,
    essential: EventLog,
    today: EventLog,
    alignments_budget_s: float | None = None,
) -> dict[str, Any]:
    """Replay the essential log (today's cases with the waste removed) and today's log on the to-be model.

    - fitness_essential / precision_essential: token-based replay on variants of the essential log;
    - outcome_preserved_share: share of today's cases whose essential path the to-be model allows
      (their waste-free trace replays without a missing or remaining token), among the replayed
      cases; cases filtered out as rare paths count as not preserved;
    - fitness_today: today's log, waste included, against the to-be model: how far today's practice is
      from the reformed process.
    """
    from .conformance import alignment_fitness, as_net, fitness, precision

    net = as_net(to_be)
    limits = quality_limits()
    fit_e = fitness(net, essential, limits=limits)
    prec_e = precision(net, essential, limits=limits)
    fit_t = fitness(net, today, limits=limits)
    # cases filtered out as rare paths never reach the essential log: they are not preserved
    filtered = today.n_cases - essential.n_cases
    replayed = fit_e.coverage.cases_replayed + filtered
    preserved_cases = fit_e.fitting_case_share * fit_e.coverage.cases_replayed
    out: dict[str, Any] = {
        "fitness_essential": round(fit_e.log_fitness, 6),
        "precision_essential": None if prec_e.precision is None else round(prec_e.precision, 6),
        "outcome_preserved_share": round(preserved_cases / replayed, 6) if replayed else None,
        "fitness_today": round(fit_t.log_fitness, 6),
        "method": fit_e.method,
        "coverage": fit_e.coverage.to_dict(),
    }
    if alignments_budget_s:
        al = alignment_fitness(net, essential, time_budget_s=alignments_budget_s)
        out["alignments_essential"] = al.to_dict()
    return out
