"""BPMN layout and writing cost against model size: the layout must stay near-linear.

    python benchmarks/bench_bpmn_io.py [--tasks 100,300,1000,3000] [--loops-per-100 4]

Models are chains of tasks with an XOR diamond every few steps and some loops (the shape of a
discovered model). In-process timings (perf_counter, best of 3) of `layout`, `to_xml` and
`read_bpmn` of the written bytes; the target is 300 tasks laid out well under a second.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from bpmn_io_samples import chain_model  # noqa: E402

from gosupr.bpmn.layout import layout  # noqa: E402
from gosupr.bpmn.reader import read_bpmn  # noqa: E402
from gosupr.bpmn.writer import to_xml  # noqa: E402


def best(fn, reps: int = 3) -> float:
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tasks", default="100,300,1000,3000")
    ap.add_argument("--loops-per-100", type=int, default=4)
    args = ap.parse_args()
    print(f"{'tasks':>6} {'nodes':>6} {'flows':>6} {'layout s':>9} {'to_xml s':>9} {'read s':>7} {'KiB':>7}")
    for n in (int(x) for x in args.tasks.split(",")):
        m = chain_model(n, loops=n * args.loops_per_100 // 100)
        xml = to_xml(m)
        t_layout = best(lambda: layout(m))
        t_write = best(lambda: to_xml(m))
        t_read = best(lambda: read_bpmn(xml, name="bench.bpmn"))
        print(f"{n:>6} {len(m.nodes):>6} {len(m.flows):>6} {t_layout:>9.3f} {t_write:>9.3f} {t_read:>7.3f} {len(xml) // 1024:>7}")


if __name__ == "__main__":
    main()
