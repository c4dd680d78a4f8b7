"""Export the classifier's per-window logits to ONNX, and quantise the graph to int8."""

from __future__ import annotations

import warnings
from pathlib import Path

import torch

from policytag.modeling.classifier import TwoHeadClassifier
from policytag.predict.torch_backend import kept_fp32


class _WindowHeads(torch.nn.Module):
    def __init__(self, model: TwoHeadClassifier) -> None:
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor):
        return self.model.window_logits(input_ids, attention_mask)


def export_onnx(model: TwoHeadClassifier, path: Path) -> None:
    """fp32 graph with dynamic batch and length axes (legacy TorchScript exporter, opset 17)."""
    model = model.eval()
    ids = torch.ones((2, 16), dtype=torch.long)
    mask = torch.ones((2, 16), dtype=torch.long)
    axes = {0: "windows", 1: "tokens"}
    with warnings.catch_warnings(), torch.inference_mode(False), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            _WindowHeads(model), (ids, mask), str(path),
            input_names=["input_ids", "attention_mask"], output_names=["role_logits", "domain_logits"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "role_logits": {0: "windows"},
                          "domain_logits": {0: "windows"}},
            opset_version=17, dynamo=False,
        )


def quantize_onnx(source: Path, target: Path) -> None:
    """Dynamic int8 quantisation of the graph's weight matrix multiplications (ONNX Runtime),
    with the same layers kept fp32 as the torch int8 backend (`kept_fp32`)."""
    import logging

    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    graph = onnx.load(str(source), load_external_data=False).graph
    keep = [node.name for node in graph.node if node.op_type in ("MatMul", "Gemm")
            and kept_fp32(node.name.strip("/").rsplit("/", 1)[0].replace("/", ".").removeprefix("model."))]
    logging.getLogger().setLevel(logging.ERROR)  # its advice to pre-process does not apply to transformers
    quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8, nodes_to_exclude=keep,
                     extra_options={"MatMulConstBOnly": True})
