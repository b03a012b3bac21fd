"""gosupr against the plain pm4py script, as whole processes, side by side, in one run.

    python benchmarks/bench.py [--sizes 10k,100k,1M] [--reps 3] [--out benchmarks/results/latest.json]
                               [--inputs DIR] [--hostile-budget 120] [--no-hostile] [--profile]
                               [--update-readme]

Inputs come from `gosupr.synth.generator.scale` (CSV and XES.gz per size, generated once per run into a
temporary folder, or kept in `--inputs DIR` across runs). Every timed thing is its own process;
wall time is measured around it and peak memory is the child's `ru_maxrss` from `os.wait4`.
Repetitions are interleaved (rep 1 of every stage, then rep 2, ...) so that noise from other
load on the machine spreads over all stages alike. Ratios and targets: bench_report.py.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import bench_report as rep

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
PY = sys.executable
SEED = 42
RUN_TIMEOUT_S = 1800.0  # a safety net, not a budget: one run that hangs must not stall the bench
KILL_GRACE_S = 60.0


# --- one process ------------------------------------------------------------------------------
@dataclass
class Run:
    wall_s: float
    peak_mib: float
    rc: int
    error: str = ""


def run_once(cmd: list[str], cwd: Path, timeout: float = RUN_TIMEOUT_S, stdout: Path | None = None,
             sig: signal.Signals = signal.SIGKILL) -> Run:
    """Run `cmd` to completion; wall time and the child's own peak RSS (ru_maxrss, KiB on Linux).

    After `timeout` seconds the child's process group gets `sig` (SIGTERM: gosupr exits 143 and a
    profiler around it still writes its report), and SIGKILL `KILL_GRACE_S` later if still running."""
    with tempfile.TemporaryFile() as err, open(stdout or os.devnull, "wb") as out:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, start_new_session=True)
        timers = [threading.Timer(timeout, _kill_group, (p.pid, sig))]
        if sig != signal.SIGKILL:
            timers.append(threading.Timer(timeout + KILL_GRACE_S, _kill_group, (p.pid, signal.SIGKILL)))
        for timer in timers:
            timer.start()
        try:
            _, status, usage = os.wait4(p.pid, 0)
        except BaseException:  # Ctrl-C / SIGTERM of the bench: take the child down with it
            _kill_group(p.pid)
            os.waitpid(p.pid, 0)
            p.returncode = -1
            raise
        finally:
            for timer in timers:
                timer.cancel()
        wall = time.perf_counter() - t0
        p.returncode = rc = os.waitstatus_to_exitcode(status)  # so Popen never waits again
        error = ""
        if rc != 0:
            err.seek(0)
            tail = err.read().decode("utf-8", "replace").strip().splitlines()[-6:]
            stopped = rc == -signal.SIGKILL or (sig != signal.SIGKILL and wall >= timeout)
            error = (f"stopped after {timeout:.0f} s; " if stopped else "") + " | ".join(tail)
    return Run(round(wall, 4), round(usage.ru_maxrss / 1024, 1), rc, error)


def _kill_group(pid: int, sig: signal.Signals = signal.SIGKILL) -> None:
    try:
        os.killpg(pid, sig)  # the group of the one child this bench started
    except ProcessLookupError:
        pass


# --- what is timed ----------------------------------------------------------------------------
def gosupr_cmd() -> list[str]:
    """The console script users run (next to this interpreter), else `python -m gosupr`."""
    exe = Path(PY).parent / "gosupr"
    return [str(exe)] if exe.exists() else [PY, "-m", "gosupr"]


def _py(code: str, *args: str) -> list[str]:
    return [PY, "-c", code, *args]


def stages(csv: Path, xes: Path, work: Path, noise: float) -> dict[str, list[str]]:
    """Per-size stages: name → command. Names are the keys of the JSON and of bench_report."""
    plain = [PY, str(HERE / "plain_pm4py.py")]
    n = ["--noise", str(noise)]
    return {
        "plain_discover": [*plain, str(csv), *n],
        "plain_full": [*plain, str(csv), str(work / "plain.bpmn"), *n],
        "gosupr_discover": [*gosupr_cmd(), "discover", str(csv), "-o", str(work / "gosupr.bpmn"),
                            "--noise", str(noise), "--format", "json"],
        "gosupr_read_csv": _py("import sys; from gosupr.ingest import read_log; read_log(sys.argv[1])", str(csv)),
        "gosupr_read_xes_gz": _py("import sys; from gosupr.ingest import read_log; read_log(sys.argv[1])", str(xes)),
        "pm4py_read_xes_default": _py("import sys, pm4py; pm4py.read_xes(sys.argv[1])", str(xes)),
        "pm4py_read_xes_iterparse": _py("import sys, pm4py; pm4py.read_xes(sys.argv[1], variant='iterparse')", str(xes)),
    }


def fixed_stages() -> dict[str, list[str]]:
    """Stages that do not depend on the log size."""
    return {
        "gosupr_help": [*gosupr_cmd(), "--help"],
        "python_bare": _py("pass"),
        "import_pm4py": _py("import pm4py"),
    }


# --- inputs -----------------------------------------------------------------------------------
def parse_size(s: str) -> int:
    s = s.strip().lower()
    mult = {"k": 1_000, "m": 1_000_000}.get(s[-1:], 1)
    return int(float(s[:-1] if mult > 1 else s) * mult)


def _generated(kind: str, a: str, b: str, folder: Path, stem: str, files: list[Path]) -> dict:
    """Facts of an input made by bench_inputs.py in its own process (reused when already there)."""
    meta = folder / f"{stem}.json"
    if not (meta.exists() and all(f.exists() for f in files)):
        res = run_once([PY, str(HERE / "bench_inputs.py"), kind, a, b, str(folder), str(SEED)], folder)
        if res.rc != 0:
            raise SystemExit(f"generating {stem} failed: {res.error}")
    return json.loads(meta.read_text())


def make_inputs(label: str, n: int, folder: Path) -> tuple[Path, Path, dict]:
    """CSV (en dialect) and XES.gz of `gosupr.synth.generator.scale(n)`."""
    csv, xes = folder / f"log_{label}.csv", folder / f"log_{label}.xes.gz"
    facts = _generated("scale", label, str(n), folder, f"log_{label}", [csv, xes])
    print(f"[{label}] input: {facts['events']} events, {facts['cases']} cases (csv {facts['csv_mib']} MiB, "
          f"xes.gz {facts['xes_gz_mib']} MiB, generated in {facts.get('generated_s', '?')} s)", flush=True)
    return csv, xes, facts


def make_hostile(folder: Path, n_variants: int, n_activities: int) -> tuple[Path, dict]:
    """`gosupr.synth.generator.hostile(n_variants, n_activities)` as CSV."""
    stem = f"hostile_{n_variants}_{n_activities}"
    csv = folder / f"{stem}.csv"
    return csv, _generated("hostile", str(n_variants), str(n_activities), folder, stem, [csv])


# --- measuring --------------------------------------------------------------------------------
def measure(plan: dict[str, list[str]], reps: int, cwd: Path, label: str,
            capture: dict[str, Path] | None = None) -> dict[str, dict]:
    """Run every stage `reps` times, interleaved; summary per stage (see bench_report.summarize)."""
    runs: dict[str, list[Run]] = {k: [] for k in plan}
    for r in range(reps):
        for name, cmd in plan.items():
            if runs[name] and runs[name][-1].rc != 0:
                continue  # a stage that failed once is not retried in this run
            res = run_once(cmd, cwd, stdout=(capture or {}).get(name))
            runs[name].append(res)
            state = "ok" if res.rc == 0 else f"FAILED rc={res.rc}: {res.error}"
            print(f"[{label}] {name:<26} rep {r + 1}/{reps}: {res.wall_s:8.2f} s {res.peak_mib:8.0f} MiB  {state}",
                  flush=True)
    return {k: rep.summarize([asdict(x) for x in v]) for k, v in runs.items()}


def gosupr_output(path: Path) -> dict:
    """What `gosupr discover --format json` reported: log facts and which parts it produced."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {"sections": sorted(doc), "summary": doc.get("summary", {}), "model": doc.get("model", {})}


