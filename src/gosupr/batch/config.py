"""gosupr.toml: what a batch reads, how columns map per glob, detector thresholds and CI gates.

Read with the standard library's TOML reader. Every key is checked: a typo in a gate would
otherwise silently turn the gate off, so unknown keys are errors naming the key and the file.

    [batch]
    paths = ["logs", "models/**/*.bpmn"]   # inputs when none are given; relative to this file
    noise = 0.2                            # inductive miner noise threshold (as-is and to-be)
    accept = ["rework", "ping_pong"]       # waste kinds the to-be model removes (default: all)

    [columns."logs/minfin/*.csv"]          # first glob matching the path (relative to this file) wins;
    case = "Номер дела"                    # a glob without "/" matches the file name anywhere
    activity = "Операция"
    timestamp = "Дата"
    sheet = "Журнал"                       # workbooks: sheet name or number (1 = first)

    [analyze]                              # detector thresholds: gosupr.mining.waste.analyze.AnalyzeConfig
    min_share = 0.02

    [protect]                              # steps no removal may touch (glob patterns)
    activities = ["*FINAL_APPROVED*"]

    [fail_if]                              # gates, per input
    removable_share_above = 0.3            # share of the log's events the reduction removes
    fitness_below = 0.9                    # to-be model fitness on today's log
    precision_below = 0.5                  # to-be model precision on today's log
    outcome_preserved_below = 0.95         # share of cases whose last activity the reduction keeps
    rows_dropped_share_above = 0.05        # share of rows ingest had to drop
    findings.kinds = ["ping_pong"]         # any finding of these kinds (log detectors or model rules)
    findings.severity = "high"             # any finding of this severity or worse
    findings.count_above = 20              # more findings than this

    [regulation]                           # `gosupr check` on each log it governs: gosupr.regulation
    model = "models/normative.bpmn"        # the normative model (relative to this file)
    logs = ["logs/land_lease*.csv"]        # globs of the logs it governs (default: every log)

    [engine]                               # logs summarised by an engine: gosupr.engines.config
    name = "duckdb"                        # memory | duckdb | spark; each log then goes through
    memory_limit = "4GB"                   # `discover --engine` (model, findings, before/after from
    threads = 2                            # the summary's paths); a [regulation] check needs events,
    spark_master = "local[*]"              # so it is refused beside [engine]
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gosupr.errors import GosuprError

DEFAULT_CONFIG = "gosupr.toml"
COLUMN_ROLES = ("case", "activity", "timestamp", "resource", "department")
SEVERITIES = ("high", "medium", "low")

# top-level sections and the keys each allows (None: the section's own constructor checks them)
_BATCH_KEYS = {"paths", "noise", "accept"}
_GATE_KEYS = {
    "removable_share_above",
    "fitness_below",
    "precision_below",
    "outcome_preserved_below",
    "rows_dropped_share_above",
    "findings",
}
_FINDING_GATE_KEYS = {"kinds", "severity", "count_above"}


@dataclass(frozen=True)
class ColumnRule:
    """Column names for the inputs whose path matches `pattern` (first matching rule wins)."""

    pattern: str
    columns: dict[str, str]

    def matches(self, rel_path: str) -> bool:
        return glob_match(self.pattern, rel_path)


@dataclass(frozen=True)
class Gates:
    """`[fail_if]`: a gate fails an input when its value crosses the threshold (None: gate off)."""

    removable_share_above: float | None = None
    fitness_below: float | None = None
    precision_below: float | None = None
    outcome_preserved_below: float | None = None
    rows_dropped_share_above: float | None = None
    finding_kinds: tuple[str, ...] = ()
    finding_severity: str | None = None
    findings_count_above: int | None = None

    def names(self) -> list[str]:
        """Configured gates, in a fixed order (this order is the JUnit and summary order)."""
        out = [
            k
            for k in ("removable_share_above", "fitness_below", "precision_below", "outcome_preserved_below", "rows_dropped_share_above")
            if getattr(self, k) is not None
        ]
        if self.finding_kinds:
            out.append("findings.kinds")
        if self.finding_severity:
            out.append("findings.severity")
        if self.findings_count_above is not None:
            out.append("findings.count_above")
        return out

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            k: getattr(self, k)
            for k in ("removable_share_above", "fitness_below", "precision_below", "outcome_preserved_below", "rows_dropped_share_above")
            if getattr(self, k) is not None
        }
        f: dict[str, Any] = {}
        if self.finding_kinds:
            f["kinds"] = list(self.finding_kinds)
        if self.finding_severity:
            f["severity"] = self.finding_severity
        if self.findings_count_above is not None:
            f["count_above"] = self.findings_count_above
        if f:
            d["findings"] = f
        return d


@dataclass(frozen=True)
class BatchConfig:
    """Everything gosupr.toml says; defaults when there is no file."""

    source: str | None = None  # the config file as the user named it (for messages and the summary)
    base_dir: str = "."  # folder the file's globs are relative to
    paths: tuple[str, ...] = ()
    noise: float = 0.2
    accept: tuple[str, ...] | None = None
    columns: tuple[ColumnRule, ...] = ()
    analyze: Any = None  # gosupr.mining.waste.analyze.AnalyzeConfig, or None for its defaults
    gates: Gates = field(default_factory=Gates)
    effects: tuple[Any, ...] = ()  # [[effect]] before/after pairs (batch.effect_pairs.EffectPair)
    regulation: Any = None  # gosupr.regulation.Regulation, when the file has a [regulation] with a model
    engine: Any = None  # gosupr.engines.config.EngineConfig, when [engine] names an engine

    def regulation_for(self, path: str | os.PathLike) -> Any:
        """The regulation a log is checked against: set when `[regulation]` names a model and the
        log matches one of its `logs` globs (or it lists none)."""
        reg = self.regulation
        if reg is None or reg.model is None:
            return None
        rel = _rel_posix(Path(path), Path(self.base_dir))
        return reg if not reg.logs or any(glob_match(g, rel) for g in reg.logs) else None

    def columns_for(self, path: str | os.PathLike) -> dict[str, str] | None:
        """The column mapping of the first `[columns."<glob>"]` whose glob matches `path`."""
        rel = _rel_posix(Path(path), Path(self.base_dir))
        for rule in self.columns:
            if rule.matches(rel):
                return dict(rule.columns)
        return None


def load_config(path: str | os.PathLike | None) -> BatchConfig:
    """Read and check gosupr.toml; `None` reads ./gosupr.toml when present, else the defaults."""
    if path is None:
        if not Path(DEFAULT_CONFIG).is_file():
            return BatchConfig()
        path = DEFAULT_CONFIG
    from gosupr.docload import load_toml

    src = str(path)
    p = Path(path)
    data = load_toml(p)
    return parse_config(data, source=src, base_dir=str(p.resolve().parent))


def parse_config(data: dict[str, Any], *, source: str, base_dir: str = ".") -> BatchConfig:
    """Check every key and value of a parsed gosupr.toml."""
    _known(data, {"batch", "columns", "analyze", "fail_if", "protect", "regulation", "effect", "engine"}, "", source)
    batch = _table(data, "batch", source)
    _known(batch, _BATCH_KEYS, "batch.", source)
    paths = tuple(_str_list(batch, "paths", "batch.", source))
    noise = _number(batch.get("noise", 0.2), "batch.noise", source, 0.0, 1.0)
    accept = tuple(_str_list(batch, "accept", "batch.", source)) if "accept" in batch else None
    if accept is not None:
        _check_accept(accept, source)

    rules = []
    for pattern, cols in _table(data, "columns", source).items():
        where = f"columns.{_quote(pattern)}"
        if not isinstance(cols, dict):
            raise GosuprError(f"'{where}' must be a table of column names, e.g. case = \"Номер дела\"", path=source)
        _known(cols, {*COLUMN_ROLES, "sheet"}, where + ".", source)
        if isinstance(cols.get("sheet"), int) and not isinstance(cols["sheet"], bool):
            cols = {**cols, "sheet": str(cols["sheet"])}  # sheet = 2: the second sheet
        for role, name in cols.items():
            if not isinstance(name, str) or not name:
                raise GosuprError(f"'{where}.{role}' must be a column name (a non-empty string)", path=source)
        rules.append(ColumnRule(pattern=pattern, columns=dict(cols)))

    regulation = _regulation(data, source, base_dir)
    mandatory = list(regulation.mandatory) if regulation is not None else []
    wants = "analyze" in data or "protect" in data or bool(mandatory)
    analyze = _analyze_config(_table(data, "analyze", source), source) if wants else None
    if analyze is not None:  # the regulation's mandatory steps are never removed either
        from gosupr.mining.waste.analyze import protect_patterns

        analyze.protect = protect_patterns(data.get("protect", {}), source) + mandatory
    gates = _gates(_table(data, "fail_if", source), source)
    engine = _engine(data, regulation, source)
    return BatchConfig(
        source=source,
        base_dir=base_dir,
        paths=paths,
        noise=noise,
        accept=accept,
        columns=tuple(rules),
        analyze=analyze,
        gates=gates,
        regulation=regulation,
        engine=engine,
        effects=_effects(data.get("effect", []), source),
    )


def _effects(value: Any, source: str) -> tuple[Any, ...]:
    from gosupr.batch.effect_pairs import parse_effect_pairs

    return parse_effect_pairs(value, source)


def _engine(data: dict[str, Any], regulation: Any, source: str) -> Any:
    """`[engine]`, when it names an engine; refused beside a `[regulation]` check, which replays each
    case's events (a summary has none): said up front rather than a check that never runs."""
    from gosupr.engines.config import engine_config

    engine = engine_config(data, source)
    if engine is None or engine.name is None:
        return None
    if regulation is not None and regulation.model is not None:
        raise GosuprError("[regulation] checks each log event by event, which a log summarised by [engine] does "
                          "not allow; remove [regulation] model or [engine] name", path=source)
    return engine


