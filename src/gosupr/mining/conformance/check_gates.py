"""CI gates on a regulation check: `--fail-on fitness-below=0.9|overdue-share-above=0.05|mandatory-skipped`."""

from __future__ import annotations

from gosupr.mining.conformance.check import CheckResult
from gosupr.mining.gate_specs import Gate, parse_gate_specs, share

GATE_HELP = "fitness-below=<0..1>, overdue-share-above=<0..1>, mandatory-skipped"
GATES = ("fitness-below", "overdue-share-above", "mandatory-skipped")


def parse_check_gates(specs: list[str] | tuple[str, ...]) -> list[Gate]:
    """Gate specs (repeatable, comma-separated); an unknown gate or bad value is bad input (exit 2)."""
    return parse_gate_specs(specs, GATES, {"fitness-below": share, "overdue-share-above": share}, GATE_HELP)


def evaluate_check_gates(r: CheckResult, gates: list[Gate]) -> list[str]:
    """The violated gates, each with the value that broke it."""
    out = []
    for g in gates:
        if g.name == "fitness-below":
            f = r.fitness.log_fitness
            if f is None or f < (g.threshold or 0.0):
                cov = "" if r.fitness.coverage.complete else f" on {100 * r.coverage_share:.1f}% of cases"
                out.append(f"{g}: fitness {'unknown' if f is None else f'{f:.3f}'}{cov}")
        elif g.name == "overdue-share-above":
            worst = max(r.terms, key=lambda t: t.share_over, default=None)
            if worst is not None and worst.share_over > (g.threshold or 0.0):
                out.append(f"{g}: {100 * worst.share_over:.1f}% of cases over the term '{worst.term.key}'")
        elif g.name == "mandatory-skipped" and r.mandatory_skipped:
            names = ", ".join(sorted({s for m in r.mandatory if m.cases_skipped for s in m.steps}))
            out.append(f"{g}: {r.mandatory_skipped} case(s) skipped mandatory steps ({names})")
    return out
