"""Whole jobs as plain functions: what a command does, callable from Python, tests and batch."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._hold import hold
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
        res.reduction = reduce_process(log, findings=res.findings, noise=noise, as_is=model, analyze_config=analyze_config)
    if output is not None:
        res.files.append((Path(output), to_xml(model)))
    return _committed(res, commit)


def _read(path: str | os.PathLike, columns: Any, allow_huge_cases: bool, timezone: str | None) -> EventLog:
    from .ingest import read_log

    stage("read")
    log = read_log(path, columns, allow_huge_cases=allow_huge_cases, timezone=timezone)
    hold("read")  # tests: a signal mid-run, between ingestion and discovery
    return log


def _committed(res: Any, commit: bool) -> Any:
    if commit:
        from .fileio import commit as write_all

        write_all(res.files)
    return res


def run_analyze(path: str | os.PathLike, *, columns: Any = None, config: Any = None, protect: list[str] | None = None,
                allow_huge_cases: bool = False, timezone: str | None = None) -> AnalyzeResult:
    """Findings for a log, or model-rule findings for a BPMN file; `protect`: glob patterns of steps
    no removal may touch."""
    from .mining.analyze import analyze_log, lint_model

    if is_bpmn(path):
        from .bpmn.reader import read_bpmn

        model = read_bpmn(path)
        return AnalyzeResult(source=os.path.basename(str(path)), findings=lint_model(model, config), model=model)
    log = _read(path, columns, allow_huge_cases, timezone)
    stage("analyze")
    return AnalyzeResult(source=os.path.basename(str(path)), findings=analyze_log(log, config, protect=protect), log=log)


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
    protect: list[str] | None = None,
    to_be_log: str | os.PathLike | None = None,
    commit: bool = True,
    allow_huge_cases: bool = False,
    timezone: str | None = None,
) -> ReduceResult:
    """The to-be process: findings applied, rediscovered, measured; both models as BPMN and the
    to-be log as CSV or Parquet when asked, written all or none (with commit=False only staged in
    `files`, as in `run_discover`). `protect`: glob patterns of steps no removal may touch."""
    from . import tobe_log
    from .bpmn.writer import to_xml
    from .fileio import check_outputs
    from .mining.reduce import reduce_process

    check_outputs({"-o": output, "--before": before, "--to-be-log": to_be_log}, [log_path])
    if to_be_log is not None:
        tobe_log.check_suffix(to_be_log)
    log = _read(log_path, columns, allow_huge_cases, timezone)
    stage("reduce")
    red = reduce_process(
        log, accept=accept, noise=noise, analyze_config=analyze_config, alignments_budget_s=alignments_budget_s,
        protect=protect,
    )
    res = ReduceResult(
        log=log,
        reduction=red,
        outputs={"to_be": str(output) if output else None, "as_is": str(before) if before else None,
                 "to_be_log": str(to_be_log) if to_be_log else None},
    )
    if before is not None:
        res.files.append((Path(before), to_xml(red.as_is)))
    if output is not None:
        res.files.append((Path(output), to_xml(red.to_be)))
    if to_be_log is not None:
        res.files.append((Path(to_be_log), tobe_log.to_bytes(red.essential_log, log.audit.columns, to_be_log)))
    return _committed(res, commit)


def looks_like_bpmn(path: str | os.PathLike) -> bool:
    """A .bpmn name, or XML whose root element is `definitions` (BPMN) whatever the name says."""
    import re

    if is_bpmn(path):
        return True
    try:
        with open(path, "rb") as fh:
            head = fh.read(1 << 16)
    except OSError:
        return False  # read_log names the file and the problem
    body = head.lstrip(b"\xef\xbb\xbf").lstrip()
    body = re.sub(rb"^(<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>|\s+)*", b"", body, flags=re.S)
    m = re.match(rb"<(?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)", body)
    return bool(m and m.group(1) == b"definitions")


def run_effect(
    before: str | os.PathLike,
    after: str | os.PathLike | None,
    *,
    split_at: str | None = None,
    split_by: str | None = None,
    plan: str | os.PathLike | None = None,
    model: str | os.PathLike | None = None,
    columns: Any = None,
    analyze_config: Any = None,
    replicates: int = 1000,
    seed: int = 0,
) -> Any:
    """`compare BEFORE_LOG AFTER_LOG` (or one log cut at `split_at` or by the `split_by` column's two
    values): the reform's realised effect."""
    import pandas as pd

    from .errors import GosuprError
    from .ingest import ColumnMap, read_log
    from .mining.effect import compare_logs
    from .mining.effect import split_at as cut
    from .mining.effect import split_by as cut_by
    from .mining.effect_plan import load_plan

    if (after is None) == (split_at is None and split_by is None) or (split_at and split_by):
        raise GosuprError("give two logs (BEFORE AFTER), or one log with --split-at DATE or --split-by COLUMN")
    log_b = read_log(before, columns)
    split = None
    if split_by is not None:  # the same file again, the period column read as the department
        given = columns.given() if columns is not None else {}
        period = read_log(before, ColumnMap(**{**given, "department": split_by}))
        log_b, log_a, split = cut_by(log_b, period, split_by)
    elif split_at is not None:
        try:
            at = pd.Timestamp(split_at)
        except (ValueError, TypeError):
            at = None
        if at is None or at is pd.NaT:
            raise GosuprError(f"--split-at: '{split_at}' is not a date; write it like 2025-07-01")
        log_b, log_a = cut(log_b, at.tz_localize(None) if at.tzinfo else at)
        split = {"at": at.isoformat(), "by": "case start time"}
    else:
        log_a = read_log(after, columns)  # type: ignore[arg-type]
    planned = load_plan(plan, log_b.activities) if plan is not None else None
    to_be = None
    if model is not None:
        from .bpmn.reader import read_bpmn

        to_be = read_bpmn(model)
    res = compare_logs(log_b, log_a, plan=planned, plan_source=os.path.basename(str(plan)) if plan else "",
                       model=to_be, analyze_config=analyze_config, replicates=replicates, seed=seed)
    res.split = split
    return res


