"""Normative models of the example processes and logs that break them on purpose, with ground truth.

Each example process gets its regulation: the steps in the order the regulation sets (a tree of
sequences, exclusive choices and parallel blocks), the mandatory steps and the terms. From one tree
gosupr writes the normative BPMN and simulates a conforming log; injected violations (a skipped
step, two steps swapped, a late step) are drawn per case and their cases recorded, so the ground
truth is counted from the cases that were changed. The generator then measures every term on the
log with the production calendar and refuses a seed whose untouched cases are late by chance.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Union

import numpy as np
import pandas as pd

from gosupr.bpmn.model import Flow, Node, ProcessModel
from gosupr.synth.generator import _process
from gosupr.synth.model import DAY, DEFAULT_START, Sim

TRUTH_SCHEMA = "gosupr.regulation-truth/1"


@dataclass(frozen=True)
class Seq:
    items: tuple["Item", ...]


@dataclass(frozen=True)
class Xor:
    branches: tuple[tuple[float, "Item"], ...]  # (probability, branch)


@dataclass(frozen=True)
class And:
    branches: tuple["Item", ...]


Item = Union[str, Seq, Xor, And]


@dataclass(frozen=True)
class Violation:
    """`skip`: `step` is not done; `swap`: `step` and `other` (directly after it) change places;
    `late`: `step` waits `days` more calendar days (its term, from `other`, is broken)."""

    kind: str
    step: str
    share: float
    other: str | None = None
    days: tuple[int, int] = (10, 20)


@dataclass(frozen=True)
class RegulationDef:
    process: str
    flow: Item
    mandatory: tuple[str, ...]
    terms: tuple[tuple[str, str], ...]  # (key, term) as written in [regulation]
    violations: tuple[Violation, ...]


# -- the three regulations -----------------------------------------------------------------------
LAND_LEASE = RegulationDef(
    process="land_lease",
    flow=Seq((
        "Регистрация заявления", "Проверка комплектности документов",
        And((Seq(("Межведомственный запрос в Росреестр", "Получение ответа из Росреестра")), "Осмотр земельного участка")),
        "Правовая экспертиза", "Принятие решения о предоставлении участка",
        Xor(((0.85, Seq(("Подготовка проекта договора аренды", "Согласование проекта договора", "Подписание договора аренды"))),
             (0.15, "Отказ в предоставлении услуги"))),
        "Уведомление заявителя", "Архивирование дела",
    )),
    mandatory=("Правовая экспертиза", "Принятие решения*", "Согласование проекта договора", "Уведомление заявителя"),
    terms=(("case", "40 working days"), ("Подписание договора аренды -> Уведомление заявителя", "3 working days")),
    violations=(
        Violation("skip", "Правовая экспертиза", 0.05),
        Violation("skip", "Согласование проекта договора", 0.12),
        Violation("swap", "Правовая экспертиза", 0.04, other="Принятие решения о предоставлении участка"),
        Violation("late", "Уведомление заявителя", 0.06, other="Подписание договора аренды"),
    ),
)
CONSTRUCTION_PERMIT = RegulationDef(
    process="construction_permit",
    flow=Seq((
        "Регистрация заявления", "Проверка документов",
        And((Seq(("Межведомственный запрос в Росреестр", "Получение ответа из Росреестра")),
             "Проверка градостроительного плана земельного участка")),
        "Экспертиза проектной документации", "Принятие решения о выдаче разрешения",
        Xor(((0.85, Seq(("Подготовка разрешения на строительство", "Подписание разрешения на строительство",
                         "Внесение сведений в ИСОГД"))),
             (0.15, "Отказ в выдаче разрешения"))),
        "Выдача результата заявителю", "Архивирование дела",
    )),
    mandatory=("Экспертиза проектной документации", "Внесение сведений в ИСОГД", "Выдача результата заявителю"),
    terms=(("case", "20 working days from Принятие решения о выдаче разрешения"),
           ("Подписание разрешения на строительство -> Выдача результата заявителю", "10 working days")),
    violations=(
        Violation("skip", "Внесение сведений в ИСОГД", 0.08),
        Violation("swap", "Экспертиза проектной документации", 0.05, other="Принятие решения о выдаче разрешения"),
        Violation("late", "Выдача результата заявителю", 0.07, other="Подписание разрешения на строительство", days=(20, 30)),
    ),
)
MEMO_APPROVAL = RegulationDef(
    process="memo_approval",
    flow=Seq((
        "Создание проекта служебной записки", "Регистрация служебной записки в СЭД",
        And(("Согласование с финансово-экономическим отделом", "Согласование с юридическим отделом")),
        "Рассмотрение министром",
        Xor(((0.85, "Утверждение служебной записки"), (0.15, "Отклонение служебной записки"))),
        "Уведомление инициатора", "Списание в дело",
    )),
    mandatory=("Согласование с *", "Рассмотрение министром"),
    terms=(("case", "20 working days"), ("Рассмотрение министром -> Уведомление инициатора", "2 working days")),
    violations=(
        Violation("skip", "Согласование с юридическим отделом", 0.06),
        Violation("swap", "Создание проекта служебной записки", 0.05, other="Регистрация служебной записки в СЭД"),
        Violation("late", "Уведомление инициатора", 0.05, other="Рассмотрение министром"),
    ),
)
REGULATIONS: dict[str, RegulationDef] = {r.process: r for r in (LAND_LEASE, CONSTRUCTION_PERMIT, MEMO_APPROVAL)}


# -- the normative BPMN --------------------------------------------------------------------------
class _Builder:
    def __init__(self, title: str) -> None:
        self.m = ProcessModel(name=title)
        self.m.processes["Process_1"] = title
        self.n: dict[str, int] = {}

    def node(self, prefix: str, type_: str, name: str = "", **attrs: Any) -> str:
        self.n[prefix] = self.n.get(prefix, 0) + 1
        nid = f"{prefix}_{self.n[prefix]}"
        self.m.add_node(Node(id=nid, type=type_, name=name, process="Process_1", attrs=dict(attrs)))
        return nid

    def flow(self, a: str, b: str) -> None:
        self.n["Flow"] = self.n.get("Flow", 0) + 1
        fid = f"Flow_{self.n['Flow']}"
        self.m.add_flow(Flow(id=fid, source=a, target=b, process="Process_1"))

    def build(self, item: Item, entry: str) -> str:
        """Connect `item` after node `entry`; return its exit node."""
        if isinstance(item, str):
            t = self.node("Activity", "task", item)
            self.flow(entry, t)
            return t
        if isinstance(item, Seq):
            for x in item.items:
                entry = self.build(x, entry)
            return entry
        gw = "exclusiveGateway" if isinstance(item, Xor) else "parallelGateway"
        branches = [b for _, b in item.branches] if isinstance(item, Xor) else list(item.branches)
        split = self.node("Gateway", gw, gateway_direction="Diverging")
        self.flow(entry, split)
        ends = [self.build(b, split) for b in branches]
        join = self.node("Gateway", gw, gateway_direction="Converging")
        for e in ends:
            self.flow(e, join)
        return join


def normative_model(process: str) -> ProcessModel:
    """The regulation's order of `process` as a BPMN model (with gosupr's layout)."""
    from gosupr.bpmn.layout import layout

    reg = REGULATIONS[process]
    b = _Builder(_process(process).title + " (регламент)")
    start = b.node("StartEvent", "startEvent", "Заявление поступило")
    last = b.build(reg.flow, start)
    end = b.node("EndEvent", "endEvent", "Услуга оказана")
    b.flow(last, end)
    b.m.diagrams = [layout(b.m)]
    return b.m


def regulation_toml(process: str, model_file: str, log_glob: str) -> str:
    """The `[regulation]` section of the example, as a ministry would write it."""
    reg = REGULATIONS[process]
    lines = ["[regulation]", f'model = "{model_file}"', f'logs = ["{log_glob}"]',
             "mandatory = [" + ", ".join(f'"{m}"' for m in reg.mandatory) + "]"]
    lines += [f'{k if k == "case" else chr(34) + k + chr(34)} = "{v}"' for k, v in reg.terms]
    return "\n".join(lines) + "\n"


# -- simulation ----------------------------------------------------------------------------------
class _Run:
    """Walks the tree column-wise on a Sim, applying the violations drawn for each case (at most one
    per case, so each shows in the log exactly as injected)."""

    def __init__(self, sim: Sim, reg: RegulationDef, inject: bool) -> None:
        self.sim, self.reg = sim, reg
        self.hit: dict[int, np.ndarray] = {}
        self.skip = {v.step: i for i, v in enumerate(reg.violations) if inject and v.kind == "skip"}
        self.swap = {v.step: i for i, v in enumerate(reg.violations) if inject and v.kind == "swap"}
        self.late = {v.step: i for i, v in enumerate(reg.violations) if inject and v.kind == "late"}
        self.done: dict[str, np.ndarray] = {}
        self.any_hit = np.zeros(0, dtype=np.int64)

    def draw(self, i: int, idx: np.ndarray, eligible: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        v = self.reg.violations[i]
        pool = idx if eligible is None else idx[np.isin(idx, eligible)]
        sel = pool[self.sim.rng.random(len(pool)) < v.share]
        sel = sel[~np.isin(sel, self.any_hit)]  # one violation per case: the truth stays unambiguous
        self.any_hit = np.union1d(self.any_hit, sel)
        self.hit[i] = np.union1d(self.hit.get(i, np.zeros(0, dtype=np.int64)), sel)
        return sel, np.setdiff1d(idx, sel)

    def step(self, label: str, idx: np.ndarray) -> None:
        if label in self.skip:
            _, idx = self.draw(self.skip[label], idx)
        if label in self.late:
            v = self.reg.violations[self.late[label]]
            late, _ = self.draw(self.late[label], idx, self.done.get(v.other or "", np.zeros(0, dtype=np.int64)))
            lo, hi = v.days
            self.sim.t[late] += self.sim.rng.integers(lo, hi + 1, len(late)) * DAY
        self.sim.step(label, idx)
        self.done[label] = np.union1d(self.done.get(label, np.zeros(0, dtype=np.int64)), idx)

    def run(self, item: Item, idx: np.ndarray) -> None:
        if len(idx) == 0:
            return
        if isinstance(item, str):
            self.step(item, idx)
        elif isinstance(item, Seq):
            items = list(item.items)
            k = 0
            while k < len(items):
                x = items[k]
                if isinstance(x, str) and x in self.swap and k + 1 < len(items):
                    sw, rest = self.draw(self.swap[x], idx)
                    self.run(items[k + 1], sw)
                    self.run(x, sw)
                    self.run(x, rest)
                    self.run(items[k + 1], rest)
                    k += 2
                    continue
                self.run(x, idx)
                k += 1
        elif isinstance(item, Xor):
            u = self.sim.rng.random(len(idx))
            cum = np.cumsum([p for p, _ in item.branches])
            which = np.searchsorted(cum / cum[-1], u, side="right")
            for j, (_, b) in enumerate(item.branches):
                self.run(b, idx[which == j])
        else:
            self.sim.parallel(idx, *[(lambda i, b=b: self.run(b, i)) for b in item.branches])


def generate_regulated(
    process: str, n_cases: int, seed: int, *, violations: bool = True, start: datetime = DEFAULT_START
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """A log of `process` run by its regulation, with the injected violations when asked, and the
    ground truth (schema gosupr.regulation-truth/1): per violation the cases it was injected in."""
    reg = REGULATIONS[process]
    proc = _process(process)
    sim = Sim(proc, n_cases, seed, start, proc.cases_per_day)
    run = _Run(sim, reg, violations)
    run.run(reg.flow, np.arange(n_cases))
    df = sim.frame().drop(columns="waste")
    ids = df["case_id"].cat.categories
    truth = {
        "schema": TRUTH_SCHEMA,
        "process": process,
        "title": proc.title,
        "seed": seed,
        "cases": n_cases,
        "events": len(df),
        "mandatory": list(reg.mandatory),
        "terms": {k: v for k, v in reg.terms},
        "violations": [
            {
                "kind": v.kind, "step": v.step, "other": v.other,
                "cases": int(len(run.hit.get(i, []))),
                "case_ids": [str(ids[c]) for c in run.hit.get(i, np.zeros(0, dtype=np.int64))],
            }
            for i, v in enumerate(reg.violations) if violations
        ],
    }
    _verify_late(df, reg, truth)
    return df, truth


def _verify_late(df: pd.DataFrame, reg: RegulationDef, truth: dict[str, Any]) -> None:
    """Only the cases made late are over a step-to-step term: measured here with the production
    calendar, straight from the frame (first `from` step, first `to` step after it)."""
    from gosupr.regulation import parse_term
    from gosupr.workdays import russian_calendar

    cal = russian_calendar()
    late = {v["step"]: set(v["case_ids"]) for v in truth["violations"] if v["kind"] == "late"}
    for key, value in reg.terms:
        if key == "case":
            continue
        t = parse_term(key, value)
        a = df[df["activity"] == t.start].groupby("case_id", observed=True)["timestamp"].min()
        b = df[df["activity"] == t.end].merge(a.rename("t0"), left_on="case_id", right_index=True)
        b = b[b["timestamp"] >= b["t0"]].groupby("case_id", observed=True)[["timestamp", "t0"]].min()
        days = cal.working_days_between(b["t0"].to_numpy().astype("datetime64[D]"), b["timestamp"].to_numpy().astype("datetime64[D]"))
        over = set(b.index[days > t.amount].astype(str))
        want = late.get(t.end, set())
        if over != want:
            raise ValueError(f"{reg.process}: term {key!r} is broken in {len(over)} cases, {len(want)} injected; pick another seed")