def _regulation(data: dict[str, Any], source: str, base_dir: str) -> Any:
    if "regulation" not in data:
        return None
    from gosupr.regulation import parse_regulation

    return parse_regulation(_table(data, "regulation", source), source=source, base_dir=base_dir)


def _gates(t: dict[str, Any], source: str) -> Gates:
    _known(t, _GATE_KEYS, "fail_if.", source)
    values: dict[str, Any] = {}
    for k in _GATE_KEYS - {"findings"}:
        if k in t:
            values[k] = _number(t[k], f"fail_if.{k}", source, 0.0, 1.0)
    f = t.get("findings", {})
    if not isinstance(f, dict):
        raise GosuprError("'fail_if.findings' must be a table (kinds, severity, count_above)", path=source)
    _known(f, _FINDING_GATE_KEYS, "fail_if.findings.", source)
    kinds = tuple(_str_list(f, "kinds", "fail_if.findings.", source))
    _check_kinds(kinds, source)
    severity = f.get("severity")
    if severity is not None and severity not in SEVERITIES:
        raise GosuprError(f"'fail_if.findings.severity' must be one of {', '.join(SEVERITIES)}, got {severity!r}", path=source)
    count = f.get("count_above")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 0):
        raise GosuprError(f"'fail_if.findings.count_above' must be a whole number >= 0, got {count!r}", path=source)
    return Gates(finding_kinds=kinds, finding_severity=severity, findings_count_above=count, **values)


