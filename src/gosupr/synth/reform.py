"""AFTER periods of the example processes: a reform that took out a known part of the waste.

Each example process gets a reform (``REFORMS``): some of its injected waste patterns are gone
after it, the others are still done, and the reform causes one new ping-pong (a step the reform
moved to another department now bounces back). The AFTER log is simulated by the same flow as the
BEFORE log with a `Sim` that skips the removed patterns and adds the new one, so everything else
(waiting times, outcome shares, departments) stays as it was. The truth records what was removed,
what stayed, what appeared, and the true changes of the figures, estimated from a large simulation
of both periods (the populations the example logs are samples of).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gosupr.eventlog import ACTIVITY, CASE, TIMESTAMP
from gosupr.synth.generator import _process, ground_truth
from gosupr.synth.model import DAY, Act, ProcessDef, Sim, Waste

AFTER_START = datetime(2025, 1, 9)
TRUTH_CASES = 50_000  # per period, for the true values of the figures
H = 60


@dataclass(frozen=True)
class Reform:
    removed: tuple[str, ...]  # keys of the waste patterns the reform took out
    anchor: str  # the step after which the new ping-pong starts
    new_act: Act  # the step the reform brought in (the other side of the ping-pong)
    new_waste: Waste
    p: float = 0.35  # share of cases that bounce
    extra: tuple[float, ...] = (0.7, 0.3)  # 1 or 2 extra rounds


REFORMS: dict[str, Reform] = {
    "land_lease": Reform(
        removed=("scan_again", "registry_query", "head_visa", "legal_ping_pong"),
        anchor="Подготовка проекта договора аренды",
        new_act=Act("Замечания юриста к проекту договора", "Юридический отдел", DAY, 20),
        new_waste=Waste("draft_ping_pong", "ping_pong",
                        ("Подготовка проекта договора аренды", "Замечания юриста к проекту договора"),
                        "Без визы начальника отдела юрист возвращает проект договора на доработку (1–2 раза)."),
    ),
    "construction_permit": Reform(
        removed=("double_check", "legal_visa", "phone_call"),
        anchor="Подготовка разрешения на строительство",
        new_act=Act("Замечания юриста к проекту разрешения", "Юридический отдел", DAY, 20),
        new_waste=Waste("draft_ping_pong", "ping_pong",
                        ("Подготовка разрешения на строительство", "Замечания юриста к проекту разрешения"),
                        "Без визы юриста замечания к проекту разрешения приходят после подготовки (1–2 раза)."),
    ),
    "memo_approval": Reform(
        removed=("dept_visa", "deputy_review"),
        anchor="Создание проекта служебной записки",
        new_act=Act("Возврат проекта записки инициатору", "Отдел делопроизводства", 4 * H, 10),
        new_waste=Waste("draft_ping_pong", "ping_pong",
                        ("Создание проекта служебной записки", "Возврат проекта записки инициатору"),
                        "Без визы руководителя отдела делопроизводство возвращает проект инициатору (1–2 раза)."),
    ),
}


class ReformSim(Sim):
    """The process after the reform: removed patterns are not done, the new bounce follows its anchor."""

    def __init__(self, proc: ProcessDef, reform: Reform, *args: Any) -> None:
        super().__init__(proc, *args)
        self.reform = reform

    def step(self, label: str, idx: np.ndarray, waste: str | None = None) -> None:
        if waste in self.reform.removed:
            return
        super().step(label, idx, waste)
        r = self.reform
        if waste is None and label == r.anchor:
            self.repeat(idx, r.p, r.extra, (r.new_act.label, r.anchor), r.new_waste.key)


def after_process(process: str) -> tuple[ProcessDef, Reform]:
    base, reform = _process(process), REFORMS[process]
    return replace(base, acts=base.acts + (reform.new_act,), waste=base.waste + (reform.new_waste,)), reform


def generate_after(
    process: str, n_cases: int, seed: int, start: datetime = AFTER_START, *, case_offset: int = 0
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The AFTER log of `process` and its truth; case numbers continue after `case_offset`."""
    proc, reform = after_process(process)
    sim = ReformSim(proc, reform, n_cases, seed, start, proc.cases_per_day)
    proc.flow(sim, np.arange(n_cases))
    df = sim.frame()
    truth = ground_truth(proc, df, seed)
    width = max(5, len(str(n_cases + case_offset)))
    df[CASE] = df[CASE].cat.rename_categories([f"{proc.prefix}-{case_offset + i + 1:0{width}d}" for i in range(n_cases)])
    by_key = {w.key: t for w, t in zip(proc.waste, truth["waste"])}
    truth["reform"] = {
        "removed": [by_key[k] | {"key": k} for k in reform.removed],
        "kept": [by_key[w.key] | {"key": w.key} for w in proc.waste[:-1] if w.key not in reform.removed],
        "new": [by_key[reform.new_waste.key] | {"key": reform.new_waste.key}],
        "true_change": true_change(process),
    }
    truth["waste"] = [t for w, t in zip(proc.waste, truth["waste"]) if w.key not in reform.removed]
    return df.drop(columns="waste"), truth


