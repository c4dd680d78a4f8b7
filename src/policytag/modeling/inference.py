"""Batched inference: windows of many paragraphs → role and domain probabilities."""

from __future__ import annotations

import numpy as np
import torch

from policytag.modeling.classifier import TwoHeadClassifier
from policytag.modeling.windows import WindowEncoder


@torch.no_grad()
def predict_proba(
    model: TwoHeadClassifier,
    windows: list[list[list[int]]],
    encoder: WindowEncoder,
    batch_size: int = 32,
    device: str | torch.device = "cpu",
) -> tuple[np.ndarray, np.ndarray]:
    """Softmax probabilities per paragraph for both heads, in input order.

    Paragraphs are batched by length (shortest first) so little padding is computed;
    the results are put back in input order.
    """
    was_training = model.training
    model.eval()
    order = sorted(range(len(windows)), key=lambda i: sum(len(w) for w in windows[i]))
    role = np.zeros((len(windows), len(model.role_labels)), dtype=np.float32)
    domain = np.zeros((len(windows), len(model.domain_labels)), dtype=np.float32)
    for start in range(0, len(order), batch_size):
        chunk = order[start : start + batch_size]
        batch = {k: v.to(device) for k, v in encoder.collate([windows[i] for i in chunk]).items()}
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=torch.device(device).type == "cuda"):
            role_logits, domain_logits = model(**batch)
        role[chunk] = torch.softmax(role_logits.float(), -1).cpu().numpy()
        domain[chunk] = torch.softmax(domain_logits.float(), -1).cpu().numpy()
    model.train(was_training)
    return role, domain
