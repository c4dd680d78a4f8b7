"""Frozen lower layers, computed once: their outputs for every training window, cached.

With the embeddings and the lowest k layers frozen, a window's states after layer k
never change during training; recomputing them every step is wasted work (on 2 CPU
cores, half of the forward pass of the default recipe). They are computed once, in
eval mode (so without dropout in the frozen layers), and each step runs only the
layers above. A step budget shorter than an epoch reads only some paragraphs: only
theirs are computed.
"""

from __future__ import annotations

import torch
from tqdm import tqdm

from policytag.modeling.classifier import TwoHeadClassifier
from policytag.modeling.windows import WindowEncoder
from policytag.training.data import EncodedSet


class FrozenStates:
    """Per training paragraph, the states of its windows after the frozen layers (CPU, unpadded)."""

    def __init__(self, states: list[list[torch.Tensor]], layers: int) -> None:
        self.states, self.layers = states, layers

    @classmethod
    @torch.no_grad()
    def compute(
        cls,
        model: TwoHeadClassifier,
        encoded: EncodedSet,
        windows: WindowEncoder,
        layers: int,
        device: torch.device,
        batch_size: int = 32,
        only: list[int] | None = None,
    ) -> FrozenStates:
        """The states of every paragraph's windows, or of the paragraphs `only` names."""
        was_training = model.training
        model.eval()
        reached = range(len(encoded)) if only is None else only
        order = sorted(reached, key=encoded.lengths().__getitem__)
        states: list[list[torch.Tensor] | None] = [None] * len(encoded)
        for start in tqdm(
            range(0, len(order), batch_size), desc="frozen layers, once", unit="batch", leave=False
        ):
            chunk = order[start : start + batch_size]
            batch = windows.collate([encoded.windows[i] for i in chunk])
            mask = batch["attention_mask"]
            lower = model.lower_states(batch["input_ids"].to(device), mask.to(device), layers).float().cpu()
            lengths = mask.sum(1).tolist()
            owner = batch["paragraph_of"].tolist()
            for row, (paragraph, length) in enumerate(zip(owner, lengths)):
                index = chunk[paragraph]
                states[index] = (states[index] or []) + [lower[row, :length].clone()]
        model.train(was_training)
        return cls(states, layers)

    def collate(self, indices: list[int]) -> dict[str, torch.Tensor]:
        """The cached states of these paragraphs' windows, padded, with masks and owners."""
        windows = [w for i in indices for w in self.states[i]]
        owner = [k for k, i in enumerate(indices) for _ in self.states[i]]
        width = max(len(w) for w in windows)
        lower = windows[0].new_zeros((len(windows), width, windows[0].shape[-1]))
        mask = torch.zeros((len(windows), width), dtype=torch.long)
        for row, window in enumerate(windows):
            lower[row, : len(window)] = window
            mask[row, : len(window)] = 1
        return {"lower": lower, "attention_mask": mask, "paragraph_of": torch.tensor(owner)}
