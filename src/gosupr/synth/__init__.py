"""The ministry-log generator: three simulated government processes with marked waste and a written ground truth."""
