"""Where the test material lives, and the small logs the core tests read.

Two sources: the project's own (tests/data, written by hand or by the scripts beside the files, and
examples/logs, written by examples/generate.py), which every clone has; and ../shared/data beside
the checkout, real logs and BPMN files nobody here wrote, which a plain clone lacks. A test that needs
the second skips with `SHARED_REASON` when it is absent; the behaviour it checks has an in-repo
counterpart, so a clone without ../shared still runs the core tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
EXAMPLES = ROOT / "examples" / "logs"
SHARED = ROOT.parent / "shared" / "data"
SHARED_REASON = (f"../shared/data is not beside this checkout ({SHARED}): the real logs and BPMN files are not "
                 "in the repository; the in-repo variant of this test runs instead")
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason=SHARED_REASON)


@dataclass(frozen=True)
class SmallLog:
    """One small log as XES and as pm4py's CSV export, the model every case of it fits, and what a
    reader must find in it."""

    name: str
    xes: Path
    csv: Path
    bpmn: Path
    cases: int
    events: int
    first: tuple[str, str, pd.Timestamp]  # a case, its first activity, its time as naive UTC
    step: str  # a step in most cases (the conformance tests cut it from the model)
    resource: str  # a resource name written in the XES


OFFICE = SmallLog(
    "office", DATA / "logs" / "office.xes", DATA / "logs" / "office.csv", DATA / "logs" / "office.bpmn",
    6, 38, ("3", "Зарегистрировать заявление", pd.Timestamp("2025-03-05 06:30")), "Проверить оплату", "Анна",
)
RUNNING_EXAMPLE = SmallLog(
    "running-example", SHARED / "logs" / "running-example.xes", SHARED / "logs" / "running-example.csv",
    SHARED / "bpmn" / "running-example.bpmn",
    6, 42, ("3", "register request", pd.Timestamp("2010-12-30 13:32")), "check ticket", "Pete",
)
#: parameters for a test (or fixture) that runs on both: the in-repo log always, the real one when present
SMALL_LOGS = [pytest.param(OFFICE, id="office"), pytest.param(RUNNING_EXAMPLE, id="running-example", marks=needs_shared)]

