"""Window framing: token ids → the windows a model reads, and windows → padded arrays.

A paragraph longer than `max_length` tokens becomes overlapping windows, each opened
by the encoder's first special token and prefix and closed by its last special token.
Training (`WindowEncoder`), every predict backend, the ONNX path and the standalone
`predictor.py` frame windows with this one `WindowFraming`, so all see paragraphs alike.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


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


def special_ids(tokenizer) -> dict[str, int]:
    """The ids that open, close and pad a window (CLS/SEP or BOS/EOS, as the tokenizer has them)."""
    first = tokenizer.cls_token_id if tokenizer.cls_token_id is not None else tokenizer.bos_token_id
    last = tokenizer.sep_token_id if tokenizer.sep_token_id is not None else tokenizer.eos_token_id
    return {"first": first, "last": last, "pad": tokenizer.pad_token_id or 0}


@dataclass(frozen=True)
class WindowFraming:
    """Frames one tokenizer's ids (without special tokens) into windows of a `WindowConfig`."""

    specials: dict[str, int]  # `first`, `last` and `pad`, as `special_ids` gives them
    prefix: tuple[int, ...]  # the encoder's text prefix (`query: `), tokenised
    config: WindowConfig

    def __post_init__(self) -> None:
        if self.body < 8:
            raise ValueError(f"max_length {self.config.max_length} leaves no room after a prefix of "
                             f"{len(self.prefix)} tokens")

    @property
    def body(self) -> int:
        """Paragraph tokens per window."""
        return self.config.max_length - len(self.prefix) - 2

    @property
    def pad_id(self) -> int:
        return self.specials["pad"]

    def frame(self, tokens: list[int]) -> list[list[int]]:
        """Overlapping windows of `body` tokens sharing `stride` (an empty paragraph: one window)."""
        step, stride = self.body - self.config.stride, self.config.stride
        starts = list(range(0, max(len(tokens) - stride, 1), step))
        if self.config.max_windows is not None:
            starts = starts[: self.config.max_windows]
        first, last, prefix = [self.specials["first"]], [self.specials["last"]], list(self.prefix)
        return [first + prefix + tokens[s : s + self.body] + last for s in starts]

    def frame_all(self, ids: list[list[int]]) -> list[list[list[int]]]:
        return [self.frame(tokens) for tokens in ids]


def pad_windows(paragraphs: list[list[list[int]]], pad_id: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`(input_ids, attention_mask, paragraph_of)` for the windows of several paragraphs."""
    windows = [w for p in paragraphs for w in p]
    owner = np.array([i for i, p in enumerate(paragraphs) for _ in p], dtype=np.int64)
    width = max(len(w) for w in windows)
    input_ids = np.full((len(windows), width), pad_id, dtype=np.int64)
    attention = np.zeros((len(windows), width), dtype=np.int64)
    for row, window in enumerate(windows):
        input_ids[row, : len(window)] = window
        attention[row, : len(window)] = 1
    return input_ids, attention, owner
