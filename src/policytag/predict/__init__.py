"""Prediction: the exported tagger, its backends and the standalone module built from it."""
