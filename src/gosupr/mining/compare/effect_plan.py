"""The plan a reform was meant to carry out, and where a planned removal still shows in a log.

A plan is the JSON of `gosupr reduce` (its `removed` findings; a findings document's removable
findings also do) or a to-be BPMN model (steps of the BEFORE log the model no longer has). Only
`kind`, `activities`, `removable` and `evidence.removal`/`second`/`activity` are read, so documents
with more fields (or fewer) still load. `occurs` answers, per case, whether the removed step or the
removed loop is still there, with array operations over the events.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from gosupr.errors import GosuprError
from gosupr.mining.waste.facts import LogFacts
from gosupr.mining.waste.removal import REPEAT_KINDS
from gosupr.mining.waste.removal import STEP_KINDS as _STEP_KINDS

STEP_KINDS = (*_STEP_KINDS, "step")  # "step": a to-be model's missing step
LOOP_KINDS = REPEAT_KINDS


@dataclass(frozen=True)
class PlannedRemoval:
    """One removal the plan promised: a whole step (`step` is its label) or a loop's extra rounds."""

    kind: str
    activities: tuple[str, ...]
    removal: str  # "step" | "repeats"

    @property
    def step(self) -> str | None:
        return self.activities[-1] if self.removal == "step" and self.activities else None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "activities": list(self.activities), "removal": self.removal}


def removal_of(kind: str, evidence: dict[str, Any] | None, activities: list[str]) -> PlannedRemoval | None:
    """What a finding of `kind` removes; None for kinds whose removal is not a step or a loop."""
    ev = evidence if isinstance(evidence, dict) else {}
    how = ev.get("removal")
    if how not in ("step", "repeats"):
        how = "step" if kind in STEP_KINDS else "repeats" if kind in LOOP_KINDS else None
    if how is None or not activities:
        return None
    acts = tuple(str(a) for a in activities)
    if how == "step":
        step = ev.get("second") or ev.get("activity") or acts[-1]
        acts = (*[a for a in acts if a != step], str(step))  # the removed step last
    return PlannedRemoval(kind, acts, how)


def load_plan(path: str | os.PathLike, before_labels: list[str]) -> list[PlannedRemoval]:
    """The planned removals of a reduce JSON or a to-be BPMN (kind recognised from the content)."""
    p = Path(path)
    try:
        head = p.read_bytes()[:4096].lstrip(b"\xef\xbb\xbf").lstrip()
    except OSError as e:
        raise GosuprError(f"cannot read the plan ({e.strerror}); check the --plan path", path=str(path)) from None
    if head.startswith(b"<"):
        from gosupr.bpmn.reader import read_bpmn

        return plan_from_model(read_bpmn(p), before_labels)
    return plan_from_json(p)


def plan_from_json(path: Path) -> list[PlannedRemoval]:
    from gosupr.docload import load_json

    doc = load_json(path, "plan")  # bounded: size, depth, number length; one line naming the file
    if not isinstance(doc, dict):
        raise GosuprError("the plan must be a JSON object (gosupr reduce --format json)", path=str(path))
    if isinstance(doc.get("removed"), list):
        items = [f for f in doc["removed"] if isinstance(f, dict) and f.get("applied", True) is not False]
    elif isinstance(doc.get("findings"), list):
        items = [f for f in doc["findings"] if isinstance(f, dict) and f.get("removable")]
    else:
        raise GosuprError("no 'removed' findings in the plan; give the output of `gosupr reduce --format json`",
                          path=str(path))
    out: list[PlannedRemoval] = []
    for i, f in enumerate(items):
        acts = f.get("activities")
        if not isinstance(f.get("kind"), str) or not isinstance(acts, list):
            raise GosuprError(f"planned removal #{i + 1} lacks 'kind' or 'activities'", path=str(path))
        r = removal_of(f["kind"], f.get("evidence"), acts)
        if r is not None and r not in out:
            out.append(r)
    return out


def plan_from_model(model: Any, before_labels: list[str]) -> list[PlannedRemoval]:
    """Activities of BEFORE that no task of the to-be model carries (normalised or near-identical label)."""
    from gosupr.mining.compare.matching import STRONG_LABEL, label_similarity, normalise_label

    tasks = [normalise_label(n.name) for n in model.nodes.values() if n.is_activity and n.name]
    known = set(tasks)
    missing = [a for a in before_labels if normalise_label(a) not in known]
    if missing and tasks:
        sim = label_similarity([normalise_label(a) for a in missing], tasks)
        missing = [a for a, row in zip(missing, sim) if row.max() < STRONG_LABEL]
    return [PlannedRemoval("step", (a,), "step") for a in missing]


def _codes(facts: LogFacts, labels: tuple[str, ...]) -> list[int]:
    """Activity codes of `labels` in this log (normalised labels, as matching pairs them); -1 if absent."""
    from gosupr.mining.compare.matching import normalise_label

    by_norm = {normalise_label(x): i for i, x in enumerate(facts.labels)}
    return [by_norm.get(normalise_label(x), -1) for x in labels]


def occurs(facts: LogFacts, kind: str, activities: tuple[str, ...] | list[str], removal: str) -> np.ndarray | None:
    """Per case: the removed step, or the removed loop's extra rounds, are there.

    Step: the activity occurs. self_loop: it directly follows itself. rework: the first activity
    occurs more than once. ping_pong: a → b → a for the first two activities (either way round).
    None when the kind has no such pattern.
    """
    acts = tuple(activities)
    codes = _codes(facts, acts)
    n = facts.n_cases
    none = np.zeros(n, dtype=bool)
    if not codes:
        return None
    act, case = facts.act, facts.case
    if removal == "step":
        a = codes[-1]
        return none if a < 0 else np.bincount(case[act == a], minlength=n) > 0
    a = codes[0]
    if a < 0:
        return none
    if kind == "self_loop":
        m = (act == a) & (facts.next_act == a)
        return np.bincount(case[m], minlength=n) > 0
    if kind == "rework":
        return np.bincount(case[act == a], minlength=n) > 1
    if kind == "ping_pong" and len(codes) >= 2:
        b = codes[1]
        if b < 0 or len(act) < 3:
            return none
        same = case[:-2] == case[2:]
        x, y, z = act[:-2], act[1:-1], act[2:]
        m = same & (x == z) & (((x == a) & (y == b)) | ((x == b) & (y == a)))
        return np.bincount(case[:-2][m], minlength=n) > 0
    return None
