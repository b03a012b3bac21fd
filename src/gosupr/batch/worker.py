"""One input, start to end, in a worker process: a frozen, picklable `Task` in, a plain dict out.

Logs go through the same pipeline functions as `gosupr discover` (ingest → discover → analyze →
reduce); BPMN models through `gosupr analyze MODEL.bpmn`'s (the hardened reader, the model
rules). Any failure becomes status "failed" with a one-line reason: one bad input never stops
the others. Reasons and audits name the input by its label, never by an
absolute path, so the batch's output stays the same on every machine.

Each input's files are written into a hidden temporary folder beside the final one
(`<out>/.<stem>.tmp-XXXX`) and renamed into place only when the input completes: an interrupted
or failed input never leaves a complete-looking folder, and an earlier run's folder survives an
interrupt untouched.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from gosupr._hold import hold
from gosupr.batch.task import Task
from gosupr.errors import GosuprError
from gosupr.mining.findings import Findings

OUTPUT_NAMES = {"as_is": "as-is.bpmn", "to_be": "to-be.bpmn", "findings": "findings.json", "reduction": "reduction.json",
                "html": "report.html", "check": "check.json", "effect": "effect.json", "discover": "discover.json"}

# The temporary folder this process is filling (or the earlier run's folder being thrown away):
# removed by `discard_staging` on failure, interrupt, or a worker's SIGTERM.
_staging: Path | None = None


def process_input(task: Task) -> dict[str, Any]:
    """Run one input; never raises for a problem with the input (only for KeyboardInterrupt & co).

    The row returned is the input's entry in summary.json; its `headline` holds the input's figures
    (counts, shares, fitness) that the gates read.
    """
    t0 = time.perf_counter()
    res: dict[str, Any] = {
        "input": task.label,
        "kind": task.kind,
        "status": "ok",
        "reason": None,
        "audit": None,
        "headline": {},
        "findings": Findings().counts(),
        "outputs": {},
    }
    final: Path | None = None
    try:
        if task.kind == "missing":
            raise GosuprError(task.problem or "file not found", path=task.label)
        final = Path(task.out_dir) / task.stem
        folder = _stage(final)
        if task.kind == "model":
            _model(task, folder, res)
        elif task.kind == "effect":
            _effect(task, folder, res)
        else:
            _log(task, folder, res)
        hold("commit")  # tests: a signal with every output staged, before the folder is swapped in
        _commit(folder, final)
    except GosuprError as e:
        res.update(status="failed", reason=scrub(_unstaged(str(e), final), task))
    except MemoryError:
        res.update(status="failed", reason="internal error: out of memory on this input; run it alone or with fewer --jobs")
    except Exception as e:  # noqa: BLE001 - a bug of ours on this input: report it, keep going with the others
        res.update(status="failed", reason=scrub(_unstaged(f"internal error: {type(e).__name__}: {e}", final), task))
    finally:  # also on KeyboardInterrupt/SystemExit: no temporary folder is left behind
        discard_staging()
    if res["status"] == "failed":
        res["outputs"] = {}
        if final is not None:
            _clear_previous(final)
    if task.timings:
        res["seconds"] = round(time.perf_counter() - t0, 3)
    return res


def _log(task: Task, folder: Path, res: dict[str, Any]) -> None:
    """`gosupr discover` (findings and before/after included) through the same pipeline functions."""
    if task.engine is not None:
        _log_engine(task, folder, res)
        return
    from gosupr.ingest import ColumnMap
    from gosupr.mining.discover import summarize
    from gosupr.mining.waste.analyze import findings_document, waste_totals
    from gosupr.pipeline import discover_log, read_event_log
    from gosupr.report.reduce_render import document

    columns = ColumnMap(**task.columns) if task.columns else None
    log = read_event_log(_read_path(task), columns, allow_huge_cases=task.allow_huge_cases, timezone=task.timezone)
    audit = log.audit.to_dict()
    audit["source"] = task.label
    res["audit"] = audit
    summary = summarize(log)
    rows_read = int(audit.get("rows_read") or 0)
    figures: dict[str, Any] = {  # the row's "headline": the gates read these
        **summary.to_dict(),
        "rows_dropped_share": round(int(audit.get("rows_dropped") or 0) / rows_read, 6) if rows_read else 0.0,
    }
    res["headline"] = figures
    run = discover_log(log, None, noise=task.noise, analyze_config=task.analyze, accept=task.accept, commit=False,
                       summary=summary)
    red, findings = run.reduction, run.findings
    assert red is not None  # with_reduction is on
    _write_model(run.model, folder, "as_is", task, res)
    res["findings"] = Findings.of(findings).counts()
    waste = waste_totals(findings, log)
    figures.update(
        findings=len(findings),
        removable_steps=waste["removable_steps"],
        removable_time_per_case_s=waste["removable_time_per_case_s"],
    )
    doc = findings_document(findings, log)
    doc["log"]["source"] = task.label
    _write_doc(folder, "findings", task, res, doc)
    _write_model(red.to_be, folder, "to_be", task, res)
    figures.update(
        {
            **red.figures,
            "fitness": red.quality["to_be"]["fitness"],  # on today's log, not on the to-be log itself
            "precision": red.quality["to_be"]["precision"],
            "outcome_preserved_share": red.quality.get("outcome_preserved_share"),
        }
    )
    rel = {k: res["outputs"].get(k) for k in ("as_is", "to_be")}
    _write_doc(folder, "reduction", task, res, document(red, audit, rel))
    from gosupr.report.html import batch_input_html

    page = batch_input_html(task.label, task.lang, model=run.model, findings=findings, log=log, reduction=red)
    _write_page(folder, task, res, page)
    if task.regulation is not None:
        _check(task, log, folder, res)


def _log_engine(task: Task, folder: Path, res: dict[str, Any]) -> None:
    """`gosupr discover --engine` for a log under `[engine]`, through the same pipeline function: the
    as-is model, findings and before/after computed from the engine's summary (its paths), written
    as the per-event path writes them, plus discover.json (the summary's statistics and the engine).
    The engine's peak memory differs run to run: recorded only with --timings, as times are."""
    from gosupr.engines import log_name
    from gosupr.ingest import ColumnMap
    from gosupr.mining.discover_summary import log_section, stats
    from gosupr.mining.waste.analyze import findings_document, waste_totals
    from gosupr.mining.waste.reduce_summary import reduce_summary
    from gosupr.mining.waste.summary_facts import EXACTNESS
    from gosupr.pipeline import run_discover_engine
    from gosupr.report.discover_summary_render import ENGINE_KEY, document
    from gosupr.report.reduce_render import document as reduction_document

    eng = task.engine
    assert eng is not None and eng.name is not None  # the config keeps [engine] only when it names one
    source = _read_path(task)
    name = log_name(source)
    columns = ColumnMap(**task.columns) if task.columns else None
    options = eng.options(timezone=task.timezone, allow_huge_cases=task.allow_huge_cases)
    run = run_discover_engine(source, None, engine=eng.name, noise=task.noise, columns=columns, options=options,
                              name=name, commit=False, analyze_config=task.analyze, with_reduction=False)
    s, findings, facts = run.summary, run.findings, run.facts
    assert findings is not None and facts is not None  # with_findings is on
    # the batch's `accept` narrows what the reduction applies, as on the per-event path
    red = run.reduction = reduce_summary(s, accept=task.accept, noise=task.noise, analyze_config=task.analyze,
                                         name=name, facts=facts, findings=findings, as_is=run.model)
    block = {**log_section(s), "source": task.label, "computed_from": "log summary (paths)", "exactness": EXACTNESS}
    res["audit"] = block
    rows = s.rows_scanned
    figures: dict[str, Any] = {**stats(s), "rows_dropped_share": round((rows - s.rows_kept) / rows, 6) if rows else 0.0}
    res["headline"] = figures
    _write_model(run.model, folder, "as_is", task, res)
    res["findings"] = Findings.of(findings).counts()
    waste = waste_totals(findings, facts=facts)
    figures.update(findings=len(findings), removable_steps=waste["removable_steps"],
                   removable_time_per_case_s=waste["removable_time_per_case_s"])
    _write_doc(folder, "findings", task, res, findings_document(findings, facts=facts, log_block=dict(block)))
    _write_model(red.to_be, folder, "to_be", task, res)
    figures.update({**red.figures, "fitness": red.quality["to_be"]["fitness"],
                    "precision": red.quality["to_be"]["precision"],
                    "outcome_preserved_share": red.quality.get("outcome_preserved_share")})
    rel = {k: res["outputs"].get(k) for k in ("as_is", "to_be")}
    _write_doc(folder, "reduction", task, res, reduction_document(red, dict(block), rel))
    doc = document(run)
    doc["log"]["source"] = task.label
    doc["output"] = res["outputs"]["as_is"]
    if not task.timings:
        doc[ENGINE_KEY].pop("peak_rss_mib", None)
    res[ENGINE_KEY] = dict(doc[ENGINE_KEY])
    _write_doc(folder, "discover", task, res, doc)


def _check(task: Task, log: Any, folder: Path, res: dict[str, Any]) -> None:
    """`gosupr check` against the regulation gosupr.toml names for this log: check.json and its figures."""
    from gosupr.pipeline import check_against
    from gosupr.report.check_render import document as check_document

    reg = task.regulation
    assert reg is not None and reg.model is not None  # `regulation_for` gives only regulations with a model
    r = check_against(log, reg, model_path=reg.model).result
    r.regulation_source = os.path.basename(reg.source or "") or None  # no absolute path in batch output
    _write_doc(folder, "check", task, res, check_document(r))
    res["headline"].update(
        check_fitness=r.fitness.log_fitness,
        check_coverage_share=round(r.coverage_share, 6),
        nonconforming_cases=r.nonconforming_cases,
        mandatory_skipped_cases=r.mandatory_skipped,
        overdue_share=round(r.overdue_share(), 6),
    )


def _effect(task: Task, folder: Path, res: dict[str, Any]) -> None:
    """A [[effect]] before/after pair: effect.json and report.html, its own gates."""
    from gosupr.batch.effect_pairs import run_effect_task

    res["headline"], res["effect_gates"], doc, page = run_effect_task(task)
    _write_doc(folder, "effect", task, res, doc)
    _write_page(folder, task, res, page)


def _model(task: Task, folder: Path, res: dict[str, Any]) -> None:
    """`gosupr analyze MODEL.bpmn` through the same pipeline function."""
    from gosupr.mining.waste.analyze import findings_document
    from gosupr.pipeline import run_lint

    linted = run_lint(_read_path(task), config=task.analyze)
    model, findings = linted.model, linted.findings
    assert model is not None
    res["audit"] = {
        "source": task.label,
        "format": "bpmn",
        "exporter": model.exporter,
        "processes": len(model.processes),
        "pools": len(model.participants),
        "lanes": len(model.lanes),
    }
    res["findings"] = Findings.of(findings).counts()
    res["headline"] = {  # the model's figures
        "tasks": len(model.tasks()),
        "gateways": len(model.gateways()),
        "event_nodes": len(model.events()),
        "sequence_flows": len(model.sequence_flows()),
        "findings": len(findings),
    }
    _write_doc(folder, "findings", task, res, findings_document(findings, None, model_name=task.label))
    from gosupr.report.html import batch_input_html

    _write_page(folder, task, res, batch_input_html(task.label, task.lang, model=model, findings=findings))


# -- files --------------------------------------------------------------------------------------
def _write_model(model: Any, folder: Path, key: str, task: Task, res: dict[str, Any]) -> None:
    from gosupr.bpmn.writer import write_bpmn

    target = folder / OUTPUT_NAMES[key]
    folder.mkdir(parents=True, exist_ok=True)
    write_bpmn(model, target)
    res["outputs"][key] = f"{task.stem}/{target.name}"


def _write_doc(folder: Path, key: str, task: Task, res: dict[str, Any], doc: dict[str, Any]) -> None:
    from gosupr.fileio import write_text
    from gosupr.report.jsondoc import dumps

    target = folder / OUTPUT_NAMES[key]
    folder.mkdir(parents=True, exist_ok=True)
    write_text(target, dumps(doc))
    res["outputs"][key] = f"{task.stem}/{target.name}"


def _write_page(folder: Path, task: Task, res: dict[str, Any], page: str) -> None:
    from gosupr.fileio import write_text

    target = folder / OUTPUT_NAMES["html"]
    folder.mkdir(parents=True, exist_ok=True)
    write_text(target, page)
    res["outputs"]["html"] = f"{task.stem}/{target.name}"


def staging_prefix(stem: str) -> str:
    """Name prefix of an input's temporary folders (hidden; short enough for any file system)."""
    return f".{stem[:64]}.tmp-"


def _stage(final: Path) -> Path:
    global _staging
    _staging = Path(tempfile.mkdtemp(prefix=staging_prefix(final.name), dir=final.parent))
    return _staging


def _commit(folder: Path, final: Path) -> None:
    """Swap the finished folder in for an earlier run's: old → trash, new → final, drop trash."""
    global _staging
    os.chmod(folder, 0o777 & ~_umask())  # mkdtemp makes 0700; outputs get ordinary permissions
    trash = folder.with_name(folder.name + ".old")
    with _signals_deferred():  # a signal between the two renames must not lose both folders
        had_old = final.exists() or final.is_symlink()
        if had_old:
            os.replace(final, trash)
        try:
            os.replace(folder, final)
        except BaseException:
            if had_old:
                os.replace(trash, final)
            raise
        _staging = trash if had_old else None
    discard_staging()


def discard_staging() -> None:
    """Remove this process's temporary folder, if any (safe to call from a signal handler)."""
    global _staging
    path, _staging = _staging, None
    if path is not None:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            with suppress(OSError):
                path.unlink()


def stop_worker(signum: int, frame: Any) -> None:
    """A worker's SIGTERM (the parent stopping the pool): drop the half-written folder, then exit."""
    discard_staging()
    os._exit(128 + signum)


@contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold SIGINT/SIGTERM for a few renames, then act on them as their handlers would have."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[int] = []
    old: dict[int, Any] = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        if signal.getsignal(sig) is not None:  # None: a handler not set from Python, leave it
            old[sig] = signal.signal(sig, lambda n, f: pending.append(n))
    try:
        yield
    finally:
        for held, handler in old.items():
            signal.signal(held, handler)
        for num in pending:
            handler = old[num]
            if callable(handler):
                handler(num, None)
            elif handler == signal.SIG_DFL:
                signal.raise_signal(num)


def _unstaged(text: str, final: Path | None) -> str:
    """Messages name the final folder, never a temporary one."""
    if final is None or _staging is None:
        return text
    return text.replace(str(_staging), str(final))


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _clear_previous(folder: Path) -> None:
    """A re-run must not leave an earlier run's files beside a now failing input."""
    for name in OUTPUT_NAMES.values():
        with suppress(OSError):
            (folder / name).unlink()
    with suppress(OSError):
        folder.rmdir()  # only when now empty: files of the user's own stay


def _read_path(task: Task) -> str:
    """The label when it reaches the file from here (messages then name it as the user sees it)."""
    label, path = task.label, task.path or task.label
    try:
        if os.path.samefile(label, path):
            return label
    except OSError:
        pass
    return path


def scrub(text: str, task: Task) -> str:
    """Messages name the input by its label and hold no absolute paths of this machine."""
    text = " ".join(text.split())
    if task.path:
        text = text.replace(task.path, task.label)
    out_dir = task.out_dir
    if out_dir:
        text = text.replace(out_dir.rstrip(os.sep) + os.sep, "")
    cwd = os.getcwd().rstrip(os.sep) + os.sep
    return text.replace(cwd, "")