@dataclass
class CheckRun:
    log: EventLog
    model: ProcessModel
    result: Any  # mining.check.CheckResult


def run_check(
    log_path: str | os.PathLike,
    model_path: str | os.PathLike | None,
    *,
    config: str | os.PathLike | None = None,
    columns: Any = None,
    time_budget_s: float = 60.0,
) -> CheckRun:
    """Read the regulation first (a bad file fails before any work), then the model and the log."""
    from .bpmn.reader import read_bpmn
    from .errors import GosuprError
    from .ingest import read_log
    from .mining.check import check_log
    from .regulation import Regulation, load_regulation

    reg = load_regulation(config) if config is not None else Regulation()
    model_path = model_path or reg.model
    if model_path is None:
        raise GosuprError("no normative model: give MODEL.bpmn or set [regulation] model in the --config file")
    model = read_bpmn(model_path)
    log = read_log(log_path, columns)
    res = check_log(log, model, reg, time_budget_s=time_budget_s, model_name=os.path.basename(str(model_path)))
    return CheckRun(log, model, res)


@dataclass
class SummaryDiscoverResult:
    """`discover --engine`: the model and statistics from a `LogSummary`, however it was built."""

    summary: Any  # engines.summary.LogSummary
    run: Any  # engines.RunInfo
    model: ProcessModel
    output: Path | None
    noise: float
    files: list[tuple[Path, bytes]] = field(default_factory=list)


def run_discover_engine(source: str, output: str | os.PathLike | None, *, engine: str, noise: float = 0.2,
                        columns: Any = None, options: Any = None, name: str | None = None,
                        commit: bool = True) -> SummaryDiscoverResult:
    """Summary by `engine` (memory, duckdb, …), then discovery from it; the BPMN staged or written."""
    from .bpmn.writer import to_xml
    from .engines import build_summary
    from .engines.discovery import discover_from_summary

    stage("read")
    summary, run = build_summary(source, engine, columns, options)
    stage("discover")
    model = discover_from_summary(summary, noise=noise, name=name or "log")
    res = SummaryDiscoverResult(summary, run, model, Path(output) if output else None, noise)
    if output is not None:
        res.files.append((Path(output), to_xml(model)))
    return _committed(res, commit)
