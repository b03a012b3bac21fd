"""gosupr from Python: plain functions with the CLI's options, returning typed results.

Each function is what one `gosupr` command computes, without the rendering: the CLI and the
batch call the same `gosupr.pipeline` jobs and only draw what comes back. Arguments take an
object already in hand (an `EventLog`, a `ProcessModel`) or a file path, so a notebook can read
once and ask many questions. Errors in the input raise `GosuprError` with the CLI's one-line
message. `import gosupr` stays light: this module (and pandas, pm4py) loads on first use.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from gosupr.bpmn.model import ProcessModel
from gosupr.eventlog import EventLog
from gosupr.mining.findings import Finding, Findings

if TYPE_CHECKING:
    from gosupr.mining.compare.models import ModelDiff
    from gosupr.mining.waste.analyze import AnalyzeConfig
    from gosupr.mining.waste.reduce import Reduction

PathLike = str | os.PathLike[str]

__all__ = ["analyze", "compare", "discover", "lint", "read_bpmn", "read_log", "reduce", "render_svg", "write_bpmn"]


def read_log(
    path: PathLike,
    *,
    case: str | None = None,
    activity: str | None = None,
    timestamp: str | None = None,
    resource: str | None = None,
    department: str | None = None,
    sheet: str | None = None,
    timezone: str | None = None,
    allow_huge_cases: bool = False,
) -> EventLog:
    """An event log file (CSV, XES, XES.gz, Parquet, .xlsx/.xls/.ods) as an `EventLog`.

    Columns are recognised from Russian and English headers; name them with `case`, `activity`,
    ... when they are not. `log.audit` says what was read and what was dropped, and why.
    """
    from gosupr.ingest import ColumnMap
    from gosupr.pipeline import read_event_log

    columns = ColumnMap(case=case, activity=activity, timestamp=timestamp, resource=resource,
                        department=department, sheet=sheet)
    return read_event_log(path, columns, allow_huge_cases=allow_huge_cases, timezone=timezone)


def discover(log: EventLog | PathLike, *, noise: float = 0.2) -> ProcessModel:
    """The process model the log follows (inductive miner, `noise` its threshold), laid out for drawing."""
    from gosupr.mining.discover import discover_model

    return discover_model(_log(log), noise=noise)


def analyze(
    source: EventLog | ProcessModel | PathLike,
    *,
    kinds: Iterable[str] | None = None,
    min_share: float | None = None,
    config: PathLike | AnalyzeConfig | None = None,
    protect: Iterable[str] | None = None,
) -> Findings:
    """The waste in a log (or, given a model or a .bpmn file, its structural defects: `lint`), worst first.

    `kinds` keeps only these detectors, `min_share` hides findings touching fewer cases, `config`
    is a gosupr.toml with an [analyze] section, `protect` glob patterns of steps no removal may touch.
    """
    from gosupr.mining.waste.analyze import analyze_log
    from gosupr.pipeline import looks_like_bpmn

    if isinstance(source, ProcessModel) or (not isinstance(source, EventLog) and looks_like_bpmn(source)):
        return lint(source, kinds=kinds, min_share=min_share, config=config)
    cfg = _config(config, kinds, min_share)  # bad settings fail before any work
    log = _log(source)
    found = analyze_log(log, cfg, protect=list(protect or []))
    return Findings(tuple(found), _name(log.audit.source or log.name))


def lint(
    model: ProcessModel | PathLike,
    *,
    kinds: Iterable[str] | None = None,
    min_share: float | None = None,
    config: PathLike | AnalyzeConfig | None = None,
) -> Findings:
    """The model rules (bpmnlint-style structure checks, dead elements) over a model or a .bpmn file."""
    from gosupr.mining.waste.analyze import lint_model

    cfg = _config(config, kinds, min_share)
    name = _name(model) if not isinstance(model, ProcessModel) else model.name
    return Findings(tuple(lint_model(_model(model), cfg)), name)


def reduce(
    log: EventLog | PathLike,
    *,
    accept: Iterable[str] | None = None,
    noise: float = 0.2,
    config: PathLike | AnalyzeConfig | None = None,
    protect: Iterable[str] | None = None,
    alignments: float | None = None,
    findings: Iterable[Finding] | None = None,
) -> Reduction:
    """The to-be process without the waste, and whether it loses quality on the evidence.

    `accept` applies only these finding kinds; `findings` reuses an `analyze` result instead of
    analysing again; `alignments` also measures alignment fitness within that many seconds.
    The result holds both models (`as_is`, `to_be`), the to-be log, the metrics and the verdict.
    """
    from gosupr.mining.waste.reduce import reduce_process

    cfg = _config(config, None, None)
    return reduce_process(
        _log(log), findings=list(findings) if findings is not None else None, accept=accept, noise=noise,
        analyze_config=cfg, alignments_budget_s=alignments, protect=list(protect or []),
    )


def compare(
    before: ProcessModel | PathLike,
    after: ProcessModel | PathLike,
    *,
    log: EventLog | PathLike | None = None,
    flatten: bool = False,
    artifacts: bool = False,
) -> ModelDiff:
    """What changed between two models: elements and flows added, removed or changed, metric deltas.

    With `log`, the log is replayed on both (fitness, the removed steps it actually executes).
    `flatten` compares sub-process contents as if inlined; `artifacts` also data objects and notes.
    """
    from gosupr.mining.compare.models import compare_models

    diff = compare_models(_model(before), _model(after), flatten=flatten, include_artifacts=artifacts,
                          log=_log(log) if log is not None else None)
    if not isinstance(before, ProcessModel):
        diff.before_name = _name(before)
    if not isinstance(after, ProcessModel):
        diff.after_name = _name(after)
    return diff


def render_svg(
    model: ProcessModel | PathLike,
    *,
    highlight: Iterable[Finding] | None = None,
    diagram: int = 0,
    lang: str = "en",
) -> str:
    """The model drawn as SVG text (its own diagram when it has one, else gosupr's layout).

    `highlight`: findings to colour in (removable steps red, loops orange, waiting on the flows);
    `diagram`: which diagram of a file with several (from 0); `lang`: "en" or "ru" for the legend.
    """
    from gosupr.report.svg import render_svg as draw

    m = _model(model)
    hl = None
    if highlight is not None:
        from gosupr.report.svg_highlight import Highlight

        hl = Highlight.from_findings(list(highlight), m)
    return draw(m, highlight=hl, diagram_index=diagram, lang=lang)


def read_bpmn(path: PathLike) -> ProcessModel:
    """A BPMN 2.0 file (Camunda, bpmn.io, Bizagi, ARIS, Signavio exports ...) as a `ProcessModel`."""
    from gosupr.bpmn.reader import read_bpmn as read

    return read(path)


def write_bpmn(model: ProcessModel, path: PathLike) -> Path:
    """Write the model as BPMN 2.0 with its diagram, atomically (never half a file); returns the path."""
    from gosupr.bpmn.writer import write_bpmn as write

    write(model, path)
    return Path(path)


# -- helpers ------------------------------------------------------------------------------------
def _log(log: EventLog | PathLike) -> EventLog:
    return log if isinstance(log, EventLog) else read_log(log)


def _model(model: ProcessModel | PathLike) -> ProcessModel:
    return model if isinstance(model, ProcessModel) else read_bpmn(model)


def _name(path: object) -> str:
    return os.path.basename(str(path))


def _config(config: PathLike | AnalyzeConfig | None, kinds: Iterable[str] | None, min_share: float | None) -> AnalyzeConfig:
    from gosupr.pipeline import analyze_settings

    if isinstance(kinds, str):  # kinds="rework": one kind, not six letters
        kinds = [kinds]
    return analyze_settings(config, kinds, min_share)
