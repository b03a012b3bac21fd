"""The `gosupr` command: options in, library calls, a renderer out. No logic of its own.

Heavy modules (pm4py, pandas, the miners) are imported inside the commands so that
`gosupr --help` answers fast.
"""

from __future__ import annotations

import os
import signal
import sys
from enum import Enum
from pathlib import Path
from typing import List, Optional

import typer
from typer.exceptions import TyperException

from gosupr._exit import interrupted, on_sigterm
from gosupr.errors import GateFailed, GosuprError

app = typer.Typer(
    name="gosupr",
    help="Process mining for State Governance 4.0: find and remove waste in ministry processes.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


class Fmt(str, Enum):
    table = "table"
    json = "json"
    markdown = "markdown"


class Lang(str, Enum):
    auto = "auto"
    en = "en"
    ru = "ru"


def _version(value: bool) -> None:
    if value:
        from gosupr._version import __version__

        typer.echo(f"gosupr {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version and exit."),
) -> None:
    """Process mining for State Governance 4.0: find and remove waste in ministry processes.

    Exit codes: 0 done; 1 a CI gate failed; 2 bad input (one line on stderr); 3 internal error;
    130/143 interrupted.
    """


# shared options --------------------------------------------------------------------------------
CaseOpt = typer.Option(None, "--case", help="Column holding the case id (default: recognised header).")
ActOpt = typer.Option(None, "--activity", help="Column holding the activity name.")
TsOpt = typer.Option(None, "--timestamp", help="Column holding the event time.")
ResOpt = typer.Option(None, "--resource", help="Column holding the performer.")
DepOpt = typer.Option(None, "--department", help="Column holding the department.")
ProtectOpt = typer.Option(
    None, "--protect", help="Never remove steps matching this glob, e.g. \"*FINAL_APPROVED*\" (repeatable; adds to [protect] in --config)."
)
SheetOpt = typer.Option(None, "--sheet", help="Workbook sheet: name or number, 1 = first (default: the first with a log header).")
FmtOpt = typer.Option(Fmt.table, "--format", "-f", help="table for people; json or markdown for machines and PRs.")
LangOpt = typer.Option(Lang.auto, "--lang", help="Language of tables and reports (default follows LANG).")
TzOpt = typer.Option(
    None, "--timezone", help="Zone of times written without an offset, e.g. Europe/Moscow (all converted to UTC).",
)
HugeOpt = typer.Option(
    False, "--allow-huge-cases",
    help="Accept cases of more than 10 000 events or thousands of activities (normally a wrong column).",
)
# where an engine builds the log summary (discover, analyze, reduce --engine)
MemoryLimitOpt = typer.Option(None, "--memory-limit", help="duckdb: memory cap, e.g. 4GB (spills to disk beyond it).")
ThreadsOpt = typer.Option(None, "--threads", min=1, help="duckdb: worker threads.")
SparkMasterOpt = typer.Option(None, "--spark-master", help="spark: the cluster's master URL (default local[*]).")
QueryOpt = typer.Option(None, "--query", help="Database source: the select returning the events (computed inside the server).")
TableOpt = typer.Option(None, "--table", help="Database source: the table (or schema.table) holding the events.")


def _lang(lang: Lang) -> str:
    from gosupr.report.i18n import default_lang

    return default_lang() if lang == Lang.auto else lang.value


def _columns(case, activity, timestamp, resource, department, sheet=None):
    from gosupr.ingest import ColumnMap

    return ColumnMap(case=case, activity=activity, timestamp=timestamp, resource=resource, department=department,
                     sheet=sheet)


