"""Protected steps: what no removal may touch, and the verdicts of findings that would touch them.

Protected are the essential steps the log shows (start, end, decision point, outcome alternative,
final act; see essential.py) and every activity matching one of the caller's glob patterns
(`[protect] activities` in gosupr.toml, `--protect`, or a regulation's mandatory steps: any list
of patterns). Matching is case-insensitive, `*` and `?` as in shell globs.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Iterable

import numpy as np

from gosupr.mining.findings import Finding
from gosupr.mining.waste.facts import LogFacts
from gosupr.mining.waste.removal import REPEAT_KINDS, finding_mask

LOOP_KINDS = REPEAT_KINDS  # kinds whose removal takes a loop's later passes (SPEC.removal "repeats")


def matches(label: str, patterns: Iterable[str]) -> str | None:
    """The first pattern that names `label`, or None."""
    low = label.casefold()
    return next((p for p in patterns if fnmatchcase(low, p.casefold())), None)


def protected_activities(facts: LogFacts, patterns: Iterable[str] = ()) -> dict[int, str]:
    """Activity code → why it is protected ("final act", "pattern '*FINAL_APPROVED*'")."""
    pats = list(patterns)
    out = dict(facts.essential)
    for a, label in enumerate(facts.labels):
        if a not in out:
            p = matches(label, pats)
            if p is not None:
                out[a] = f"pattern {p!r}"
    return dict(sorted(out.items()))


def guard(
    facts: LogFacts, findings: list[Finding], patterns: Iterable[str] = (), periodic: Iterable[str] = ()
) -> list[Finding]:
    """Judge removable findings against protected steps and periodic repeats.

    A self-loop or rework of a step that repeats on a schedule (a periodic_repeat finding) is the
    schedule, not waste: it is dropped, the periodic finding says it. Any other loop through such a
    step is kept but not removable (verdict "periodic"). A finding that would remove an event of a
    protected step is not removable (verdict "protected", whatever its evidence), with the reason.
    `periodic`: labels known to repeat on a schedule when periodic_repeat was not among the kinds."""
    periodic = set(periodic) | {f.activities[0] for f in findings if f.kind == "periodic_repeat" and f.activities}
    protected = protected_activities(facts, patterns)
    out: list[Finding] = []
    for f in findings:
        if f.kind in ("self_loop", "rework") and f.activities and f.activities[0] in periodic:
            continue
        if f.kind in LOOP_KINDS and f.evidence.get("removal") and periodic & set(f.activities):
            step = sorted(periodic & set(f.activities))[0]
            _hold(f, "periodic", f"«{step}» repeats on a schedule (monitoring, instalments, reminders)")
            f.evidence["held_by"] = {"activity": step, "why": "periodic"}
        elif f.removable or f.verdict in ("insufficient_evidence", "outcomes_differ"):
            touched = np.unique(facts.act[finding_mask(facts, f)])
            hit = [int(a) for a in touched if int(a) in protected]
            if hit:
                a = hit[0]
                _hold(f, "protected", f"it would remove events of «{facts.labels[a]}», a protected step ({protected[a]})")
                f.evidence["held_by"] = {"activity": facts.labels[a], "why": protected[a]}
        out.append(f)
    return out


def _hold(f: Finding, verdict: str, reason: str) -> None:
    f.removable, f.verdict, f.reason = False, verdict, reason
