"""Whole jobs as plain functions: what a command does, callable from Python, tests and batch."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .bpmn.model import ProcessModel
from .eventlog import EventLog
from .mining.discover import LogSummary
from .stages import stage


@dataclass
class DiscoverResult:
    log: EventLog
    summary: LogSummary
    model: ProcessModel
    output: Path | None
    noise: float
    findings: list[Any] = field(default_factory=list)
    reduction: Any = None  # mining.reduce.Reduction, when asked for
    files: list[tuple[Path, bytes]] = field(default_factory=list)  # outputs, written unless commit=False


@dataclass
class AnalyzeResult:
    """Findings of a log (log is set) or of a model (model is set)."""

    source: str
    findings: list[Any]
    log: EventLog | None = None
    model: ProcessModel | None = None


def is_bpmn(path: str | os.PathLike) -> bool:
    return str(path).lower().endswith((".bpmn", ".bpmn2", ".bpmn20.xml"))


def run_discover(
    log_path: str | os.PathLike,
    output: str | os.PathLike | None,
    *,
    noise: float = 0.2,
    columns: Any = None,
    analyze_config: Any = None,
    with_findings: bool = True,
    with_reduction: bool = True,
    commit: bool = True,
    allow_huge_cases: bool = False,
    timezone: str | None = None,
) -> DiscoverResult:
    """Ingest, discover, write the BPMN (atomically, never over the input); then findings and before/after.

    With commit=False the BPMN is only staged in `files`, for the caller to write together with
    its own outputs (`fileio.commit`: all or none).
    """
    from .bpmn.writer import to_xml
    from .fileio import check_outputs
    from .mining.analyze import analyze_log
    from .mining.discover import discover_model, summarize
    from .mining.reduce import reduce_process

    check_outputs({"-o": output}, [log_path])
    log = _read(log_path, columns, allow_huge_cases, timezone)
    stage("discover")
    model = discover_model(log, noise=noise)
    res = DiscoverResult(log=log, summary=summarize(log), model=model, output=Path(output) if output else None, noise=noise)
    if with_findings or with_reduction:
        stage("analyze")
        res.findings = analyze_log(log, analyze_config)
    if with_reduction:
        stage("reduce")
        res.reduction = reduce_process(log, findings=res.findings, noise=noise, as_is=model)
    if output is not None:
        res.files.append((Path(output), to_xml(model)))
    return _committed(res, commit)


def _read(path: str | os.PathLike, columns: Any, allow_huge_cases: bool, timezone: str | None) -> EventLog:
    from .ingest import read_log

    stage("read")
    return read_log(path, columns, allow_huge_cases=allow_huge_cases, timezone=timezone)


def _committed(res: Any, commit: bool) -> Any:
    if commit:
        from .fileio import commit as write_all

        write_all(res.files)
    return res


def run_analyze(path: str | os.PathLike, *, columns: Any = None, config: Any = None,
                allow_huge_cases: bool = False, timezone: str | None = None) -> AnalyzeResult:
    """Findings for a log, or model-rule findings for a BPMN file."""
    from .mining.analyze import analyze_log, lint_model

    if is_bpmn(path):
        from .bpmn.reader import read_bpmn

        model = read_bpmn(path)
        return AnalyzeResult(source=os.path.basename(str(path)), findings=lint_model(model, config), model=model)
    log = _read(path, columns, allow_huge_cases, timezone)
    stage("analyze")
    return AnalyzeResult(source=os.path.basename(str(path)), findings=analyze_log(log, config), log=log)


@dataclass
class ReduceResult:
    log: EventLog
    reduction: Any
    outputs: dict[str, str | None]
    files: list[tuple[Path, bytes]] = field(default_factory=list)  # outputs, written unless commit=False


def run_reduce(
    log_path: str | os.PathLike,
    output: str | os.PathLike | None,
    *,
    before: str | os.PathLike | None = None,
    accept: list[str] | None = None,
    noise: float = 0.2,
    columns: Any = None,
    analyze_config: Any = None,
    alignments_budget_s: float | None = None,
    commit: bool = True,
    allow_huge_cases: bool = False,
    timezone: str | None = None,
) -> ReduceResult:
    """The to-be process: findings applied, rediscovered, measured; both models written as BPMN
    (all or none; with commit=False only staged in `files`, as in `run_discover`)."""
    from .bpmn.writer import to_xml
    from .fileio import check_outputs
    from .mining.reduce import reduce_process

    check_outputs({"-o": output, "--before": before}, [log_path])
    log = _read(log_path, columns, allow_huge_cases, timezone)
    stage("reduce")
    red = reduce_process(
        log, accept=accept, noise=noise, analyze_config=analyze_config, alignments_budget_s=alignments_budget_s
    )
    res = ReduceResult(
        log=log,
        reduction=red,
        outputs={"to_be": str(output) if output else None, "as_is": str(before) if before else None},
    )
    if before is not None:
        res.files.append((Path(before), to_xml(red.as_is)))
    if output is not None:
        res.files.append((Path(output), to_xml(red.to_be)))
    return _committed(res, commit)
