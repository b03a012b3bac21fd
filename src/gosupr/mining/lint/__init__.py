"""Model lint: bpmnlint-style rules over a BPMN model, one rule per module in `rules/`."""
