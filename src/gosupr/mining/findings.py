"""Finding: one piece of waste or one model defect, with the evidence behind it."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

SEVERITIES = ("high", "medium", "low")
#: removable: positive evidence, applied by reduce; insufficient_evidence: too few cases or an
#: interval that straddles the margin; outcomes_differ: the evidence says it matters; protected:
#: it would touch a protected step; periodic: it would cut a regular repeat (monitoring,
#: instalments, reminders); informational: a kind that never removes anything
VERDICTS = ("removable", "insufficient_evidence", "outcomes_differ", "protected", "periodic", "informational")


@dataclass
class Finding:
    """One flagged thing. Data, not text: `message` is the English sentence, renderers may re-word.

    `activities` are labels in process order; `elements` are model element ids (model rules).
    `time_cost_s` is the median time it adds per affected case (None where the log has no times).
    `verdict` says why it is or is not removable (VERDICTS); `reason` words a "no" for people.
    `events_removed` / `cases_touched` are what taking it out removes from the log (its own
    occurrences only; 0 when it is not applied), filled in by `waste_removal.scope_findings`.
    """

    kind: str
    activities: list[str]
    cases: int = 0
    case_share: float = 0.0
    time_cost_s: float | None = None
    severity: str = "low"
    removable: bool = False
    evidence: dict[str, Any] = field(default_factory=dict)
    message: str = ""
    elements: list[str] = field(default_factory=list)
    verdict: str = "informational"
    reason: str = ""
    events_removed: int = 0
    cases_touched: int = 0
    removed_by_activity: dict[str, int] = field(default_factory=dict)

    def sort_key(self) -> tuple:
        """Worst first: severity, then total time cost, then cases, then a stable tie-break."""
        total = (self.time_cost_s or 0.0) * self.cases
        return (SEVERITIES.index(self.severity), -total, -self.cases, self.kind, tuple(self.activities), tuple(self.elements))

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["case_share"] = round(float(self.case_share), 6)
        if self.time_cost_s is not None:
            d["time_cost_s"] = round(float(self.time_cost_s), 3)
        d["evidence"] = _clean(self.evidence)
        return d


def _clean(v: Any) -> Any:
    """JSON-safe, deterministic evidence (numpy scalars, NaN, tuples, sets)."""
    if isinstance(v, dict):
        return {str(k): _clean(x) for k, x in sorted(v.items(), key=lambda kv: str(kv[0]))}
    if isinstance(v, (list, tuple)):
        return [_clean(x) for x in v]
    if isinstance(v, set):
        return sorted(_clean(x) for x in v)
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):
        v = v.item()
    if isinstance(v, float):
        return None if math.isnan(v) or math.isinf(v) else round(v, 6)
    return v


def severity_for(case_share: float, time_cost_s: float | None, median_case_s: float | None) -> str:
    """High when it touches many cases or costs a large part of a typical case."""
    cost_ratio = (time_cost_s or 0.0) / median_case_s if median_case_s else 0.0
    weight = case_share * (1.0 + 4.0 * min(cost_ratio, 1.0))
    if weight >= 0.4 or (case_share >= 0.2 and cost_ratio >= 0.25):
        return "high"
    if weight >= 0.1:
        return "medium"
    return "low"


def sort_findings(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=Finding.sort_key)
