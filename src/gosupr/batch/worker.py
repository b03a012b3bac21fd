"""One input, start to end, in a worker process: a plain, picklable dict in, a plain dict out.

Logs go through ingest → discover → analyze → reduce; BPMN models through the hardened reader
and the model rules (lint). Any failure becomes status "failed" with a one-line reason: one bad
input never stops the others. Reasons and audits name the input by its label, never by an
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
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from gosupr._hold import hold
from gosupr.errors import GosuprError
from gosupr.mining.findings import SEVERITIES

OUTPUT_NAMES = {"as_is": "as-is.bpmn", "to_be": "to-be.bpmn", "findings": "findings.json", "reduction": "reduction.json",
                "html": "report.html", "check": "check.json", "effect": "effect.json"}

# The temporary folder this process is filling (or the earlier run's folder being thrown away):
# removed by `discard_staging` on failure, interrupt, or a worker's SIGTERM.
_staging: Path | None = None


def process_input(task: dict[str, Any]) -> dict[str, Any]:
    """Run one input; never raises for a problem with the input (only for KeyboardInterrupt & co)."""
    t0 = time.perf_counter()
    res: dict[str, Any] = {
        "input": task["label"],
        "kind": task["kind"],
        "status": "ok",
        "reason": None,
        "audit": None,
        "headline": {},
        "findings": count_findings([]),
        "outputs": {},
    }
    final: Path | None = None
    try:
        if task["kind"] == "missing":
            raise GosuprError(task.get("problem") or "file not found", path=task["label"])
        final = Path(task["out_dir"]) / task["stem"]
        folder = _stage(final)
        if task["kind"] == "model":
            _model(task, folder, res)
        elif task["kind"] == "effect":
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
    if task.get("timings"):
        res["seconds"] = round(time.perf_counter() - t0, 3)
    return res


def _log(task: dict[str, Any], folder: Path, res: dict[str, Any]) -> None:
    from gosupr.ingest import ColumnMap, read_log
    from gosupr.mining.waste.analyze import analyze_log, findings_document
    from gosupr.mining.waste.analyze import headline as waste_headline
    from gosupr.mining.discover import discover_model, summarize
    from gosupr.mining.waste.reduce import reduce_process
    from gosupr.report.reduce_render import document

    columns = ColumnMap(**task["columns"]) if task.get("columns") else None
    log = read_log(_read_path(task), columns, allow_huge_cases=bool(task.get("allow_huge_cases")),
                   timezone=task.get("timezone"))
    hold("read")  # tests: a signal mid-run, between ingestion and discovery
    audit = log.audit.to_dict()
    audit["source"] = task["label"]
    res["audit"] = audit
    summary = summarize(log).to_dict()
    rows_read = int(audit.get("rows_read") or 0)
    res["headline"] = {
        **summary,
        "rows_dropped_share": round(int(audit.get("rows_dropped") or 0) / rows_read, 6) if rows_read else 0.0,
    }
    noise = task["noise"]
    as_is = discover_model(log, noise=noise)
    _write_model(as_is, folder, "as_is", task, res)
    findings = analyze_log(log, task.get("analyze"))
    res["findings"] = count_findings(findings)
    waste = waste_headline(findings, log)
    res["headline"].update(
        findings=len(findings),
        removable_steps=waste["removable_steps"],
        removable_time_per_case_s=waste["removable_time_per_case_s"],
    )
    doc = findings_document(findings, log)
    doc["log"]["source"] = task["label"]
    _write_doc(folder, "findings", task, res, doc)
    red = reduce_process(
        log, findings=findings, accept=task.get("accept"), noise=noise, as_is=as_is, analyze_config=task.get("analyze")
    )
    _write_model(red.to_be, folder, "to_be", task, res)
    res["headline"].update(
        {
            **red.headline,
            "fitness": red.quality["to_be"]["fitness"],  # on today's log, not on the to-be log itself
            "precision": red.quality["to_be"]["precision"],
            "outcome_preserved_share": red.quality.get("outcome_preserved_share"),
        }
    )
    rel = {k: res["outputs"].get(k) for k in ("as_is", "to_be")}
    _write_doc(folder, "reduction", task, res, document(red, audit, rel))
    from gosupr.report.html import batch_input_html

    page = batch_input_html(task["label"], task.get("lang", "en"), model=as_is, findings=findings, log=log, reduction=red)
    _write_page(folder, task, res, page)
    if task.get("regulation") is not None:
        _check(task, log, folder, res)


def _check(task: dict[str, Any], log: Any, folder: Path, res: dict[str, Any]) -> None:
    """`gosupr check` against the regulation gosupr.toml names for this log: check.json and headline figures."""
    from gosupr.bpmn.reader import read_bpmn
    from gosupr.mining.conformance.check import check_log
    from gosupr.report.check_render import document as check_document

    reg = task["regulation"]
    model = read_bpmn(reg.model)
    r = check_log(log, model, reg, model_name=os.path.basename(reg.model))
    r.regulation_source = os.path.basename(reg.source or "") or None  # no absolute path in batch output
    _write_doc(folder, "check", task, res, check_document(r))
    res["headline"].update(
        check_fitness=r.fitness.log_fitness,
        check_coverage_share=round(r.coverage_share, 6),
        nonconforming_cases=r.nonconforming_cases,
        mandatory_skipped_cases=r.mandatory_skipped,
        overdue_share=round(r.overdue_share(), 6),
    )


def _effect(task: dict[str, Any], folder: Path, res: dict[str, Any]) -> None:
    """A [[effect]] before/after pair: effect.json and report.html, its own gates."""
    from gosupr.batch.effect_pairs import run_effect_task

    res["headline"], res["effect_gates"], doc, page = run_effect_task(task)
    _write_doc(folder, "effect", task, res, doc)
    _write_page(folder, task, res, page)


def _model(task: dict[str, Any], folder: Path, res: dict[str, Any]) -> None:
    from gosupr.bpmn.reader import read_bpmn
    from gosupr.mining.waste.analyze import findings_document, lint_model

    model = read_bpmn(_read_path(task))
    res["audit"] = {
        "source": task["label"],
        "format": "bpmn",
        "exporter": model.exporter,
        "processes": len(model.processes),
        "pools": len(model.participants),
        "lanes": len(model.lanes),
    }
    findings = lint_model(model, task.get("analyze"))
    res["findings"] = count_findings(findings)
    res["headline"] = {
        "tasks": len(model.tasks()),
        "gateways": len(model.gateways()),
        "event_nodes": len(model.events()),
        "sequence_flows": len(model.sequence_flows()),
        "findings": len(findings),
    }
    _write_doc(folder, "findings", task, res, findings_document(findings, None, model_name=task["label"]))
    from gosupr.report.html import batch_input_html

    _write_page(folder, task, res, batch_input_html(task["label"], task.get("lang", "en"), model=model, findings=findings))


def count_findings(findings: list[Any]) -> dict[str, Any]:
    """Totals by kind and severity (every severity present, zeros included, for stable tables)."""
    by_kind = Counter(f.kind for f in findings)
    by_sev = Counter(f.severity for f in findings)
    return {
        "total": len(findings),
        "removable": sum(1 for f in findings if f.removable),
        "by_kind": dict(sorted(by_kind.items())),
        "by_severity": {s: by_sev.get(s, 0) for s in SEVERITIES},
    }


# -- files --------------------------------------------------------------------------------------
def _write_model(model: Any, folder: Path, key: str, task: dict[str, Any], res: dict[str, Any]) -> None:
    from gosupr.bpmn.writer import write_bpmn

    target = folder / OUTPUT_NAMES[key]
    folder.mkdir(parents=True, exist_ok=True)
    write_bpmn(model, target)
    res["outputs"][key] = f"{task['stem']}/{target.name}"


def _write_doc(folder: Path, key: str, task: dict[str, Any], res: dict[str, Any], doc: dict[str, Any]) -> None:
    from gosupr.fileio import write_text
    from gosupr.report.jsondoc import dumps

    target = folder / OUTPUT_NAMES[key]
    folder.mkdir(parents=True, exist_ok=True)
    write_text(target, dumps(doc))
    res["outputs"][key] = f"{task['stem']}/{target.name}"


def _write_page(folder: Path, task: dict[str, Any], res: dict[str, Any], page: str) -> None:
    from gosupr.fileio import write_text

    target = folder / OUTPUT_NAMES["html"]
    folder.mkdir(parents=True, exist_ok=True)
    write_text(target, page)
    res["outputs"]["html"] = f"{task['stem']}/{target.name}"


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
            try:
                path.unlink()
            except OSError:
                pass


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
        try:
            (folder / name).unlink()
        except OSError:
            pass
    try:
        folder.rmdir()  # only when now empty: files of the user's own stay
    except OSError:
        pass


def _read_path(task: dict[str, Any]) -> str:
    """The label when it reaches the file from here (messages then name it as the user sees it)."""
    label = task["label"]
    try:
        if os.path.samefile(label, task["path"]):
            return label
    except OSError:
        pass
    return task["path"]


def scrub(text: str, task: dict[str, Any]) -> str:
    """Messages name the input by its label and hold no absolute paths of this machine."""
    text = " ".join(text.split())
    if task.get("path"):
        text = text.replace(task["path"], task["label"])
    out_dir = task.get("out_dir")
    if out_dir:
        text = text.replace(out_dir.rstrip(os.sep) + os.sep, "")
    cwd = os.getcwd().rstrip(os.sep) + os.sep
    return text.replace(cwd, "")
