"""Torch backends: the fp32 model as trained, and its dynamically int8-quantised Linear layers.

The int8 model (`quantize_int8`) turns every encoder Linear into int8 weights (one
scale per output row) with activations quantised on the fly. Two things keep it
close to fp32:

- 8-bit activations where the CPU has VNNI instructions (`full_range_activations`):
  torch's default keeps 7 bits so that CPUs without VNNI cannot overflow their int16
  sums; with VNNI that margin is not needed and halves the rounding error.
- The feed-forward down-projections (`layer.N.output.dense`) read the GELU output, in
  which one or a few channels reach 10–50× the others. One scale for the whole input
  would round every other channel to almost nothing, so those channels, found at
  export time (`outlier_channels`), are multiplied in fp32 and only the rest in int8
  (`OutlierSplitLinear`). Exports without that list keep the down-projections fp32.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn
from torch.ao.nn.quantized.dynamic import Linear as DynamicLinear

from policytag.modeling.classifier import TwoHeadClassifier

OUTLIER_FACTOR = 8.0  # an input channel peaking above 8× the layer's median channel peak is an outlier
MAX_OUTLIERS = 32  # per layer; more would say the layer has no few outliers to single out


def full_range_activations() -> bool:
    """Whether 8-bit activations are safe: the x86 (fbgemm) engine on a CPU with VNNI."""
    if torch.backends.quantized.engine not in ("x86", "fbgemm"):
        return False
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return re.search(r"\b(avx512_vnni|avx_vnni|amx_int8)\b", cpuinfo) is not None


_FULL_RANGE = full_range_activations()


class Int8Linear(DynamicLinear):
    """torch's dynamic int8 Linear, with 8-bit activations where `full_range_activations`."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        packed = self._packed_params._packed_params
        return torch.ops.quantized.linear_dynamic(x, packed, reduce_range=not _FULL_RANGE).to(x.dtype)


def _int8(linear: nn.Linear) -> Int8Linear:
    from torch.ao.quantization import per_channel_dynamic_qconfig

    linear.qconfig = per_channel_dynamic_qconfig
    with warnings.catch_warnings():  # torch marks its eager quantisation API as deprecated
        warnings.simplefilter("ignore")
        return Int8Linear.from_float(linear)


class OutlierSplitLinear(nn.Module):
    """`linear` with a few input channels multiplied in fp32 and the rest in int8.

    The input tensor is consumed: its outlier channels are zeroed in place (it is the
    GELU output, which nothing else reads)."""

    def __init__(self, linear: nn.Linear, channels: list[int]) -> None:
        super().__init__()
        index = torch.tensor(sorted(channels), dtype=torch.long)
        self.register_buffer("channels", index)
        self.register_buffer("outlier_weight", linear.weight.detach()[:, index].t().contiguous())
        rest = nn.Linear(linear.in_features, linear.out_features, bias=linear.bias is not None)
        with torch.no_grad():
            rest.weight.copy_(linear.weight)
            rest.weight[:, index] = 0.0
            if linear.bias is not None:
                rest.bias.copy_(linear.bias)
        self.rest = _int8(rest)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outliers = x[..., self.channels] @ self.outlier_weight
        return self.rest(x.index_fill_(-1, self.channels, 0.0)) + outliers


def is_down_projection(name: str) -> bool:
    return name.endswith("output.dense") and "attention" not in name


def kept_fp32(name: str) -> bool:
    """What the ONNX int8 graph leaves fp32: the heads and the whole down-projections."""
    return name.endswith("_head") or is_down_projection(name)


def outlier_channels(
    model: nn.Module, feed: Callable[[], object], factor: float = OUTLIER_FACTOR, limit: int = MAX_OUTLIERS
) -> dict[str, list[int]]:
    """For each down-projection, the input channels whose largest |activation| while
    `feed()` runs the model exceeds `factor` × the median channel's (at most `limit`)."""
    peaks: dict[str, torch.Tensor] = {}

    def watch(name: str):
        def hook(_module, inputs):
            peak = inputs[0].detach().abs().flatten(0, -2).amax(0).float()
            peaks[name] = torch.maximum(peaks[name], peak) if name in peaks else peak

        return hook

    handles = [
        m.register_forward_pre_hook(watch(n))
        for n, m in model.named_modules()
        if isinstance(m, nn.Linear) and is_down_projection(n)
    ]
    try:
        feed()
    finally:
        for handle in handles:
            handle.remove()
    found = {}
    for name, peak in peaks.items():
        order = torch.argsort(peak, descending=True)[:limit]
        found[name] = sorted(int(i) for i in order if peak[i] > factor * peak.median())
    return found


def quantize_int8(
    model: TwoHeadClassifier, outliers: dict[str, list[int]] | None = None
) -> TwoHeadClassifier:
    """`model` made int8 in place (CPU; no fp32 copy is kept, so memory does not double):
    every encoder Linear in int8, the down-projections split by `outliers` (fp32 when
    `outliers` is None), the heads fp32."""
    quantized = model.eval()
    for name, module in list(quantized.named_modules()):
        if not isinstance(module, nn.Linear) or name.endswith("_head"):
            continue
        if is_down_projection(name):
            if outliers is None:
                continue
            replacement = OutlierSplitLinear(module, outliers.get(name, []))
        else:
            replacement = _int8(module)
        parent, _, child = name.rpartition(".")
        setattr(quantized.get_submodule(parent), child, replacement)
    return quantized
