"""Which lane, pool and process of the as-is model is which of the to-be model.

Containers are few and often unnamed or renamed by tools, so they pair by id, then by real name
(placeholders such as `<ohne Namen>` do not count, spelling variants do), then by the matched
steps they hold.
"""

from __future__ import annotations

from collections.abc import Iterable

from gosupr.bpmn.model import ProcessModel
from gosupr.mining.compare.matching import BY_CONTENT, BY_ID, BY_LABEL, BY_SIMILARITY, STRONG_LABEL, WEAK_LABEL, Match, label_similarity
from gosupr.mining.labels import meaningful, skeleton


def _majority(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str, int]]:
    """Greedy one-to-one pairing of containers by how many matched members they share."""
    counts: dict[tuple[str, str], int] = {}
    for x, y in pairs:
        counts[(x, y)] = counts.get((x, y), 0) + 1
    used_x: set[str] = set()
    used_y: set[str] = set()
    out = []
    for (x, y), c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        if x not in used_x and y not in used_y:
            used_x.add(x)
            used_y.add(y)
            out.append((x, y, c))
    return out


def match_processes(before: ProcessModel, after: ProcessModel, node_map: dict[str, str]) -> dict[str, str]:
    """Process ids of before → after: by id, then by where the matched nodes went."""
    out = {p: p for p in before.processes if p in after.processes}
    taken = set(out.values())
    pairs = []
    for bid, aid in node_map.items():
        pb, pa = before.nodes[bid].process, after.nodes[aid].process
        if pb and pa and pb not in out and pa not in taken:
            pairs.append((pb, pa))
    for x, y, _ in _majority(pairs):
        out[x] = y
    return out


def match_pools(before: ProcessModel, after: ProcessModel, process_map: dict[str, str]) -> list[Match]:
    """Pools by id, then by normalised name, then by the process they hold."""
    fwd, back = _containers_by_id(before.participants, after.participants, "pool")
    _by_name(before.participants, after.participants, fwd, back, "pool")
    proc_owner = {p.process: pid for pid, p in after.participants.items() if p.process and pid not in back}
    for pid, p in before.participants.items():
        if pid in fwd or not p.process:
            continue
        target = proc_owner.get(process_map.get(p.process, ""))
        if target and target not in back:
            fwd[pid] = Match(pid, target, BY_CONTENT, 1.0, "pool")
            back.add(target)
    return list(fwd.values())


def _containers_by_id(left: dict, right: dict, kind: str) -> tuple[dict[str, Match], set[str]]:
    """Containers whose id stands on both sides (lanes, pools): forward matches and taken right ids."""
    fwd = {i: Match(i, i, BY_ID, 1.0, kind) for i in left if i in right}
    return fwd, set(fwd)


def _by_name(left: dict, right: dict, fwd: dict[str, Match], back: set[str], kind: str) -> None:
    """Equal names pair up, spelling aside (lanes, pools); a placeholder name ("Lane 1", "Pool") only
    where it is the one such name on each side."""
    names_r: dict[str, list[str]] = {}
    for rid, r in right.items():
        if rid not in back and skeleton(r.name):
            names_r.setdefault(skeleton(r.name), []).append(rid)
    names_l: dict[str, list[str]] = {}
    for lid, x in left.items():
        if lid not in fwd and skeleton(x.name):
            names_l.setdefault(skeleton(x.name), []).append(lid)
    for name, lids in names_l.items():
        rids = names_r.get(name, [])
        if not meaningful(left[lids[0]].name) and (len(lids) != 1 or len(rids) != 1):
            continue
        for lid, rid in zip(lids, rids):
            fwd[lid] = Match(lid, rid, BY_LABEL, 1.0, kind)
            back.add(rid)


def match_lanes(before: ProcessModel, after: ProcessModel, node_map: dict[str, str]) -> list[Match]:
    """Lanes by id, then real name, then by members kept together (a renamed lane; an unnamed one
    needs half its members in common, a named one 80 % or a similar name)."""
    fwd, back = _containers_by_id(before.lanes, after.lanes, "lane")
    _by_name(before.lanes, after.lanes, fwd, back, "lane")
    members_b: dict[str, set[str]] = {}
    members_a: dict[str, set[str]] = {}
    for nid, n in before.nodes.items():
        if n.lane in before.lanes and n.lane not in fwd and nid in node_map:
            members_b.setdefault(n.lane, set()).add(node_map[nid])
    for nid, n in after.nodes.items():
        if n.lane in after.lanes and n.lane not in back:
            members_a.setdefault(n.lane, set()).add(nid)
    lb, la = sorted(members_b), sorted(members_a)
    names_b = [meaningful(before.lanes[x].name) for x in lb]
    names_a = [meaningful(after.lanes[y].name) for y in la]
    sim = label_similarity(names_b, names_a)
    scored = []
    for i, x in enumerate(lb):
        for j, y in enumerate(la):
            inter = len(members_b[x] & members_a[y])
            if not inter:
                continue
            jac = inter / len(members_b[x] | members_a[y])
            named = bool(names_b[i] and names_a[j])
            lab = float(sim[i, j]) if named else 0.0  # two missing names are not similar names
            if lab >= STRONG_LABEL or (lab >= WEAK_LABEL and jac >= 0.3) or jac >= (0.8 if named else 0.5):
                scored.append((-(0.6 * lab + 0.4 * jac), x, y, named))
    for neg, x, y, named in sorted(scored):
        if x not in fwd and y not in back:
            fwd[x] = Match(x, y, BY_SIMILARITY if named else BY_CONTENT, round(-neg, 4), "lane")
            back.add(y)
    return list(fwd.values())
