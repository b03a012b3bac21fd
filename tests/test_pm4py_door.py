"""gosupr imports only the parts of pm4py it uses; the rest of pm4py stays usable."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = """
import sys
from gosupr.ingest import read_log
from gosupr.mining.discover import discover_model
from gosupr.mining.conformance.measure import fitness
log = read_log("examples/logs/land_lease.csv")
model = discover_model(log)
print("fitness", round(fitness(model, log).log_fitness, 3))
print("heavy", sorted(m for m in ("matplotlib", "scipy.optimize", "cvxopt", "polars") if m in sys.modules))
import pm4py  # a user's own pm4py code afterwards gets the whole library
frame = pm4py.read_xes("examples/logs/memo_approval.xes")
print("read_xes", len(frame) > 0, hasattr(pm4py, "discover_bpmn_inductive"))
"""


def test_discovery_and_replay_skip_pm4py_heavy_imports_yet_pm4py_stays_whole() -> None:
    out = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True,
                         timeout=300, check=True).stdout.splitlines()
    assert out[0].startswith("fitness 0.") or out[0] == "fitness 1.0"
    assert out[1] == "heavy []"
    assert out[2] == "read_xes True True"


def test_a_caller_who_imported_pm4py_first_keeps_the_whole_library() -> None:
    script = (
        "import sys, pm4py\n"
        "from gosupr.ingest import read_log\n"
        "from gosupr.mining.discover import discover_model\n"
        "model = discover_model(read_log('examples/logs/memo_approval.xes'))\n"
        "print(len(model.tasks()) > 0, 'matplotlib' in sys.modules, type(pm4py.read_xes).__name__)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True,
                         timeout=300, check=True).stdout.split()
    assert out == ["True", "True", "function"]
