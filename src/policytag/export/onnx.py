"""Export the classifier's per-window logits to ONNX, fuse the graph, and quantise it to int8.

The graph is traced with eager attention (plain MatMul/Softmax), which ONNX Runtime's
BERT optimiser recognises and fuses into its `Attention` operator (with embeddings,
skip-LayerNorm and bias-GELU); the SDPA graph does not fuse. The fused attention is
then quantised as a whole (`QAttention`): on 2 CPU cores about 1.5× faster than the
unfused int8 graph (`scripts/bench_predict.py`, README).
"""

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
            _WindowHeads(model),
            (ids, mask),
            str(path),
            input_names=["input_ids", "attention_mask"],
            output_names=["role_logits", "domain_logits"],
            dynamic_axes={
                "input_ids": axes,
                "attention_mask": axes,
                "role_logits": {0: "windows"},
                "domain_logits": {0: "windows"},
            },
            opset_version=17,
            dynamo=False,
        )


def build_onnx(folder: Path, target: Path, scratch: Path) -> dict[str, int]:
    """The int8 graph of the model saved in `folder`, written to `target`; returns how many
    operators of each kind the optimiser fused (an empty `Attention` count means the graph
    runs unfused, correct but slower)."""
    model = TwoHeadClassifier.load(folder, attention="eager")[0]
    export_onnx(model, scratch / "model.onnx")
    fused = fuse_onnx(scratch / "model.onnx", scratch / "fused.onnx", model.encoder.config)
    quantize_onnx(scratch / "fused.onnx", target)
    return fused


def fuse_onnx(source: Path, target: Path, config) -> dict[str, int]:
    """ONNX Runtime's BERT fusions (its Python pass only, so the graph stays portable)."""
    from onnxruntime.transformers.optimizer import optimize_model

    optimized = optimize_model(
        str(source),
        model_type="bert",
        num_heads=config.num_attention_heads,
        hidden_size=config.hidden_size,
        opt_level=0,
    )
    optimized.save_model_to_file(str(target))
    return {op: n for op, n in optimized.get_fused_operator_statistics().items() if n}


def quantize_onnx(source: Path, target: Path) -> None:
    """Dynamic int8 quantisation of the graph's weight matrix multiplications and attention
    (ONNX Runtime), with the same layers kept fp32 as the torch int8 backend (`kept_fp32`)
    and the embeddings fp32 (quantising them costs agreement and saves no time)."""
    import logging

    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    graph = onnx.load(str(source), load_external_data=False).graph
    keep = [
        node.name
        for node in graph.node
        if node.op_type == "EmbedLayerNormalization"
        or node.op_type in ("MatMul", "Gemm")
        and kept_fp32(node.name.strip("/").rsplit("/", 1)[0].replace("/", ".").removeprefix("model."))
    ]
    logging.getLogger().setLevel(logging.ERROR)  # its advice to pre-process does not apply to transformers
    quantize_dynamic(
        str(source),
        str(target),
        weight_type=QuantType.QInt8,
        nodes_to_exclude=keep,
        extra_options={
            "MatMulConstBOnly": True,
            # fused operators carry no inferred output types
            "DefaultTensorType": onnx.TensorProto.FLOAT,
        },
    )