def _emit(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def _console():
    from gosupr.report.terminal import console

    return console(soft_wrap=False)


@app.command()
def discover(
    log: str = typer.Argument(
        ..., help="Event log: CSV (; , tab; UTF-8 or cp1251), XES, XES.gz, Parquet or a workbook (.xlsx, .xls, .ods); "
        "or a database: postgresql://user@host:port/db with --query or --table."
    ),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="BPMN file to write (default: <log name>.bpmn here)."),
    noise: float = typer.Option(0.2, "--noise", min=0.0, max=1.0, help="Inductive miner noise threshold."),
    fmt: Fmt = FmtOpt,
    lang: Lang = LangOpt,
    case: Optional[str] = CaseOpt,
    activity: Optional[str] = ActOpt,
    timestamp: Optional[str] = TsOpt,
    resource: Optional[str] = ResOpt,
    department: Optional[str] = DepOpt,
    sheet: Optional[str] = SheetOpt,
    config: Optional[Path] = typer.Option(
        None, "--config", help="gosupr.toml with an [analyze] section; its [engine] section chooses the engine "
        "(the flags below override it)."),
    no_reduce: bool = typer.Option(False, "--no-reduce", help="Skip the before/after report."),
    html: Optional[Path] = typer.Option(None, "--html", help="Also write a self-contained HTML report."),
    allow_huge_cases: bool = HugeOpt,
    timezone: Optional[str] = TzOpt,
    engine: Optional[str] = typer.Option(
        None, "--engine", help="Build a log summary with memory|duckdb|spark and discover from it (model, statistics, findings "
        "and the before/after report; times per-path means). duckdb reads Parquet folders and globs out-of-core; spark reads "
        "CSV and Parquet, also on a cluster (--spark-master); a postgresql:// source is summarised inside PostgreSQL."),
    memory_limit: Optional[str] = MemoryLimitOpt,
    threads: Optional[int] = ThreadsOpt,
    spark_master: Optional[str] = SparkMasterOpt,
    query: Optional[str] = QueryOpt,
    table: Optional[str] = TableOpt,
) -> None:
    """Discover a BPMN model from an event log, with its findings and the before/after report."""
    from gosupr.fileio import check_outputs
    from gosupr.pipeline import run_discover
    from gosupr.report import discover_render as r

    engine, options = _engine(config, log, engine, memory_limit, threads, spark_master, query, table, timezone,
                              allow_huge_cases)
    if engine is not None:
        if html is not None:
            raise GosuprError("--html is not available with an engine yet; run discover without --engine "
                              "(and without [engine] name in --config)")
        return _discover_engine(log, output, noise, fmt, lang, engine, options,
                                _columns(case, activity, timestamp, resource, department, sheet),
                                _analyze_config(config, None, None), not no_reduce)
    path = Path(log)
    out = output or Path(_stem(path) + ".bpmn")
    check_outputs({"-o": out, "--html": html}, [path])
    with _stages(lang):
        result = run_discover(
            path,
            out,
            noise=noise,
            columns=_columns(case, activity, timestamp, resource, department, sheet),
            analyze_config=_analyze_config(config, None, None),
            with_reduction=not no_reduce,
            commit=False,
            allow_huge_cases=allow_huge_cases,
            timezone=timezone,
        )
    lg = _lang(lang)
    if html is not None:
        from gosupr.report.html import discover_html

        result.files.append((html, discover_html(result, lg).encode("utf-8")))
    _commit(result.files)
    if fmt == Fmt.json:
        _emit(r.to_json(result))
    elif fmt == Fmt.markdown:
        _emit(r.to_markdown(result, lg))
    else:
        r.to_terminal(result, _console(), lg)


def _engine(config: Optional[Path], log: str, engine: Optional[str], memory_limit: Optional[str],
            threads: Optional[int], spark_master: Optional[str], query: Optional[str], table: Optional[str],
            timezone: Optional[str], allow_huge_cases: bool) -> tuple:
    """(engine, EngineOptions) from the flags and --config's [engine]; (None, None) for the per-event path.
    A database source is always summarised inside the database."""
    from gosupr.engines import EngineOptions

    engine, memory_limit, threads, spark_master = _engine_choice(config, log, engine, memory_limit, threads,
                                                                 spark_master, query, table)
    extra = _source_extra(log, engine, spark_master, query, table)
    if extra.get("query") is not None or extra.get("table") is not None:
        engine = engine or "postgresql"
    if engine is None:
        return None, None
    return engine, EngineOptions(memory_limit=memory_limit, threads=threads, timezone=timezone,
                                 allow_huge_cases=allow_huge_cases, extra=extra)


def _engine_choice(config: Optional[Path], log: str, engine: Optional[str], memory_limit: Optional[str],
                   threads: Optional[int], spark_master: Optional[str], query: Optional[str],
                   table: Optional[str]) -> tuple:
    """(engine, memory_limit, threads, spark_master): the [engine] of --config, each flag given winning."""
    if config is None:
        return engine, memory_limit, threads, spark_master
    from gosupr.engines.config import load_engine_config
    from gosupr.engines.sources import is_database_url

    c = load_engine_config(config).overridden(
        name=engine, memory_limit=memory_limit, threads=threads, spark_master=spark_master,
        database=is_database_url(log) or query is not None or table is not None)
    return c.name, c.memory_limit, c.threads, c.spark_master


