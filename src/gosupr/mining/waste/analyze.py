"""analyze: waste findings for a log, structural findings for a model, and the waste totals over both.

The CLI's `analyze` is one caller; the reducer and the batch runner are others. Nothing here prints.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from gosupr._version import __version__
from gosupr.bpmn.model import ProcessModel
from gosupr.errors import GosuprError
from gosupr.eventlog import EventLog
from gosupr.mining.findings import Finding, Findings, sort_findings
from gosupr.mining.lint.rules import RULES
from gosupr.mining.waste.detectors import DETECTORS
from gosupr.mining.waste.facts import LogFacts

SCHEMA = "gosupr.findings/2"  # /2: removable needs positive evidence; verdict, reason, events_removed, cases_touched
CONFIG_SECTION = "analyze"
# kinds --min-share does not hide (SPEC.min_share False: rare paths are rare by definition); model rules have no cases
_SHARE_EXEMPT = {*(k for k, m in DETECTORS.items() if not m.SPEC.min_share), *RULES}
# one verdict per removable step: the most specific evidence wins (SPEC.removal.rank, lowest first)
_REMOVAL_PRIORITY = tuple(sorted((k for k, m in DETECTORS.items() if m.SPEC.removal.rank is not None),
                                 key=lambda k: DETECTORS[k].SPEC.removal.rank))


@dataclass
class AnalyzeConfig:
    """What to look for and how strictly: detector/rule kinds, the minimum case share, thresholds."""

    kinds: list[str] | None = None  # None: every detector (logs) and every rule (models)
    min_share: float = 0.0
    thresholds: dict[str, dict[str, Any]] = field(default_factory=dict)
    source: str | None = None  # the config file, for messages
    protect: list[str] = field(default_factory=list)  # glob patterns of steps no removal may touch ([protect])

    def __post_init__(self) -> None:
        where = self.source or "analyze config"
        if self.kinds is not None:
            unknown = [k for k in self.kinds if k not in DETECTORS and k not in RULES]
            if unknown:
                raise GosuprError(
                    f"unknown kind {unknown[0]!r}; use one of: {', '.join([*DETECTORS, *RULES])}", path=self.source
                )
            self.kinds = list(dict.fromkeys(self.kinds))
        if isinstance(self.min_share, bool) or not isinstance(self.min_share, (int, float)) or not 0.0 <= self.min_share <= 1.0:
            raise GosuprError(f"min_share must be a number between 0 and 1, got {self.min_share!r} ({where})", path=self.source)
        for kind, values in self.thresholds.items():
            _check_thresholds(kind, values, self.source)

    @classmethod
    def from_toml(cls, path: str | os.PathLike) -> AnalyzeConfig:
        """Read the [analyze] section of gosupr.toml; unknown keys are errors naming key and file."""
        from gosupr.docload import load_toml

        p = Path(path)
        doc = load_toml(p)
        section = doc.get(CONFIG_SECTION, {})
        if not isinstance(section, dict):
            raise GosuprError(f"[{CONFIG_SECTION}] must be a table", path=str(p))
        cfg = cls.from_dict(section, source=str(p))
        cfg.protect = protect_patterns(doc.get("protect", {}), str(p)) + _mandatory(doc, p)
        return cfg

    @classmethod
    def from_dict(cls, section: dict[str, Any], source: str | None = None) -> AnalyzeConfig:
        """Build from the [analyze] table: kinds, min_share, and one sub-table of thresholds per kind."""
        kinds = None
        min_share = 0.0
        thresholds: dict[str, dict[str, Any]] = {}
        for key, value in section.items():
            if key == "kinds":
                if not isinstance(value, list) or not all(isinstance(k, str) for k in value):
                    raise GosuprError(f"{CONFIG_SECTION}.kinds must be a list of names", path=source)
                kinds = value
            elif key == "min_share":
                min_share = value
            elif key in DETECTORS or key in RULES:
                if not isinstance(value, dict):
                    raise GosuprError(f"{CONFIG_SECTION}.{key} must be a table of thresholds", path=source)
                thresholds[key] = dict(value)
            else:
                raise GosuprError(
                    f"unknown key {CONFIG_SECTION}.{key}; known: kinds, min_share, {', '.join([*DETECTORS, *RULES])}",
                    path=source,
                )
        return cls(kinds=kinds, min_share=min_share, thresholds=thresholds, source=source)

    def with_options(
        self, kinds: list[str] | None = None, min_share: float | None = None, protect: list[str] | None = None
    ) -> AnalyzeConfig:
        """Command-line options override the file; --protect patterns add to [protect]."""
        return AnalyzeConfig(
            kinds=kinds if kinds is not None else self.kinds,
            min_share=min_share if min_share is not None else self.min_share,
            thresholds=self.thresholds,
            source=self.source,
            protect=list(dict.fromkeys([*self.protect, *(protect or [])])),
        )

    def selected(self, registry: dict[str, Any]) -> list[str]:
        if self.kinds is None:
            return list(registry)
        return [k for k in registry if k in self.kinds]


def _mandatory(doc: dict[str, Any], path: Path) -> list[str]:
    """The regulation's mandatory steps are protected too: a statutory step is never waste."""
    if "regulation" not in doc:
        return []
    from gosupr.regulation import parse_regulation

    section = doc["regulation"]
    if not isinstance(section, dict):
        raise GosuprError("[regulation] must be a table", path=str(path))
    return list(parse_regulation(section, source=str(path), base_dir=str(path.parent)).mandatory)


