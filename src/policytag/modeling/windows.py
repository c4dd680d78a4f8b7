"""Paragraphs → token windows, and windows → padded batches.

A paragraph longer than `max_length` tokens becomes overlapping windows (each with the
encoder's prefix and special tokens); the classifier pools them back into one vector.
Training and prediction use this same code, so they see paragraphs the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


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
        self.first = [tokenizer.cls_token_id if tokenizer.cls_token_id is not None else tokenizer.bos_token_id]
        self.last = [tokenizer.sep_token_id if tokenizer.sep_token_id is not None else tokenizer.eos_token_id]
        self.pad_id = tokenizer.pad_token_id or 0
        self.body = config.max_length - len(self.prefix_ids) - 2
        if self.body < 8:
            raise ValueError(f"max_length {config.max_length} leaves no room after the prefix {prefix!r}")

    def encode(self, texts: list[str]) -> list[list[list[int]]]:
        """Per text, its windows (lists of token ids); an empty text gets one empty window."""
        ids = self.tokenizer(texts, add_special_tokens=False)["input_ids"] if texts else []
        return [self._windows(tokens) for tokens in ids]

    def _windows(self, tokens: list[int]) -> list[list[int]]:
        step = self.body - self.config.stride
        starts = list(range(0, max(len(tokens) - self.config.stride, 1), step))
        if self.config.max_windows is not None:
            starts = starts[: self.config.max_windows]
        return [self.first + self.prefix_ids + tokens[s : s + self.body] + self.last for s in starts]

    def collate(self, paragraphs: list[list[list[int]]]) -> dict[str, torch.Tensor]:
        """Pad the windows of several paragraphs into one batch, with each window's paragraph."""
        windows = [w for p in paragraphs for w in p]
        owner = [i for i, p in enumerate(paragraphs) for _ in p]
        width = max(len(w) for w in windows)
        input_ids = torch.full((len(windows), width), self.pad_id, dtype=torch.long)
        attention = torch.zeros((len(windows), width), dtype=torch.long)
        for row, window in enumerate(windows):
            input_ids[row, : len(window)] = torch.tensor(window)
            attention[row, : len(window)] = 1
        return {"input_ids": input_ids, "attention_mask": attention, "paragraph_of": torch.tensor(owner)}
