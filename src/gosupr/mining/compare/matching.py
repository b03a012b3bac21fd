"""Which element of the as-is model is which element of the to-be model.

Models of one process come from different tools and different hands, and a re-mined model gets
new ids every time, so ids alone cannot pair elements. Matching runs in stages, each recording how
it paired two elements: by id where the id keeps its pool and a neighbour ("id"), by normalised
label inside paired parents ("label"), unpaired sub-processes by what they hold ("content"), then
best-first by fuzzy real label together with position in the flow ("similar-label+context") or,
where a name is missing or a tool's placeholder, by type and position ("type+context"). Work
stays near O(n·m): one rapidfuzz cdist over the labels (a few best candidates kept per element),
neighbour pairs for context, and a best-first greedy assignment with deterministic tie-breaks
(document order). Lanes, pools and processes pair in `match_containers`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import networkx as nx

from gosupr.bpmn.model import (
    ARTIFACT,
    EVENT,
    GATEWAY,
    SUBPROCESS,
    TASK,
    Flow,
    Node,
    ProcessModel,
)
from gosupr.mining.labels import meaningful, normalise_label

__all__ = ["ActivityMatch", "Match", "PairEvidence", "called_hosts", "label_similarity", "match_activities", "match_flows",
           "match_nodes", "normalise_label"]

BY_ID = "id"
BY_LABEL = "label"
BY_SIMILARITY = "similar-label+context"
BY_ENDPOINTS = "endpoints"
BY_CONTENT = "content"
BY_CONTEXT = "type+context"  # an unnamed (or placeholder-named) element paired by type and place

# acceptance for the similarity stage: a near-identical label, or a similar one in the same place
STRONG_LABEL = 0.9
WEAK_LABEL = 0.6
MIN_CONTEXT = 0.5
ID_TRUST = 0.8  # share of labelled same-id elements that must agree for ids to be trusted
TOP_K = 5  # label candidates kept per element: bounds the work on models full of similar labels

@dataclass(frozen=True)
class Match:
    """One pairing of a before element with an after element, and how it was made."""

    before: str
    after: str
    how: str  # id | label | similar-label+context | endpoints | content
    score: float = 1.0
    kind: str = ""  # task, event, gateway, subprocess, artifact, flow, lane, pool

    def to_dict(self) -> dict[str, object]:
        return {"before": self.before, "after": self.after, "kind": self.kind, "matched_by": self.how, "score": round(self.score, 4)}


def match_class(node: Node) -> str:
    """Elements of one class may be paired: activities with activities, start events with start events."""
    k = node.kind
    if k in (TASK, SUBPROCESS):
        return "activity"
    if k == EVENT:
        t = node.type
        if t.startswith("intermediate"):
            return "event:intermediate"
        return "event:" + t
    if k == GATEWAY:
        return "gateway"
    return "artifact:" + node.type


def called_hosts(model: ProcessModel) -> dict[str, str]:
    """Top-level node of a process called by exactly one call activity -> that activity."""
    callers: dict[str, list[str]] = {}
    for nid, n in model.nodes.items():
        called = n.attrs.get("called_element")
        if n.type == "callActivity" and called in model.processes:
            callers.setdefault(called, []).append(nid)
    return {
        nid: callers[n.process][0]
        for nid, n in model.nodes.items()
        if n.parent is None and len(callers.get(n.process or "", ())) == 1
    }


class _Side:
    """One model's nodes in comparable form: class, label, neighbours, depth, order.

    `raw` is the normalised label as written; `label` keeps only real names (a tool's placeholder
    such as "Task 3" or "Parallel Gateway_81" counts as no name). Equal raw labels may pair; a
    similar label must be a real one. The top-level steps of a process called by a call activity
    count as that activity's children (tools draw them inside it, or inline it as a sub-process).
    """

    def __init__(self, model: ProcessModel, include_artifacts: bool) -> None:
        self.model = model
        self.nodes = {
            nid: n for nid, n in model.nodes.items() if include_artifacts or n.kind != ARTIFACT
        }
        self.order = {nid: i for i, nid in enumerate(self.nodes)}
        self.cls = {nid: match_class(n) for nid, n in self.nodes.items()}
        self.raw = {nid: normalise_label(n.name) for nid, n in self.nodes.items()}
        self.label = {nid: meaningful(n.name) for nid, n in self.nodes.items()}
        self.host = {k: v for k, v in called_hosts(model).items() if k in self.nodes}
        g: nx.MultiDiGraph = model.graph(flatten=False)
        self.pred = {nid: set(g.predecessors(nid)) if nid in g else set() for nid in self.nodes}
        self.succ = {nid: set(g.successors(nid)) if nid in g else set() for nid in self.nodes}
        self.depth = {nid: self._depth(nid) for nid in self.nodes}
        self.children: dict[str, list[str]] = {}
        for nid in self.nodes:
            p = self.parent(nid)
            if p is not None:
                self.children.setdefault(p, []).append(nid)

    def _depth(self, nid: str) -> int:
        d, seen, cur = 0, {nid}, self.parent(nid)
        while cur is not None and cur in self.nodes and cur not in seen:
            seen.add(cur)
            d += 1
            cur = self.parent(cur)
        return d

    def parent(self, nid: str) -> str | None:
        return self.nodes[nid].parent or self.host.get(nid)

    def pool(self, nid: str) -> str:
        """The real name of the pool drawn around this node's process ('' when none or unnamed)."""
        proc = self.nodes[nid].process
        for p in self.model.participants.values():
            if p.process == proc and proc:
                return meaningful(p.name)
        return ""