def protect_patterns(section: Any, source: str | None = None) -> list[str]:
    """The [protect] table: `activities = ["*FINAL_APPROVED*", "Оплата*"]` (glob patterns)."""
    if not isinstance(section, dict):
        raise GosuprError("[protect] must be a table", path=source)
    unknown = sorted(set(section) - {"activities"})
    if unknown:
        raise GosuprError(f"unknown key protect.{unknown[0]}; known: activities", path=source)
    acts = section.get("activities", [])
    if not isinstance(acts, list) or not all(isinstance(x, str) and x.strip() for x in acts):
        raise GosuprError('protect.activities must be a list of activity names or glob patterns, e.g. ["*FINAL_APPROVED*"]', path=source)
    return list(acts)


def _defaults(kind: str) -> dict[str, Any]:
    mod = DETECTORS.get(kind) or RULES[kind]
    return dict(getattr(mod, "DEFAULTS", {}))


def _check_thresholds(kind: str, values: dict[str, Any], source: str | None) -> None:
    defaults = _defaults(kind)
    for k, v in values.items():
        if k not in defaults:
            known = ", ".join(defaults) or "none"
            raise GosuprError(f"unknown key {CONFIG_SECTION}.{kind}.{k}; known: {known}", path=source)
        d = defaults[k]
        ok = (
            isinstance(v, bool) if isinstance(d, bool)
            else (isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0) if isinstance(d, (int, float)) or d is None
            else isinstance(v, type(d))
        )
        if not ok:
            raise GosuprError(f"{CONFIG_SECTION}.{kind}.{k} must be like {d!r}, got {v!r}", path=source)


# -- running ----------------------------------------------------------------------------------
def analyze_log(
    log: EventLog, config: AnalyzeConfig | None = None, facts: LogFacts | None = None, protect: list[str] | None = None
) -> list[Finding]:
    """Every selected waste detector over the log, aggregated once; worst first, deterministic.

    `protect` (glob patterns, added to the config's) names steps no removal may touch. Each
    removable finding carries what taking it out removes (`events_removed`, `cases_touched`),
    counted exactly as `reduce` removes it."""

    if log.n_events == 0:
        return []
    return analyze_facts(facts or LogFacts.of(log), config, protect)


