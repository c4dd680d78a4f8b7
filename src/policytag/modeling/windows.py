"""Paragraphs → token windows for a transformers tokenizer, and windows → torch batches.

The framing itself is `policytag.runtime.windows.WindowFraming`, shared with every
predict backend and the standalone predictor; this only tokenises and makes tensors.
"""

from __future__ import annotations

import torch

from policytag.runtime.windows import ContextConfig, WindowConfig, WindowFraming, pad_windows, special_ids


class WindowEncoder:
    """Tokenises texts into windows of token ids for one tokenizer, prefix and `WindowConfig`."""

    def __init__(
        self, tokenizer, prefix: str, config: WindowConfig, context: ContextConfig | None = None
    ) -> None:
        self.tokenizer, self.config = tokenizer, config
        prefix_ids = tokenizer(prefix, add_special_tokens=False)["input_ids"] if prefix else []
        self.framing = WindowFraming(special_ids(tokenizer), tuple(prefix_ids), config, context)
        self.pad_id = self.framing.pad_id

    def encode(self, texts: list[str], paths: list[list[str]] | None = None) -> list[list[list[int]]]:
        """Per text, its windows (lists of token ids), each opened by the text's heading path
        (normalised headings, top first) where given; an empty text gets one empty window."""
        ids = self.tokenizer(texts, add_special_tokens=False)["input_ids"] if texts else []
        return self.framing.frame_all(ids, self._headings(paths) if paths else None)

    def _headings(self, paths: list[list[str]]) -> list[list[list[int]]]:
        flat = [h for path in paths for h in path]
        ids = iter(self.tokenizer(flat, add_special_tokens=False)["input_ids"] if flat else [])
        return [[next(ids) for _ in path] for path in paths]

    def collate(self, paragraphs: list[list[list[int]]]) -> dict[str, torch.Tensor]:
        """Pad the windows of several paragraphs into one batch, with each window's paragraph."""
        input_ids, attention, owner = pad_windows(paragraphs, self.pad_id)
        return {
            "input_ids": torch.from_numpy(input_ids),
            "attention_mask": torch.from_numpy(attention),
            "paragraph_of": torch.from_numpy(owner),
        }
