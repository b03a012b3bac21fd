"""CI gates on a reform's effect: `--fail-on plan-realised-below=0.8|duration-up|outcome-shift=0.02`.

Each gate fails on evidence, not on noise: the median duration must have risen significantly, the
outcome shift's lower bound must pass the threshold.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import GosuprError
from .effect import Effect

GATES = {"plan-realised-below": True, "duration-up": False, "outcome-shift": True}  # name -> takes a value
GATE_HELP = "plan-realised-below=<0..1>, duration-up, outcome-shift=<0..1>"


@dataclass(frozen=True)
class EffectGate:
    """A gate on an Effect (not a ModelDiff gate: those live in compare_gates, which imports compare)."""

    name: str
    threshold: float | None = None

    def __str__(self) -> str:
        return self.name if self.threshold is None else f"{self.name}={self.threshold:g}"


def parse_effect_gates(specs: list[str] | tuple[str, ...]) -> list[EffectGate]:
    """Parse gate specs (repeatable, comma-separated); an unknown or malformed gate is bad input."""
    out: list[EffectGate] = []
    for spec in specs:
        for item in spec.replace(";", ",").split(","):
            item = item.strip()
            if not item:
                continue
            name, eq, raw = item.partition("=")
            name = name.strip().lower()
            if name not in GATES:
                raise GosuprError(f"--fail-on: unknown gate '{item}' for two logs; valid gates: {GATE_HELP}")
            threshold = None
            if GATES[name]:
                try:
                    threshold = float(raw.strip().replace(",", "."))
                except ValueError:
                    threshold = float("nan")
                if not 0.0 <= threshold <= 1.0:
                    raise GosuprError(f"--fail-on: '{item}' needs a value between 0 and 1, e.g. {name}=0.8")
            elif eq:
                raise GosuprError(f"--fail-on: gate '{name}' takes no value (got '{item}'); valid gates: {GATE_HELP}")
            gate = EffectGate(name, threshold)
            if gate not in out:
                out.append(gate)
    return out


def evaluate_effect_gates(effect: Effect, gates: list[EffectGate]) -> list[str]:
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