def _analyze_config(section: dict[str, Any], source: str) -> Any:
    """The `[analyze]` section through analyze's own constructor (one place knows its keys)."""
    from gosupr.mining.waste.analyze import AnalyzeConfig

    return AnalyzeConfig.from_dict(section, source=source)


def _known_kinds() -> set[str]:
    """Finding kinds the log detectors and the model rules can report."""
    from gosupr.mining.lint.rules import RULES
    from gosupr.mining.waste.detectors import DETECTORS

    return {*DETECTORS, *RULES}


def _check_kinds(kinds: tuple[str, ...], source: str) -> None:
    known = _known_kinds()
    for k in kinds:
        if k not in known:
            hint = _hint(k, known)
            raise GosuprError(
                f"'fail_if.findings.kinds': unknown finding kind {k!r}{hint}; known kinds: {', '.join(sorted(known))}",
                path=source,
            )


def _check_accept(accept: tuple[str, ...], source: str) -> None:
    from gosupr.mining.waste.reduce import REMOVABLE_KINDS

    for k in accept:
        if k not in REMOVABLE_KINDS:
            raise GosuprError(
                f"'batch.accept': {k!r} is not a removable finding kind{_hint(k, REMOVABLE_KINDS)}; "
                f"use some of {', '.join(REMOVABLE_KINDS)}",
                path=source,
            )


