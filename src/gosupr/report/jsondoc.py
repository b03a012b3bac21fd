"""Versioned, deterministic JSON documents for machines."""

from __future__ import annotations

import json
import math
from typing import Any

from gosupr._version import __version__


def document(schema: str, body: dict[str, Any]) -> dict[str, Any]:
    """Every machine document names its schema and the versions that produced its numbers."""
    from gosupr._pm4py import version

    return {"schema": schema, "tool": {"name": "gosupr", "version": __version__, "pm4py": version()}, **body}


def _safe(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _safe(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_safe(x) for x in v]
    if hasattr(v, "to_dict") and callable(v.to_dict):
        return _safe(v.to_dict())
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):
        v = v.item()
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            return None
        return round(v, 6)
    return v


def dumps(doc: dict[str, Any]) -> str:
    """UTF-8 JSON (Cyrillic kept readable), rounded floats, trailing newline."""
    return json.dumps(_safe(doc), ensure_ascii=False, indent=2) + "\n"