def _source_extra(log: str, engine: Optional[str], spark_master: Optional[str], query: Optional[str],
                  table: Optional[str]) -> dict:
    """Engine-specific options, checked against the source and engine before any work."""
    from .engines.sources import is_database_url, parse_source

    extra: dict = {}
    if spark_master is not None:
        if engine != "spark":
            raise GosuprError("--spark-master applies to --engine spark; add --engine spark")
        extra["spark_master"] = spark_master
    if is_database_url(log) or query is not None or table is not None:
        parse_source(log, query=query, table=table)  # one of --query/--table, a well-formed URL
        if engine not in (None, "postgresql"):
            raise GosuprError(f"a postgresql:// source is summarised inside PostgreSQL; drop --engine {engine}")
        extra.update(query=query, table=table)
    return extra


def _engine_source(log: str, options) -> tuple[str, list]:
    """The log's name for models and default outputs, and the input files no output may overwrite
    (none for a database: the table's name, or "query")."""
    from gosupr.engines import log_name

    extra = options.extra
    if extra.get("query") is not None or extra.get("table") is not None:
        return (extra["table"] or "query").strip().split(".")[-1].strip('"') or "query", []
    return log_name(str(log)), [Path(log)]


def _discover_engine(log: str, output: Optional[Path], noise: float, fmt: Fmt, lang: Lang, engine: str, options,
                     columns, config=None, with_reduction: bool = True) -> None:
    """`discover --engine`: summary by the engine; model, statistics, findings and reduction from it."""
    from gosupr.fileio import check_outputs
    from gosupr.pipeline import run_discover_engine
    from gosupr.report import discover_summary_render as r

    name, inputs = _engine_source(log, options)
    out = output or Path(name + ".bpmn")
    check_outputs({"-o": out}, inputs)
    with _stages(lang):
        result = run_discover_engine(str(log), out, engine=engine, noise=noise, columns=columns, options=options,
                                     name=name, commit=False, analyze_config=config, with_reduction=with_reduction)
    _commit(result.files)
    if fmt == Fmt.json:
        _emit(r.to_json(result))
    elif fmt == Fmt.markdown:
        _emit(r.to_markdown(result, _lang(lang)))
    else:
        r.to_terminal(result, _console(), _lang(lang))


