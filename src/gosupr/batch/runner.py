"""`gosupr batch`: every input through its pipeline, in parallel processes, then gates and reports.

Inputs travel to worker processes as frozen `Task`s (spawned, so no thread or lock state leaks
in from the parent); results come back as plain dicts (the rows of summary.json) and are put in sorted
input order before anything is written, so the output does not depend on which worker finished first.
"""

from __future__ import annotations

import glob
import os
import shutil
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from gosupr.batch import gates as gate_rules
from gosupr.batch.config import BatchConfig, load_config
from gosupr.batch.inputs import InputFile, expand_inputs
from gosupr.batch.task import Task
from gosupr.batch.worker import (
    OUTPUT_NAMES,
    process_input,
    staging_prefix,
    stop_worker,
)
from gosupr.errors import GosuprError
from gosupr.mining.findings import Findings

SUMMARY_JSON = "summary.json"
SUMMARY_MD = "summary.md"
JUNIT_XML = "junit.xml"

OK, FAILED, GATE_FAILED = "ok", "failed", "gate-failed"


@dataclass(frozen=True)
class ProgressEvent:
    """Sent once before the first input (status "start", done 0) and once per finished input."""

    done: int
    total: int
    label: str
    status: str
    reason: str | None = None


@dataclass
class BatchResult:
    """What a batch did: per-input results (sorted), totals, files written and the exit code."""

    exit_code: int
    inputs: list[dict[str, Any]]
    totals: dict[str, int]
    out_dir: Path
    files: dict[str, Path]
    config: BatchConfig
    seconds: float | None = None
    gate_names: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[dict[str, Any]]:
        return [r for r in self.inputs if r["status"] == FAILED]

    @property
    def gate_failed(self) -> list[dict[str, Any]]:
        return [r for r in self.inputs if r["status"] == GATE_FAILED]