def match_nodes(
    before: ProcessModel, after: ProcessModel, *, flatten: bool = False, include_artifacts: bool = False
) -> list[Match]:
    """Pair flow nodes (and artifacts if asked) of two models; unpaired ones are added/removed.

    Nested sub-processes are matched nested (a label match needs matching parents) unless `flatten`.
    """
    b, a = _Side(before, include_artifacts), _Side(after, include_artifacts)
    fwd: dict[str, Match] = {}
    back: dict[str, str] = {}

    def take(m: Match) -> None:
        fwd[m.before] = m
        back[m.after] = m.before

    for m in _by_id(b, a):
        take(m)
    for depth in sorted(set(b.depth.values())):
        _by_label(b, a, fwd, back, depth, flatten)
        _containers_by_content(b, a, fwd, back, depth, flatten)
    _by_similarity(b, a, fwd, back, flatten)
    return sorted(fwd.values(), key=lambda m: b.order[m.before])


def _by_id(b: _Side, a: _Side) -> list[Match]:
    """Same id and class, when ids mean the same thing in both models.

    Tools that number elements by position (a re-mined model's Activity_1, Gateway_2, …) reuse an
    id for another step once a step is added or removed. Where most labelled elements sharing an id
    disagree on their label, ids are positional and none is trusted; otherwise an id is trusted
    unless its labels show it now names another step that exists elsewhere.
    """
    labels_a: dict[str, set[str]] = {}
    labels_b: dict[str, set[str]] = {}
    for nid, lab in a.raw.items():
        labels_a.setdefault(a.cls[nid], set()).add(lab)
    for nid, lab in b.raw.items():
        labels_b.setdefault(b.cls[nid], set()).add(lab)
    shared = [nid for nid in b.nodes if nid in a.nodes and b.cls[nid] == a.cls[nid]]
    labelled = [nid for nid in shared if b.raw[nid] and a.raw[nid]]
    agree = sum(1 for nid in labelled if b.raw[nid] == a.raw[nid])
    if labelled and agree < ID_TRUST * len(labelled):
        return []
    out = []
    for nid in shared:
        lb, la, c = b.raw[nid], a.raw[nid], b.cls[nid]
        if lb and la and lb != la and (lb in labels_a.get(c, ()) or la in labels_b.get(c, ())):
            continue  # the id was reused for another step: let labels decide
        if not _id_in_place(b, a, nid):
            continue
        out.append(Match(nid, nid, BY_ID, 1.0, b.nodes[nid].kind))
    return out


def _id_in_place(b: _Side, a: _Side, nid: str) -> bool:
    """An id is trusted only where it stands: same pool (by name) and some neighbour in common.

    Tools number ids by position ("StartEvent_1"), so the start event of another pool, or one
    in another place of the flow, can carry the same id and even the same label.
    """
    pb, pa = b.pool(nid), a.pool(nid)
    if pb and pa and pb != pa:
        return False
    has_b, has_a = b.pred[nid] or b.succ[nid], a.pred[nid] or a.succ[nid]
    return not (has_b and has_a) or _label_context(b, a, nid, nid) > 0


