"""Shared fixtures: where the real material and the examples are."""

from __future__ import annotations

from pathlib import Path

import pytest

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
