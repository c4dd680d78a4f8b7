"""Paragraphs → token windows, and windows → padded batches.

A paragraph longer than `max_length` tokens becomes overlapping windows (each with the
encoder's prefix and special tokens); the classifier pools them back into one vector.
Training and prediction use this same code, so they see paragraphs the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from policytag.predict.core import pad_windows, window_ids


def special_ids(tokenizer) -> dict[str, int]:
    """The ids that open, close and pad a window (CLS/SEP or BOS/EOS, as the tokenizer has them)."""
    first = tokenizer.cls_token_id if tokenizer.cls_token_id is not None else tokenizer.bos_token_id
    last = tokenizer.sep_token_id if tokenizer.sep_token_id is not None else tokenizer.eos_token_id
    return {"first": first, "last": last, "pad": tokenizer.pad_token_id or 0}


@dataclass(frozen=True)
class WindowConfig:
    max_length: int = 256  # tokens per window, prefix and special tokens included
    stride: int = 64  # tokens shared by consecutive windows
    max_windows: int | None = None  # cap per paragraph (None: cover the whole paragraph)

    def __post_init__(self) -> None:
        if self.max_length < 16:
            raise ValueError("max_length: at least 16 tokens")
        if not 0 <= self.stride < self.max_length // 2:
            raise ValueError("stride: between 0 and half of max_length")
        if self.max_windows is not None and self.max_windows < 1:
            raise ValueError("max_windows: at least 1, or null for no cap")


class WindowEncoder:
    """Tokenises texts into windows of token ids for one tokenizer, prefix and `WindowConfig`."""

    def __init__(self, tokenizer, prefix: str, config: WindowConfig) -> None:
        self.tokenizer, self.config = tokenizer, config
        self.prefix_ids = tokenizer(prefix, add_special_tokens=False)["input_ids"] if prefix else []
        specials = special_ids(tokenizer)
        self.first, self.last, self.pad_id = [specials["first"]], [specials["last"]], specials["pad"]
        self.body = config.max_length - len(self.prefix_ids) - 2
        if self.body < 8:
            raise ValueError(f"max_length {config.max_length} leaves no room after the prefix {prefix!r}")

    def encode(self, texts: list[str]) -> list[list[list[int]]]:
        """Per text, its windows (lists of token ids); an empty text gets one empty window."""
        ids = self.tokenizer(texts, add_special_tokens=False)["input_ids"] if texts else []
        return [self._windows(tokens) for tokens in ids]

    def _windows(self, tokens: list[int]) -> list[list[int]]:
        c = self.config
        return window_ids(tokens, self.first, self.prefix_ids, self.last, self.body, c.stride, c.max_windows)

    def collate(self, paragraphs: list[list[list[int]]]) -> dict[str, torch.Tensor]:
        """Pad the windows of several paragraphs into one batch, with each window's paragraph."""
        input_ids, attention, owner = pad_windows(paragraphs, self.pad_id)
        return {"input_ids": torch.from_numpy(input_ids), "attention_mask": torch.from_numpy(attention),
                "paragraph_of": torch.from_numpy(owner)}