def hostile_run(csv: Path, facts: dict, work: Path, budget: float) -> dict:
    """One `gosupr discover` on the hostile log, killed at twice the budget (never a hang)."""
    cmd = [*gosupr_cmd(), "discover", str(csv), "-o", str(work / "hostile.bpmn"), "--format", "json"]
    out = work / "hostile.json"
    print(f"[hostile] {facts['events']} events, {facts['cases']} cases/variants, {facts['activities']} activities; "
          f"budget {budget:.0f} s", flush=True)
    res = run_once(cmd, work, timeout=max(2 * budget, budget + 60), stdout=out)
    ok = res.rc == 0 and res.wall_s <= budget
    print(f"[hostile] gosupr discover: {res.wall_s:.1f} s, {res.peak_mib:.0f} MiB, rc={res.rc} -> "
          f"{'PASS' if ok else 'FAIL'} (budget {budget:.0f} s) {res.error}", flush=True)
    return {"log": facts, "budget_s": budget, **asdict(res), "pass": ok, "gosupr": gosupr_output(out)}


def profile(csv: Path, work: Path, label: str, dest: Path, limit: float = RUN_TIMEOUT_S) -> None:
    """pyinstrument over one `gosupr discover` (same arguments as the timed stage).

    Stopped (SIGTERM) after `limit` seconds: the profile then shows where a slow run was stuck."""
    exe = Path(PY).parent / "pyinstrument"
    if not exe.exists():
        print("[profile] pyinstrument is not installed (pip install -e '.[bench]'); skipped", flush=True)
        return
    cmd = [str(exe), "-r", "text", "--show-regex", ".*(gosupr|pm4py).*", "-o", str(dest),
           "-m", "gosupr", "discover", str(csv), "-o", str(work / "prof.bpmn"), "--format", "json"]
    res = run_once(cmd, work, timeout=limit, sig=signal.SIGTERM)
    shown = dest.relative_to(REPO) if dest.is_relative_to(REPO) else dest
    print(f"[profile] {label}: {res.wall_s:.1f} s, {res.peak_mib:.0f} MiB, rc={res.rc} -> {shown} {res.error}", flush=True)