def analyze_facts(facts: LogFacts, config: AnalyzeConfig | None = None, protect: list[str] | None = None) -> list[Finding]:
    """`analyze_log` on facts already built: a log's (one row per case) or a summary's (paths)."""
    from gosupr.mining.waste.protect import guard
    from gosupr.mining.waste.removal import scope_findings

    cfg = config or AnalyzeConfig()
    if facts.n_events == 0:
        return []
    found: list[Finding] = []
    for kind in cfg.selected(DETECTORS):
        found += DETECTORS[kind].detect(facts, cfg.thresholds.get(kind, {}))
    found = _one_verdict_per_step(found)
    found = [f for f in found if f.kind in _SHARE_EXEMPT or f.case_share >= cfg.min_share]
    periodic: list[str] = []
    if "periodic_repeat" not in cfg.selected(DETECTORS):  # the guard needs the schedules all the same
        periodic = [f.activities[0] for f in DETECTORS["periodic_repeat"].detect(facts, cfg.thresholds.get("periodic_repeat", {}))]
    found = sort_findings(guard(facts, found, [*cfg.protect, *(protect or [])], periodic))
    scope_findings(facts, found, [f for f in found if f.removable and f.kind in DETECTORS])
    return found


def lint_model(model: ProcessModel, config: AnalyzeConfig | None = None) -> list[Finding]:
    """The bpmnlint-style structural rules (and dead-element) over a model."""
    cfg = config or AnalyzeConfig()
    found: list[Finding] = []
    for rule in cfg.selected(RULES):
        found += RULES[rule].check(model, cfg.thresholds.get(rule, {}))
    return sort_findings(found)


def _one_verdict_per_step(findings: list[Finding]) -> list[Finding]:
    """A step removable for several reasons is reported once, under the most specific kind."""
    claimed: set[str] = set()
    out: list[Finding] = []
    by_kind = {k: [f for f in findings if f.kind == k] for k in _REMOVAL_PRIORITY}
    for kind in _REMOVAL_PRIORITY:
        for f in by_kind[kind]:
            step = _removed_step(f)
            if step in claimed:
                continue  # a more specific kind already judged this step, removable or not
            claimed.add(step)
            out.append(f)
    return out + [f for f in findings if f.kind not in _REMOVAL_PRIORITY]


def _removed_step(f: Finding) -> str:
    """The activity a step-removing finding takes out (the second of a duplicate pair)."""
    return str(f.evidence.get("second") or f.evidence.get("activity") or (f.activities[-1] if f.activities else ""))


def removes_step(f: Finding) -> bool:
    """The finding says a whole step can go (not just its repeats, not a model element)."""
    return f.removable and f.kind in DETECTORS and f.evidence.get("removal") == "step"


def removes_repeats(f: Finding) -> bool:
    """The finding says the later passes of a loop can go; the step itself stays."""
    return f.removable and f.kind in DETECTORS and f.evidence.get("removal") == "repeats"


def removable_steps(findings: list[Finding]) -> list[str]:
    """Activities the log's evidence says can go as a whole, each once, in the findings' order."""
    return list(dict.fromkeys(_removed_step(f) for f in findings if removes_step(f)))


# -- presenting -------------------------------------------------------------------------------
def waste_totals(findings: list[Finding], log: EventLog | None = None, facts: LogFacts | None = None) -> dict[str, Any]:
    """The waste totals an analyst reads first: how many steps can go and how much time per case they hold.

    (The `headline` block of the gosupr.findings document; `Reduction.figures` and a batch row's
    figures are other things.)

    Steps (duplicate, redundant, bypassable) and loop repeats (self-loop, rework, ping-pong rounds)
    are counted apart: a loop's step stays, only its later passes go. Times are summed over the
    affected cases and spread over all cases of the log (an average per case).
    """
    n_cases = facts.n_cases if facts is not None else log.n_cases if log is not None else 0
    n_events = facts.count_events(np.ones(facts.n_events, dtype=bool)) if facts is not None else \
        log.n_events if log is not None else 0
    steps = removable_steps(findings)
    step_findings = [f for f in findings if removes_step(f)]
    loop_findings = [f for f in findings if removes_repeats(f)]
    step_time = sum((f.time_cost_s or 0.0) * f.cases for f in step_findings)
    events = sum(f.events_removed for f in findings)
    touched = _cases_touched(findings, log, facts)
    loop_time = sum((f.time_cost_s or 0.0) * f.cases for f in loop_findings)
    counted = Findings.of(findings)
    out: dict[str, Any] = {
        "findings": len(findings),
        "by_kind": counted.by_kind,
        "by_severity": counted.by_severity,
        "removable_steps": len(steps),
        "removable_step_names": steps,
        "removable_time_total_s": round(step_time, 3),
        "removable_time_per_case_s": round(step_time / n_cases, 3) if n_cases else None,
        "removable_time_by_step_s": {
            _removed_step(f): round(f.time_cost_s, 3) for f in step_findings if f.time_cost_s is not None
        },
        "removable_loops": len(loop_findings),
        "removable_loop_time_total_s": round(loop_time, 3),
        "removable_loop_time_per_case_s": round(loop_time / n_cases, 3) if n_cases else None,
        "removable_model_elements": sorted(
            {e for f in findings if f.removable and f.kind in RULES for e in f.elements[:1]}
        ),
        "cases": n_cases or None,
        # what `reduce` would take out of the log, counted the same way (events, not steps)
        "events_removable": events,
        "events_removable_share": round(events / n_events, 4) if n_events else None,
        "cases_touched": touched,
        "held_back": sum(1 for f in findings if f.kind in DETECTORS and f.verdict in HELD_BACK),
    }
    out["text"] = _totals_text(out)
    return out


