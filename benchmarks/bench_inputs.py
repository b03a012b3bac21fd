"""Generate one benchmark input in its own process; bench.py calls it so that it stays small.

    python benchmarks/bench_inputs.py scale LABEL N_EVENTS FOLDER SEED
    python benchmarks/bench_inputs.py hostile N_VARIANTS N_ACTIVITIES FOLDER SEED

Why a separate process: a child's `ru_maxrss` starts from the memory of the process that forked
it (Linux records the parent's high-water mark at exec), so a bench process holding a generated
1M-event frame would inflate every peak-memory figure it measures afterwards.
Writes the log(s) and `<stem>.json` with the facts of the log.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def scale_inputs(label: str, n: int, folder: Path, seed: int) -> dict:
    from gosupr.synth.generator import scale, write_csv, write_xes

    t0 = time.perf_counter()
    df = scale(n, seed)
    csv, xes = folder / f"log_{label}.csv", folder / f"log_{label}.xes.gz"
    write_csv(df, csv, dialect="en")
    write_xes(df, xes)
    return {"events": len(df), "cases": int(df["case_id"].nunique()), "activities": int(df["activity"].nunique()),
            "csv_mib": round(csv.stat().st_size / 2**20, 1), "xes_gz_mib": round(xes.stat().st_size / 2**20, 1),
            "generated_s": round(time.perf_counter() - t0, 1)}


def hostile_inputs(n_variants: int, n_activities: int, folder: Path, seed: int) -> dict:
    from gosupr.synth.generator import hostile, write_csv

    df = hostile(n_variants, n_activities, seed=seed)
    write_csv(df, folder / f"hostile_{n_variants}_{n_activities}.csv", dialect="en")
    return {"events": len(df), "cases": int(df["case_id"].nunique()), "activities": int(df["activity"].nunique()),
            "intended_variants": n_variants}


def main(argv: list[str]) -> None:
    kind, a, b, folder, seed = argv
    folder_p = Path(folder)
    if kind == "scale":
        facts, stem = scale_inputs(a, int(b), folder_p, int(seed)), f"log_{a}"
    elif kind == "hostile":
        facts, stem = hostile_inputs(int(a), int(b), folder_p, int(seed)), f"hostile_{a}_{b}"
    else:
        raise SystemExit(f"unknown input kind {kind!r}")
    (folder_p / f"{stem}.json").write_text(json.dumps(facts))


if __name__ == "__main__":
    main(sys.argv[1:])
