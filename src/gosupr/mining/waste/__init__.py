"""Waste in a process: the log aggregated once (facts), the steps that must stay, one detector per kind,
the scoped removal of what the evidence covers, the to-be model and what it costs in quality."""
