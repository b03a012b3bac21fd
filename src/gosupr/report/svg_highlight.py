"""Which elements of a BPMN picture to colour, and why: findings turned into marks on steps and flows.

Marks are kept by activity label as well as by element id so that one Highlight built from a log's
findings can colour the as-is model and a reduced to-be model alike (their ids differ, labels don't).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping

from gosupr.bpmn.model import ARTIFACT, GATEWAY, ProcessModel
from gosupr.errors import GosuprError
from gosupr.mining.findings import Finding

REMOVABLE = "removable"
LOOP = "loop"
WAITING = "waiting"
ADDED = "added"
REMOVED = "removed"
DEVIATION = "deviation"  # `check`: how often practice departs from the normative step (intensity = share)
CATEGORIES = (REMOVABLE, LOOP, WAITING, ADDED, REMOVED, DEVIATION)
# when one element earns several marks the stronger claim wins; a kind's category brings its own (loop 2, waiting 1)
_PRIORITY = {REMOVED: 5, ADDED: 4, REMOVABLE: 3, DEVIATION: 0}


@lru_cache(maxsize=1)
def priorities() -> dict[str, float]:
    """Every mark category and its strength: the diagram's own and each coloured category the kinds declare."""
    from gosupr.mining.kinds import categories

    return {**_PRIORITY, **{c.name: c.priority for c in categories().values() if c.colour}}


def all_categories() -> tuple[str, ...]:
    """CATEGORIES, then the coloured categories extra kinds bring, in their order."""
    return CATEGORIES + tuple(c for c in priorities() if c not in CATEGORIES)


@dataclass(frozen=True)
class Mark:
    """A category and, for waiting, how hot (0..1) the spot is."""

    category: str
    intensity: float = 1.0


def _norm(label: str) -> str:
    return " ".join(str(label).split()).casefold()


def _merge(target: dict, key: Any, mark: Mark) -> None:
    old = target.get(key)
    rank = priorities()
    if old is None or (rank[mark.category], mark.intensity) > (rank[old.category], old.intensity):
        target[key] = mark


@dataclass
class Highlight:
    """Marks by element id, by activity label, and by (from label, to label) for the flows between.

    Pair marks colour every sequence flow on the paths from the first activity to the second that
    pass only through gateways (a discovered model puts gateways between most steps).
    """

    by_id: dict[str, Mark] = field(default_factory=dict)
    by_label: dict[str, Mark] = field(default_factory=dict)
    by_pair: dict[tuple[str, str], Mark] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.by_id or self.by_label or self.by_pair)

    def mark_id(self, element_id: str, category: str, intensity: float = 1.0) -> Highlight:
        _merge(self.by_id, element_id, _mark(category, intensity))
        return self

    def mark_label(self, label: str, category: str, intensity: float = 1.0) -> Highlight:
        _merge(self.by_label, _norm(label), _mark(category, intensity))
        return self

    def mark_pair(self, source: str, target: str, category: str, intensity: float = 1.0) -> Highlight:
        _merge(self.by_pair, (_norm(source), _norm(target)), _mark(category, intensity))
        return self

    @classmethod
    def from_findings(
        cls, findings: Iterable[Finding] | Mapping[str, Any], model: ProcessModel | None = None
    ) -> Highlight:
        """Removable steps red, loops (rework/self-loop/ping-pong, removable or not) orange, waiting on the flow between two steps.

        `findings` is a list of Finding or a gosupr.findings JSON document. With `model`, the marks
        are resolved to that model's element ids; without, they stay by label for any model.
        """
        items = _findings_of(findings)
        waits = [f for f in items if _category(f) == WAITING]
        top = max((_wait_weight(f) for f in waits), default=0.0)
        hl = cls()
        for f in items:
            cat = _category(f)
            if cat is None:
                continue
            acts = [a for a in f.activities if str(a).strip()]
            if cat == WAITING:
                heat = _wait_weight(f) / top if top > 0 else 1.0
                heat = round(min(1.0, max(0.0, heat)), 4)
                if len(acts) >= 2:
                    for a, b in zip(acts, acts[1:]):
                        hl.mark_pair(a, b, WAITING, heat)
                elif acts:
                    hl.mark_label(acts[0], WAITING, heat)
            else:
                for a in acts:
                    hl.mark_label(a, cat)
                if cat == LOOP:
                    pairs = list(zip(acts, acts[1:])) + ([(acts[-1], acts[0])] if acts else [])
                    for a, b in pairs:
                        hl.mark_pair(a, b, LOOP)
            for el in f.elements:
                hl.mark_id(str(el), cat, 1.0 if cat != WAITING else heat)
        if model is not None:
            return cls(by_id=hl.resolve(model))
        return hl

    @classmethod
    def before_after(cls, as_is: ProcessModel, to_be: ProcessModel) -> tuple[Highlight, Highlight]:
        """Steps only in the as-is model marked removed on it; steps only in the to-be marked added."""
        before = {_norm(n.name) for n in as_is.activities() if n.name.strip()}
        after = {_norm(n.name) for n in to_be.activities() if n.name.strip()}
        old, new = cls(), cls()
        for n in as_is.activities():
            if n.name.strip() and _norm(n.name) not in after:
                old.mark_id(n.id, REMOVED)
        for n in to_be.activities():
            if n.name.strip() and _norm(n.name) not in before:
                new.mark_id(n.id, ADDED)
        return old, new

    def resolve(self, model: ProcessModel) -> dict[str, Mark]:
        """Element id (node or flow) -> Mark for this model."""
        out: dict[str, Mark] = {}
        for eid, m in self.by_id.items():
            if eid in model.nodes or eid in model.flows:
                _merge(out, eid, m)
        if self.by_label:
            for n in model.nodes.values():
                hit = self.by_label.get(_norm(n.name)) if n.name and n.kind != ARTIFACT else None
                if hit is not None:
                    _merge(out, n.id, hit)
        for (a, b), m in self.by_pair.items():
            flows = flows_between(model, a, b)
            if flows:
                for fid in flows:
                    _merge(out, fid, m)
            else:  # no drawn path: put the mark on the step that waits
                for n in model.nodes.values():
                    if n.name and _norm(n.name) == b and n.kind != ARTIFACT:
                        _merge(out, n.id, m)
        return dict(sorted(out.items()))

    def categories(self, model: ProcessModel) -> list[str]:
        used = {m.category for m in self.resolve(model).values()}
        return [c for c in all_categories() if c in used]


