"""Lanes and pools that differ between two models, and those that only wrap the same steps.

Tools add a pool around a lone process, or one lane around every step of a pool, when they export;
such a container changes no behaviour and is reported as layout, never once per member.
"""

from __future__ import annotations

from dataclasses import dataclass

from gosupr.bpmn.model import ARTIFACT, ProcessModel
from gosupr.mining.compare.layout import LayoutChange
from gosupr.mining.compare.matching import Match
from gosupr.mining.labels import name_change

CONTAINER_CHANGES = ("removed", "added", "renamed")


@dataclass
class ContainerChange:
    """A lane or pool added, removed or renamed."""

    change: str
    kind: str  # lane | pool
    name: str
    before_id: str | None = None
    after_id: str | None = None
    before: str | None = None
    after: str | None = None
    how: str | None = None

    def sort_key(self) -> tuple:
        return (self.kind, CONTAINER_CHANGES.index(self.change), self.name, self.before_id or "", self.after_id or "")


def container_changes(
    b: ProcessModel, a: ProcessModel, proc_map: dict[str, str], lanes: list[Match], pools: list[Match]
) -> tuple[list[ContainerChange], list[LayoutChange]]:
    """Lanes and pools added, removed or really renamed; one only drawn around the same steps is layout.

    `proc_map` maps before process ids to after ones. Returns the behavioural changes and the layout ones.
    """
    out: list[ContainerChange] = []
    drawn: list[LayoutChange] = []
    for kind, matches, left, right in (("lane", lanes, b.lanes, a.lanes), ("pool", pools, b.participants, a.participants)):
        mb = {m.before for m in matches}
        ma = {m.after for m in matches}
        for cid, c in left.items():
            if cid in mb:
                continue
            if wrapper_only(b, a, kind, cid, proc_map):
                drawn.append(LayoutChange("container-removed", kind, c.name, cid, ""))
            else:
                out.append(ContainerChange("removed", kind, c.name, before_id=cid, before=c.name or None))
        for cid, c in right.items():
            if cid in ma:
                continue
            if wrapper_only(a, b, kind, cid, _inverse(proc_map)):
                drawn.append(LayoutChange("container-added", kind, c.name, "", cid))
            else:
                out.append(ContainerChange("added", kind, c.name, after_id=cid, after=c.name or None))
        for m in matches:
            cb, ca = left[m.before], right[m.after]
            if name_change(cb.name, ca.name) == "renamed":
                out.append(ContainerChange("renamed", kind, ca.name, m.before, m.after, cb.name, ca.name, m.how))
    return out, drawn


def _inverse(mapping: dict[str, str]) -> dict[str, str]:
    return {v: k for k, v in mapping.items()}


def wrapper_only(model: ProcessModel, other: ProcessModel, kind: str, cid: str, proc_to_other: dict[str, str]) -> bool:
    """A lane or pool on one side only that groups nothing the other side grouped differently.

    A pool-wide lane (it holds every step of its process) where the other side's process has no
    lanes, or a pool around a process the other side drew without one (or around nothing, with no
    message flow), changes no behaviour: tools add both on export.
    `proc_to_other` maps this side's process ids to the other side's.
    """
    if kind == "lane":
        lane = model.lanes[cid]
        other_proc = proc_to_other.get(lane.process or "")
        if other_proc is None or any(ln.process == other_proc for ln in other.lanes.values()):
            return False
        inside = _lane_and_children(model, cid)
        steps = [n for n in model.nodes.values() if n.process == lane.process and n.kind != ARTIFACT]
        return bool(steps) and all(n.lane in inside for n in steps)
    pool = model.participants[cid]
    if any(cid in (f.source, f.target) for f in model.message_flows()):
        return False
    if pool.process is None or not any(n.process == pool.process for n in model.nodes.values()):
        return True
    other_proc = proc_to_other.get(pool.process)
    return other_proc is not None and not any(p.process == other_proc for p in other.participants.values())


def _lane_and_children(model: ProcessModel, lane_id: str) -> set[str]:
    out, todo = {lane_id}, [lane_id]
    while todo:
        cur = todo.pop()
        for ln in model.lanes.values():
            if ln.parent == cur and ln.id not in out:
                out.add(ln.id)
                todo.append(ln.id)
    return out
