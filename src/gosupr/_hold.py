"""Named points of a run where a test can hold the process, so that it signals at a known moment.

Signal tests that wait for an amount of CPU time race the run's own progress and fail on fast and
slow machines alike. With `GOSUPR_HOLD_AT=<point>:<marker file>` in the environment, the process
that reaches `<point>` writes its pid to the marker file and sleeps until a signal ends it; unset
(always, outside tests) a hold point costs one dictionary lookup.
"""

from __future__ import annotations

import os
import time

ENV = "GOSUPR_HOLD_AT"
MAX_HOLD_S = 300.0  # a test that forgets to signal fails on its exit code instead of hanging for ever


def hold(point: str) -> None:
    spec = os.environ.get(ENV)
    if not spec:
        return
    name, _, marker = spec.partition(":")
    if name != point or not marker:
        return
    tmp = f"{marker}.{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(str(os.getpid()))
    os.replace(tmp, marker)  # the test sees the marker whole, and only once we are here
    deadline = time.monotonic() + MAX_HOLD_S
    while time.monotonic() < deadline:
        time.sleep(0.02)  # signal handlers run between sleeps, in this (the main) thread