@app.command()
def analyze(
    source: str = typer.Argument(..., help="An event log (findings of waste) or a .bpmn model (structural rules); "
                                 "or a database: postgresql://user@host:port/db with --query or --table."),
    fmt: Fmt = FmtOpt,
    lang: Lang = LangOpt,
    kinds: Optional[List[str]] = typer.Option(None, "--kinds", help="Only these detectors/rules (repeatable)."),
    min_share: Optional[float] = typer.Option(None, "--min-share", min=0.0, max=1.0, help="Hide findings touching fewer cases."),
    config: Optional[Path] = typer.Option(
        None, "--config", help="gosupr.toml with an [analyze] section; [engine] chooses the engine for logs (flags override it)."),
    protect: Optional[List[str]] = ProtectOpt,
    case: Optional[str] = CaseOpt,
    activity: Optional[str] = ActOpt,
    timestamp: Optional[str] = TsOpt,
    resource: Optional[str] = ResOpt,
    department: Optional[str] = DepOpt,
    sheet: Optional[str] = SheetOpt,
    allow_huge_cases: bool = HugeOpt,
    timezone: Optional[str] = TzOpt,
    engine: Optional[str] = typer.Option(
        None, "--engine", help="Analyse a log summary built by memory|duckdb|spark (the same detectors on paths "
        "weighted by their cases; times are per-path means); a postgresql:// source is summarised inside PostgreSQL."),
    memory_limit: Optional[str] = MemoryLimitOpt,
    threads: Optional[int] = ThreadsOpt,
    spark_master: Optional[str] = SparkMasterOpt,
    query: Optional[str] = QueryOpt,
    table: Optional[str] = TableOpt,
) -> None:
    """Find the waste in a process (log) or the structural defects of a model (BPMN), worst first."""
    from gosupr.mining.waste.analyze import findings_document, waste_totals
    from gosupr.pipeline import is_bpmn, run_analyze
    from gosupr.report import findings_render as fr
    from gosupr.report import jsondoc

    if is_bpmn(source) and engine is not None:
        raise GosuprError("--engine applies to event logs; a .bpmn model is linted without it", path=source)
    # a model is linted, whichever engine the file names for logs
    engine, options = _engine(None if is_bpmn(source) else config, source, engine, memory_limit, threads, spark_master,
                              query, table, timezone, allow_huge_cases)
    if engine is not None:
        return _analyze_engine(source, fmt, lang, engine, _analyze_config(config, kinds, min_share), list(protect or []),
                               _columns(case, activity, timestamp, resource, department, sheet), options)
    with _stages(lang):
        res = run_analyze(
            source,
            columns=_columns(case, activity, timestamp, resource, department, sheet),
            config=_analyze_config(config, kinds, min_share),
            protect=list(protect or []),
            allow_huge_cases=allow_huge_cases,
            timezone=timezone,
        )
    lg = _lang(lang)
    head = waste_totals(res.findings, res.log)
    if fmt == Fmt.json:
        _emit(jsondoc.dumps(findings_document(res.findings, res.log, res.source if res.model else None)))
        return
    if fmt == Fmt.markdown:
        from gosupr.report.markdown import text

        _emit(f"## gosupr analyze: {text(res.source)}\n\n" + fr.to_markdown(res.findings, head, lg))
        return
    con = _console()
    if res.log is not None:
        from gosupr.report.audit import audit_rows, kv_table
        from gosupr.report.i18n import t

        con.print(kv_table(t("audit", lg), audit_rows(res.log.audit.to_dict(), lg)))
    fr.to_terminal(res.findings, head, con, lg)


def _analyze_engine(source: str, fmt: Fmt, lang: Lang, engine: str, config, protect: list, columns, options) -> None:
    """`analyze --engine`: the findings from a log summary (paths weighted by cases)."""
    from gosupr.mining.waste.analyze import waste_totals
    from gosupr.mining.waste.analyze_summary import summary_findings_document
    from gosupr.pipeline import run_analyze_engine
    from gosupr.report import findings_render as fr
    from gosupr.report import jsondoc

    with _stages(lang):
        res = run_analyze_engine(source, engine=engine, columns=columns, options=options, config=config, protect=protect)
    lg = _lang(lang)
    head = waste_totals(res.findings, facts=res.facts)
    if fmt == Fmt.json:
        _emit(jsondoc.dumps(summary_findings_document(res)))
    elif fmt == Fmt.markdown:
        from gosupr.report.markdown import text

        _emit(f"## gosupr analyze: {text(res.summary.source)}\n\n" + fr.to_markdown(res.findings, head, lg))
    else:
        fr.to_terminal(res.findings, head, _console(), lg)


def _reduce_engine(log: str, output: Optional[Path], before: Optional[Path], engine: str, accept, noise: float,
                   fmt: Fmt, lang: Lang, config, protect: list, columns, options) -> None:
    """`reduce --engine`: the reduction from a log summary; both models as BPMN when asked."""
    from gosupr.fileio import check_outputs
    from gosupr.mining.discover_summary import log_section
    from gosupr.pipeline import run_reduce_engine
    from gosupr.report import jsondoc
    from gosupr.report import reduce_render as rr

    name, inputs = _engine_source(log, options)
    check_outputs({"-o": output, "--before": before}, inputs)
    with _stages(lang):
        res = run_reduce_engine(log, output, engine=engine, before=before, accept=accept, noise=noise, columns=columns,
                                options=options, analyze_config=config, protect=protect, name=name, commit=False)
    _commit(res.files)
    lg = _lang(lang)
    if fmt == Fmt.json:
        from gosupr.engines import peak_rss_mib
        from gosupr.mining.waste.summary_facts import EXACTNESS

        block = {**log_section(res.summary), "computed_from": "log summary (paths)", "exactness": EXACTNESS}
        doc = rr.document(res.reduction, block, res.outputs)
        doc["engine"] = {**res.run.to_dict(), "peak_rss_mib": round(peak_rss_mib(), 1)}
        _emit(jsondoc.dumps(doc))
    elif fmt == Fmt.markdown:
        _emit(rr.to_markdown(res.reduction, lg))
    else:
        rr.to_terminal(res.reduction, _console(), lg)


