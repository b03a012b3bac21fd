"""What each whole job returns: plain dataclasses the pipeline fills and the renderers read.

They live below `report` and `pipeline` so a renderer can name the result it draws without
importing the code that computes it (report sits under pipeline; see the floors in
docs/architecture). `gosupr.pipeline` and `gosupr` (the public API) re-export them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from gosupr.bpmn.model import ProcessModel
from gosupr.eventlog import EventLog
from gosupr.mining.findings import Finding

if TYPE_CHECKING:
    from gosupr.mining.compare.explain import Explanation
    from gosupr.mining.compare.models import ModelDiff
    from gosupr.mining.conformance.check import CheckResult
    from gosupr.mining.discover import LogSummary
    from gosupr.mining.waste.reduce import Reduction

#: files a job made, written together (all or none) by `fileio.commit` unless the caller stages more
Files = list[tuple[Path, bytes]]


@dataclass
class DiscoverResult:
    """`discover`: the log, its summary, the discovered model, and (when asked) findings and before/after."""

    log: EventLog
    summary: LogSummary
    model: ProcessModel
    output: Path | None
    noise: float
    findings: list[Finding] = field(default_factory=list)
    reduction: Reduction | None = None  # when asked for
    files: Files = field(default_factory=list)  # outputs, written unless commit=False


@dataclass
class AnalyzeResult:
    """Findings of a log (log is set) or of a model (model is set)."""

    source: str
    findings: list[Finding]
    log: EventLog | None = None
    model: ProcessModel | None = None


@dataclass
class ReduceResult:
    """`reduce`: the log read, the reduction, where each output went (None: not asked for)."""

    log: EventLog
    reduction: Reduction
    outputs: dict[str, str | None]
    files: Files = field(default_factory=list)  # outputs, written unless commit=False


@dataclass
class CheckRun:
    """`check`: the log and normative model read, and the conformance result."""

    log: EventLog
    model: ProcessModel
    result: CheckResult


@dataclass
class CompareRun:
    """`compare A.bpmn B.bpmn`: both models as read, their diff, and (when asked) why elements stayed unpaired."""

    before: ProcessModel
    after: ProcessModel
    diff: ModelDiff
    explanation: list[Explanation] | None = None  # with --explain


@dataclass
class Picture:
    """One drawn diagram of `render`: where it goes and its bytes (SVG text as UTF-8, or PNG)."""

    path: Path
    data: bytes
