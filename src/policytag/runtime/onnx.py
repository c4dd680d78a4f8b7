"""The ONNX Runtime backend: per-window logits from an exported graph.

numpy and onnxruntime only (imported when a graph is opened): copied into the
standalone `predictor.py`.
"""

from __future__ import annotations

import numpy as np

ONNX_FILE = "model.int8.onnx"


class OnnxWindowLogits:
    """A `WindowLogits` callable over an ONNX graph with inputs `input_ids`, `attention_mask`."""

    def __init__(self, path: str, threads: int | None = None) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if threads:
            options.intra_op_num_threads = threads
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def __call__(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        role, domain = self.session.run(
            ["role_logits", "domain_logits"], {"input_ids": input_ids, "attention_mask": attention_mask}
        )
        return role, domain