@app.command()
def reduce(
    log: str = typer.Argument(..., help="Event log to reduce; or a database: postgresql://user@host:port/db with "
                              "--query or --table (with --engine)."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the to-be model as BPMN."),
    before: Optional[Path] = typer.Option(None, "--before", help="Write the as-is model as BPMN."),
    accept: Optional[List[str]] = typer.Option(None, "--accept", help="Apply only these finding kinds (repeatable)."),
    noise: float = typer.Option(0.2, "--noise", min=0.0, max=1.0, help="Inductive miner noise threshold (both models)."),
    alignments: Optional[float] = typer.Option(None, "--alignments", min=0.1, help="Also alignment fitness, within this many seconds."),
    fmt: Fmt = FmtOpt,
    lang: Lang = LangOpt,
    config: Optional[Path] = typer.Option(
        None, "--config", help="gosupr.toml with an [analyze] section; [engine] chooses the engine (flags override it)."),
    html: Optional[Path] = typer.Option(None, "--html", help="Also write a self-contained HTML report."),
    protect: Optional[List[str]] = ProtectOpt,
    to_be_log: Optional[Path] = typer.Option(
        None, "--to-be-log", help="Write the to-be log (.csv or .parquet): today's cases without the removed events."
    ),
    case: Optional[str] = CaseOpt,
    activity: Optional[str] = ActOpt,
    timestamp: Optional[str] = TsOpt,
    resource: Optional[str] = ResOpt,
    department: Optional[str] = DepOpt,
    sheet: Optional[str] = SheetOpt,
    allow_huge_cases: bool = HugeOpt,
    timezone: Optional[str] = TzOpt,
    engine: Optional[str] = typer.Option(
        None, "--engine", help="Reduce from a log summary built by memory|duckdb|spark (counts and verdict exact, "
        "times per-path means; no --to-be-log); a postgresql:// source is summarised inside PostgreSQL."),
    memory_limit: Optional[str] = MemoryLimitOpt,
    threads: Optional[int] = ThreadsOpt,
    spark_master: Optional[str] = SparkMasterOpt,
    query: Optional[str] = QueryOpt,
    table: Optional[str] = TableOpt,
) -> None:
    """Build the to-be process without the waste; say whether it loses quality, on the evidence."""
    from gosupr.fileio import check_outputs
    from gosupr.pipeline import run_reduce
    from gosupr.report import jsondoc
    from gosupr.report import reduce_render as rr

    engine, options = _engine(config, log, engine, memory_limit, threads, spark_master, query, table, timezone,
                              allow_huge_cases)
    if engine is not None:
        for flag, value in (("--to-be-log", to_be_log), ("--html", html), ("--alignments", alignments)):
            if value is not None:
                raise GosuprError(f"{flag} is not available with --engine (a summary has no events); run reduce without --engine")
        return _reduce_engine(log, output, before, engine, accept, noise, fmt, lang, _analyze_config(config, None, None),
                              list(protect or []), _columns(case, activity, timestamp, resource, department, sheet),
                              options)
    log_path = Path(log)
    check_outputs({"-o": output, "--before": before, "--to-be-log": to_be_log, "--html": html}, [log_path])
    with _stages(lang):
        res = run_reduce(
            log_path,
            output,
            before=before,
            accept=accept,
            noise=noise,
            columns=_columns(case, activity, timestamp, resource, department, sheet),
            analyze_config=_analyze_config(config, None, None),
            alignments_budget_s=alignments,
            protect=list(protect or []),
            to_be_log=to_be_log,
            commit=False,
            allow_huge_cases=allow_huge_cases,
            timezone=timezone,
        )
    lg = _lang(lang)
    if html is not None:
        from gosupr.report.html import reduce_html

        res.files.append((html, reduce_html(res, lg).encode("utf-8")))
    _commit(res.files)
    if fmt == Fmt.json:
        _emit(jsondoc.dumps(rr.document(res.reduction, res.log.audit.to_dict(), res.outputs)))
    elif fmt == Fmt.markdown:
        _emit(rr.to_markdown(res.reduction, lg))
    else:
        rr.to_terminal(res.reduction, _console(), lg)


@app.command()
def compare(
    before: Path = typer.Argument(..., help="The as-is BPMN model, or the BEFORE event log."),
    after: Optional[Path] = typer.Argument(None, help="The to-be BPMN model, or the AFTER event log."),
    log: Optional[Path] = typer.Option(None, "--log", help="Replay this log on both models."),
    flatten: bool = typer.Option(False, "--flatten", help="Compare sub-process contents as if inlined."),
    artifacts: bool = typer.Option(False, "--artifacts", help="Also compare data objects and annotations."),
    fail_on: Optional[List[str]] = typer.Option(
        None, "--fail-on", help="Gate: added-tasks, removed-tasks, any-change, complexity-up, fitness-drop=0.05 (repeatable)."
    ),
    fmt: Fmt = FmtOpt,
    lang: Lang = LangOpt,
    html: Optional[Path] = typer.Option(None, "--html", help="Also write a self-contained HTML report."),
    plan: Optional[Path] = typer.Option(None, "--plan", help="Two logs: the reduce JSON or to-be .bpmn the reform planned."),
    model: Optional[Path] = typer.Option(None, "--model", help="Two logs: conformance of both to this to-be .bpmn."),
    split_at: Optional[str] = typer.Option(None, "--split-at", help="One log: BEFORE = cases starting before this date."),
    split_by: Optional[str] = typer.Option(None, "--split-by", help="One log: a column with two values naming the periods."),
    replicates: int = typer.Option(1000, "--replicates", min=100, max=20000, help="Two logs: bootstrap replicates."),
    seed: int = typer.Option(0, "--seed", help="Two logs: bootstrap seed (same seed, same numbers)."),
    case: Optional[str] = CaseOpt,
    activity: Optional[str] = ActOpt,
    timestamp: Optional[str] = TsOpt,
    resource: Optional[str] = ResOpt,
    department: Optional[str] = DepOpt,
    explain: bool = typer.Option(False, "--explain", help="Say why each added or removed element was not paired."),
) -> None:
    """What changed between two BPMN models, or did the reform happen: two logs (BEFORE AFTER) with intervals."""
    from gosupr.pipeline import looks_like_bpmn

    if after is None or not (looks_like_bpmn(before) and looks_like_bpmn(after)):
        return _compare_logs(before, after, list(fail_on or []), fmt, lang, html, plan, model, (split_at, split_by),
                             replicates, seed, _columns(case, activity, timestamp, resource, department))
    from gosupr.fileio import check_outputs
    from gosupr.mining.compare.gates import evaluate_gates, parse_gates
    from gosupr.pipeline import run_compare
    from gosupr.report import diff_render as dr

    gates = list(fail_on or [])
    parse_gates(gates)  # a bad gate is bad input: fail before any work
    check_outputs({"--html": html}, [p for p in (before, after, log) if p is not None])
    run = run_compare(before, after, log=log, flatten=flatten, artifacts=artifacts, explain=explain)
    diff, expl = run.diff, run.explanation
    lg = _lang(lang)
    if html is not None:
        from gosupr.report.html import compare_html

        _commit([(html, compare_html(diff, run.before, run.after, lg).encode("utf-8"))])
    if fmt == Fmt.json:
        _emit(dr.diff_json(diff, expl))
    elif fmt == Fmt.markdown:
        _emit(dr.diff_markdown(diff, lg, expl))
    else:
        _console().print(*dr.diff_table(diff, lg, expl))
    violated = evaluate_gates(diff, gates)
    if violated:
        raise GateFailed("; ".join(violated))


def _compare_logs(before, after, gates, fmt, lang, html, plan, model, split, replicates, seed, columns) -> None:
    """`compare BEFORE_LOG AFTER_LOG`: the reform's realised effect (mining.effect)."""
    from gosupr.mining.compare.effect_gates import evaluate_effect_gates, parse_effect_gates
    from gosupr.pipeline import looks_like_bpmn, run_effect
    from gosupr.report import effect_render as er

    for p in (before, after):
        if p is not None and looks_like_bpmn(p):
            raise GosuprError("is a BPMN model; compare takes two models or two event logs (or one log with "
                              "--split-at or --split-by)", path=str(p))
    parsed = parse_effect_gates(gates)
    if any(g.name == "plan-realised-below" for g in parsed) and plan is None:
        raise GosuprError("--fail-on plan-realised-below needs --plan (the reduce JSON or to-be .bpmn)")
    from gosupr.fileio import check_outputs

    check_outputs({"--html": html}, [p for p in (before, after, plan, model) if p is not None])
    eff = run_effect(before, after, split_at=split[0], split_by=split[1], plan=plan, model=model, columns=columns,
                     replicates=replicates, seed=seed)
    violated = evaluate_effect_gates(eff, parsed)
    lg = _lang(lang)
    if html is not None:  # files first, then stdout (as every command)
        from gosupr.report.effect_html import effect_html

        _commit([(html, effect_html(eff, lg).encode("utf-8"))])
    if fmt == Fmt.json:
        _emit(er.dumps(eff, [str(g) for g in parsed], violated))
    elif fmt == Fmt.markdown:
        _emit(er.to_markdown(eff, lg))
    else:
        er.to_terminal(eff, _console(), lg)
    if violated:
        raise GateFailed("; ".join(violated))


@app.command()
def check(
    log: Path = typer.Argument(..., help="Event log to check."),
    model: Optional[Path] = typer.Argument(None, help="The normative BPMN model (default: [regulation] model in --config)."),
    config: Optional[Path] = typer.Option(None, "--config", help="gosupr.toml with a [regulation] section: terms, mandatory steps."),
    fail_on: Optional[List[str]] = typer.Option(
        None, "--fail-on", help="Gate: fitness-below=0.9, overdue-share-above=0.05, mandatory-skipped (repeatable)."
    ),
    time_budget: float = typer.Option(60.0, "--time-budget", min=0.1, help="Seconds for alignments (most frequent variants first)."),
    cases: Optional[Path] = typer.Option(None, "--cases", help="Write each non-conforming case to this CSV (UTF-8, ';')."),
    fmt: Fmt = FmtOpt,
    lang: Lang = LangOpt,
    html: Optional[Path] = typer.Option(None, "--html", help="Also write a self-contained HTML report."),
    case: Optional[str] = CaseOpt,
    activity: Optional[str] = ActOpt,
    timestamp: Optional[str] = TsOpt,
    resource: Optional[str] = ResOpt,
    department: Optional[str] = DepOpt,
) -> None:
    """Is the regulation followed? Deviations from the normative model, mandatory steps, terms in working days."""
    from gosupr.mining.conformance.check_gates import evaluate_check_gates, parse_check_gates
    from gosupr.pipeline import run_check
    from gosupr.report import check_render as cr

    gates = parse_check_gates(list(fail_on or []))
    from gosupr.fileio import check_outputs

    check_outputs({"--cases": cases, "--html": html}, [p for p in (log, model, config) if p is not None])
    run = run_check(log, model, config=config, columns=_columns(case, activity, timestamp, resource, department),
                    time_budget_s=time_budget)
    res, lg = run.result, _lang(lang)
    files: list = []  # written together (all or none), before stdout
    if cases is not None:
        files.append((cases, cr.cases_csv(res, lg).encode("utf-8")))
    if html is not None:
        from gosupr.report.html_check import check_html

        files.append((html, check_html(res, run.model, lg).encode("utf-8")))
    _commit(files)
    if fmt == Fmt.json:
        _emit(cr.to_json(res, run.log.audit.to_dict()))
    elif fmt == Fmt.markdown:
        _emit(cr.to_markdown(res, lg))
    else:
        cr.to_terminal(res, _console(), lg)
    violated = evaluate_check_gates(res, gates)
    if violated:
        raise GateFailed("; ".join(violated))


@app.command()
def render(
    model: Path = typer.Argument(..., help="A BPMN file (with or without diagram interchange)."),
    output: Path = typer.Option(..., "--output", "-o", help="Picture to write: .svg, or .png (needs cairosvg)."),
    highlight: Optional[Path] = typer.Option(None, "--highlight", help="A findings JSON (gosupr analyze --format json) to colour."),
    diagram: str = typer.Option(
        "0", "--diagram", help="Which diagram of the file to draw (from 0), or 'all': one picture per diagram, OUTPUT-N.svg."
    ),
    lang: Lang = LangOpt,
) -> None:
    """Draw a BPMN model as SVG (or PNG), optionally with findings coloured in."""
    from gosupr.pipeline import run_render

    pictures = run_render(model, output, highlight=highlight, diagram=diagram, lang=_lang(lang))
    _commit([(p.path, p.data) for p in pictures])  # all drawn first, then written together: nothing half-way


@app.command()
def batch(
    paths: Optional[List[str]] = typer.Argument(None, help="Files, folders or globs (default: [batch] paths in the config)."),
    config: Optional[Path] = typer.Option(None, "--config", help="gosupr.toml: columns per glob, thresholds, gates."),
    out: Path = typer.Option(Path("gosupr-out"), "--out", help="Folder for summary.json, summary.md, junit.xml and models."),
    jobs: int = typer.Option(1, "--jobs", "-j", min=0, help="Parallel processes (0: one per core)."),
    timings: bool = typer.Option(False, "--timings", help="Record wall-clock times (output no longer byte-identical)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress output."),
    lang: Lang = LangOpt,
    allow_huge_cases: bool = HugeOpt,
    timezone: Optional[str] = TzOpt,
) -> None:
    """Run discover + analyze + reduce on every log and lint every model: for CI pipelines."""
    from gosupr.batch.progress import progress_reporter
    from gosupr.batch.runner import run_batch

    with progress_reporter(quiet=quiet) as cb:
        res = run_batch(
            list(paths or []), config_path=str(config) if config else None, out_dir=str(out), jobs=jobs,
            timings=timings, progress=cb, lang=_lang(lang), allow_huge_cases=allow_huge_cases,
            timezone=timezone,
        )
    if not quiet:
        sys.stderr.write(f"gosupr batch: wrote {out}/summary.json, summary.md, junit.xml\n")
    if res.exit_code:
        raise typer.Exit(res.exit_code)


def _analyze_config(config: Optional[Path], kinds: Optional[List[str]], min_share: Optional[float]):
    from gosupr.pipeline import analyze_settings

    return analyze_settings(config, kinds, min_share)


def _stages(lang: Lang):
    from gosupr.stages import shown

    return shown(_lang(lang))


def _commit(files: list) -> None:
    from gosupr.fileio import commit

    commit(files)


def _stem(p: Path) -> str:
    name = p.name
    for ext in (".xes.gz", ".csv.gz"):
        if name.lower().endswith(ext):
            return name[: -len(ext)]
    return p.stem


def _one_line(e: BaseException, limit: int = 2000) -> str:
    """Messages may quote file content (headers, parser text): keep them to one printable line."""
    from gosupr.report.terminal import plain

    text = " ".join(plain(str(e)).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def main(argv: Optional[List[str]] = None) -> None:
    """Entry point: user errors become one stderr line and exit 2; Ctrl-C 130; SIGTERM 143."""
    from gosupr.fileio import flush_stdout, guard_stdout

    signal.signal(signal.SIGTERM, on_sigterm)
    guard_stdout()
    try:
        rv = app(args=argv, standalone_mode=False)
        flush_stdout()
    except GosuprError as e:
        sys.stderr.write(f"gosupr: error: {_one_line(e)}\n")
        sys.exit(2)
    except GateFailed as e:
        sys.stderr.write(f"gosupr: gate failed: {_one_line(e)}\n")
        sys.exit(1)
    except (typer.Abort, KeyboardInterrupt):
        interrupted()
    except typer.Exit as e:
        sys.exit(e.exit_code)
    except TyperException as e:  # usage errors: typer prints them itself
        show = getattr(e, "show", None)  # the public TyperException does not declare it; its usage errors have it
        if callable(show):
            show()
        else:
            sys.stderr.write(f"gosupr: error: {_one_line(e)}\n")
        sys.exit(getattr(e, "exit_code", 2))
    except BrokenPipeError:  # `gosupr ... | head`
        sys.exit(0)
    except Exception as e:  # a bug of ours, not the user's: still one line unless asked for more
        if os.environ.get("GOSUPR_DEBUG"):
            raise
        sys.stderr.write(f"gosupr: internal error: {type(e).__name__}: {_one_line(e)} (set GOSUPR_DEBUG=1 for details)\n")
        sys.exit(3)
    if rv == 130:  # typer turns KeyboardInterrupt into Exit(130), which it returns here
        interrupted()
    sys.exit(rv if isinstance(rv, int) else 0)


if __name__ == "__main__":  # pragma: no cover
    main()
