"""How `compare_models` scales: chains of n tasks (with gateways), every id rewritten, every label edited.

The worst case for matching: nothing pairs by id or exact label, all labels look alike ("Task 17"),
so every pair must come from fuzzy labels plus place in the flow. Run: python benchmarks/bench_compare.py
"""

from __future__ import annotations

import sys
import time

from gosupr.bpmn.model import Flow, Node, ProcessModel
from gosupr.mining.compare.models import compare_models


def chain(n: int, prefix: str = "", suffix: str = "") -> ProcessModel:
    m = ProcessModel(name=f"chain-{n}")
    m.add_node(Node(f"{prefix}s", "startEvent", "Start"))
    prev = f"{prefix}s"
    for i in range(n):
        if i % 10 == 5:
            g = m.add_node(Node(f"{prefix}g{i}", "exclusiveGateway"))
            m.add_flow(Flow(f"{prefix}fg{i}", prev, g.id))
            prev = g.id
        t = m.add_node(Node(f"{prefix}t{i}", "task", f"Task {i}{suffix}"))
        m.add_flow(Flow(f"{prefix}f{i}", prev, t.id))
        prev = t.id
    m.add_node(Node(f"{prefix}e", "endEvent", "End"))
    m.add_flow(Flow(f"{prefix}fe", prev, f"{prefix}e"))
    return m


def main(sizes: list[int]) -> None:
    for n in sizes:
        before, after = chain(n), chain(n, prefix="x", suffix=" (изм.)")
        t0 = time.perf_counter()
        diff = compare_models(before, after)
        dt = time.perf_counter() - t0
        wrong = sum(1 for m in diff.node_matches if "x" + m.before != m.after)
        print(f"n={n:5d}  {dt:6.2f} s  matched={len(diff.node_matches)}  wrong={wrong}  {diff.summary()['elements']}")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [100, 300, 1000, 3000])
