"""BPMN 2.0: the ProcessModel, a hardened reader, a writer with layout."""

from gosupr.bpmn.model import Flow, Node, ProcessModel

__all__ = ["Flow", "Node", "ProcessModel"]
