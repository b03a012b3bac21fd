"""gosupr: process mining for public administration (State Governance 4.0).

The public Python API (documented in docs/python-api.md)::

    import gosupr
    log = gosupr.read_log("examples/logs/land_lease.csv")
    findings = gosupr.analyze(log)

Names load on first use (PEP 562), so `import gosupr` and `gosupr --help` import neither pandas
nor pm4py; `dir(gosupr)` and `__all__` list them all the same.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from gosupr._version import __version__

#: public name -> the module that defines it
_HOME = {
    "read_log": "gosupr.api",
    "discover": "gosupr.api",
    "analyze": "gosupr.api",
    "lint": "gosupr.api",
    "reduce": "gosupr.api",
    "compare": "gosupr.api",
    "render_svg": "gosupr.api",
    "read_bpmn": "gosupr.api",
    "write_bpmn": "gosupr.api",
    "EventLog": "gosupr.eventlog",
    "ProcessModel": "gosupr.bpmn.model",
    "Finding": "gosupr.mining.findings",
    "Findings": "gosupr.mining.findings",
    "Reduction": "gosupr.mining.waste.reduce",
    "ModelDiff": "gosupr.mining.compare.models",
    "GosuprError": "gosupr.errors",
}

__all__ = ["__version__", *_HOME]

if TYPE_CHECKING:  # for type checkers and editors; at run time __getattr__ loads them
    from gosupr.api import analyze as analyze
    from gosupr.api import compare as compare
    from gosupr.api import discover as discover
    from gosupr.api import lint as lint
    from gosupr.api import read_bpmn as read_bpmn
    from gosupr.api import read_log as read_log
    from gosupr.api import reduce as reduce
    from gosupr.api import render_svg as render_svg
    from gosupr.api import write_bpmn as write_bpmn
    from gosupr.bpmn.model import ProcessModel as ProcessModel
    from gosupr.errors import GosuprError as GosuprError
    from gosupr.eventlog import EventLog as EventLog
    from gosupr.mining.compare.models import ModelDiff as ModelDiff
    from gosupr.mining.findings import Finding as Finding
    from gosupr.mining.findings import Findings as Findings
    from gosupr.mining.waste.reduce import Reduction as Reduction


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'gosupr' has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value  # once loaded, a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
