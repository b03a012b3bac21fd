"""Deviations from the normative model, read off optimal alignments of variants, spread over cases.

An alignment pairs the log's events with the model's run. Per variant and activity:
- a model move with no log move of the same activity: the step was **skipped**;
- a log move of an activity the model lacks: a step **not in the model** was done;
- a log move and a model move of the same activity: the step was done **out of order**;
- a log move of a model activity left over: the step was done **where the model does not allow it**
  (an extra round, a repeat).
Each deviation keeps the position of the event it hangs on (for a skip, the event before it: the
department that moved the case on without the step), so per-case departments come from the log.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from gosupr.eventlog import DEPARTMENT, EventLog, Variants
from gosupr.mining.conformance.align import VariantAlignment

SKIPPED, NOT_IN_MODEL, OUT_OF_ORDER, UNEXPECTED = "skipped", "not_in_model", "out_of_order", "unexpected"
KINDS = (SKIPPED, OUT_OF_ORDER, NOT_IN_MODEL, UNEXPECTED)


@dataclass
class Deviation:
    """One kind of deviation of one activity, over the aligned cases."""

    kind: str
    activity: str
    cases: int
    case_share: float  # of the aligned cases
    mandatory: bool = False
    by_department: list[tuple[str, int]] = field(default_factory=list)  # most cases first

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "activity": self.activity,
            "cases": self.cases,
            "case_share": round(self.case_share, 6),
            "mandatory": self.mandatory,
            "by_department": [{"department": d, "cases": n} for d, n in self.by_department],
        }


def variant_deviations(al: VariantAlignment, model_labels: set[str]) -> list[tuple[str, str, int]]:
    """(kind, activity, position of the event it hangs on) for one aligned variant."""
    log_moves: dict[str, list[int]] = {}
    model_moves: dict[str, list[int]] = {}
    out: list[tuple[str, str, int]] = []
    pos = -1
    for lg, md in al.moves:
        if lg is not None:
            pos += 1
            if md is None:
                if lg in model_labels:
                    log_moves.setdefault(lg, []).append(pos)
                else:
                    out.append((NOT_IN_MODEL, lg, pos))
        elif md is not None:
            model_moves.setdefault(md, []).append(max(pos, 0))
    for act in sorted(set(log_moves) | set(model_moves)):
        lm, mm = log_moves.get(act, []), model_moves.get(act, [])
        k = min(len(lm), len(mm))
        out += [(OUT_OF_ORDER, act, p) for p in lm[:k]]
        out += [(UNEXPECTED, act, p) for p in lm[k:]]
        out += [(SKIPPED, act, p) for p in mm[k:]]
    return out


def case_deviations(
    log: EventLog, variants: Variants, aligned: list[VariantAlignment], model_labels: set[str]
) -> pd.DataFrame:
    """One row per case and deviation: case_id, kind, activity, department (of the event it hangs on).

    Deviations are found once per variant and joined to the variant's cases; the department lookup
    is one gather over the event frame."""
    rows = [(a.index, kind, act, pos) for a in aligned for kind, act, pos in variant_deviations(a, model_labels)]
    cols = ["case_id", "kind", "activity", "department"]
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    dev = pd.DataFrame(rows, columns=["variant", "kind", "activity", "pos"])
    starts, _ = log.case_bounds
    case_ids = log.df["case_id"].cat.categories[log.df["case_id"].cat.codes.to_numpy()[starts]]
    cv = variants.case_variant.reindex(case_ids).to_numpy()
    cases = pd.DataFrame({"case_id": np.asarray(case_ids, dtype=object), "variant": cv, "start": starts})
    m = cases.merge(dev, on="variant", how="inner", sort=False)
    if log.has_department:
        dept = log.df[DEPARTMENT].astype(object).to_numpy()
        m["department"] = dept[(m["start"] + m["pos"]).to_numpy()]
    else:
        m["department"] = ""
    return m[cols].reset_index(drop=True)


def aggregate(per_case: pd.DataFrame, cases_aligned: int, mandatory: set[str]) -> list[Deviation]:
    """Cases per (kind, activity), most cases first; departments by the cases they hold."""
    if per_case.empty or cases_aligned == 0:
        return []
    first = per_case.drop_duplicates(["case_id", "kind", "activity"])
    out = []
    for (kind, act), g in first.groupby(["kind", "activity"], sort=False):
        depts = Counter(d for d in g["department"].tolist() if d)
        n = int(len(g))
        out.append(
            Deviation(kind, act, n, n / cases_aligned, act in mandatory and kind == SKIPPED,
                      sorted(depts.items(), key=lambda x: (-x[1], x[0])))
        )
    out.sort(key=lambda d: (-d.cases, KINDS.index(d.kind), d.activity))
    return out