#: verdicts of findings that would remove something but are not applied
HELD_BACK = ("insufficient_evidence", "outcomes_differ", "protected", "periodic")


def _cases_touched(findings: list[Finding], log: EventLog | None, facts: LogFacts | None = None) -> int:
    """Distinct cases the removable findings touch (a case two findings touch counts once)."""
    if (log is None and facts is None) or not any(f.events_removed for f in findings):
        return 0
    from gosupr.mining.waste.removal import finding_mask

    facts = facts or LogFacts.of(log)  # type: ignore[arg-type]
    drop = np.zeros(facts.n_events, dtype=bool)
    for f in findings:
        if f.events_removed:
            drop |= finding_mask(facts, f)
    return facts.count_rows(facts.case[drop])


def _totals_text(h: dict[str, Any]) -> str:
    from gosupr.mining.waste.detectors._common import duration

    n, loops = h["removable_steps"], h["removable_loops"]
    parts = [f"{h['findings']} findings"]
    if h.get("events_removable_share") is not None:
        parts.append(f"{h['events_removable']:,} events ({100 * h['events_removable_share']:.0f}%) removable "
                     f"in {h['cases_touched']:,} cases")
    if n:
        per_case = h.get("removable_time_per_case_s")
        tail = f", holding {duration(per_case)} per case on average" if per_case is not None else ""
        parts.append(f"{n} step{'s' if n != 1 else ''} can be removed{tail}")
    else:
        parts.append("no step is a candidate for removal")
    if loops:
        per_case = h.get("removable_loop_time_per_case_s")
        tail = f" ({duration(per_case)} per case on average)" if per_case is not None else ""
        parts.append(f"{loops} loop{'s' if loops != 1 else ''} can lose {'their' if loops != 1 else 'its'} later passes{tail}")
    if h.get("held_back"):
        parts.append(f"{h['held_back']} held back (no positive evidence, protected or periodic)")
    return "; ".join(parts) + "."


def findings_document(
    findings: list[Finding], log: EventLog | None = None, model_name: str | None = None,
    *, facts: LogFacts | None = None, log_block: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The `gosupr.findings/2` JSON document: tool versions, the log's audit, headline, findings.
    From a summary: its facts and its own log block instead of the log."""
    from gosupr._pm4py import version

    doc: dict[str, Any] = {
        "schema": SCHEMA,
        "tool": {"name": "gosupr", "version": __version__, "pm4py": version()},
        "log": log_block if log_block is not None else _log_block(log) if log is not None else None,
        "model": {"name": model_name} if model_name is not None else None,
        "headline": waste_totals(findings, log, facts),
        "findings": [f.to_dict() for f in findings],
    }
    return doc


def _log_block(log: EventLog) -> dict[str, Any]:
    audit = log.audit.to_dict()
    audit["source"] = os.path.basename(str(audit.get("source") or log.name))  # no absolute paths
    return audit
