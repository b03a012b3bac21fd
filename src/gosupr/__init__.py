"""gosupr: process mining for public administration (State Governance 4.0)."""

__version__ = "0.1.0"
