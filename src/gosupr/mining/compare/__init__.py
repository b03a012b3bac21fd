"""Comparison: two models (ModelDiff, matching across tools) and two logs (the realised effect of a reform)."""
