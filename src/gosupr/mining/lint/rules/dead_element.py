"""dead-element: a flow node on no path from a start to an end (it never runs, or runs into a dead end).

Bounded work: two breadth-first searches over the control-flow graph (linear in its size), no
path enumeration. Sub-processes are entered at their start events (or, without any, at their
inner steps that have no incoming flow) and left from their end events (or inner steps without an
outgoing flow). Starts are start events, event sub-processes and link catch events (and, in a
scope without start events, its steps without incoming flow); ends are end events, link throw and
compensation events (and, in a scope without end events, its steps without outgoing flow).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import networkx as nx

from gosupr.bpmn.model import SUBPROCESS, ProcessModel
from gosupr.mining.findings import Finding
from gosupr.mining.kinds import Kind, Removal, subjects
from gosupr.mining.lint.rules._common import describe, rule_finding

RULE = "dead-element"
DEFAULTS: dict[str, Any] = {}


def _defs(model: ProcessModel, nid: str) -> list[str]:
    n = model.nodes.get(nid)
    return list(n.attrs.get("event_definitions") or []) if n else []


def _control_graph(model: ProcessModel) -> tuple[nx.MultiDiGraph, set[str], set[str]]:
    g = model.graph(flatten=True)
    starts: set[str] = set()
    ends: set[str] = set()
    scopes: dict[tuple[str | None, str | None], list[str]] = defaultdict(list)
    for nid in list(g.nodes):
        n = model.nodes.get(nid)
        if n is None:
            continue
        scopes[(n.process, n.parent)].append(nid)
        defs = _defs(model, nid)
        if n.type == "startEvent" or (n.type == "intermediateCatchEvent" and "link" in defs):
            starts.add(nid)
        if n.kind == SUBPROCESS and n.attrs.get("triggered_by_event"):
            starts.add(nid)  # runs when its event occurs, ends by itself
            ends.add(nid)
        if n.type == "endEvent" or (n.type == "intermediateThrowEvent" and "link" in defs):
            ends.add(nid)
        if "compensate" in defs or n.attrs.get("compensation"):
            starts.add(nid)
            ends.add(nid)
    for (_process, parent), members in scopes.items():
        host = model.nodes.get(parent) if parent else None
        sources = [m for m in members if g.in_degree(m) == 0]
        sinks = [m for m in members if g.out_degree(m) == 0]
        has_start = any(model.nodes[m].type == "startEvent" for m in members)
        has_end = any(model.nodes[m].type == "endEvent" for m in members)
        if host is None:
            if not has_start:
                starts.update(m for m in members if g.in_degree(m) == 0)
            if not has_end:
                ends.update(sinks)
            continue
        exit_id = f"{host.id}::exit"
        if not has_start or host.type == "adHocSubProcess":
            for m in sources:
                g.add_edge(host.id, m, key=f"enter:{host.id}:{m}", kind="enter")
        if not has_end or host.type == "adHocSubProcess":
            for m in sinks:
                g.add_edge(m, exit_id if exit_id in g else host.id, key=f"leave:{host.id}:{m}", kind="leave")
    return g, starts, ends


def check(model: ProcessModel, cfg: dict[str, Any] | None = None) -> list[Finding]:
    g, starts, ends = _control_graph(model)
    reached: set[str] = set()
    for s in starts:
        if s not in reached:
            reached |= nx.descendants(g, s) | {s}
    finishing: set[str] = set()
    rg = g.reverse(copy=False)
    for e in ends:
        if e not in finishing:
            finishing |= nx.descendants(rg, e) | {e}
    out = []
    for nid in g.nodes:
        n = model.nodes.get(nid)
        if n is None or (nid in reached and nid in finishing):
            continue
        why = "no start reaches it" if nid not in reached else "it reaches no end"
        out.append(rule_finding(
            model, RULE, [nid],
            f"{describe(model, nid)} is on no path from a start to an end ({why}); it can never complete a case.",
            severity="high", removable=nid not in reached,
            evidence={"reachable_from_start": nid in reached, "reaches_end": nid in finishing},
        ))
    return out


def message_ru(f: Finding) -> str:
    e = f.evidence or {}
    why = "до него не доходит ни одно начало" if e.get("reachable_from_start") is False else "от него нельзя дойти до конца"
    return f"{subjects(f)[0]} не лежит ни на одном пути от начала до конца ({why}); он не может завершить дело."


SPEC = Kind(
    name=RULE,
    title=("dead-element", "мёртвый элемент (dead-element)"),
    category="model",
    about="an element on no path from a start to an end (it can never complete a case)",
    removal=Removal("element"),
    messages={"ru": message_ru},
    order=60,
)
