"""gosupr: process mining for public administration (State Governance 4.0)."""

from gosupr._version import __version__

__all__ = ["__version__"]
