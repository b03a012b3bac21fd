"""Shared fixtures: where the real material and the examples are."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# Property tests explore new random examples on a developer's machine (that is how they find bugs);
# in CI (CI=true) they replay a fixed sequence, so a submission's result never depends on luck.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI", "").strip().lower() in ("1", "true", "yes"):
    settings.load_profile("ci")

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
EXAMPLES = ROOT / "examples" / "logs"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data beside the checkout: real logs and BPMN files nobody here wrote."""
    assert SHARED.is_dir(), f"real test material expected at {SHARED}"
    return SHARED


@pytest.fixture(scope="session")
def examples_dir() -> Path:
    return EXAMPLES
