"""`--fail-on` specs shared by `compare` and `check`: names, some with a threshold in [0, 1]."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from gosupr.errors import GosuprError


@dataclass(frozen=True)
class Gate:
    name: str
    threshold: float | None = None

    def __str__(self) -> str:
        return self.name if self.threshold is None else f"{self.name}={self.threshold:g}"


def parse_gate_specs(
    specs: list[str] | tuple[str, ...],
    names: tuple[str, ...],
    valued: dict[str, Callable[[str, str], float]],
    help_text: str,
) -> list[Gate]:
    """Gate specs (repeatable, comma-separated) in order, duplicates dropped. `valued` maps the gates
    that take a value to a reader of (item, value); an unknown gate, a value where none belongs or a
    bad value is bad input (exit 2)."""
    gates: list[Gate] = []
    for spec in specs:
        for item in spec.replace(";", ",").split(","):
            item = item.strip()
            if not item:
                continue
            name, _, value = item.partition("=")
            name = name.strip().lower()
            if name not in names:
                raise GosuprError(f"--fail-on: unknown gate '{item}'; valid gates: {help_text}")
            threshold = None
            if name in valued:
                threshold = valued[name](item, value)
            elif value:
                raise GosuprError(f"--fail-on: gate '{name}' takes no value (got '{item}'); valid gates: {help_text}")
            gate = Gate(name, threshold)
            if gate not in gates:
                gates.append(gate)
    return gates


def share(item: str, value: str) -> float:
    """A share between 0 and 1 (a decimal comma is fine)."""
    try:
        t = float(value.strip().replace(",", "."))
    except ValueError:
        t = float("nan")
    if not 0.0 <= t <= 1.0:
        name = item.partition("=")[0].strip()
        raise GosuprError(f"--fail-on: '{item}' needs a share between 0 and 1, e.g. {name}=0.1")
    return t
