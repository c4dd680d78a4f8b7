"""Export: a run's best model → a checked, calibrated predictor folder with its ONNX graph,
model card, manifest and standalone module."""
