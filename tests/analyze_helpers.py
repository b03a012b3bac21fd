"""Small hand-made logs and models for the detector and rule tests (shared by test_detectors/test_rules)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd

from gosupr.bpmn.model import Flow, Node, ProcessModel
from gosupr.eventlog import EventLog

Step = str | tuple[str, str]  # a label, or (label, department)


def make_log(
    traces: list[tuple[list[Step], int]],
    *,
    gap_h: float = 1.0,
    waits_h: dict[tuple[str, str], float] | None = None,
    name: str = "hand-made",
) -> EventLog:
    """Each (trace, count) becomes `count` cases; steps `gap_h` hours apart unless `waits_h` says."""
    rows = []
    start = datetime(2024, 1, 9, 9, 0)
    n = 0
    for trace, count in traces:
        for _ in range(count):
            t = start + timedelta(hours=n)
            prev = None
            for step in trace:
                label, dept = (step, None) if isinstance(step, str) else step
                if prev is not None:
                    t += timedelta(hours=(waits_h or {}).get((prev, label), gap_h))
                rows.append({"case_id": f"c{n:05d}", "activity": label, "timestamp": t, "department": dept or "Отдел"})
                prev = label
            n += 1
    frame = pd.DataFrame(rows, columns=["case_id", "activity", "timestamp", "department"])
    return EventLog.from_frame(frame, name=name)


def make_model(nodes: list[tuple[str, str]], flows: list[tuple[str, str] | tuple[str, str, str | None]], **attrs) -> ProcessModel:
    """nodes: (id, bpmn type), named after their id; flows: (source, target[, condition]).

    `attrs` maps a node id to extra Node.attrs or a `parent`.
    """
    m = ProcessModel(name="hand-made", processes={"p": "p"})
    for nid, typ in nodes:
        extra = dict(attrs.get(nid, {}))
        parent = extra.pop("parent", None)
        m.add_node(Node(nid, typ, name=nid, process="p", parent=parent, attrs=extra))
    for i, f in enumerate(flows):
        src, tgt = f[0], f[1]
        cond = f[2] if len(f) > 2 else None
        m.add_flow(Flow(f"f{i}", src, tgt, condition=cond, process="p"))
    return m
