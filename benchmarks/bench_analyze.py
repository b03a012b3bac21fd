"""analyze_log cost against log size: LogFacts and each detector timed on synthetic logs.

    python benchmarks/bench_analyze.py [--sizes 10k,100k,1M] [--process land_lease]

In-process timings (perf_counter) after the log is built; the point is that the cost grows
linearly with events (a per-event cost that stays flat across sizes), not an absolute target.
"""

from __future__ import annotations

import argparse
import time

from gosupr.eventlog import EventLog
from gosupr.mining.waste.analyze import analyze_log
from gosupr.mining.waste.detectors import DETECTORS
from gosupr.mining.waste.facts import LogFacts
from gosupr.synth.generator import scale


def _size(text: str) -> int:
    t = text.strip().lower()
    mult = {"k": 1_000, "m": 1_000_000}.get(t[-1], 1)
    return int(float(t.rstrip("km")) * mult)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10k,100k,1M")
    ap.add_argument("--process", default="land_lease")
    args = ap.parse_args()
    print(f"{'events':>9} {'cases':>7} {'facts':>7} " + " ".join(f"{k[:9]:>9}" for k in DETECTORS) + f" {'analyze':>8} {'µs/event':>9}")
    for n in (_size(s) for s in args.sizes.split(",")):
        log = EventLog.from_frame(scale(n, process=args.process), name=f"{args.process}-{n}")
        t0 = time.perf_counter()
        facts = LogFacts.of(log)
        facts.essential  # noqa: B018 - warm the shared aggregates once, as analyze_log does
        t_facts = time.perf_counter() - t0
        per = {}
        for kind, mod in DETECTORS.items():
            t = time.perf_counter()
            mod.detect(facts, {})
            per[kind] = time.perf_counter() - t
        t = time.perf_counter()
        found = analyze_log(log)
        total = time.perf_counter() - t
        print(f"{log.n_events:>9} {log.n_cases:>7} {t_facts:>7.2f} " + " ".join(f"{per[k]:>9.2f}" for k in DETECTORS)
              + f" {total:>8.2f} {1e6 * total / log.n_events:>9.2f}   ({len(found)} findings)")


if __name__ == "__main__":
    main()