# --- the machine ------------------------------------------------------------------------------
def machine() -> dict:
    def first(path: str, key: str) -> str:
        try:
            for line in Path(path).read_text().splitlines():
                if line.startswith(key):
                    return line.split(":", 1)[1].strip()
        except OSError:
            pass
        return "unknown"

    mem_kib = first("/proc/meminfo", "MemTotal").split()[0]
    return {
        "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "memory_gib": round(int(mem_kib) / 2**20, 1) if mem_kib.isdigit() else None,
        "cpu": first("/proc/cpuinfo", "model name"),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "loadavg_start": [round(x, 2) for x in os.getloadavg()],
    }


def versions() -> dict:
    out = {}
    for pkg in ("gosupr", "pm4py", "pandas", "numpy", "pyarrow", "polars", "rustxes"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = None
    try:
        head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False)
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--", "src"], capture_output=True, text=True,
                               check=False)
        out["gosupr_commit"] = head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except OSError:
        out["gosupr_commit"] = None
    return out


# --- main -------------------------------------------------------------------------------------
def main() -> int:
    ap = argparse.ArgumentParser(description="gosupr vs plain pm4py, whole processes, side by side.")
    ap.add_argument("--sizes", default="10k,100k,1M", help="comma-separated event counts (10k, 100k, 1M, ...)")
    ap.add_argument("--reps", type=int, default=3, help="repetitions of every timed process")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "latest.json")
    ap.add_argument("--inputs", type=Path, help="keep generated logs here across runs (default: a temp folder)")
    ap.add_argument("--noise", type=float, default=0.2, help="noise threshold for both gosupr and the plain script")
    ap.add_argument("--only", help="comma-separated stage names to run (default: all)")
    ap.add_argument("--hostile-budget", type=float, default=120.0, help="seconds gosupr discover may take on the hostile log")
    ap.add_argument("--hostile-variants", type=int, default=50_000)
    ap.add_argument("--hostile-activities", type=int, default=300)
    ap.add_argument("--no-hostile", action="store_true")
    ap.add_argument("--profile", action="store_true",
                    help="pyinstrument gosupr discover on the largest size and on the hostile log")
    ap.add_argument("--profile-dir", type=Path, default=HERE / "results", help="where --profile writes its reports")
    ap.add_argument("--update-readme", action="store_true", help="replace the results section of benchmarks/README.md")
    a = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    sizes = [(s.strip(), parse_size(s)) for s in a.sizes.split(",") if s.strip()]
    only = set(a.only.split(",")) if a.only else None
    keep = a.inputs is not None
    folder = a.inputs or Path(tempfile.mkdtemp(prefix="gosupr-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="gosupr-bench-work-"))
    doc: dict = {"schema": "gosupr.bench/1", "date": time.strftime("%Y-%m-%d", time.gmtime()),
                 "machine": machine(), "versions": versions(),
                 "config": {"reps": a.reps, "noise": a.noise, "seed": SEED, "sizes": [s for s, _ in sizes],
                            "gosupr_command": " ".join(Path(c).name for c in gosupr_cmd())},
                 "sizes": {}}
    print(f"machine: {doc['machine']}\nversions: {doc['versions']}", flush=True)
    try:
        run_once(_py("import pm4py, gosupr.cli, gosupr.ingest"), work)  # warm the bytecode caches, untimed
        inputs = {label: make_inputs(label, n, folder) for label, n in sizes}  # all generated before timing
        want_hostile = not a.no_hostile and (only is None or "hostile" in only)
        need_hostile = not a.no_hostile and (want_hostile or a.profile)
        hostile_in = make_hostile(folder, a.hostile_variants, a.hostile_activities) if need_hostile else None
        fixed = {k: v for k, v in fixed_stages().items() if only is None or k in only}
        doc["fixed"] = measure(fixed, max(a.reps, 5), work, "fixed")
        for label, _ in sizes:
            csv, xes, facts = inputs[label]
            plan = {k: v for k, v in stages(csv, xes, work, a.noise).items() if only is None or k in only}
            cap = {"gosupr_discover": work / f"gosupr_{label}.json"}
            doc["sizes"][label] = {"log": facts, "stages": measure(plan, a.reps, work, label, cap),
                                   "gosupr": gosupr_output(cap["gosupr_discover"])}
        if hostile_in and want_hostile:
            doc["hostile"] = hostile_run(*hostile_in, work, a.hostile_budget)
        if a.profile:
            a.profile_dir.mkdir(parents=True, exist_ok=True)
        if a.profile and sizes:
            label = sizes[-1][0]
            profile(inputs[label][0], work, label, a.profile_dir / f"profile_gosupr_discover_{label}.txt")
        if a.profile and hostile_in:
            profile(hostile_in[0], work, "hostile", a.profile_dir / "profile_gosupr_discover_hostile.txt",
                    limit=2 * a.hostile_budget)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)

    doc["machine"]["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    # the floor under every child's ru_maxrss (fork/exec inherits the parent's high-water mark)
    doc["config"]["bench_parent_peak_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    doc["ratios"] = rep.ratios(doc)
    doc["scaling"] = rep.scaling(doc)
    doc["targets"] = rep.targets(doc)  # reads the two above
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    table = rep.markdown(doc)
    print("\n" + table)
    print(f"written: {a.out}")
    if a.update_readme:
        rep.update_readme(HERE / "README.md", table)
        print(f"updated: {HERE / 'README.md'}")
    gating = [t for t in doc["targets"] if t.get("gating", True) and t["pass"] is not None]
    return 0 if all(t["pass"] for t in gating) else 1


if __name__ == "__main__":
    sys.exit(main())
