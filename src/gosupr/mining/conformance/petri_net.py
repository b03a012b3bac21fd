"""Our BPMN→Petri net translation (workflow net with deterministic names) for replay.

pm4py's converter drops sub-processes, boundary events and intermediate events (their branches can
never fire) and names silent transitions with random UUIDs. This one flattens sub-processes, gives
boundary events their exception branch, labels tasks with their (whitespace-normalised) names so
replay matches log activities, keeps gateways/events silent, and names every place and transition
after the BPMN ids so the net is the same on every run.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable
from itertools import combinations
from typing import Any

from gosupr.bpmn.model import EVENT, GATEWAY, SUBPROCESS, TASK, Flow, Node, ProcessModel

MAX_SUBSET_BRANCHES = 6  # unpaired OR joins: one transition per subset of inputs up to this fan-in
OR_LIKE = {"inclusiveGateway", "complexGateway"}


def processes_in_log(model: ProcessModel, activities: Iterable[str]) -> list[str] | None:
    """The model's processes (pools) with at least one task the log executes, matched by normalised
    label; None (keep all) when the model has one process or the log matches none of them."""
    from gosupr.mining.compare.matching import normalise_label

    acts = {normalise_label(a) for a in activities}
    by_proc: dict[str, int] = {}
    for n in model.flow_nodes():
        by_proc.setdefault(n.process or "", 0)
        if n.is_activity and normalise_label(n.name) in acts:
            by_proc[n.process or ""] += 1
    hit = sorted(p for p, c in by_proc.items() if c > 0)
    if len(by_proc) <= 1 or not hit or len(hit) == len(by_proc):
        return None
    return hit


def task_label(name: str) -> str | None:
    """The label a log would carry for a task: whitespace collapsed; unnamed tasks are silent."""
    label = " ".join((name or "").split())
    return label or None


# -- Petri net ------------------------------------------------------------------------------------
class _NetBuilder:
    """An abstract net (names only) that is reduced deterministically, then turned into pm4py objects."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.places: dict[str, None] = {}
        self.trans: dict[str, tuple[str | None, Counter[str], Counter[str]]] = {}

    def place(self, name: str) -> str:
        self.places.setdefault(name, None)
        return name

    def transition(self, name: str, label: str | None, pre: Iterable[str], post: Iterable[str]) -> str:
        base, i = name, 2
        while name in self.trans:
            name, i = f"{base}#{i}", i + 1
        pre_c, post_c = Counter(pre), Counter(post)
        for p in (*pre_c, *post_c):
            self.place(p)
        self.trans[name] = (label, pre_c, post_c)
        return name

    def reduce(self, keep: set[str]) -> None:
        """Fuse silent transitions in series (pm4py's simple reduction, in a fixed order).

        Single entry: silent t whose only input place p is fed by one transition s and feeds only t:
        s marks t's outputs directly. Single exit: the mirror image. Behaviour is unchanged.
        """
        changed = True
        while changed:
            changed = False
            prod: dict[str, list[str]] = {p: [] for p in self.places}
            cons: dict[str, list[str]] = {p: [] for p in self.places}
            for t, (_, pre, post) in self.trans.items():
                for p in pre:
                    cons[p].append(t)
                for p in post:
                    prod[p].append(t)
            for t in sorted(self.trans):
                label, pre, post = self.trans[t]
                if label is not None:
                    continue
                if len(pre) == 1 and sum(pre.values()) == 1:
                    (p,) = pre
                    if p not in keep and cons[p] == [t] and len(prod[p]) == 1 and prod[p][0] != t:
                        s = prod[p][0]
                        if self.trans[s][2][p] == 1 and p not in post:
                            s_post = self.trans[s][2]
                            del s_post[p]
                            s_post.update(post)
                            del self.trans[t], self.places[p]
                            changed = True
                            break
                if len(post) == 1 and sum(post.values()) == 1:
                    (q,) = post
                    if q not in keep and prod[q] == [t] and len(cons[q]) == 1 and cons[q][0] != t:
                        u = cons[q][0]
                        if self.trans[u][1][q] == 1 and q not in pre:
                            u_pre = self.trans[u][1]
                            del u_pre[q]
                            u_pre.update(pre)
                            del self.trans[t], self.places[q]
                            changed = True
                            break

    def materialize(self, initial: str, final: str) -> tuple[Any, Any, Any]:
        from pm4py.objects.petri_net.obj import Marking, PetriNet
        from pm4py.objects.petri_net.utils.petri_utils import add_arc_from_to

        used = {p for _, pre, post in self.trans.values() for p in (*pre, *post)} | {initial, final}
        net = PetriNet(self.name)
        places = {}
        for p in sorted(used):
            places[p] = PetriNet.Place(p)
            net.places.add(places[p])
        for name in sorted(self.trans):
            label, pre, post = self.trans[name]
            t = PetriNet.Transition(name, label)
            net.transitions.add(t)
            for p, w in sorted(pre.items()):
                add_arc_from_to(places[p], t, net, weight=w)
            for p, w in sorted(post.items()):
                add_arc_from_to(t, places[p], net, weight=w)
        im, fm = Marking(), Marking()
        im[places[initial]] = 1
        fm[places[final]] = 1
        return net, im, fm


