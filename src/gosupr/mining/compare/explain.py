"""`compare --explain`: for an element reported added or removed, why it was not paired.

The closest unpaired element of the same class on the other side (by label, then by place in the
flow) is named with the evidence the matcher had and the threshold it missed, so a person can tell
a real change from a pairing the tool did not dare to make.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from gosupr.bpmn.model import ProcessModel
from gosupr.mining.compare.matching import MIN_CONTEXT, STRONG_LABEL, WEAK_LABEL, PairEvidence
from gosupr.mining.compare.models import ModelDiff
from gosupr.mining.labels import normalise_label


@dataclass
class Explanation:
    change: str  # added | removed
    element: str  # id in its model
    name: str
    closest: str | None  # id of the closest candidate on the other side
    closest_name: str | None
    reasons: list[dict[str, object]]  # {code, numbers, text}: see REASONS

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def explain_unpaired(before: ProcessModel, after: ProcessModel, diff: ModelDiff) -> list[Explanation]:
    """One explanation per removed or added element; candidates are the other side's unpaired ones."""
    ev = PairEvidence(before, after, diff.node_matches, flatten=diff.flatten)
    out: list[Explanation] = []
    removed = [c.before_id for c in diff.elements if c.change == "removed" and c.before_id]
    added = [c.after_id for c in diff.elements if c.change == "added" and c.after_id]
    by_class_a: dict[str, list[str]] = {}
    for aid in added:
        by_class_a.setdefault(ev.a.cls[aid], []).append(aid)
    sims: dict[tuple[str, str], float] = {}  # one rapidfuzz row per removed element: O(removed · added) at most
    for bid in removed:
        for aid, v in ev.labels(bid, by_class_a.get(ev.b.cls[bid], [])).items():
            sims[(bid, aid)] = v
    for bid in removed:
        cands = by_class_a.get(ev.b.cls[bid], [])
        e = _explain("removed", bid, before, after, cands, lambda a, b=bid: ev.of(b, a, sims.get((b, a))))
        _other_class(e, before.nodes[bid], after, added)
        out.append(e)
    for aid in added:
        cands = [bid for bid in removed if ev.same_class(bid, aid)]
        e = _explain("added", aid, after, before, cands, lambda b, a=aid: ev.of(b, a, sims.get((b, a))))
        _other_class(e, after.nodes[aid], before, removed)
        out.append(e)
    return out


REASONS = {  # code -> English wording; the report layer words them in Russian too
    "no-candidate": "no element of the same class was {side} in the other model",
    "other-class": "«{name}» is a {other_type} and this a {own_type}: elements of different classes are never paired",
    "parents-unpaired": "their enclosing sub-processes are not paired",
    "label-low": "label similarity {label:.2f} < {weak:.2f}",
    "label-and-place-low": "label similarity {label:.2f} < {strong:.2f} and place in flow {context:.2f} < {min_context:.2f}",
    "rename-needs-neighbours": "a renamed element needs its whole neighbourhood paired (place in flow {context:.2f})",
    "unnamed-place-low": "a name is missing or a placeholder, so the place in the flow decides: {context:.2f} < {min_context:.2f}",
    "outscored": "another pairing scored higher",
}


def reason(code: str, **values: object) -> dict[str, object]:
    """One reason: its code, the numbers behind it, and the English text."""
    return {"code": code, **values, "text": REASONS[code].format(**values)}


def _other_class(e: Explanation, node, other: ProcessModel, unpaired: list[str]) -> None:
    """A namesake of another class (a throw event turned boundary event) is named: it is never paired."""
    if e.closest is not None or not normalise_label(node.name):
        return
    for oid in unpaired:
        o = other.nodes[oid]
        if normalise_label(o.name) == normalise_label(node.name):
            e.closest, e.closest_name = oid, _name(other, oid)
            e.reasons = [reason("other-class", name=e.closest_name, other_type=o.type, own_type=node.type)]
            return


def _name(model: ProcessModel, nid: str) -> str:
    n = model.nodes[nid]
    return n.name.strip() or f"[{n.type}]"


def _explain(change: str, nid: str, own: ProcessModel, other: ProcessModel, cands: list[str], evidence) -> Explanation:
    if not cands:
        side = "added" if change == "removed" else "removed"
        return Explanation(change, nid, _name(own, nid), None, None, [reason("no-candidate", side=side)])
    scored = [(evidence(c), c) for c in cands]
    best_ev, best = max(scored, key=lambda t: ((t[0]["label"] or 0.0), t[0]["context"]))
    reasons = []
    lab, ctx = best_ev["label"], round(float(best_ev["context"]), 4)
    if not best_ev["parents_paired"]:
        reasons.append(reason("parents-unpaired"))
    if lab is not None:
        lab = round(lab, 4)
        if lab < WEAK_LABEL:
            reasons.append(reason("label-low", label=lab, weak=WEAK_LABEL))
        elif lab < STRONG_LABEL and ctx < MIN_CONTEXT:
            reasons.append(reason("label-and-place-low", label=lab, strong=STRONG_LABEL, context=ctx, min_context=MIN_CONTEXT))
        elif ctx < 1.0:
            reasons.append(reason("rename-needs-neighbours", context=ctx))
    elif ctx < MIN_CONTEXT:
        reasons.append(reason("unnamed-place-low", context=ctx, min_context=MIN_CONTEXT))
    if not reasons:
        reasons.append(reason("outscored"))
    return Explanation(change, nid, _name(own, nid), best, _name(other, best), reasons)