def _parent_ok(b: _Side, a: _Side, bid: str, aid: str, fwd: dict[str, Match], flatten: bool) -> bool:
    if flatten:
        return True
    pb, pa = b.parent(bid), a.parent(aid)
    if pb is None or pb not in b.nodes:
        return pa is None or pa not in a.nodes
    m = fwd.get(pb)
    return m is not None and m.after == pa


def _context(b: _Side, a: _Side, bid: str, aid: str, fwd: dict[str, Match]) -> float:
    """Dice overlap of matched predecessors and successors: 1.0 when the element sits in the same place."""
    deg = len(b.pred[bid]) + len(b.succ[bid]) + len(a.pred[aid]) + len(a.succ[aid])
    if deg == 0:
        return 0.0
    common = sum(1 for p in b.pred[bid] if p in fwd and fwd[p].after in a.pred[aid])
    common += sum(1 for s in b.succ[bid] if s in fwd and fwd[s].after in a.succ[aid])
    return 2.0 * common / deg


def _neighbour_labels(side: _Side, nid: str) -> tuple[Counter, Counter]:
    def key(x: str) -> str:
        return (side.raw.get(x) or side.model.nodes[x].type) if x in side.model.nodes else x

    return Counter(key(p) for p in side.pred[nid]), Counter(key(s) for s in side.succ[nid])


def _label_context(b: _Side, a: _Side, bid: str, aid: str) -> float:
    """Dice overlap of neighbour labels, matched or not: tells apart steps that share a label."""
    pb, sb = _neighbour_labels(b, bid)
    pa, sa = _neighbour_labels(a, aid)
    deg = sum(pb.values()) + sum(sb.values()) + sum(pa.values()) + sum(sa.values())
    if deg == 0:
        return 0.0
    return 2.0 * (sum((pb & pa).values()) + sum((sb & sa).values())) / deg


def _by_label(
    b: _Side, a: _Side, fwd: dict[str, Match], back: dict[str, str], depth: int, flatten: bool
) -> list[Match]:
    """Equal normalised labels at one nesting depth. Records pairings in `fwd`/`back`.

    A label found once on each side pairs at once. Labels found several times (a step done twice)
    pair in rounds: each round takes the pairs whose matched neighbours already agree, so every
    round gives the next one context; when no pair has any, neighbour labels and then document
    order decide.
    """
    groups_a: dict[tuple, list[str]] = {}
    for aid in a.nodes:
        if aid not in back and a.raw[aid]:
            par = None if flatten else a.parent(aid)
            groups_a.setdefault((a.cls[aid], a.raw[aid], par), []).append(aid)
    groups_b: dict[tuple, list[str]] = {}
    for bid in b.nodes:
        if bid in fwd or not b.raw[bid] or b.depth[bid] != depth:
            continue
        par = None
        if not flatten and b.parent(bid) in b.nodes:
            pm = fwd.get(b.parent(bid))  # type: ignore[arg-type]
            if pm is None:
                continue
            par = pm.after
        groups_b.setdefault((b.cls[bid], b.raw[bid], par), []).append(bid)
    out: list[Match] = []

    def take(x: str, y: str) -> None:
        m = Match(x, y, BY_LABEL, 1.0, b.nodes[x].kind)
        fwd[x] = m
        back[y] = x
        out.append(m)

    pending: list[tuple[list[str], list[str]]] = []
    for key in sorted(groups_b, key=lambda k: b.order[groups_b[k][0]]):
        bids, aids = groups_b[key], groups_a.get(key, [])
        if len(bids) == 1 and len(aids) == 1:
            take(bids[0], aids[0])
        elif aids:
            pending.append((bids, aids))
    while pending:
        scored = []
        for bids, aids in pending:
            for x in bids:
                if x in fwd:
                    continue
                for y in aids:
                    if y not in back:
                        ctx = _context(b, a, x, y, fwd)
                        scored.append((-ctx, -_label_context(b, a, x, y), b.order[x], a.order[y], x, y))
        if not scored:
            break
        scored.sort()
        sure = [p for p in scored if p[0] < 0]
        for p in sure or scored:
            if p[4] not in fwd and p[5] not in back:
                take(p[4], p[5])
                if not sure:
                    break  # without context, pair one at a time: it gives context to the rest
    return out