class _Translator:
    """BPMN control flow → workflow net. One place per sequence flow; nodes become transitions."""

    def __init__(self, model: ProcessModel, processes: Iterable[str] | None = None) -> None:
        self.m = model
        self.b = _NetBuilder(model.name or "model")
        self.notes: list[str] = []
        keep = None if processes is None else set(processes)
        nodes = [n for n in model.flow_nodes() if not self._skipped(n) and (keep is None or n.process in keep)]
        self.nodes = {n.id: n for n in sorted(nodes, key=lambda n: n.id)}
        self.flows = sorted(
            (f for f in model.sequence_flows() if f.source in self.nodes and f.target in self.nodes),
            key=lambda f: f.id,
        )
        self.inc: dict[str, list[Flow]] = {i: [] for i in self.nodes}
        self.out: dict[str, list[Flow]] = {i: [] for i in self.nodes}
        for f in self.flows:
            self.out[f.source].append(f)
            self.inc[f.target].append(f)
        self.parents = {n.parent for n in self.nodes.values() if n.parent}
        self.children: dict[str, list[Node]] = {}
        for n in self.nodes.values():
            self.children.setdefault(self._scope_key(n), []).append(n)
        self.armed: dict[str, list[Node]] = {}  # host id -> its non-interrupting boundary events
        for n in self.nodes.values():
            host = n.attrs.get("attached_to")
            if n.type == "boundaryEvent" and host in self.nodes and n.attrs.get("cancel_activity") is False:
                self.armed.setdefault(host, []).append(n)
        self.exit_of: dict[str, str] = {}  # scope key -> exit place
        self.end_redirect: dict[str, list[str]] = {}  # inner end event id -> places (error boundary)

    # -- what is in scope -----------------------------------------------------------------------
    def _skipped(self, n: Node) -> bool:
        """Event sub-processes and compensation handlers are not part of the normal flow."""
        cur: Node | None = n
        while cur is not None:
            if cur.kind == SUBPROCESS and cur.attrs.get("triggered_by_event"):
                return True
            if cur.attrs.get("compensation") or cur.attrs.get("is_for_compensation"):
                return True
            if cur.type == "boundaryEvent" and "compensate" in (cur.attrs.get("event_definitions") or []):
                return True
            cur = self.m.nodes.get(cur.parent) if cur.parent else None
        return False

    def _is_container(self, n: Node) -> bool:
        return n.kind == SUBPROCESS and n.id in self.parents

    def _scope_key(self, n: Node) -> str:
        parent = self.m.nodes.get(n.parent) if n.parent else None
        if parent is not None and parent.kind == SUBPROCESS:
            return f"sp:{parent.id}"
        return f"proc:{n.process or ''}"

    # -- places -------------------------------------------------------------------------------
    @staticmethod
    def fp(f: Flow) -> str:
        return f"f:{f.id}"

    def entry(self, n: Node) -> str:
        """Place that holds a token while `n` is enabled (XOR-merge of its incoming flows)."""
        inc = self.inc[n.id]
        if len(inc) == 1:
            return self.fp(inc[0])
        name = f"ent:{n.id}"
        if len(inc) > 1 and name not in self.b.places:
            for f in inc:
                self.b.transition(f"merge:{n.id}:{f.id}", None, [self.fp(f)], [name])
        return self.b.place(name)

    def active(self, n: Node) -> str:
        """Place from which activity `n` runs. With non-interrupting boundary events, enabling `n`
        also arms each of them: while `n` runs an armed event may fire once (its branch runs in
        parallel); when `n` completes or is interrupted, each event is collected, fired or not."""
        if n.id not in self.armed:
            return self.entry(n)
        name = f"act:{n.id}"
        if name not in self.b.places:
            arms = [f"arm:{be.id}" for be in self.armed[n.id]]
            self.b.transition(f"arm:{n.id}", None, [self.entry(n)], [name, *arms])
        return self.b.place(name)

    def completion(self, n: Node) -> list[str]:
        """Places `n`'s completion marks: straight on, or via collecting its armed boundary events."""
        if n.id not in self.armed:
            return self._done(n)
        done = self.b.place(f"done:{n.id}")
        self._collect(n, done, self._done(n), f"collect:{n.id}")
        return [done]

    def _collect(self, host: Node, start: str, targets: list[str], tag: str) -> None:
        stage: str = start
        events = self.armed[host.id]
        for i, be in enumerate(events):
            nxt = targets if i == len(events) - 1 else [self.b.place(f"{tag}:{i}")]
            self.b.transition(f"{tag}:{be.id}:armed", None, [stage, f"arm:{be.id}"], nxt)
            self.b.transition(f"{tag}:{be.id}:fired", None, [stage, f"fired:{be.id}"], nxt)
            stage = nxt[0]

    def outs(self, n: Node) -> list[str]:
        """Places `n` marks when it completes (AND-split); no outgoing flow means the scope ends."""
        if n.id in self.end_redirect:
            return self.end_redirect[n.id]
        if n.type == "intermediateThrowEvent" and "link" in (n.attrs.get("event_definitions") or []):
            scope = self._scope_key(n)
            catches = [
                c for c in self.children.get(scope, [])
                if c.type == "intermediateCatchEvent" and "link" in (c.attrs.get("event_definitions") or [])
                and c.name == n.name
            ]
            if catches:
                return [self.entry(c) for c in catches]
        fl = self.out[n.id]
        if fl:
            return [self.fp(f) for f in fl]
        return [self.exit_of[self._scope_key(n)]]

    # -- translation --------------------------------------------------------------------------
    def run(self, reduce: bool = True) -> tuple[Any, Any, Any]:
        b = self.b
        b.place("source")
        b.place("sink")
        procs = sorted({k for k in self.children if k.startswith("proc:")})
        for sp in self.nodes.values():
            if self._is_container(sp):
                self.exit_of[f"sp:{sp.id}"] = b.place(f"x:{sp.id}")
        if len(procs) == 1:
            self.exit_of[procs[0]] = "sink"
        elif procs:
            for k in procs:
                self.exit_of[k] = b.place(f"snk:{k[5:]}")
            self.notes.append(f"{len(procs)} processes run in parallel between one source and one sink")
        self._prepare_boundary_redirects()
        for k in procs:
            pre = "source" if len(procs) == 1 else b.place(f"src:{k[5:]}")
            self._start_scope(k, [pre], f"start:{k[5:]}")
        if len(procs) > 1:
            b.transition("start", None, ["source"], [f"src:{k[5:]}" for k in procs])
            b.transition("end", None, [f"snk:{k[5:]}" for k in procs], ["sink"])
        for n in self.nodes.values():
            self._node(n)
        self._collapse_exits()
        if reduce:
            b.reduce(keep={"source", "sink"})
        net, im, fm = b.materialize("source", "sink")
        if self.notes:
            net.properties["gosupr_notes"] = list(self.notes)
        return net, im, fm

    def _collapse_exits(self) -> None:
        """Concurrent branches may each reach an end event: two tokens in a scope's exit place fold
        into one, so a case that ends all its branches still reaches the final marking."""
        for place in sorted(set(self.exit_of.values())):
            producers = [t for t, (_, _, post) in self.b.trans.items() if place in post]
            if len(producers) > 1:
                self.b.transition(f"collapse:{place}", None, [place, place], [place])

    def _start_scope(self, key: str, pre: list[str], name: str) -> None:
        """Explicit start events are alternatives; without any, all nodes lacking incoming flow start."""
        members = self.children.get(key, [])
        starts = [n for n in members if n.type == "startEvent" and not self.inc[n.id]]
        if starts:
            for s in starts:
                self.b.transition(f"{name}:{s.id}", None, pre, [self.entry(s)])
            return
        implicit = [
            n for n in members
            if not self.inc[n.id] and n.type != "boundaryEvent"
            and not (n.type == "intermediateCatchEvent" and "link" in (n.attrs.get("event_definitions") or []))
        ]
        self.b.transition(name, None, pre, [self.entry(n) for n in implicit])

    def _prepare_boundary_redirects(self) -> None:
        """An error/escalation/cancel end event inside a sub-process continues at the matching boundary event."""
        for be in self.nodes.values():
            host = self.nodes.get(be.attrs.get("attached_to") or "")
            if be.type != "boundaryEvent" or host is None or not self._is_container(host):
                continue
            kinds = set(be.attrs.get("event_definitions") or []) & {"error", "escalation", "cancel"}
            if not kinds or be.attrs.get("cancel_activity") is False:
                continue
            target = [self.fp(f) for f in self.out[be.id]] or [self.exit_of[self._scope_key(be)]]
            for e in self._descendants(host.id):
                if e.type == "endEvent" and kinds & set(e.attrs.get("event_definitions") or []):
                    self.end_redirect.setdefault(e.id, target)

    def _descendants(self, sp_id: str) -> list[Node]:
        out, todo = [], [sp_id]
        while todo:
            cur = todo.pop()
            kids = self.children.get(f"sp:{cur}", [])
            out.extend(kids)
            todo.extend(c.id for c in kids)
        return sorted(out, key=lambda n: n.id)

    def _node(self, n: Node) -> None:
        b = self.b
        parent = self.nodes.get(n.parent or "")
        if parent is not None and parent.type == "adHocSubProcess":
            return  # translated by _adhoc
        if n.type == "boundaryEvent":
            self._boundary(n)
        elif n.kind == GATEWAY:
            self._gateway(n)
        elif n.kind == SUBPROCESS and self._is_container(n):
            if n.type == "adHocSubProcess":
                self._adhoc(n)
            else:
                key = f"sp:{n.id}"
                self._start_scope(key, [self.active(n)], f"enter:{n.id}")
                b.transition(f"leave:{n.id}", None, [self.exit_of[key]], self.completion(n))
        elif n.kind in (TASK, SUBPROCESS):
            b.transition(f"t:{n.id}", task_label(n.name), [self.active(n)], self.completion(n))
        elif n.kind == EVENT:
            b.transition(f"e:{n.id}", None, [self.entry(n)], self.outs(n))

    def _done(self, n: Node) -> list[str]:
        """Where an activity's completion goes: its outgoing flows, or, for a loop or multi-instance
        activity, a place from which it either runs again or moves on (one or more executions)."""
        if not n.attrs.get("loop"):
            return self.outs(n)
        done = self.b.place(f"done:{n.id}")
        self.b.transition(f"again:{n.id}", None, [done], [self.entry(n)])
        self.b.transition(f"next:{n.id}", None, [done], self.outs(n))
        return [done]

    def _adhoc(self, n: Node) -> None:
        """Ad-hoc sub-process: its inner activities run in any order, any number of times."""
        b = self.b
        hub = b.place(f"hub:{n.id}")
        b.transition(f"enter:{n.id}", None, [self.active(n)], [hub])
        for c in self.children.get(f"sp:{n.id}", []):
            if c.is_activity:
                b.transition(f"t:{c.id}", task_label(c.name), [hub], [hub])
        b.transition(f"leave:{n.id}", None, [hub], self.completion(n))
        self.notes.append(f"ad-hoc sub-process {n.id}: inner activities in any order")

    def _boundary(self, n: Node) -> None:
        host = self.nodes.get(n.attrs.get("attached_to") or "")
        if host is None:
            self.notes.append(f"boundary event {n.id} is attached to nothing and never fires")
            return
        if n.attrs.get("cancel_activity") is False:
            self.active(host)  # arms it
            self.b.transition(f"e:{n.id}", None, [f"arm:{n.id}"], [*self.outs(n), f"fired:{n.id}"])
        elif host.id in self.armed:  # interrupting, and the host's armed events are collected first
            cut = self.b.place(f"cut:{n.id}")
            self.b.transition(f"e:{n.id}", None, [self.active(host)], [cut])
            self._collect(host, cut, self.outs(n), f"collect:{n.id}")
        else:  # interrupting: the host's work is abandoned before it completes
            self.b.transition(f"e:{n.id}", None, [self.active(host)], self.outs(n))

    def _gateway(self, n: Node) -> None:
        b = self.b
        inc, out = self.inc[n.id], self.out[n.id]
        if n.type == "parallelGateway":
            pre = [self.fp(f) for f in inc] or [self.entry(n)]
            b.transition(f"g:{n.id}", None, pre, self.outs(n))
            return
        if n.type in OR_LIKE:
            self._inclusive(n)
            return
        hub = self.entry(n)  # exclusive, event-based (and anything unknown): one token passes
        if not out:
            b.transition(f"g:{n.id}", None, [hub], self.outs(n))
        for f in out:
            b.transition(f"g:{n.id}:{f.id}", None, [hub], [self.fp(f)])

    # -- inclusive gateways -------------------------------------------------------------------
    def _inclusive(self, n: Node) -> None:
        """OR split paired with its OR join: skipped branches send their token straight to the join,
        which then is an AND join (the usual sound translation). An unpaired OR join fires on any
        non-empty subset of its inputs."""
        b = self.b
        inc, out = self.inc[n.id], self.out[n.id]
        if len(inc) > 1:
            hub = b.place(f"mid:{n.id}")
            if self._is_paired_join(n):
                b.transition(f"g:{n.id}:join", None, [self.fp(f) for f in inc], [hub])
            elif len(inc) <= MAX_SUBSET_BRANCHES:
                for s in _subsets(inc):
                    b.transition(f"g:{n.id}:in:{'+'.join(f.id for f in s)}", None, [self.fp(f) for f in s], [hub])
            else:
                hub = self.entry(n)
                self.notes.append(f"inclusive join {n.id}: more than {MAX_SUBSET_BRANCHES} branches, merged")
        else:
            hub = self.entry(n)
        if len(out) <= 1:
            b.transition(f"g:{n.id}", None, [hub], self.outs(n))
            return
        found = self._join_map(n)
        skip = {fid: self.fp(f) for fid, f in found[1].items()} if found else {}
        # per-branch choice: each branch runs or is skipped (straight to the paired join). Token
        # replay handles it far better than one transition per subset; it also admits the empty choice.
        choice = [b.place(f"c:{n.id}:{f.id}") for f in out]
        b.transition(f"g:{n.id}:split", None, [hub], choice)
        for f, c in zip(out, choice):
            b.transition(f"g:{n.id}:do:{f.id}", None, [c], [self.fp(f)])
            b.transition(f"g:{n.id}:skip:{f.id}", None, [c], [skip[f.id]] if f.id in skip else [])

    def _is_paired_join(self, join: Node) -> bool:
        for s in self.nodes.values():
            if s.type in OR_LIKE and len(self.out[s.id]) > 1:
                found = self._join_map(s)
                if found is not None and found[0] == join.id:
                    return True
        return False

    def _join_map(self, split: Node) -> tuple[str, dict[str, Flow]] | None:
        cache = self.__dict__.setdefault("_join_cache", {})
        if split.id in cache:
            return cache[split.id]
        per_branch: list[dict[str, tuple[int, Flow]]] = []
        for f in self.out[split.id]:
            seen: dict[str, tuple[int, Flow]] = {}
            visited = {split.id}
            q: deque[tuple[Flow, int]] = deque([(f, 1)])
            while q:
                fl, d = q.popleft()
                tgt = self.nodes[fl.target]
                if tgt.type in OR_LIKE and len(self.inc[tgt.id]) > 1 and tgt.id not in seen:
                    seen[tgt.id] = (d, fl)
                if tgt.id in visited:
                    continue
                visited.add(tgt.id)
                for nxt in self.out[tgt.id]:
                    q.append((nxt, d + 1))
            per_branch.append(seen)
        common = set.intersection(*(set(s) for s in per_branch)) if per_branch else set()
        result = None
        if common:
            j = min(common, key=lambda k: (max(s[k][0] for s in per_branch), k))
            mapping = {f.id: s[j][1] for f, s in zip(self.out[split.id], per_branch)}
            used = [fl.id for fl in mapping.values()]
            if len(set(used)) == len(used) and set(used) == {fl.id for fl in self.inc[j]}:
                result = (j, mapping)
        cache[split.id] = result
        return result


