"""Kinds that describe themselves: every detector and rule module keeps the contract of gosupr.mining.kinds,
the README's table is the generated one, and a kind added as one file in an extra package shows up in
`analyze --format json`, in the HTML report's legend and in the README table without touching gosupr."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from analyze_helpers import make_log
from gosupr.mining import kinds
from gosupr.mining.kinds import Detector, Kind, Rule
from gosupr.mining.lint.rules import RULES
from gosupr.mining.waste.detectors import DETECTORS
from gosupr.mining.waste.facts import LogFacts

ROOT = Path(__file__).resolve().parents[1]

# The extra kind of the walk-through in CONTRIBUTING.md: one file, nothing else.
SLOW_START = '''\
"""Slow start: cases that wait long after their first step before any other step (nobody picks them up)."""

from __future__ import annotations

from typing import Any

import numpy as np

from gosupr.mining.findings import Finding
from gosupr.mining.kinds import Category, Kind, ru_cases, ru_cost, ru_pct, subjects
from gosupr.mining.waste.detectors._common import cases_text, duration, finding, pct, quote, settings
from gosupr.mining.waste.facts import LogFacts

KIND = "slow_start"
DEFAULTS: dict[str, Any] = {"min_wait_s": 7 * 86400.0, "min_cases": 2}


def detect(facts: LogFacts, cfg: dict[str, Any] | None = None) -> list[Finding]:
    c = settings(DEFAULTS, cfg)
    slow = (facts.pos == 1) & (np.nan_to_num(facts.gap_prev_s) >= c["min_wait_s"])  # the second event, late
    out = []
    for a in np.unique(facts.prev_act[slow]):
        sel = slow & (facts.prev_act == a)
        n = len(np.unique(facts.case[sel]))
        if n < c["min_cases"]:
            continue
        wait, label = float(np.median(facts.gap_prev_s[sel])), facts.labels[a]
        out.append(finding(
            facts, KIND, [label], n, wait,
            evidence={"removal": None, "activity": label, "min_wait_s": c["min_wait_s"]},
            message=f"{cases_text(n)} ({pct(n / facts.n_cases)}) wait a median of {duration(wait)} after "
                    f"{quote(label)} before anything else happens.",
        ))
    return out


def message_ru(f: Finding) -> str:
    return f"После {subjects(f)[0]} {ru_cases(f.cases)} ({ru_pct(f.case_share)}) дело ждёт в медиане {ru_cost(f)}, пока за него возьмутся."


SPEC = Kind(
    name=KIND,
    title=("slow start", "медленный старт"),
    category=Category("start", ("Slow starts", "Медленный старт"), colour="#1b9e77", fill="#d9f0e9",
                      legend=("slow start", "медленный старт")),
    about="cases that wait long after their first step before anything else happens",
    messages={"ru": message_ru},
)
'''

REG, CHECK, DECIDE = "Регистрация заявления", "Проверка документов", "Решение"


def _extra_package(tmp_path: Path) -> Path:
    """A namespace package `acme_kinds` holding the one file, on a folder to put on PYTHONPATH."""
    pkg = tmp_path / "plugins" / "acme_kinds"
    pkg.mkdir(parents=True)
    (pkg / "slow_start.py").write_text(SLOW_START, encoding="utf-8")
    return pkg.parent


def _log_csv(path: Path) -> Path:
    """30 cases, the first 12 of them picked up 10 days after registration, the rest within the hour."""
    from datetime import datetime, timedelta

    rows = ["case_id,activity,timestamp"]
    for i in range(30):
        t0 = datetime(2024, 3, 1, 9) + timedelta(days=i % 20, minutes=7 * i)
        t1 = t0 + timedelta(hours=240 if i < 12 else 1)
        t2 = t1 + timedelta(hours=2)
        rows += [f"c{i:03d},{a},{t:%Y-%m-%dT%H:%M:%S}" for a, t in ((REG, t0), (CHECK, t1), (DECIDE, t2))]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def _run(args: list[str], plugins: Path, cwd: Path, extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(plugins), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
               LANG="C.UTF-8", **(extra_env if extra_env is not None else {"GOSUPR_KINDS": "acme_kinds"}))
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=600)


# -- the contract ----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(DETECTORS))
def test_every_detector_keeps_the_contract(name: str):
    mod = DETECTORS[name]
    assert isinstance(mod, Detector) and not isinstance(mod, Rule)
    assert kinds.problems(mod) == [] and mod.SPEC.name == mod.KIND == name
    assert mod.SPEC.removal.what in ("step", "repeats", "cases", "nothing")
    assert callable(mod.SPEC.messages.get("ru")), "every built-in kind speaks Russian too"


@pytest.mark.parametrize("name", list(RULES))
def test_every_rule_keeps_the_contract(name: str):
    mod = RULES[name]
    assert isinstance(mod, Rule)
    assert kinds.problems(mod) == [] and mod.SPEC.name == mod.RULE == name
    assert mod.SPEC.group.name == "model" and mod.SPEC.removal.what in ("element", "nothing")
    assert callable(mod.SPEC.messages.get("ru"))


def test_the_registry_is_every_module_of_the_packages():
    """Nothing is listed by hand: a module in detectors/ or rules/ is registered, in its declared order."""
    import pkgutil

    import gosupr.mining.lint.rules as rules_pkg
    import gosupr.mining.waste.detectors as det_pkg

    on_disk = {m.name for m in pkgutil.iter_modules(det_pkg.__path__) if not m.name.startswith("_")}
    assert {m.__name__.rsplit(".", 1)[1] for m in DETECTORS.values()} == on_disk
    on_disk = {m.name for m in pkgutil.iter_modules(rules_pkg.__path__) if not m.name.startswith("_")}
    assert {m.__name__.rsplit(".", 1)[1] for m in RULES.values()} == on_disk
    assert list(DETECTORS)[:3] == ["self_loop", "rework", "ping_pong"]  # the order the JSON has always had
    orders = [m.SPEC.order for m in DETECTORS.values()]
    assert orders == sorted(orders)


def test_a_broken_declaration_is_named():
    """A module whose SPEC contradicts it fails the contract with a sentence that says what to fix."""
    from types import SimpleNamespace

    good = DETECTORS["self_loop"]
    wrong_name = SimpleNamespace(KIND="x", DEFAULTS={}, SPEC=good.SPEC, detect=good.detect)
    assert any("differs from KIND" in p for p in kinds.problems(wrong_name))  # type: ignore[arg-type]
    no_scope = SimpleNamespace(KIND="y", DEFAULTS={}, detect=good.detect,
                               SPEC=Kind("y", ("y", "y"), "loop", "y", kinds.Removal("repeats")))
    assert any("needs scope" in p for p in kinds.problems(no_scope))  # type: ignore[arg-type]
    assert kinds.problems(SimpleNamespace(KIND="z")) == ["needs KIND, DEFAULTS, SPEC and detect()"]  # type: ignore[arg-type]


def test_removal_dispatch_and_colours_follow_the_declarations():
    from gosupr.mining.waste import analyze, reduce, removal

    assert removal.STEP_KINDS == ("duplicate_step", "redundant_approval", "bypassable_step")
    assert removal.REPEAT_KINDS == ("self_loop", "rework", "ping_pong")
    assert (*removal.REPEAT_KINDS, *removal.STEP_KINDS, "rare_path") == reduce.REMOVABLE_KINDS
    assert analyze._REMOVAL_PRIORITY == removal.STEP_KINDS
    assert {k: kinds.colour_family(k, True) for k in ("rework", "waiting", "duplicate_step", "fake-join")} == {
        "rework": "loop", "waiting": "waiting", "duplicate_step": "removable", "fake-join": "removable"}
    assert kinds.colour_family("rare_path", False) is None


def test_russian_messages_come_from_the_kind():
    from gosupr.report.findings_render import finding_message, kind_name

    log = make_log([(["A", "B", "B", "C"], 5), (["A", "B", "C"], 5)])
    f = DETECTORS["self_loop"].detect(LogFacts.of(log), {})[0]
    assert finding_message(f, "en").startswith(f.message)  # then why it is not removed
    assert finding_message(f, "ru").startswith("«B» сразу повторяется в 5 делах (50%)")
    assert kind_name("self_loop", "ru") == "самоповтор" and kind_name("no-such-kind", "ru") == "no-such-kind"


# -- the README ------------------------------------------------------------------------------------
def test_readme_table_is_the_generated_one():
    """Regenerate with `python -m gosupr.mining.kinds --write-readme README.md`."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert kinds.README_BEGIN in text and kinds.README_END in text
    assert kinds.replace_readme_section(text) == text, (
        "README's table of kinds is stale: run python -m gosupr.mining.kinds --write-readme README.md"
    )
    for name in [*DETECTORS, *RULES]:
        assert f"| `{name}` |" in text