# -- small checks --------------------------------------------------------------------------------
def _known(t: dict[str, Any], allowed: set[str], prefix: str, source: str) -> None:
    for k in t:
        if k not in allowed:
            raise GosuprError(
                f"unknown key '{prefix}{k}'{_hint(k, allowed)}; allowed here: {', '.join(sorted(allowed))}", path=source
            )


def _hint(word: str, options) -> str:
    close = difflib.get_close_matches(word, sorted(options), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _table(data: dict[str, Any], key: str, source: str) -> dict[str, Any]:
    v = data.get(key, {})
    if not isinstance(v, dict):
        raise GosuprError(f"'{key}' must be a table ([{key}])", path=source)
    return v


def _number(v: Any, where: str, source: str, lo: float, hi: float) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not lo <= v <= hi:
        raise GosuprError(f"'{where}' must be a number from {lo:g} to {hi:g}, got {v!r}", path=source)
    return float(v)


def _str_list(t: dict[str, Any], key: str, prefix: str, source: str) -> list[str]:
    v = t.get(key, [])
    if not isinstance(v, list) or not all(isinstance(x, str) and x for x in v):
        raise GosuprError(f"'{prefix}{key}' must be a list of strings, e.g. [\"a\", \"b\"]", path=source)
    return list(v)


def _quote(pattern: str) -> str:
    return f'"{pattern}"'


def _rel_posix(path: Path, base: Path) -> str:
    p = path if path.is_absolute() else Path.cwd() / path
    try:
        return p.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return p.as_posix()


_GLOB_CACHE: dict[str, re.Pattern[str]] = {}


def glob_match(pattern: str, rel_path: str) -> bool:
    """Shell-style match with `**` for any number of folders; a pattern without `/` matches the file name."""
    rx = _GLOB_CACHE.get(pattern)
    if rx is None:
        rx = _GLOB_CACHE[pattern] = re.compile(_translate(pattern))
    target = rel_path if "/" in pattern.strip("/") else rel_path.rsplit("/", 1)[-1]
    return rx.fullmatch(target) is not None


def _translate(pattern: str) -> str:
    pat = pattern.removeprefix("./")
    out, i, n = [], 0, len(pat)
    while i < n:
        c = pat[i]
        if pat.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pat.startswith("**", i):
            out.append(".*")
            i += 2
        elif c == "*":
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[":
            j = pat.find("]", i + 2)
            if j == -1:
                out.append(re.escape(c))
                i += 1
            else:
                body = pat[i + 1 : j]
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append("[" + body.replace("\\", "\\\\") + "]")
                i = j + 1
        else:
            out.append(re.escape(c))
            i += 1
    return "".join(out)