def _containers_by_content(
    b: _Side, a: _Side, fwd: dict[str, Match], back: dict[str, str], depth: int, flatten: bool
) -> None:
    """Unpaired sub-processes at one depth pair by what they hold (Dice of their children's labels).

    An unnamed event sub-process, or one renamed, would otherwise stay unpaired, and with it
    every step inside it (a step pairs only inside its paired parent). Containers are few, so
    comparing each unpaired one with each other is cheap. Records pairings in `fwd`/`back`.
    """
    cb = [x for x in b.children if x in b.nodes and x not in fwd and b.depth[x] == depth]
    ca = [y for y in a.children if y in a.nodes and y not in back]
    if not cb or not ca:
        return

    def content(side: _Side, nid: str) -> Counter:
        return Counter(side.raw[c] or side.nodes[c].type for c in side.children[nid])

    held_a = {y: content(a, y) for y in ca}
    scored = []
    for x in cb:
        held_b = content(b, x)
        for y in ca:
            if b.cls[x] != a.cls[y] or not _parent_ok(b, a, x, y, fwd, flatten):
                continue
            total = sum(held_b.values()) + sum(held_a[y].values())
            dice = 2.0 * sum((held_b & held_a[y]).values()) / total if total else 0.0
            if dice >= MIN_CONTEXT:
                scored.append((-dice, b.order[x], a.order[y], x, y))
    for neg, _, _, x, y in sorted(scored):
        if x not in fwd and y not in back:
            fwd[x] = Match(x, y, BY_CONTENT, round(-neg, 6), b.nodes[x].kind)
            back[y] = x


def label_similarity(left: list[str], right: list[str]):  # -> numpy array
    """Pairwise similarity in [0, 1]: the better of character ratio and word-order-free ratio."""
    import numpy as np
    from rapidfuzz import fuzz, process

    if not left or not right:
        return np.zeros((len(left), len(right)), dtype=np.float32)
    r1 = process.cdist(left, right, scorer=fuzz.ratio, dtype=np.float32, workers=1)
    r2 = process.cdist(left, right, scorer=fuzz.token_sort_ratio, dtype=np.float32, workers=1)
    return np.maximum(r1, r2) / 100.0


def _same_place(b: _Side, a: _Side, x: str, y: str, ctx: float) -> bool:
    """A renamed element needs no similar label where everything around it is paired and equal.

    Every neighbour paired to a neighbour, at least two of them (or the host of a boundary event),
    the same BPMN type and the same event definitions: then the element was renamed (or
    translated), not replaced.
    """
    nx_, ny = b.nodes[x], a.nodes[y]
    if ctx < 1.0 or nx_.type != ny.type:
        return False
    if sorted(map(str, nx_.attrs.get("event_definitions") or [])) != sorted(map(str, ny.attrs.get("event_definitions") or [])):
        return False
    if nx_.type == "boundaryEvent":
        return True
    return len(b.pred[x]) + len(b.succ[x]) >= 2