def run_batch(
    paths: list[str],
    *,
    config_path: str | None,
    out_dir: str,
    jobs: int = 1,
    timings: bool = False,
    progress: Callable[[ProgressEvent], None] | None = None,
    lang: str = "en",
    allow_huge_cases: bool = False,
    timezone: str | None = None,
) -> BatchResult:
    """Process every input, evaluate gates, write summary.json, summary.md and junit.xml.

    `paths` (files, folders, globs) default to gosupr.toml's `[batch] paths`. `jobs` 1 runs in
    this process; 0 uses every core. Exit code: 0 all processed and gates pass, 1 a gate failed,
    2 an input was bad. A bad config raises GosuprError (the CLI's exit 2) before anything runs.
    """
    from gosupr.batch import junit, outputs

    t0 = time.perf_counter()
    cfg = load_config(config_path)
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise GosuprError("--out must be a folder, and this is a file", path=str(out_dir))
    if paths:
        items = expand_inputs(list(paths), base_dir=".", exclude=out)
    elif cfg.paths:
        items = expand_inputs(list(cfg.paths), base_dir=cfg.base_dir, exclude=out)
    elif cfg.effects:
        items = []
    else:
        raise GosuprError("no inputs: give files, folders or globs, or set [batch] paths in gosupr.toml")
    if not items and not cfg.effects:
        raise GosuprError("no log or BPMN files found in the given paths")
    _check_outputs_not_inputs(items, out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        from gosupr.fileio import output_error

        raise output_error(out_dir, exc) from None

    tasks = [_task(i, cfg, out, timings, lang, allow_huge_cases, timezone) for i in items]
    if cfg.effects:  # [[effect]] before/after pairs, each one input
        from gosupr.batch.effect_pairs import effect_tasks

        tasks += effect_tasks(cfg.effects, cfg.base_dir, str(out.resolve()), lang, timings, cfg.analyze)

    def judge(r: dict[str, Any]) -> dict[str, Any]:
        effect_gates = r.pop("effect_gates", [])
        r["gates"] = gate_rules.evaluate(cfg.gates, r) + effect_gates if r["status"] == OK else []
        if any(not g["passed"] for g in r["gates"]):
            r["status"] = GATE_FAILED
        return r

    results = _run(tasks, jobs, judge, progress)
    totals = {
        "inputs": len(results),
        OK: sum(r["status"] == OK for r in results),
        GATE_FAILED: sum(r["status"] == GATE_FAILED for r in results),
        FAILED: sum(r["status"] == FAILED for r in results),
    }
    code = 2 if totals[FAILED] else 1 if totals[GATE_FAILED] else 0
    result = BatchResult(
        exit_code=code,
        inputs=results,
        totals=totals,
        out_dir=out,
        files={
            "summary_json": out / SUMMARY_JSON,
            "summary_md": out / SUMMARY_MD,
            "junit": out / JUNIT_XML,
        },
        config=cfg,
        seconds=round(time.perf_counter() - t0, 3) if timings else None,
        gate_names=cfg.gates.names(),
    )
    from gosupr.fileio import commit
    from gosupr.report.jsondoc import dumps

    commit([  # the three summaries together, or none of them
        (result.files["summary_json"], dumps(outputs.summary_document(result))),
        (result.files["summary_md"], outputs.summary_markdown(result, lang)),
        (result.files["junit"], junit.junit_bytes(result)),
    ])
    return result


def _task(item: InputFile, cfg: BatchConfig, out: Path, timings: bool, lang: str = "en",
          allow_huge_cases: bool = False, timezone: str | None = None) -> Task:
    return Task(
        path=item.path,
        label=item.label,
        kind=item.kind,
        stem=item.stem,
        problem=item.problem,
        out_dir=str(out.resolve()),
        columns=cfg.columns_for(item.path) if item.path else None,
        noise=cfg.noise,
        accept=tuple(cfg.accept) if cfg.accept is not None else None,
        analyze=cfg.analyze,
        regulation=cfg.regulation_for(item.path) if item.path and item.kind == "log" else None,
        engine=cfg.engine if item.kind == "log" else None,
        timings=timings,
        lang=lang,
        allow_huge_cases=allow_huge_cases,
        timezone=timezone,
    )


def _check_outputs_not_inputs(items: list[InputFile], out: Path) -> None:
    """Refuse up front when any file the batch would write is one of its inputs."""
    from gosupr.fileio import check_not_input

    inputs: list[str | os.PathLike] = [i.path for i in items if i.path]
    if not inputs:
        return
    targets = [out / n for n in (SUMMARY_JSON, SUMMARY_MD, JUNIT_XML)]
    targets += [out / i.stem / n for i in items for n in OUTPUT_NAMES.values()]
    resolved = {os.path.normcase(str(Path(p).resolve())) for p in inputs}
    for t in targets:
        if os.path.normcase(str(t.resolve())) in resolved:
            check_not_input(t, inputs)  # raises with the standard message


def _run(
    tasks: list[Task],
    jobs: int,
    judge: Callable[[dict[str, Any]], dict[str, Any]],
    progress: Callable[[ProgressEvent], None] | None,
) -> list[dict[str, Any]]:
    total = len(tasks)
    if progress:
        progress(ProgressEvent(0, total, "", "start"))
    workers = (os.cpu_count() or 1) if jobs <= 0 else jobs
    workers = max(1, min(workers, total))
    by_label: dict[str, dict[str, Any]] = {}

    def finished(res: dict[str, Any]) -> None:
        by_label[res["input"]] = res = judge(res)
        if progress:
            progress(ProgressEvent(len(by_label), total, res["input"], res["status"], res["reason"]))

    if workers == 1:
        for t in tasks:
            finished(process_input(t))
    else:
        _run_pool(tasks, workers, finished)
    return [by_label[t.label] for t in tasks]


def _run_pool(tasks: list[Task], workers: int, finished: Callable[[dict[str, Any]], None]) -> None:
    """Parallel run; if a worker dies (killed, out of memory) the inputs it left are reported failed."""
    ex = ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"), initializer=_worker_init)
    died = False
    try:
        pending: dict[Future, Task] = {ex.submit(process_input, t): t for t in tasks}
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in sorted(done, key=lambda f: pending[f].label):
                task = pending.pop(fut)
                try:
                    finished(fut.result())
                except BrokenProcessPool:
                    died = True
                    finished(_died(task))
        ex.shutdown(wait=True)
    except BaseException:  # Ctrl-C, SIGTERM: stop the workers now rather than after their current input
        procs = list((getattr(ex, "_processes", None) or {}).values())
        ex.shutdown(wait=False, cancel_futures=True)
        for p in procs:
            p.terminate()  # SIGTERM: each worker removes its temporary folder and exits
        _reap(procs)
        _sweep_staging(tasks)
        raise
    if died:  # a killed worker had no chance to remove its temporary folder
        _sweep_staging(tasks)


def _reap(procs: list[Any], timeout: float = 10.0) -> None:
    """Wait for stopped workers; kill any that do not stop, so none outlives the batch."""
    deadline = time.monotonic() + timeout
    for p in procs:
        p.join(max(0.0, deadline - time.monotonic()))
    for p in procs:
        if p.is_alive():
            p.kill()
            p.join(5.0)


def _sweep_staging(tasks: list[Task]) -> None:
    """Remove temporary folders left by workers that were killed before they could clean up."""
    for t in tasks:
        if not t.stem or not t.out_dir:
            continue
        pattern = os.path.join(glob.escape(t.out_dir), glob.escape(staging_prefix(t.stem)) + "*")
        for path in glob.glob(pattern):
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, ignore_errors=True)


def _worker_init() -> None:
    """Workers leave Ctrl-C to the parent, which stops them with SIGTERM; on that a worker removes
    its temporary folder and exits at once (no traceback per worker on the terminal)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, stop_worker)


def _died(task: Task) -> dict[str, Any]:
    return {
        "input": task.label,
        "kind": task.kind,
        "status": FAILED,
        "reason": "internal error: the worker process died (out of memory?); run this input alone or with fewer --jobs",
        "audit": None,
        "headline": {},
        "findings": Findings().counts(),
        "outputs": {},
    }
