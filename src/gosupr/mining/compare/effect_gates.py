"""CI gates on a reform's effect: `--fail-on plan-realised-below=0.8|duration-up|outcome-shift=0.02`.

Each gate fails on evidence, not on noise: the median duration must have risen significantly, the
outcome shift's lower bound must pass the threshold.
"""

from __future__ import annotations

from gosupr.mining.compare.effect import Effect
from gosupr.mining.gate_specs import Gate, parse_gate_specs, share

GATES = ("plan-realised-below", "duration-up", "outcome-shift")
GATE_HELP = "plan-realised-below=<0..1>, duration-up, outcome-shift=<0..1>"


def parse_effect_gates(specs: list[str] | tuple[str, ...]) -> list[Gate]:
    """Parse gate specs (repeatable, comma-separated); an unknown or malformed gate is bad input."""
    return parse_gate_specs(specs, GATES, {"plan-realised-below": share, "outcome-shift": share}, GATE_HELP)


def evaluate_effect_gates(effect: Effect, gates: list[Gate]) -> list[str]:
    """The violated gates, each with the number that violated it."""
    bad: list[str] = []
    for g in gates:
        if g.name == "plan-realised-below":
            share = effect.plan.realised_share if effect.plan else None
            if share is not None and g.threshold is not None and share < g.threshold:
                bad.append(f"{g}: {effect.plan.realised} of {effect.plan.assessed} assessed planned removals realised ({share:.0%})")
        elif g.name == "duration-up":
            f = effect.figure("case_duration_median_s")
            if f is not None and f.significant and (f.change or 0) > 0:
                bad.append(f"{g}: median case duration rose by {f.change / 86400:.2f} d (95% interval "
                           f"{f.low / 86400:.2f}…{f.high / 86400:.2f} d)")
        elif g.name == "outcome-shift":
            low = effect.outcome_tv.get("low")
            if low is not None and g.threshold is not None and low > g.threshold:
                bad.append(f"{g}: outcome distribution shifted by at least {low:.1%} (total variation, 95% lower bound)")
    return bad