def _by_similarity(
    b: _Side, a: _Side, fwd: dict[str, Match], back: dict[str, str], flatten: bool
) -> list[Match]:
    """Similar labels in the same place in the flow; unlabelled nodes by place alone (same class).

    Best pair first from a heap. Every pairing gives its neighbours context, so the neighbours'
    pairs are scored and pushed then: a chain of renamed steps is followed link by link. A pair
    whose score grew since it was pushed goes back in with the new score (scores only grow).
    Records its pairings in `fwd`/`back` as it goes.
    """
    import heapq

    free_b = [x for x in b.nodes if x not in fwd]
    free_a = [y for y in a.nodes if y not in back]
    if not free_b or not free_a:
        return []
    lab_b = [x for x in free_b if b.label[x]]
    lab_a = [y for y in free_a if a.label[y]]
    sim = label_similarity([b.label[x] for x in lab_b], [a.label[y] for y in lab_a])
    ib = {x: i for i, x in enumerate(lab_b)}
    ia = {y: j for j, y in enumerate(lab_a)}

    def score(x: str, y: str) -> float | None:
        """Combined score of an acceptable pair, None when the pair may not be made."""
        if b.cls[x] != a.cls.get(y) or not _parent_ok(b, a, x, y, fwd, flatten):
            return None
        ctx = _context(b, a, x, y, fwd)
        if b.label[x] and a.label[y]:
            lab = float(sim[ib[x], ia[y]])
            ok = lab >= STRONG_LABEL or (lab >= WEAK_LABEL and ctx >= MIN_CONTEXT) or _same_place(b, a, x, y, ctx)
        else:  # no real name on one side at least: the place in the flow decides, the type helps
            same = b.nodes[x].type == a.nodes[y].type
            lab = (1.0 if same else 0.75) if not b.label[x] and not a.label[y] else (0.5 if same else 0.4)
            ok = ctx >= MIN_CONTEXT
        return round(0.6 * lab + 0.4 * ctx, 6) if ok else None

    heap: list[tuple[float, int, int, str, str]] = []
    seeds: dict[str, list[str]] = {}

    def push(x: str, y: str) -> None:
        if x in fwd or y in back:
            return
        sc = score(x, y)
        if sc is not None:
            heapq.heappush(heap, (-sc, b.order[x], a.order[y], x, y))

    def push_neighbours(x: str, y: str) -> None:
        for p in b.pred[x]:
            if p not in fwd:
                for q in a.pred[y]:
                    push(p, q)
        for p in b.succ[x]:
            if p not in fwd:
                for q in a.succ[y]:
                    push(p, q)
        for c in b.children.get(x, ()):  # a paired sub-process opens its steps to pairing
            for q in seeds.get(c, ()):
                push(c, q)

    # seeds: each labelled node's few most similar labels, and the neighbours of pairs made so far
    if sim.size:
        import numpy as np

        k = min(TOP_K, sim.shape[1])
        top = np.argsort(-sim, axis=1, kind="stable")[:, :k]
        for i, row in enumerate(top):
            for j in row:
                if sim[i, j] >= WEAK_LABEL:
                    seeds.setdefault(lab_b[i], []).append(lab_a[int(j)])
                    push(lab_b[i], lab_a[int(j)])
    for x in list(fwd):
        push_neighbours(x, fwd[x].after)
    new: list[Match] = []
    while heap:
        neg, _, _, x, y = heapq.heappop(heap)
        if x in fwd or y in back:
            continue
        sc = score(x, y)
        if sc is None:
            continue
        if sc > -neg:
            heapq.heappush(heap, (-sc, b.order[x], a.order[y], x, y))
            continue
        how = BY_SIMILARITY if b.label[x] and a.label[y] else BY_CONTEXT
        m = Match(x, y, how, sc, b.nodes[x].kind)
        fwd[x] = m
        back[y] = x
        new.append(m)
        push_neighbours(x, y)
    return new


# -- flows ------------------------------------------------------------------------------------
BEHAVIOURAL_FLOW_KINDS = ("sequence", "message")


def match_flows(
    before: ProcessModel, after: ProcessModel, endpoint_map: dict[str, str], *, include_artifacts: bool = False
) -> list[Match]:
    """A flow is the same flow when its endpoints are matched elements (id only breaks ties)."""
    kinds = None if include_artifacts else set(BEHAVIOURAL_FLOW_KINDS)

    def keep(f: Flow) -> bool:
        return kinds is None or f.kind in kinds

    slots: dict[tuple[str, str, str], list[str]] = {}
    for f in after.flows.values():
        if keep(f):
            slots.setdefault((f.source, f.target, f.kind), []).append(f.id)
    out = []
    for f in before.flows.values():
        if not keep(f) or f.source not in endpoint_map or f.target not in endpoint_map:
            continue
        cands = slots.get((endpoint_map[f.source], endpoint_map[f.target], f.kind))
        if not cands:
            continue
        fid = f.id if f.id in cands else cands[0]
        cands.remove(fid)
        out.append(Match(f.id, fid, BY_ID if fid == f.id else BY_ENDPOINTS, 1.0, "flow"))
    return out


