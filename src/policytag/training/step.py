"""One optimisation step, and the batches it is fed.

Speed features live here, in the training path itself: batches of similar length
(`length_batches`), the frozen layers' cached outputs (`frozen.py`), bf16 autocast
and fused AdamW on a GPU, and `torch.compile` of the encoder where it pays (GPU).
"""

from __future__ import annotations

import random

import torch
from torch import nn

from policytag.modeling.windows import WindowEncoder
from policytag.training.data import IGNORE, EncodedSet, collate, labels, length_batches
from policytag.training.frozen import FrozenStates


def epoch_batches(
    lengths: list[int], batch_size: int, seed: int, epoch: int, by_length: bool
) -> list[list[int]]:
    """The epoch's batches: of similar length (`length_batches`), or plainly shuffled."""
    if by_length:
        return length_batches(lengths, batch_size, seed, epoch)
    order = list(range(len(lengths)))
    random.Random(seed * 100_003 + epoch).shuffle(order)
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


def reached_rows(
    lengths: list[int], batch_size: int, seed: int, by_length: bool, batches: int
) -> list[int] | None:
    """The paragraphs that the first `batches` batches read (None: all, the budget spans an epoch)."""
    first = epoch_batches(lengths, batch_size, seed, 0, by_length)
    if batches >= len(first):
        return None
    return sorted(i for batch in first[:batches] for i in batch)


def make_batch(
    train_set: EncodedSet, indices: list[int], windows: WindowEncoder, frozen: FrozenStates | None
) -> dict[str, torch.Tensor]:
    """Token ids (or the frozen layers' cached states) and both axes' labels."""
    if frozen is None:
        return collate(train_set, indices, windows)
    return {**frozen.collate(indices), **labels(train_set, indices)}


class Stepper:
    """Forward (autocast), masked losses of both heads, backward, clipping, optimizer and schedule."""

    def __init__(
        self,
        trained: nn.Module,
        model: nn.Module,
        optimizer,
        schedule,
        losses: dict[str, nn.Module],
        grad_clip: float,
        device: torch.device,
        frozen: FrozenStates | None,
    ) -> None:
        self.trained, self.model, self.optimizer, self.schedule = trained, model, optimizer, schedule
        self.losses, self.grad_clip, self.device = losses, grad_clip, device
        self.from_layer = frozen.layers if frozen is not None else 0
        self.autocast = torch.autocast("cuda", dtype=torch.bfloat16, enabled=device.type == "cuda")

    def __call__(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        batch = {k: v.to(self.device, non_blocking=True) for k, v in batch.items()}
        with self.autocast:
            role_logits, domain_logits = self.trained(
                batch.get("input_ids"),
                batch["attention_mask"],
                batch["paragraph_of"],
                batch.get("lower"),
                self.from_layer,
            )
        loss = _masked(self.losses["role"], role_logits, batch["role"]) + _masked(
            self.losses["domain"], domain_logits, batch["domain"], batch["domain_alt"]
        )
        for axis, logits in (("role", role_logits), ("domain", domain_logits)):
            if f"{axis}_soft" in batch:
                loss = loss + soft_loss(logits, batch[f"{axis}_soft"])
        loss.backward()
        nn.utils.clip_grad_norm_(self.model.parameters(), self.grad_clip)
        self.optimizer.step()
        self.schedule.step()
        self.optimizer.zero_grad(set_to_none=True)
        return loss.detach()


class TrainingDiverged(ValueError):
    """The loss stopped being a finite number: the run cannot recover and must stop."""


def check_finite(loss: torch.Tensor, step: int) -> None:
    """Raise `TrainingDiverged` when `loss` is NaN or infinite (stops the run before it saves)."""
    if not bool(torch.isfinite(loss)):
        raise TrainingDiverged(
            f"step {step}: the training loss is not finite ({loss.item()}); training stopped and no model "
            "from this step was kept. Lower optim.lr / optim.head_lr (or optim.grad_clip) and train again"
        )


class AlternativeLoss(nn.Module):
    """Cross-entropy against a soft target where a row has an acceptable second domain
    (`domain_alt`): `1 − share` on its label and `share` on the alternative; a plain one-hot
    target elsewhere. Class weights as in `nn.CrossEntropyLoss`, averaged over the rows."""

    def __init__(self, weight: torch.Tensor | None, share: float) -> None:
        super().__init__()
        self.register_buffer("weight", weight)
        self.share = share

    def forward(self, logits: torch.Tensor, labels: torch.Tensor, alt: torch.Tensor) -> torch.Tensor:
        keep = labels != IGNORE
        logits, labels, alt = logits[keep], labels[keep], alt[keep]
        n = logits.shape[-1]
        target = nn.functional.one_hot(labels, n).float()
        second = nn.functional.one_hot(alt.clamp(min=0), n).float()
        target = torch.where(
            (alt != IGNORE)[:, None], (1 - self.share) * target + self.share * second, target
        )
        return nn.functional.cross_entropy(logits, target, weight=self.weight)


def soft_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Cross-entropy against a teacher's probabilities, averaged over the rows that have them
    (a row of zeros has none); zero when no row of the batch has them."""
    keep = target.sum(-1) > 0
    if not bool(keep.any()):
        return logits.sum() * 0.0
    log_p = torch.log_softmax(logits[keep].float(), dim=-1)
    return -(target[keep] * log_p).sum(-1).mean()


def _masked(
    loss_fn: nn.Module, logits: torch.Tensor, labels: torch.Tensor, alt: torch.Tensor | None = None
) -> torch.Tensor:
    """The axis's loss (with the second domains where the loss reads them), or zero when no
    paragraph of the batch is labelled on the axis."""
    if not bool((labels != IGNORE).any()):
        return logits.sum() * 0.0
    if isinstance(loss_fn, AlternativeLoss):
        return loss_fn(logits.float(), labels, alt)
    return loss_fn(logits.float(), labels)


def maybe_compile(model: nn.Module, setting: str, device: torch.device) -> None:
    """`torch.compile` the encoder in place (state-dict keys unchanged): on a GPU with
    `auto`, always with `on`. On a CPU the compile time outweighs the gain for short runs."""
    if setting == "on" or (setting == "auto" and device.type == "cuda"):
        model.encoder.compile(dynamic=True)
