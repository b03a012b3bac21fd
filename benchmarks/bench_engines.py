"""Engines at scale (issue 15): `discover --engine duckdb --memory-limit 4GB` on 10M and 50M events as
partitioned Parquet, and duckdb against memory on 1M (Parquet and CSV).

    python benchmarks/bench_engines.py [--sizes 1M,10M,50M] [--inputs DIR] [--memory-limit 4GB]
                                       [--repeat 3] [--out benchmarks/results/engines.json]

Inputs: one 1M-event log from the examples' generator (`gosupr.synth.scale`), replicated with shifted
case ids (`r<k>-` prefix) and times (k × the log's span + 1 day) into one Parquet partition per
million events, written one partition at a time (memory stays at one partition). At 1M the same
log is also a CSV as registers export it (`synth.io.write_csv`, dialect `ru`: `;`, cp1251,
dd.mm.yyyy hh:mm), and memory and duckdb run `--repeat` times on each input, interleaved (the order
alternates per round) so a busy shared machine slows both alike; the ratio is median over median.
Each run is its own process; wall time is measured around it and peak memory is the child's
ru_maxrss (os.wait4). Not a timed test: the numbers depend on the machine and on what else runs on it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
MILLION = 1_000_000


def _size(text: str) -> int:
    text = text.strip().upper()
    mult = {"K": 1_000, "M": MILLION}.get(text[-1], 1)
    return int(float(text.rstrip("KM")) * mult)


def base_table(path: Path) -> "object":
    """The 1M-event base log as an Arrow table (written once to `path`)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if path.exists():
        return pq.read_table(path)
    from gosupr.synth import generator as synth

    df = synth.scale(MILLION, seed=42)
    table = pa.table({
        "case_id": pa.array(df["case_id"].astype(str).to_numpy(dtype=object), pa.string()),
        "activity": pa.array(df["activity"].astype(str).to_numpy(dtype=object), pa.string()),
        "timestamp": pa.array(df["timestamp"].to_numpy(), pa.timestamp("us")),
        "resource": pa.array(df["resource"].astype(str).to_numpy(dtype=object), pa.string()),
        "department": pa.array(df["department"].astype(str).to_numpy(dtype=object), pa.string()),
    })
    pq.write_table(table, path)
    return table


def base_csv(base: "object", path: Path) -> Path:
    """The 1M-event base log as a register's CSV export (written once to `path`)."""
    if not path.exists():
        from gosupr.synth import io

        io.write_csv(base.to_pandas(), path, dialect="ru")  # type: ignore[attr-defined]
    return path


