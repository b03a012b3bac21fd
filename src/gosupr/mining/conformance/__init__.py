"""Conformance: the model as a Petri net, replay and alignments, precision; `check` against the regulation."""