# -- one new file ------------------------------------------------------------------------------------
def test_the_new_kind_flags_a_slow_start_and_leaves_a_prompt_one_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The test a contributor writes beside the new file: a case it flags and a case it leaves alone."""
    monkeypatch.syspath_prepend(str(_extra_package(tmp_path)))
    mod = importlib.import_module("acme_kinds.slow_start")
    assert kinds.problems(mod) == []
    slow = make_log([([REG, CHECK, DECIDE], 4)], waits_h={(REG, CHECK): 240})
    (f,) = mod.detect(LogFacts.of(slow), {})
    assert (f.kind, f.activities, f.cases, f.time_cost_s) == ("slow_start", [REG], 4, 240 * 3600.0)
    assert f.message == f"4 cases (100%) wait a median of 10.0 days after «{REG}» before anything else happens."
    prompt = make_log([([REG, CHECK, DECIDE], 4)], waits_h={(REG, CHECK): 2})
    assert mod.detect(LogFacts.of(prompt), {}) == []


def test_a_kind_in_one_extra_file_shows_up_everywhere(tmp_path: Path):
    """GOSUPR_KINDS=acme_kinds: the finding in analyze's JSON (worded in Russian too), its colour in the HTML
    report's legends, its row in the generated README table; gosupr's own files untouched."""
    plugins = _extra_package(tmp_path)
    log = _log_csv(tmp_path / "log.csv")
    p = _run(["-m", "gosupr", "analyze", str(log), "--format", "json"], plugins, tmp_path)
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    (f,) = [f for f in doc["findings"] if f["kind"] == "slow_start"]
    assert (f["activities"], f["cases"], f["verdict"]) == ([REG], 12, "informational")
    assert doc["headline"]["by_kind"]["slow_start"] == 1

    p = _run(["-m", "gosupr", "discover", str(log), "-o", str(tmp_path / "m.bpmn"), "--html", str(tmp_path / "r.html"),
              "--lang", "ru"], plugins, tmp_path)
    assert p.returncode == 0, p.stderr
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert 'data-legend="start"' in page and "медленный старт" in page  # the diagram's legend, in the kind's words
    assert 'fill="#1b9e77"' in page  # its colour on the cost chart and its legend
    assert "пока за него возьмутся" in page  # the Russian sentence the kind declares

    p = _run(["-m", "gosupr.mining.kinds", "--readme"], plugins, tmp_path)
    assert p.returncode == 0, p.stderr
    assert "| `slow_start` | start | cases that wait long after their first step before anything else happens | never |" in p.stdout


def test_an_installed_distribution_brings_its_kinds_by_entry_point(tmp_path: Path):
    """`[project.entry-points."gosupr.kinds"] acme = "acme_kinds"` in the plug-in's pyproject.toml."""
    plugins = _extra_package(tmp_path)
    info = plugins / "acme_kinds-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-kinds\nVersion: 0.1\n", encoding="utf-8")
    (info / "entry_points.txt").write_text("[gosupr.kinds]\nacme = acme_kinds\n", encoding="utf-8")
    p = _run(["-m", "gosupr.mining.kinds", "--readme"], plugins, tmp_path, extra_env={})
    assert p.returncode == 0, p.stderr
    assert "| `slow_start` |" in p.stdout


def test_a_missing_extra_package_is_one_clear_line(tmp_path: Path):
    log = _log_csv(tmp_path / "log.csv")
    p = _run(["-m", "gosupr", "analyze", str(log)], tmp_path, tmp_path, extra_env={"GOSUPR_KINDS": "no_such_kinds"})
    assert p.returncode == 2
    assert "no_such_kinds" in p.stderr and "GOSUPR_KINDS" in p.stderr and "Traceback" not in p.stderr
