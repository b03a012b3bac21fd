"""Finding: one piece of waste or one model defect, with the evidence behind it."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, overload

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


@dataclass(frozen=True)
class Findings(Sequence[Finding]):
    """The findings of one log or model, in the order given (worst first), with their counts.

    The one place findings are counted by kind and severity: the findings document, the batch
    summary and the public API all read `by_kind`/`by_severity`/`counts()` from here, so a new
    kind is counted the same way everywhere. A sequence, so it reads like the list it wraps.
    `source` names the log or model they came from (a file name, never an absolute path).
    """

    items: tuple[Finding, ...] = ()
    source: str = ""

    @classmethod
    def of(cls, findings: Iterable[Finding], source: str = "") -> Findings:
        return findings if isinstance(findings, Findings) and not source else cls(tuple(findings), source)

    @overload
    def __getitem__(self, i: int) -> Finding: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[Finding]: ...
    def __getitem__(self, i: int | slice) -> Finding | Sequence[Finding]:
        return self.items[i]

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[Finding]:
        return iter(self.items)

    @property
    def by_kind(self) -> dict[str, int]:
        """How many findings of each kind, kinds in name order (only kinds present)."""
        return dict(sorted(Counter(f.kind for f in self.items).items()))

    @property
    def by_severity(self) -> dict[str, int]:
        """How many of each severity, every severity present (zeros included) for stable tables."""
        counts = Counter(f.severity for f in self.items)
        return {s: counts.get(s, 0) for s in SEVERITIES}

    @property
    def removable(self) -> list[Finding]:
        """The findings the evidence says can go (what `reduce` applies by default)."""
        return [f for f in self.items if f.removable]

    def of_kind(self, *kinds: str) -> Findings:
        """Only the findings of these kinds, in the same order."""
        return Findings(tuple(f for f in self.items if f.kind in kinds), self.source)

    def counts(self) -> dict[str, Any]:
        """Totals by kind and severity: the `findings` block of a batch summary row."""
        return {"total": len(self.items), "removable": len(self.removable), "by_kind": self.by_kind,
                "by_severity": self.by_severity}

    def to_list(self) -> list[dict[str, Any]]:
        """Each finding as its JSON dict (the `findings` list of the gosupr.findings document)."""
        return [f.to_dict() for f in self.items]