def _figures(df: pd.DataFrame) -> dict[str, float]:
    g = df.groupby(CASE, observed=True, sort=False)
    dur = (g[TIMESTAMP].max() - g[TIMESTAMP].min()).dt.total_seconds().to_numpy()
    return {
        "steps_per_case": float(g[ACTIVITY].size().mean()),
        "case_duration_median_s": float(np.median(dur)),
        "case_duration_p90_s": float(np.percentile(dur, 90)),
    }


def true_change(process: str, n: int = TRUTH_CASES) -> dict[str, Any]:
    """AFTER − BEFORE of the figures, from `n` simulated cases of each period (the populations)."""
    from gosupr.synth.generator import generate

    before, _ = generate(process, n, seed=7)
    proc, reform = after_process(process)
    sim = ReformSim(proc, reform, n, 8, AFTER_START, proc.cases_per_day)
    proc.flow(sim, np.arange(n))
    fb, fa = _figures(before), _figures(sim.frame())
    return {"cases_simulated": n, **{k: round(fa[k] - fb[k], 3) for k in fb}}


#: AFTER file, process, cases, seed, the BEFORE file it follows
AFTER_LOGS = (
    ("land_lease.after.csv", "land_lease", 400, 111, "land_lease.csv"),
    ("construction_permit.after.csv", "construction_permit", 400, 212, "construction_permit.csv"),
    ("memo_approval.after.xes", "memo_approval", 260, 313, "memo_approval.xes"),
)


def write_after_examples(out: Path, formats: dict[str, dict[str, Any]], before_logs: tuple) -> tuple[list[Path], str]:
    """Write the AFTER logs and truths beside their BEFORE logs; return the paths and a README section."""
    from gosupr.fileio import write_text
    from gosupr.synth.io import write_csv, write_xes

    fmt_of = {f: fmt for f, _, n, _, fmt in before_logs}
    cases_of = {f: n for f, _, n, _, _ in before_logs}
    written: list[Path] = []
    lines = ["", "## AFTER periods: a reform with a known effect", "",
             "`<name>.after.*` is the same process a year later, after a reform that took out some of the waste",
             "(`reform.removed`), left the rest (`reform.kept`) and caused one new ping-pong (`reform.new`).",
             "`reform.true_change` is AFTER − BEFORE of steps per case and case duration (median, P90) in the",
             f"populations, estimated from {TRUTH_CASES:,} simulated cases per period. Compare with",
             "`gosupr compare land_lease.csv land_lease.after.csv --plan <reduce JSON of land_lease.csv>`."]
    for fname, process, n, seed, before in AFTER_LOGS:
        fmt = fmt_of[before]
        df, truth = generate_after(process, n, seed, case_offset=cases_of[before])
        path = out / fname
        if fmt == "xes":
            write_xes(df, path)
        else:
            write_csv(df, path, dialect=fmt, order=formats[fmt]["order"])
        truth["log"], truth["before"], truth["format"] = fname, before, formats[fmt]
        tpath = out / f"{Path(fname).stem}.truth.json"
        write_text(tpath, json.dumps(truth, ensure_ascii=False, indent=2) + "\n")
        written += [path, tpath]
        r = truth["reform"]
        names = lambda ws: "; ".join(" → ".join(f"«{a}»" for a in w["activities"]) for w in ws)  # noqa: E731
        lines += ["", f"- `{fname}` (after `{before}`, seed {seed}, {truth['cases']} cases): removed {names(r['removed'])}; "
                  f"kept {names(r['kept'])}; new {names(r['new'])}."]
    return written, "\n".join(lines) + "\n"
