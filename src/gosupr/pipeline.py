"""Whole jobs as plain functions: what a command does, callable from Python, tests and batch.

The CLI and the batch worker call these same functions and only render what they return; the
result dataclasses live in `gosupr.mining.results` (below the renderers) and are re-exported here.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gosupr._hold import hold
from gosupr.eventlog import EventLog
from gosupr.mining.results import (
    AnalyzeResult,
    CheckRun,
    CompareRun,
    DiscoverResult,
    Picture,
    ReduceResult,
)
from gosupr.stages import stage, step

if TYPE_CHECKING:
    from gosupr.bpmn.model import ProcessModel
    from gosupr.ingest import ColumnMap
    from gosupr.mining.discover import LogSummary
    from gosupr.mining.discover_summary import SummaryDiscoverResult
    from gosupr.mining.waste.analyze import AnalyzeConfig
    from gosupr.mining.waste.analyze_summary import SummaryAnalyzeResult
    from gosupr.mining.waste.reduce_summary import SummaryReduceResult
    from gosupr.regulation import Regulation

__all__ = [
    "AnalyzeResult", "CheckRun", "CompareRun", "DiscoverResult", "Picture", "ReduceResult",
    "analyze_settings", "check_against", "discover_log", "is_bpmn", "looks_like_bpmn", "read_event_log",
    "run_analyze", "run_check", "run_compare", "run_discover", "run_effect", "run_lint", "run_reduce", "run_render",
]


def analyze_settings(
    config: str | os.PathLike | AnalyzeConfig | None = None,
    kinds: Iterable[str] | None = None,
    min_share: float | None = None,
) -> AnalyzeConfig:
    """The [analyze] settings of a job: a gosupr.toml (or a config in hand, or the defaults),
    narrowed by `--kinds` and `--min-share` when given."""
    from gosupr.mining.waste.analyze import AnalyzeConfig

    if not isinstance(config, AnalyzeConfig):
        config = AnalyzeConfig.from_toml(config) if config is not None else AnalyzeConfig()
    cfg = config
    if kinds or min_share is not None:
        cfg = cfg.with_options(kinds=list(kinds) if kinds else None, min_share=min_share)
    return cfg


def is_bpmn(path: str | os.PathLike) -> bool:
    return str(path).lower().endswith((".bpmn", ".bpmn2", ".bpmn20.xml"))


def run_discover(
    log_path: str | os.PathLike,
    output: str | os.PathLike | None,
    *,
    noise: float = 0.2,
    columns: ColumnMap | None = None,
    analyze_config: AnalyzeConfig | None = None,
    accept: Iterable[str] | None = None,
    with_findings: bool = True,
    with_reduction: bool = True,
    commit: bool = True,
    allow_huge_cases: bool = False,
    timezone: str | None = None,
) -> DiscoverResult:
    """Ingest, discover, write the BPMN (atomically, never over the input); then findings and before/after.

    With commit=False the BPMN is only staged in `files`, for the caller to write together with
    its own outputs (`fileio.commit`: all or none). `accept`: only these kinds are applied in the
    before/after (batch's `accept`; all removable kinds by default).
    """
    from gosupr.fileio import check_outputs

    check_outputs({"-o": output}, [log_path])
    log = read_event_log(log_path, columns, allow_huge_cases=allow_huge_cases, timezone=timezone)
    return discover_log(log, output, noise=noise, analyze_config=analyze_config, accept=accept,
                        with_findings=with_findings, with_reduction=with_reduction, commit=commit)


def discover_log(
    log: EventLog,
    output: str | os.PathLike | None = None,
    *,
    noise: float = 0.2,
    analyze_config: AnalyzeConfig | None = None,
    accept: Iterable[str] | None = None,
    with_findings: bool = True,
    with_reduction: bool = True,
    commit: bool = True,
    summary: LogSummary | None = None,
) -> DiscoverResult:
    """`run_discover` on a log already read (the batch reads first, to report its audit and
    `summary` even when a later step fails; a summary given is not computed again)."""
    from gosupr.bpmn.writer import to_xml
    from gosupr.mining.discover import discover_model, summarize
    from gosupr.mining.waste.analyze import analyze_log
    from gosupr.mining.waste.reduce import reduce_process

    stage("discover")
    model = discover_model(log, noise=noise)
    res = DiscoverResult(log=log, summary=summary or summarize(log), model=model,
                         output=Path(output) if output else None, noise=noise)
    if with_findings or with_reduction:
        stage("analyze")
        res.findings = analyze_log(log, analyze_config)
    if with_reduction:
        stage("reduce")
        res.reduction = reduce_process(log, findings=res.findings, accept=accept, noise=noise, as_is=model,
                                       analyze_config=analyze_config)
    if output is not None:
        res.files.append((Path(output), to_xml(model)))
    return _committed(res, commit)


def read_event_log(path: str | os.PathLike, columns: ColumnMap | None = None, *, allow_huge_cases: bool = False,
                   timezone: str | None = None) -> EventLog:
    """Ingest one log (any format `ingest.read_log` knows), as every log-reading job starts."""
    from gosupr.ingest import read_log

    stage("read")
    log = read_log(path, columns, allow_huge_cases=allow_huge_cases, timezone=timezone)
    hold("read")  # tests: a signal mid-run, between ingestion and discovery
    return log


def _committed(res: Any, commit: bool) -> Any:  # DiscoverResult or ReduceResult, returned as given
    if commit:
        from gosupr.fileio import commit as write_all

        write_all(res.files)
    return res


def run_analyze(path: str | os.PathLike, *, columns: ColumnMap | None = None, config: AnalyzeConfig | None = None,
                protect: list[str] | None = None, allow_huge_cases: bool = False,
                timezone: str | None = None) -> AnalyzeResult:
    """Findings for a log, or model-rule findings for a BPMN file; `protect`: glob patterns of steps
    no removal may touch."""
    from gosupr.mining.waste.analyze import analyze_log

    if is_bpmn(path):
        return run_lint(path, config=config)
    log = read_event_log(path, columns, allow_huge_cases=allow_huge_cases, timezone=timezone)
    stage("analyze")
    return AnalyzeResult(source=os.path.basename(str(path)), findings=analyze_log(log, config, protect=protect), log=log)


def run_analyze_engine(source: str, *, engine: str, columns: Any = None, options: Any = None,
                       config: AnalyzeConfig | None = None, protect: list[str] | None = None) -> "SummaryAnalyzeResult":
    """Summary with its paths by `engine` (memory, duckdb, spark, postgresql), then the findings from it."""
    import dataclasses

    from gosupr.engines import EngineOptions, build_summary
    from gosupr.mining.waste.analyze_summary import SummaryAnalyzeResult, analyze_summary

    stage("summary")
    options = dataclasses.replace(options or EngineOptions(), paths=True)
    summary, run = build_summary(source, engine, columns, options, progress=step)
    stage("analyze")
    findings, facts = analyze_summary(summary, config, protect)
    return SummaryAnalyzeResult(summary, run, findings, facts)


def run_reduce_engine(
    source: str, output: str | os.PathLike | None, *, engine: str, before: str | os.PathLike | None = None,
    accept: list[str] | None = None, noise: float = 0.2, columns: Any = None, options: Any = None,
    analyze_config: AnalyzeConfig | None = None, protect: list[str] | None = None, name: str = "log",
    commit: bool = True,
) -> "SummaryReduceResult":
    """`run_reduce` from a log summary with its paths built by `engine`: both models staged as BPMN
    (no to-be event log: a summary has no events to write)."""
    import dataclasses

    from gosupr.bpmn.writer import to_xml
    from gosupr.engines import EngineOptions, build_summary
    from gosupr.mining.waste.reduce_summary import SummaryReduceResult, reduce_summary

    stage("summary")
    summary, run = build_summary(source, engine, columns, dataclasses.replace(options or EngineOptions(), paths=True),
                                 progress=step)
    stage("reduce")
    red = reduce_summary(summary, accept=accept, noise=noise, analyze_config=analyze_config, protect=protect, name=name)
    res = SummaryReduceResult(summary, run, red, {"to_be": str(output) if output else None,
                                                  "as_is": str(before) if before else None, "to_be_log": None})
    if before is not None:
        res.files.append((Path(before), to_xml(red.as_is)))
    if output is not None:
        res.files.append((Path(output), to_xml(red.to_be)))
    return _committed(res, commit)


def run_lint(path: str | os.PathLike, *, config: AnalyzeConfig | None = None) -> AnalyzeResult:
    """The model rules over a BPMN file (read by the hardened reader), whatever the file is named."""
    from gosupr.bpmn.reader import read_bpmn
    from gosupr.mining.waste.analyze import lint_model

    model = read_bpmn(path)
    return AnalyzeResult(source=os.path.basename(str(path)), findings=lint_model(model, config), model=model)


def run_reduce(
    log_path: str | os.PathLike,
    output: str | os.PathLike | None,
    *,
    before: str | os.PathLike | None = None,
    accept: list[str] | None = None,
    noise: float = 0.2,
    columns: ColumnMap | None = None,
    analyze_config: AnalyzeConfig | None = None,
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
    from gosupr import tobe_log
    from gosupr.bpmn.writer import to_xml
    from gosupr.fileio import check_outputs
    from gosupr.mining.waste.reduce import reduce_process

    check_outputs({"-o": output, "--before": before, "--to-be-log": to_be_log}, [log_path])
    if to_be_log is not None:
        tobe_log.check_suffix(to_be_log)
    log = read_event_log(log_path, columns, allow_huge_cases=allow_huge_cases, timezone=timezone)
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
        assert red.essential_log is not None  # reduced from events, so the to-be log exists
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
    columns: ColumnMap | None = None,
    analyze_config: AnalyzeConfig | None = None,
    replicates: int = 1000,
    seed: int = 0,
) -> Any:
    """`compare BEFORE_LOG AFTER_LOG` (or one log cut at `split_at` or by the `split_by` column's two
    values): the reform's realised effect."""
    import pandas as pd

    from gosupr.errors import GosuprError
    from gosupr.ingest import ColumnMap, read_log
    from gosupr.mining.compare.effect import compare_logs
    from gosupr.mining.compare.effect import split_at as cut
    from gosupr.mining.compare.effect import split_by as cut_by
    from gosupr.mining.compare.effect_plan import load_plan

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
        from gosupr.bpmn.reader import read_bpmn

        to_be = read_bpmn(model)
    res = compare_logs(log_b, log_a, plan=planned, plan_source=os.path.basename(str(plan)) if plan else "",
                       model=to_be, analyze_config=analyze_config, replicates=replicates, seed=seed)
    res.split = split
    return res


def run_check(
    log_path: str | os.PathLike,
    model_path: str | os.PathLike | None,
    *,
    config: str | os.PathLike | None = None,
    columns: ColumnMap | None = None,
    time_budget_s: float = 60.0,
) -> CheckRun:
    """Read the regulation first (a bad file fails before any work), then the model and the log."""
    from gosupr.bpmn.reader import read_bpmn
    from gosupr.errors import GosuprError
    from gosupr.ingest import read_log
    from gosupr.regulation import Regulation, load_regulation

    reg = load_regulation(config) if config is not None else Regulation()
    model_path = model_path or reg.model
    if model_path is None:
        raise GosuprError("no normative model: give MODEL.bpmn or set [regulation] model in the --config file")
    model = read_bpmn(model_path)
    log = read_log(log_path, columns)
    return check_against(log, reg, model=model, model_path=model_path, time_budget_s=time_budget_s)


def check_against(
    log: EventLog,
    regulation: Regulation,
    *,
    model: ProcessModel | None = None,
    model_path: str | os.PathLike | None = None,
    time_budget_s: float = 60.0,
) -> CheckRun:
    """A log already read against a regulation: its model (`model`, or read from `model_path` or
    the regulation's own) and terms. The batch checks each log this way after discovering it."""
    from gosupr.bpmn.reader import read_bpmn
    from gosupr.errors import GosuprError
    from gosupr.mining.conformance.check import check_log

    model_path = model_path or regulation.model
    if model is None:
        if model_path is None:
            raise GosuprError("no normative model: give MODEL.bpmn or set [regulation] model in the --config file")
        model = read_bpmn(model_path)
    name = os.path.basename(str(model_path)) if model_path is not None else "model"
    res = check_log(log, model, regulation, time_budget_s=time_budget_s, model_name=name)
    return CheckRun(log, model, res)


def run_compare(
    before: str | os.PathLike,
    after: str | os.PathLike,
    *,
    log: str | os.PathLike | None = None,
    flatten: bool = False,
    artifacts: bool = False,
    explain: bool = False,
) -> CompareRun:
    """`compare A.bpmn B.bpmn`: both models read, diffed (replaying `log` on both when given), and
    with `explain` why each added or removed element was not paired. Names are the files' own."""
    from gosupr.bpmn.reader import read_bpmn
    from gosupr.mining.compare.models import compare_models

    m_before, m_after = read_bpmn(before), read_bpmn(after)
    ev = None
    if log is not None:
        from gosupr.ingest import read_log

        ev = read_log(log)
    diff = compare_models(m_before, m_after, flatten=flatten, include_artifacts=artifacts, log=ev)
    diff.before_name, diff.after_name = Path(before).name, Path(after).name
    run = CompareRun(m_before, m_after, diff)
    if explain:
        from gosupr.mining.compare.explain import explain_unpaired

        run.explanation = explain_unpaired(m_before, m_after, diff)
    return run


def run_render(
    model: str | os.PathLike,
    output: str | os.PathLike,
    *,
    highlight: str | os.PathLike | None = None,
    diagram: str | int = 0,
    lang: str = "en",
) -> list[Picture]:
    """`render`: draw the model (findings from a `highlight` JSON coloured in) as SVG or PNG, by the
    output's suffix. `diagram` is a number or "all" (one picture per diagram, OUTPUT-N.svg). Every
    picture is drawn before any is returned, and targets are checked against the inputs, so the
    caller can write them together (nothing half-way)."""
    from gosupr.bpmn.reader import read_bpmn
    from gosupr.errors import GosuprError
    from gosupr.fileio import check_outputs
    from gosupr.report.svg import render_svg, svg_to_png

    output = Path(output)
    suffix = output.suffix.lower()
    if suffix not in (".svg", ".png"):
        raise GosuprError("the picture must end in .svg or .png", path=str(output))
    m = read_bpmn(model)
    hl = None
    if highlight is not None:
        from gosupr.report.svg_highlight import Highlight, load_findings_json

        hl = Highlight.from_findings(load_findings_json(Path(highlight)), m)
    which = str(diagram).strip()
    if which.lower() == "all":
        targets = [(i, output.with_name(f"{output.stem}-{i}{output.suffix}")) for i in range(max(1, len(m.diagrams)))]
    elif which.isdigit():
        targets = [(int(which), output)]
    else:
        raise GosuprError(f"--diagram takes a diagram number (from 0) or 'all', not '{diagram}'")
    check_outputs({f"-o ({t.name})": t for _, t in targets}, [p for p in (model, highlight) if p is not None])
    drawn = [(t, render_svg(m, highlight=hl, diagram_index=i, lang=lang)) for i, t in targets]
    return [Picture(t, svg_to_png(svg) if suffix == ".png" else
                    ('<?xml version="1.0" encoding="UTF-8"?>\n' + svg).encode("utf-8")) for t, svg in drawn]


def run_discover_engine(source: str, output: str | os.PathLike | None, *, engine: str, noise: float = 0.2,
                        columns: Any = None, options: Any = None, name: str | None = None,
                        commit: bool = True, analyze_config: AnalyzeConfig | None = None,
                        with_findings: bool = True, with_reduction: bool = True) -> "SummaryDiscoverResult":
    """Summary by `engine` (memory, duckdb, …), then discovery, findings and the before/after
    reduction from it, as `run_discover` does from events; the BPMN staged or written."""
    import dataclasses

    from gosupr.bpmn.writer import to_xml
    from gosupr.engines import EngineOptions, build_summary
    from gosupr.mining.discover_summary import SummaryDiscoverResult, discover_from_summary

    stage("summary")
    options = dataclasses.replace(options or EngineOptions(), paths=with_findings)
    summary, run = build_summary(source, engine, columns, options, progress=step)
    stage("discover")
    model = discover_from_summary(summary, noise=noise, name=name or "log")
    res = SummaryDiscoverResult(summary, run, model, Path(output) if output else None, noise)
    if with_findings:
        from gosupr.mining.waste.analyze_summary import analyze_summary

        stage("analyze")
        res.findings, res.facts = analyze_summary(summary, analyze_config)
        if with_reduction:
            from gosupr.mining.waste.reduce_summary import reduce_summary

            stage("reduce")
            res.reduction = reduce_summary(summary, noise=noise, analyze_config=analyze_config, name=name or "log",
                                           facts=res.facts, findings=res.findings, as_is=model)
    if output is not None:
        res.files.append((Path(output), to_xml(model)))
    return _committed(res, commit)
