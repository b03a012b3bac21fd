"""Shared fixtures: where the real material and the examples are (tests/material.py says which is which)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

from material import EXAMPLES, SHARED, SHARED_REASON, SMALL_LOGS, SmallLog

# Property tests explore new random examples on a developer's machine (that is how they find bugs);
# in CI (CI=true) they replay a fixed sequence, so a submission's result never depends on luck.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI", "").strip().lower() in ("1", "true", "yes"):
    settings.load_profile("ci")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data beside the checkout: real logs and BPMN files nobody here wrote (skips when absent)."""
    if not SHARED.is_dir():
        pytest.skip(SHARED_REASON)
    return SHARED


@pytest.fixture(scope="session")
def examples_dir() -> Path:
    return EXAMPLES


@pytest.fixture(scope="session", params=SMALL_LOGS)
def small_log(request: pytest.FixtureRequest) -> SmallLog:
    """The in-repo office log, and the real running example when ../shared/data is present."""
    return request.param