def _subsets(items: list[Flow]) -> list[list[Flow]]:
    return [list(c) for k in range(1, len(items) + 1) for c in combinations(items, k)]


def to_petri_net(
    model: ProcessModel, reduce: bool = True, processes: Iterable[str] | None = None
) -> tuple[Any, Any, Any]:
    """Accepting Petri net (net, initial marking, final marking) of the model's control flow.

    Tasks are visible transitions labelled with their name; events, gateways and sub-process
    borders are silent. A sub-process is entered at its start events and left when its end is
    reached; loop and multi-instance activities run one or more times; concurrent end events put
    several tokens in the sink, which a silent `collapse:sink` transition folds back to one.
    Approximations (noted in `net.properties["gosupr_notes"]`): an interrupting boundary event
    bypasses its host from the host's entry (error end events inside a sub-process continue at the
    matching boundary event); a non-interrupting one fires at most once per activation; event
    sub-processes and compensation are left out; OR joins not paired with an OR split fire on any
    non-empty subset of their inputs; an OR split may also choose no branch; unnamed tasks are silent.
    With `reduce`, silent transitions in series are fused as pm4py's own converter does, so token
    counts (and so fitness values) agree with pm4py's conversion on models it can convert.
    Several pools run in parallel between one source and one sink; `processes` keeps only some.
    """
    from gosupr._pm4py import pm4py, quiet

    pm4py()
    with quiet():
        return _Translator(model, processes).run(reduce=reduce)