def _mark(category: str, intensity: float) -> Mark:
    if category not in priorities():
        raise ValueError(f"unknown highlight category {category!r}; use one of {', '.join(all_categories())}")
    return Mark(category, round(min(1.0, max(0.0, float(intensity))), 4))


def _category(f: Finding) -> str | None:
    """The mark a finding earns: its kind's category colour (a loop loses its repeats, never its step:
    not the "removable" colour), else removable when it may go, else none (gosupr.mining.kinds)."""
    from gosupr.mining.kinds import colour_family

    return colour_family(f.kind, f.removable)


def _wait_weight(f: Finding) -> float:
    return float(f.time_cost_s or 0.0) * max(int(f.cases or 0), 1)


def _findings_of(findings: Iterable[Finding] | Mapping[str, Any]) -> list[Finding]:
    if isinstance(findings, Mapping):
        raw = findings.get("findings")
        if not isinstance(raw, list):
            raise GosuprError("not a gosupr.findings document: it has no 'findings' list; "
                              "pass the JSON written by `gosupr findings --json`")
        return [_finding_of(i, d) for i, d in enumerate(raw)]
    return [f if isinstance(f, Finding) else _finding_of(i, f) for i, f in enumerate(findings)]


def _finding_of(i: int, d: Any) -> Finding:
    if not isinstance(d, Mapping) or not isinstance(d.get("kind"), str) or not isinstance(d.get("activities", []), list):
        raise GosuprError(f"finding #{i + 1} needs a 'kind' text and an 'activities' list; fix or regenerate the findings file")
    try:
        return Finding(
            kind=d["kind"],
            activities=[str(a) for a in d.get("activities", [])],
            cases=int(d.get("cases") or 0),
            time_cost_s=None if d.get("time_cost_s") is None else float(d["time_cost_s"]),
            removable=bool(d.get("removable", False)),
            elements=[str(e) for e in d.get("elements", []) or []],
        )
    except (TypeError, ValueError) as e:
        raise GosuprError(f"finding #{i + 1} has a bad number ({e}); fix or regenerate the findings file") from None


def flows_between(model: ProcessModel, source_label: str, target_label: str) -> list[str]:
    """Ids of sequence flows on paths from a step named `source_label` to one named `target_label`
    that pass only through gateways. Linear in the model size: a forward and a backward sweep."""
    src, tgt = _norm(source_label), _norm(target_label)
    seq = sorted(model.sequence_flows(), key=lambda f: f.id)
    starts = {n.id for n in model.nodes.values() if n.name and _norm(n.name) == src and n.kind != GATEWAY}
    ends = {n.id for n in model.nodes.values() if n.name and _norm(n.name) == tgt and n.kind != GATEWAY}
    if not starts or not ends:
        return []
    silent = {n.id for n in model.nodes.values() if n.kind == GATEWAY}
    out_of: dict[str, list] = {}
    into: dict[str, list] = {}
    for f in seq:
        out_of.setdefault(f.source, []).append(f)
        into.setdefault(f.target, []).append(f)
    fwd = _sweep(starts, out_of, "target", silent)
    bwd = _sweep(ends, into, "source", silent)
    via = fwd & bwd & silent
    return [f.id for f in seq if (f.source in starts or f.source in via) and (f.target in ends or f.target in via)]


def _sweep(seeds: set[str], adj: dict[str, list], end: str, silent: set[str]) -> set[str]:
    seen: set[str] = set()
    stack = sorted(seeds)
    while stack:
        node = stack.pop()
        for f in adj.get(node, []):
            nxt = getattr(f, end)
            if nxt not in seen:
                seen.add(nxt)
                if nxt in silent:
                    stack.append(nxt)
    return seen


def load_findings_json(path: str | Path, max_bytes: int = 20 * 1024 * 1024) -> dict[str, Any]:
    """Read a gosupr.findings document (/1 or /2) for `render --highlight` (bounded, checked)."""
    from gosupr.docload import load_json
    from gosupr.errors import GosuprError

    doc = load_json(path, "findings file", max_bytes)
    if not isinstance(doc, dict) or doc.get("schema") not in ("gosupr.findings/1", "gosupr.findings/2"):
        raise GosuprError("not a gosupr.findings document; write it with `gosupr analyze --format json`", path=str(path))
    return doc
