"""CI gates: per input, does a number cross the threshold gosupr.toml set under [fail_if]?

A gate that cannot be measured (no fitness because replay failed, say) fails: CI must not pass
silently on a number it never saw.
"""

from __future__ import annotations

from typing import Any

from gosupr.batch.config import SEVERITIES, Gates

LOG_ONLY = {"removable_share_above", "fitness_below", "precision_below", "outcome_preserved_below", "rows_dropped_share_above"}

# gate -> (where the value lives in a result's headline, words for the message, failing direction)
_THRESHOLDS: dict[str, tuple[str, str, str]] = {
    "removable_share_above": ("steps_removable_share", "share of removable events", "above"),
    "fitness_below": ("fitness", "to-be model fitness on today's log", "below"),
    "precision_below": ("precision", "to-be model precision on today's log", "below"),
    "outcome_preserved_below": ("outcome_preserved_share", "share of outcomes preserved", "below"),
    "rows_dropped_share_above": ("rows_dropped_share", "share of rows dropped on ingest", "above"),
}


def applicable(gates: Gates, kind: str) -> list[str]:
    """The configured gates that apply to a log or a model input ([[effect]] pairs have their own)."""
    if kind == "effect":
        return []
    return [g for g in gates.names() if kind == "log" or g not in LOG_ONLY]


def evaluate(gates: Gates, result: dict[str, Any]) -> list[dict[str, Any]]:
    """One verdict per applicable gate: name, passed, value, threshold, message."""
    out = []
    for name in applicable(gates, result["kind"]):
        if name in _THRESHOLDS:
            out.append(_threshold(name, getattr(gates, name), result.get("headline") or {}))
        else:
            out.append(_findings(name, gates, result.get("findings") or {}))
    return out


def _threshold(name: str, limit: float, headline: dict[str, Any]) -> dict[str, Any]:
    key, words, direction = _THRESHOLDS[name]
    value = headline.get(key)
    if not isinstance(value, (int, float)):
        return _verdict(name, False, None, limit, f"{words} could not be measured")
    failed = value > limit if direction == "above" else value < limit
    rel = direction if failed else ("at or below" if direction == "above" else "at or above")
    return _verdict(name, not failed, value, limit, f"{words} {_num(value)} is {rel} {_num(limit)}")


def _findings(name: str, gates: Gates, counts: dict[str, Any]) -> dict[str, Any]:
    by_kind: dict[str, int] = counts.get("by_kind") or {}
    total = int(counts.get("total") or 0)
    if name == "findings.kinds":
        hit = {k: by_kind[k] for k in gates.finding_kinds if by_kind.get(k)}
        msg = ", ".join(f"{k}: {n}" for k, n in hit.items())
        return _verdict(
            name,
            not hit,
            sum(hit.values()),
            list(gates.finding_kinds),
            f"forbidden findings present ({msg})" if hit else f"none of {', '.join(gates.finding_kinds)} found",
        )
    if name == "findings.severity":
        level = gates.finding_severity or "high"
        worse = SEVERITIES[: SEVERITIES.index(level) + 1]
        by_sev: dict[str, int] = counts.get("by_severity") or {}
        n = sum(int(by_sev.get(s, 0)) for s in worse)
        return _verdict(
            name, n == 0, n, level, f"{n} finding(s) of severity {level} or worse" if n else f"no finding of severity {level} or worse"
        )
    limit = gates.findings_count_above or 0
    ok = total <= limit
    return _verdict(name, ok, total, limit, f"{total} finding(s), {'at most' if ok else 'more than'} {limit} allowed")


def _verdict(name: str, passed: bool, value: Any, threshold: Any, message: str) -> dict[str, Any]:
    return {"name": name, "passed": passed, "value": value, "threshold": threshold, "message": message}


def _num(v: float) -> str:
    return f"{v:.4g}"
