"""What changed between an as-is and a to-be BPMN model, in terms an analyst and a CI job can use.

Elements are paired by `matching`; everything unpaired or paired-but-different becomes a change.
Behavioural changes (steps, flows, lanes, pools) are kept apart from layout-only changes (shapes
moved or resized, waypoints, label spelling) so that re-drawing a model is never mistaken for
re-designing it.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from gosupr.bpmn.model import ACTIVITY_KINDS, ARTIFACT, Flow, Node, ProcessModel
from gosupr.eventlog import EventLog
from gosupr.mining.compare.containers import ContainerChange, container_changes
from gosupr.mining.compare.gates import evaluate_gates, parse_gates
from gosupr.mining.compare.layout import LayoutChange, display, layout_changes
from gosupr.mining.compare.layout import num as _num
from gosupr.mining.compare.match_containers import match_lanes, match_pools, match_processes
from gosupr.mining.compare.matching import Match, called_hosts, match_flows, match_nodes
from gosupr.mining.labels import name_change

ELEMENT_CHANGES = (
    "removed", "added", "renamed", "type-changed", "marker-changed", "lane-changed", "pool-changed",
    "parent-changed", "attachment-changed",
)
FLOW_CHANGES = ("removed", "added", "condition-changed", "default-changed", "renamed")
# condition texts that say "always": a tool writing one where the other wrote none changes nothing
TRIVIAL_CONDITIONS = frozenset({"", "true", "${true}", "_undefined", "undefined"})


@dataclass
class ElementChange:
    """One flow node added, removed or changed. `before`/`after` hold the old and new value shown to people."""

    change: str
    kind: str  # task | subprocess | event | gateway | artifact
    type: str
    name: str
    before_id: str | None = None
    after_id: str | None = None
    before: str | None = None
    after: str | None = None
    how: str | None = None
    score: float | None = None

    def sort_key(self) -> tuple:
        return (ELEMENT_CHANGES.index(self.change), self.kind, self.name, self.before_id or "", self.after_id or "")


@dataclass
class FlowChange:
    """A sequence or message flow added, removed, or with a changed condition or label."""

    change: str
    kind: str  # sequence | message | association | data
    source: str
    target: str
    before_id: str | None = None
    after_id: str | None = None
    before: str | None = None
    after: str | None = None
    condition: str | None = None  # of an added or removed flow: what the branch required

    def sort_key(self) -> tuple:
        return (FLOW_CHANGES.index(self.change), self.kind, self.source, self.target, self.before_id or "", self.after_id or "")


@dataclass
class MetricDelta:
    name: str
    before: Any
    after: Any

    @property
    def delta(self) -> float | None:
        if isinstance(self.before, bool) or isinstance(self.after, bool):
            return None
        if isinstance(self.before, (int, float)) and isinstance(self.after, (int, float)):
            return self.after - self.before
        return None

    def to_dict(self) -> dict[str, Any]:
        d = self.delta
        return {"before": _num(self.before), "after": _num(self.after), "delta": _num(d)}


@dataclass
class ModelDiff:
    """Everything that differs between two models, and how their elements were paired."""

    before_name: str
    after_name: str
    node_matches: list[Match]
    flow_matches: list[Match]
    lane_matches: list[Match]
    pool_matches: list[Match]
    elements: list[ElementChange]
    flows: list[FlowChange]
    containers: list[ContainerChange]
    layout: list[LayoutChange]
    metrics: dict[str, MetricDelta]
    replay: Any = None  # compare_replay.ReplayComparison when a log was given
    flatten: bool = False
    include_artifacts: bool = False

    @property
    def behavioural_changes(self) -> int:
        return len(self.elements) + len(self.flows) + len(self.containers)

    @property
    def layout_changes(self) -> int:
        return len(self.layout)

    @property
    def unchanged(self) -> bool:
        return self.behavioural_changes == 0 and self.layout_changes == 0

    def element_changes(self, change: str, kinds: tuple[str, ...] | None = None) -> list[ElementChange]:
        return [c for c in self.elements if c.change == change and (kinds is None or c.kind in kinds)]

    def summary(self) -> dict[str, Any]:
        def count(items: list, attr: str = "change") -> dict[str, int]:
            out: dict[str, int] = {}
            for c in items:
                out[getattr(c, attr)] = out.get(getattr(c, attr), 0) + 1
            return dict(sorted(out.items()))

        how: dict[str, int] = {}
        for m in self.node_matches:
            how[m.how] = how.get(m.how, 0) + 1
        return {
            "behavioural_changes": self.behavioural_changes,
            "layout_changes": self.layout_changes,
            "verdict": "no changes" if self.unchanged else ("layout only" if self.behavioural_changes == 0 else "behavioural"),
            "tasks_added": len(self.element_changes("added", ACTIVITY_KINDS)),
            "tasks_removed": len(self.element_changes("removed", ACTIVITY_KINDS)),
            "elements": count(self.elements),
            "flows": count(self.flows),
            "lanes": count([c for c in self.containers if c.kind == "lane"]),
            "pools": count([c for c in self.containers if c.kind == "pool"]),
            "layout": count(self.layout),
            "matched_by": dict(sorted(how.items())),
        }

    def to_dict(self) -> dict[str, Any]:
        """Plain, deterministic data (sorted lists, rounded numbers); the JSON renderer adds the schema."""
        return {
            "before": self.before_name,
            "after": self.after_name,
            "options": {"flatten": self.flatten, "include_artifacts": self.include_artifacts},
            "summary": self.summary(),
            "elements": [_clean(asdict(c)) for c in self.elements],
            "flows": [_clean(asdict(c)) for c in self.flows],
            "lanes": [_clean(asdict(c)) for c in self.containers if c.kind == "lane"],
            "pools": [_clean(asdict(c)) for c in self.containers if c.kind == "pool"],
            "layout": [_clean(asdict(c)) for c in self.layout],
            "metrics": {k: v.to_dict() for k, v in self.metrics.items()},
            "replay": self.replay.to_dict() if self.replay is not None else None,
            "matches": {
                "elements": [m.to_dict() for m in self.node_matches],
                "flows": [m.to_dict() for m in self.flow_matches],
                "lanes": [m.to_dict() for m in self.lane_matches],
                "pools": [m.to_dict() for m in self.pool_matches],
            },
        }


def compare_models(
    before: ProcessModel,
    after: ProcessModel,
    *,
    flatten: bool = False,
    include_artifacts: bool = False,
    log: EventLog | None = None,
) -> ModelDiff:
    """Pair the elements of two models and list what was added, removed or changed.

    Sub-processes are compared nested: a step pairs by label only with a step of the paired
    sub-process, and a step that left its sub-process is "parent-changed". `flatten` ignores
    nesting. Artifacts (data objects, annotations, groups) and their associations are left out
    unless `include_artifacts`. With `log`, the log is replayed on both models (fitness, fitting
    cases) and the removed steps the log actually executes are costed.
    """
    node_matches = match_nodes(before, after, flatten=flatten, include_artifacts=include_artifacts)
    node_map = {m.before: m.after for m in node_matches}
    proc_map = match_processes(before, after, node_map)
    pool_matches = match_pools(before, after, proc_map)
    pool_map = {m.before: m.after for m in pool_matches}
    lane_matches = match_lanes(before, after, node_map)
    lane_map = {m.before: m.after for m in lane_matches}
    flow_matches = match_flows(before, after, {**pool_map, **node_map}, include_artifacts=include_artifacts)

    ctx = _Ctx(before, after, node_map, lane_map, pool_map, proc_map, flatten, called_hosts(before), called_hosts(after))
    elements = _element_changes(ctx, node_matches, include_artifacts)
    flows = _flow_changes(ctx, flow_matches, include_artifacts)
    containers, drawn = container_changes(before, after, proc_map, lane_matches, pool_matches)
    layout = layout_changes(before, after, node_matches, flow_matches, lane_matches, pool_matches) + drawn
    diff = ModelDiff(
        before_name=before.name,
        after_name=after.name,
        node_matches=node_matches,
        flow_matches=flow_matches,
        lane_matches=sorted(lane_matches, key=lambda m: (m.before, m.after)),
        pool_matches=sorted(pool_matches, key=lambda m: (m.before, m.after)),
        elements=sorted(elements, key=ElementChange.sort_key),
        flows=sorted(flows, key=FlowChange.sort_key),
        containers=sorted(containers, key=ContainerChange.sort_key),
        layout=sorted(layout, key=LayoutChange.sort_key),
        metrics=metric_deltas(before, after),
        flatten=flatten,
        include_artifacts=include_artifacts,
    )
    if log is not None:
        from gosupr.mining.compare.replay import replay_both

        diff.replay = replay_both(before, after, log, diff)
    return diff


@dataclass
class _Ctx:
    before: ProcessModel
    after: ProcessModel
    node_map: dict[str, str]
    lane_map: dict[str, str]
    pool_map: dict[str, str]
    proc_map: dict[str, str]
    flatten: bool
    hosts_b: dict[str, str]
    hosts_a: dict[str, str]


def type_signature(node: Node) -> str:
    """The behaviour-bearing type: BPMN tag plus event definitions and interrupting-ness."""
    sig = node.type
    defs = node.attrs.get("event_definitions") or []
    if defs:
        sig += "[" + ",".join(sorted(str(d) for d in defs)) + "]"
    if node.type == "boundaryEvent" and node.attrs.get("cancel_activity") is False:
        sig += "(non-interrupting)"
    if node.type == "startEvent" and node.attrs.get("interrupting") is False:
        sig += "(non-interrupting)"
    if node.attrs.get("triggered_by_event"):
        sig += "(event)"
    return sig


def _lane_label(model: ProcessModel, lane: str | None) -> str:
    return model.lane_name(lane) if lane else ""


def _pool_of(model: ProcessModel, process: str | None) -> str | None:
    if process is None:
        return None
    for pid, p in model.participants.items():
        if p.process == process:
            return pid
    return None


def _element_changes(ctx: _Ctx, matches: list[Match], include_artifacts: bool) -> list[ElementChange]:
    b, a = ctx.before, ctx.after
    out: list[ElementChange] = []
    matched_after = set(ctx.node_map.values())
    for nid, n in b.nodes.items():
        if nid not in ctx.node_map and (include_artifacts or n.kind != ARTIFACT):
            out.append(ElementChange("removed", n.kind, n.type, n.name, before_id=nid, before=n.name or None))
    for nid, n in a.nodes.items():
        if nid not in matched_after and (include_artifacts or n.kind != ARTIFACT):
            out.append(ElementChange("added", n.kind, n.type, n.name, after_id=nid, after=n.name or None))
    for m in matches:
        out.extend(_changes_of_pair(ctx, m))
    return out


def _changes_of_pair(ctx: _Ctx, m: Match) -> list[ElementChange]:
    """What differs between two paired elements: name, type, marker, lane, pool, parent, attachment.

    A name is "renamed" only when both are real names that differ in more than spelling (a tool's
    placeholder or a typo fix is a layout change). A lane change needs a lane on both sides: lanes
    drawn or dropped are reported once as containers, not once per member. A step that is the
    top-level of a called process follows its call activity, which carries pool and lane.
    """
    b, a = ctx.before, ctx.after
    nb, na = b.nodes[m.before], a.nodes[m.after]
    found: list[tuple[str, str | None, str | None]] = []
    if name_change(nb.name, na.name, step=nb.is_activity and na.is_activity) == "renamed":
        found.append(("renamed", nb.name, na.name))
    if type_signature(nb) != type_signature(na):
        found.append(("type-changed", type_signature(nb), type_signature(na)))
    if nb.attrs.get("loop") != na.attrs.get("loop"):
        found.append(("marker-changed", nb.attrs.get("loop"), na.attrs.get("loop")))
    hosted = m.before in ctx.hosts_b or m.after in ctx.hosts_a
    parent_b = _parent_in(b, m.before, ctx.hosts_b)
    # a step inside a paired sub-process goes where its sub-process goes: its pool change is the parent's
    follows = parent_b is not None and ctx.node_map.get(parent_b) == _parent_in(a, m.after, ctx.hosts_a)
    if nb.lane and na.lane and ctx.lane_map.get(nb.lane) != na.lane and not hosted:
        found.append(("lane-changed", _lane_label(b, nb.lane) or None, _lane_label(a, na.lane) or None))
    pool_b, pool_a = _pool_of(b, nb.process), _pool_of(a, na.process)
    # a step changes pool when its process does; a pool drawn around the same process is a pool change only
    if (pool_b or pool_a) and ctx.proc_map.get(nb.process or "") != na.process and not (hosted or follows):
        found.append(("pool-changed", display(b, pool_b) if pool_b else None, display(a, pool_a) if pool_a else None))
    if not ctx.flatten and _mapped_parent(ctx, m.before) != _parent_in(a, m.after, ctx.hosts_a):
        pb, pa = _parent_in(b, m.before, ctx.hosts_b), _parent_in(a, m.after, ctx.hosts_a)
        found.append(("parent-changed", display(b, pb) if pb else None, display(a, pa) if pa else None))
    host_b, host_a = nb.attrs.get("attached_to"), na.attrs.get("attached_to")
    if (host_b or host_a) and ctx.node_map.get(host_b or "") != host_a:
        found.append(("attachment-changed", display(b, host_b) if host_b else None, display(a, host_a) if host_a else None))
    return [ElementChange(c, na.kind, na.type, na.name, m.before, m.after, old, new, m.how, m.score) for c, old, new in found]


def _parent_in(model: ProcessModel, nid: str, hosts: dict[str, str]) -> str | None:
    n = model.nodes[nid]
    p = n.parent or hosts.get(nid)
    return p if p in model.nodes else None


def _mapped_parent(ctx: _Ctx, nid: str) -> str | None:
    p = _parent_in(ctx.before, nid, ctx.hosts_b)
    return None if p is None else ctx.node_map.get(p, "\0unmatched")


_WS = re.compile(r"\s+")


def _condition(text: str | None) -> str:
    """A condition as compared: whitespace folded; one that always holds ("true", "_undefined") is none."""
    c = _WS.sub(" ", text or "").strip()
    return "" if c.casefold() in TRIVIAL_CONDITIONS else c


def _flow_kinds(include_artifacts: bool) -> tuple[str, ...] | None:
    return None if include_artifacts else ("sequence", "message")


def _is_default(model: ProcessModel, f: Flow) -> bool:
    src = model.nodes.get(f.source)
    return src is not None and src.attrs.get("default") == f.id


def _flow_changes(ctx: _Ctx, matches: list[Match], include_artifacts: bool) -> list[FlowChange]:
    """Flows added or removed (with the condition they carried), and of paired flows: condition,
    default-ness and a real rename (a placeholder such as "Sequence Flow_12" or "to Task 2" is none)."""
    b, a = ctx.before, ctx.after
    kinds = _flow_kinds(include_artifacts)
    matched_b = {m.before for m in matches}
    matched_a = {m.after for m in matches}
    out: list[FlowChange] = []
    for f in b.flows.values():
        if f.id not in matched_b and (kinds is None or f.kind in kinds) and _ends_known(b, f):
            out.append(FlowChange("removed", f.kind, display(b, f.source), display(b, f.target), before_id=f.id,
                                  before=f.name or None, condition=_condition(f.condition) or None))
    for f in a.flows.values():
        if f.id not in matched_a and (kinds is None or f.kind in kinds) and _ends_known(a, f):
            out.append(FlowChange("added", f.kind, display(a, f.source), display(a, f.target), after_id=f.id,
                                  after=f.name or None, condition=_condition(f.condition) or None))
    for m in matches:
        fb, fa = b.flows[m.before], a.flows[m.after]
        src, tgt = display(a, fa.source), display(a, fa.target)
        if _condition(fb.condition) != _condition(fa.condition):
            out.append(FlowChange("condition-changed", fa.kind, src, tgt, fb.id, fa.id, fb.condition, fa.condition))
        if _is_default(b, fb) != _is_default(a, fa):
            out.append(FlowChange("default-changed", fa.kind, src, tgt, fb.id, fa.id,
                                  "default" if _is_default(b, fb) else None, "default" if _is_default(a, fa) else None))
        if name_change(fb.name, fa.name, display(b, fb.target), display(a, fa.target)) == "renamed":
            out.append(FlowChange("renamed", fa.kind, src, tgt, fb.id, fa.id, fb.name or None, fa.name or None))
    return out


def _ends_known(model: ProcessModel, f: Flow) -> bool:
    """Flows between elements of the model (a dangling reference is the reader's business)."""
    return all(e in model.nodes or e in model.participants for e in (f.source, f.target))


# -- metrics ------------------------------------------------------------------------------------
def metric_deltas(before: ProcessModel, after: ProcessModel) -> dict[str, MetricDelta]:
    """The model metrics shared with `reduce`, before and after."""
    try:
        from gosupr.mining.metrics import model_metrics
    except ImportError:  # metrics not installed in this build: the element counts still compare
        mb, ma = before.summary(), after.summary()
    else:
        mb, ma = model_metrics(before).to_dict(), model_metrics(after).to_dict()
    return {k: MetricDelta(k, mb.get(k), ma.get(k)) for k in list(mb) + [k for k in ma if k not in mb]}


def _clean(d: dict[str, Any]) -> dict[str, Any]:
    """JSON-ready: numbers rounded, nested dicts sorted, and `how` named `matched_by` as in `matches`."""
    return {
        ("matched_by" if k == "how" else k): (_num(v) if not isinstance(v, dict) else {kk: _num(vv) for kk, vv in sorted(v.items())})
        for k, v in d.items()
    }


__all__ = [
    "ContainerChange", "ElementChange", "FlowChange", "LayoutChange", "MetricDelta", "ModelDiff",
    "compare_models", "evaluate_gates", "metric_deltas", "parse_gates", "type_signature",
]
