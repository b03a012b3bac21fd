"""`gosupr batch`: many logs and models in one CI run, with gates, JUnit and summaries.

The CLI calls `run_batch` and renders its `BatchResult`; nothing here prints.
"""

from __future__ import annotations

from gosupr.batch.config import BatchConfig, Gates, load_config
from gosupr.batch.runner import BatchResult, ProgressEvent, run_batch

__all__ = ["BatchConfig", "BatchResult", "Gates", "ProgressEvent", "load_config", "run_batch"]