class PairEvidence:
    """What the matcher saw for a pair it did not make: label similarity, place in the flow, parents.

    Built once per comparison (two `_Side`s); `labels()` is one rapidfuzz call per element, `of()`
    a neighbour scan per pair.
    """

    def __init__(self, before: ProcessModel, after: ProcessModel, node_matches: list[Match], *, flatten: bool = False) -> None:
        self.b, self.a = _Side(before, True), _Side(after, True)
        self.fwd = {m.before: m for m in node_matches}
        self.flatten = flatten

    def same_class(self, bid: str, aid: str) -> bool:
        return self.b.cls[bid] == self.a.cls[aid]

    def labels(self, bid: str, aids: list[str]) -> dict[str, float]:
        """Label similarity of one before element to many after elements: one rapidfuzz call."""
        named = [y for y in aids if self.a.label[y]]
        if not self.b.label[bid] or not named:
            return {}
        row = label_similarity([self.b.label[bid]], [self.a.label[y] for y in named])[0]
        return {y: float(v) for y, v in zip(named, row)}

    def of(self, bid: str, aid: str, lab: float | None = None) -> dict[str, object]:
        """Evidence for one pair; `lab` from `labels()` (None: no real name on a side)."""
        return {
            "label": lab,
            "context": _context(self.b, self.a, bid, aid, self.fwd),
            "parents_paired": _parent_ok(self.b, self.a, bid, aid, self.fwd, self.flatten),
            "same_type": self.b.nodes[bid].type == self.a.nodes[aid].type,
            "named": (bool(self.b.label[bid]), bool(self.a.label[aid])),
        }


@dataclass(frozen=True)
class ActivityMatch:
    """How a log's activities meet a model's task labels (as `compare` pairs elements)."""

    pairs: tuple[Match, ...]  # before = activity, after = task label, how = id | label | similar-label
    unmatched_activities: tuple[str, ...]  # done in the log, no task in the model
    unmatched_tasks: tuple[str, ...]  # in the model, never in the log

    @property
    def rename(self) -> dict[str, str]:
        return {m.before: m.after for m in self.pairs if m.before != m.after}


def match_activities(activities: Iterable[str], task_labels: Iterable[str]) -> ActivityMatch:
    """Pair log activities with model task labels: the same text ("id"), the same normalised label
    ("label"), then a near-identical label (similarity ≥ STRONG_LABEL, best pair first). One-to-one;
    what stays unpaired on either side is listed."""
    acts = sorted(set(activities))
    labels = sorted(set(task_labels))
    pairs: list[Match] = []
    free_l = set(labels)
    for a in acts:
        if a in free_l:
            pairs.append(Match(a, a, BY_ID, 1.0, TASK))
            free_l.discard(a)
    done = {m.before for m in pairs}
    by_norm: dict[str, list[str]] = {}
    for lab in sorted(free_l):
        by_norm.setdefault(normalise_label(lab), []).append(lab)
    for a in acts:
        hit = [x for x in by_norm.get(normalise_label(a), []) if x in free_l]
        if a not in done and len(hit) >= 1:
            pairs.append(Match(a, hit[0], BY_LABEL, 1.0, TASK))
            free_l.discard(hit[0])
            done.add(a)
    rest_a = [a for a in acts if a not in done]
    rest_l = sorted(free_l)
    if rest_a and rest_l:
        sim = label_similarity([normalise_label(a) for a in rest_a], [normalise_label(x) for x in rest_l])
        import numpy as np

        ij = np.argwhere(sim >= STRONG_LABEL)
        cand = sorted((-float(sim[i, j]), int(i), int(j)) for i, j in ij)
        used_a: set[int] = set()
        used_l: set[int] = set()
        for s, i, j in cand:
            if i not in used_a and j not in used_l:
                pairs.append(Match(rest_a[i], rest_l[j], BY_SIMILARITY.split("+")[0], -s, TASK))
                used_a.add(i)
                used_l.add(j)
        rest_a = [a for i, a in enumerate(rest_a) if i not in used_a]
        rest_l = [x for j, x in enumerate(rest_l) if j not in used_l]
    pairs.sort(key=lambda m: m.before)
    return ActivityMatch(tuple(pairs), tuple(rest_a), tuple(rest_l))