def partitioned(base: "object", n_events: int, folder: Path) -> Path:
    """`n_events` (a multiple of the base) as `folder/part-<k>.parquet`, one replica per file."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    reps = max(1, n_events // base.num_rows)
    if folder.is_dir() and len(list(folder.glob("part-*.parquet"))) == reps:
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    ts = base["timestamp"]
    span_us = (pc.max(ts).value - pc.min(ts).value) + 86_400 * 10**6
    ts_int = pc.cast(ts, pa.int64())
    for k in range(reps):
        shifted = pc.cast(pc.add(ts_int, k * span_us), pa.timestamp("us"))
        case = pc.binary_join_element_wise(pa.scalar(f"r{k}"), base["case_id"], "-")
        part = base.set_column(0, "case_id", case).set_column(2, "timestamp", shifted)
        pq.write_table(part, folder / f"part-{k:05d}.parquet", row_group_size=256 * 1024)
    return folder


def run(source: Path, engine: str, memory_limit: str, work: Path) -> dict[str, Any]:
    """One `gosupr discover --engine` process: wall seconds, peak RSS, its JSON."""
    cmd = [sys.executable, "-m", "gosupr", "discover", str(source), "--engine", engine,
           "-o", str(work / f"{engine}.bpmn"), "--format", "json", "--memory-limit", memory_limit]
    out = work / f"{engine}.json"
    start = time.monotonic()
    with open(out, "w") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.PIPE, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - start
    err = proc.stderr.read() if proc.stderr else ""
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"{engine} on {source} failed ({code}): {err.strip()}")
    doc = json.loads(out.read_text())
    return {"engine": engine, "source": source.name, "events": doc["log"]["events"], "seconds": round(wall, 2),
            "peak_rss_mib": round(usage.ru_maxrss / 1024, 1), "variants": doc["summary"]["variants"],
            # "with everything": the findings and the reduction's verdict came from the same run
            "findings": len(doc.get("findings") or []), "verdict": (doc.get("reduction") or {}).get("verdict"),
            "bpmn_bytes": (work / f"{engine}.bpmn").stat().st_size}


def _median(values: list[float]) -> float:
    return statistics.median(values)


def ratios_of(results: list[dict[str, Any]]) -> dict[str, float]:
    """time(50M)/time(10M) for duckdb; at 1M, per input kind, median duckdb time over median memory
    time, and `duckdb_over_memory_1M` the worse of them (sizes rounded to millions)."""
    times: dict[tuple[str, int, str], list[float]] = {}
    for r in results:
        kind = "csv" if r["source"].endswith(".csv") else "parquet"
        times.setdefault((r["engine"], round(r["events"] / MILLION), kind), []).append(r["seconds"])
    out: dict[str, float] = {}
    if ("duckdb", 50, "parquet") in times and ("duckdb", 10, "parquet") in times:
        out["time_50M_over_10M"] = round(_median(times["duckdb", 50, "parquet"])
                                         / _median(times["duckdb", 10, "parquet"]), 2)
    for kind in ("parquet", "csv"):
        if ("duckdb", 1, kind) in times and ("memory", 1, kind) in times:
            out[f"duckdb_over_memory_1M_{kind}"] = round(_median(times["duckdb", 1, kind])
                                                         / _median(times["memory", 1, kind]), 2)
    at_1m = [v for k, v in out.items() if k.startswith("duckdb_over_memory_1M_")]
    if at_1m:
        out["duckdb_over_memory_1M"] = max(at_1m)
    return out


def one_million(sources: list[Path], repeat: int, memory_limit: str, work: Path) -> list[dict[str, Any]]:
    """memory and duckdb on each 1M input, `repeat` rounds, the order alternating per round."""
    results: list[dict[str, Any]] = []
    for k in range(repeat):
        for source in sources:
            engines = ("memory", "duckdb") if k % 2 == 0 else ("duckdb", "memory")
            pair = [run(source, e, memory_limit, work) for e in engines]
            same = (work / "memory.bpmn").read_bytes() == (work / "duckdb.bpmn").read_bytes()
            for r in pair:
                r["same_model_as_memory"] = same
                r["round"] = k
                print(json.dumps(r, ensure_ascii=False), flush=True)
            results += pair
    return results


def prepare(inputs: Path, sizes: list[int]) -> None:
    """Every input the sizes need (kept across runs in `inputs`)."""
    base = base_table(inputs / "base-1M.parquet")
    for n in sizes:
        if n <= MILLION:
            base_csv(base, inputs / "base-1M.csv")
        else:
            partitioned(base, n, inputs / f"events-{n // MILLION}M")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1M,10M,50M")
    ap.add_argument("--inputs", type=Path, default=None, help="keep generated inputs here across runs")
    ap.add_argument("--memory-limit", default="4GB")
    ap.add_argument("--repeat", type=int, default=3, help="rounds of memory vs duckdb at 1M (median taken)")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "engines.json")
    ap.add_argument("--prepare-only", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    sizes = [_size(s) for s in args.sizes.split(",")]
    inputs = args.inputs or Path(tempfile.mkdtemp(prefix="gosupr-bench-engines-"))
    inputs.mkdir(parents=True, exist_ok=True)
    base_path = inputs / "base-1M.parquet"
    if args.prepare_only:
        prepare(inputs, sizes)
        return
    # inputs are written by a child process: a run's peak (ru_maxrss) counts the memory of the process it
    # was forked from, so this parent stays small (it never loads the tables)
    subprocess.run([sys.executable, __file__, "--prepare-only", "--sizes", args.sizes, "--inputs", str(inputs)],
                   check=True)
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for n in sizes:
            if n <= MILLION:
                results += one_million([base_path, inputs / "base-1M.csv"], max(1, args.repeat), args.memory_limit, work)
            else:
                results.append(run(inputs / f"events-{n // MILLION}M", "duckdb", args.memory_limit, work))
                print(json.dumps(results[-1], ensure_ascii=False), flush=True)
    ratios = ratios_of(results)
    report = {"schema": "gosupr.bench-engines/1", "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
              "python": platform.python_version(), "load_average": os.getloadavg()},
              "memory_limit": args.memory_limit, "runs": results, "ratios": ratios}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    print(json.dumps(ratios))


if __name__ == "__main__":
    main()
