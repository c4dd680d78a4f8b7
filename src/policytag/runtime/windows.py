"""Window framing: token ids → the windows a model reads, and windows → padded arrays.

A paragraph longer than `max_length` tokens becomes overlapping windows, each opened
by the encoder's first special token and prefix and closed by its last special token.
Training (`WindowEncoder`), every predict backend, the ONNX path and the standalone
`predictor.py` frame windows with this one `WindowFraming`, so all see paragraphs alike.

With a `ContextConfig`, a paragraph's heading path (top level to nearest) is the first
segment of every window and the paragraph the second, BERT-style:
`[CLS] prefix path [SEP] text [SEP]`; an empty path gives the context-free window.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
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


@dataclass(frozen=True)
class ContextConfig:
    """The heading path as a first segment: its token budget and, in training, the shares of
    paragraphs that get no path or only the nearest heading (chosen by a hash of their id)."""

    enabled: bool = True  # false: the context-free model (paths are ignored everywhere)
    max_path_tokens: int = 48  # the nearest heading is kept first, top-level headings dropped first
    drop_share: float = 0.3  # training paragraphs given no path
    nearest_share: float = 0.15  # training paragraphs given only the nearest heading

    def __post_init__(self) -> None:
        if self.max_path_tokens < 1:
            raise ValueError("max_path_tokens: at least 1")
        if not (
            0 <= self.drop_share and 0 <= self.nearest_share and self.drop_share + self.nearest_share <= 1
        ):
            raise ValueError("drop_share and nearest_share: each 0 or more, together at most 1")

    def training_path(self, path: Sequence[str], key: str) -> list[str]:
        """The path a training paragraph is given: none, the nearest heading only or all of it,
        chosen by a stable hash of `key` (the paragraph id), the same in every run and epoch."""
        share = int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big") / 2**64
        if share < self.drop_share:
            return []
        if share < self.drop_share + self.nearest_share:
            return list(path[-1:])
        return list(path)


def heading_path(section: Sequence[str] | str | None, text: str = "") -> list[str]:
    """A paragraph's headings, top level first, as given (a list, one string or None), without
    empty ones and without a last heading that opens `text` (a title run into the paragraph
    stays in the text and is not fed twice)."""
    if section is None:
        return []
    path = [section] if isinstance(section, str) else list(section)
    path = [str(h).strip() for h in path if h and str(h).strip()]
    if path and text and text.startswith(path[-1]):
        path = path[:-1]
    return path


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
    context: ContextConfig | None = None  # None or not enabled: heading paths are ignored

    def __post_init__(self) -> None:
        room = self.path_budget + 1 if self.path_budget else 0
        if self.body - room < 8 or self.body - room <= self.config.stride:
            raise ValueError(
                f"max_length {self.config.max_length} leaves no room after a prefix of "
                f"{len(self.prefix)} tokens and a heading path of {self.path_budget} (context.max_path_tokens) "
                f"with a stride of {self.config.stride}; lower max_path_tokens or stride"
            )

    @property
    def body(self) -> int:
        """Paragraph tokens per window without a path."""
        return self.config.max_length - len(self.prefix) - 2

    @property
    def path_budget(self) -> int:
        """Tokens a heading path may take (0: context off)."""
        return self.context.max_path_tokens if self.context and self.context.enabled else 0

    def path_ids(self, headings: Sequence[Sequence[int]]) -> list[int]:
        """The tokenised headings (top first) within the budget: the nearest kept first, top-level
        headings dropped first, and a nearest heading longer than the budget cut at its end."""
        kept: list[int] = []
        for heading in reversed(headings):
            if len(kept) + len(heading) > self.path_budget:
                if not kept:
                    kept = list(heading[: self.path_budget])
                break
            kept = list(heading) + kept
        return kept

    @property
    def pad_id(self) -> int:
        return self.specials["pad"]

    def frame(self, tokens: list[int], headings: Sequence[Sequence[int]] = ()) -> list[list[int]]:
        """Overlapping windows of the paragraph's tokens sharing `stride` (an empty paragraph: one
        window), each opened by the heading path segment when there is one and context is on."""
        first, last = [self.specials["first"]], [self.specials["last"]]
        path = self.path_ids(headings) if self.path_budget else []
        opening = first + list(self.prefix) + (path + last if path else [])
        body = self.body - (len(path) + 1 if path else 0)
        step, stride = body - self.config.stride, self.config.stride
        starts = list(range(0, max(len(tokens) - stride, 1), step))
        if self.config.max_windows is not None:
            starts = starts[: self.config.max_windows]
        return [opening + tokens[s : s + body] + last for s in starts]

    def frame_all(
        self, ids: list[list[int]], paths: Sequence[Sequence[Sequence[int]]] | None = None
    ) -> list[list[list[int]]]:
        """`frame` for each paragraph, with its tokenised headings where `paths` is given."""
        return [self.frame(tokens, paths[i] if paths else ()) for i, tokens in enumerate(ids)]


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
