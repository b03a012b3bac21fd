"""Which steps must stay: inferred from the log first, from the label second.

A removal verdict is only as safe as this list. Evidence from the log: a start (first in ≥30%
of cases), an end (last in ≥20%), an XOR decision point (its frequent successors exclude each
other), an outcome (mutually exclusive alternatives that lead to the same next step, like
approve/reject → notify), the final act (the last approval, signature or decision in most of its
cases). From the label: the decision or the outcome itself, or registration, notification or
archiving when it runs in (nearly) every case (≥80%).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gosupr.mining.waste import words

if TYPE_CHECKING:
    from gosupr.mining.waste.facts import LogFacts


def essential_steps(f: LogFacts) -> dict[int, str]:
    """Activity code → the reason it is essential."""
    out: dict[int, str] = {}
    for a in range(f.n_activities):
        if f.first_share[a] >= 0.3:
            out[a] = "start"
        elif f.last_share[a] >= 0.2:
            out[a] = "end"
    for reason, acts in (
        ("decision point", f.decision_points),
        ("outcome", f.outcome_alternatives),
        ("final act", f.final_acts),
    ):
        for a in acts:
            out.setdefault(a, reason)
    share = f.case_freq / max(f.n_cases, 1)
    for a, label in enumerate(f.labels):
        role = words.essential_role(label)
        if role in ("decision", "outcome") or (role and share[a] >= 0.8):
            out.setdefault(a, role)
    return dict(sorted(out.items()))


def exclusive(f: LogFacts, x: int, y: int, tolerance: float = 0.05) -> bool:
    """x and y (nearly) never occur in the same case."""
    px, py = f.cases_with(x), f.cases_with(y)
    return f.count(px & py) <= tolerance * min(f.count(px), f.count(py))


def decision_points(f: LogFacts) -> list[int]:
    """Activities followed by ≥2 frequent successors that exclude each other within a case."""
    e = f.edges
    out = []
    for a in range(f.n_activities):
        occ = f.occurrences[a]
        if occ == 0:
            continue
        sel = (e.src == a) & (e.dst != a)
        succ = sorted(int(b) for b in e.dst[sel][e.events[sel] >= max(0.1 * occ, 2)])
        if any(exclusive(f, b1, b2) for i, b1 in enumerate(succ) for b2 in succ[i + 1 :]):
            out.append(a)
    return out


def outcome_alternatives(f: LogFacts) -> list[int]:
    """Mutually exclusive activities (each in ≥5% of cases) followed by the same next step.

    Approve/reject, sign/refuse: the only difference between the branches is the act itself.
    """
    nxt, sh = f.dominant_successor
    share = f.case_freq / max(f.n_cases, 1)
    cand = [a for a in range(f.n_activities) if share[a] >= 0.05 and sh[a] >= 0.8]
    out: set[int] = set()
    for i, x in enumerate(cand):
        for y in cand[i + 1 :]:
            if nxt[x] == nxt[y] and nxt[x] not in (x, y) and exclusive(f, x, y, 0.02):
                out.update((x, y))
    return sorted(out)


def final_acts(f: LogFacts) -> list[int]:
    """Control or decision steps that are the last such step in at least half of their cases."""
    ctl = np.array(
        [words.is_control(x) or words.essential_role(x) == "decision" for x in f.labels] + [False], dtype=bool
    )
    is_ctl = ctl[f.act] if f.n_events else np.zeros(0, dtype=bool)
    if not is_ctl.any():
        return []
    idx = np.flatnonzero(is_ctl)
    last = pd.Series(idx).groupby(f.case[idx]).max().to_numpy()
    last_count = np.bincount(f.act[last], weights=f.event_weights(last), minlength=f.n_activities)
    return [int(a) for a in np.flatnonzero(ctl[:-1] & (last_count >= 0.5 * np.maximum(f.case_freq, 1)))]
