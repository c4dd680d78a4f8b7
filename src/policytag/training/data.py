"""Training data: labelled JSONL → token windows and label ids, batched by length.

Labels missing on one axis become -100, so that paragraph still trains the other
head. A teacher-tagged row (`policytag distill`) carries soft targets instead: per axis a
mapping of labels to the teacher's probabilities (`soft_role`, `soft_domain`). Batches group paragraphs of similar length (little padding is computed) and
are shuffled with the seed and the epoch, so a resumed run sees the same batches.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

import torch

from policytag.config import ConfigError
from policytag.data.writer import TAXONOMY
from policytag.io.jsonl import row_path
from policytag.labels.schema import LabelSchema
from policytag.modeling.windows import WindowEncoder
from policytag.runtime.normalize import normalize

IGNORE = -100


def dataset_schema(dataset: Path) -> LabelSchema:
    """The taxonomy the dataset was labelled with (it travels with the dataset, the run and the export)."""
    if not (dataset / TAXONOMY).is_file():
        raise ConfigError(
            f"{dataset}: no {TAXONOMY} in the dataset (prepared by an older policytag?); "
            "run `policytag prepare` again"
        )
    return LabelSchema.load(dataset / TAXONOMY)


@dataclass
class EncodedSet:
    """Paragraphs ready for the model: windows, label ids (-100 where unlabelled), report ids."""

    windows: list[list[list[int]]]
    role: list[int]
    domain: list[int]
    doc_ids: list[str]
    rows: list[dict]
    domain_alt: list[int] = field(default_factory=list)  # the acceptable second domain (-100: none)
    soft: dict[str, list[list[float] | None]] = field(default_factory=dict)  # axis → per row, or None

    def __len__(self) -> int:
        return len(self.windows)

    def lengths(self) -> list[int]:
        return [sum(len(w) for w in p) for p in self.windows]


def encode_rows(
    rows: list[dict],
    encoder: WindowEncoder,
    role_labels: list[str],
    domain_labels: list[str],
    training: bool = False,
) -> EncodedSet:
    """Normalise and tokenise rows, each with its heading path when the encoder reads context (in
    training, the share of paths dropped or cut to the nearest heading that the context recipe
    says, chosen by row id); unknown labels raise with the row id."""
    role_index = {label: i for i, label in enumerate(role_labels)}
    domain_index = {label: i for i, label in enumerate(domain_labels)}

    def label_id(index: dict[str, int], label: str | None, row: dict, axis: str) -> int:
        if not label:
            return IGNORE
        if label not in index:
            raise ValueError(f"row {row.get('id')}: unknown {axis} label {label!r}")
        return index[label]

    def soft_target(index: dict[str, int], row: dict, axis: str) -> list[float] | None:
        given = row.get(f"soft_{axis}")
        if given is None:
            return None
        if not isinstance(given, dict) or not given or set(given) - set(index):
            raise ValueError(
                f"row {row.get('id')}: soft_{axis} must map labels of the taxonomy to probabilities, "
                f"got {str(given)[:80]}"
            )
        target = [0.0] * len(index)
        for label, p in given.items():
            target[index[label]] = float(p)
        total = sum(target)
        if not total > 0:
            raise ValueError(f"row {row.get('id')}: soft_{axis} sums to {total}")
        return [t / total for t in target]

    texts = [normalize(r["text"]) for r in rows]
    paths = None
    if encoder.framing.path_budget:
        paths = [row_path(r, t) for r, t in zip(rows, texts)]
        if training:
            context = encoder.framing.context
            paths = [
                context.training_path(p, str(r.get("id", i))) for i, (r, p) in enumerate(zip(rows, paths))
            ]
    return EncodedSet(
        windows=encoder.encode(texts, paths),
        role=[label_id(role_index, r.get("role"), r, "role") for r in rows],
        domain=[label_id(domain_index, r.get("domain"), r, "domain") for r in rows],
        doc_ids=[str(r.get("doc_id", r.get("id", i))) for i, r in enumerate(rows)],
        rows=rows,
        domain_alt=[label_id(domain_index, r.get("domain_alt"), r, "domain_alt") for r in rows],
        soft={
            axis: [soft_target(index, r, axis) for r in rows]
            for axis, index in (("role", role_index), ("domain", domain_index))
            if any(r.get(f"soft_{axis}") is not None for r in rows)
        },
    )


def class_weights(labels: list[int], n_classes: int, mode: str, max_weight: float) -> torch.Tensor | None:
    """Per-class loss weights from label counts: `balanced` n/(k·n_c), `sqrt` its square root."""
    if mode == "none":
        return None
    counts = torch.bincount(
        torch.tensor([y for y in labels if y != IGNORE], dtype=torch.long), minlength=n_classes
    )
    present = counts > 0
    weights = torch.ones(n_classes)
    weights[present] = counts.sum() / (present.sum() * counts[present].float())
    if mode == "sqrt":
        weights = weights.sqrt()
    return weights.clamp(max=max_weight)


def length_batches(lengths: list[int], batch_size: int, seed: int, epoch: int) -> list[list[int]]:
    """Batches of indices of similar length, in a seeded random order that depends on the epoch."""
    rng = random.Random(seed * 100_003 + epoch)
    order = list(range(len(lengths)))
    rng.shuffle(order)
    pool = batch_size * 50  # sort within pools of 50 batches: similar lengths, still shuffled
    batches = []
    for start in range(0, len(order), pool):
        chunk = sorted(order[start : start + pool], key=lambda i: lengths[i])
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    rng.shuffle(batches)
    return batches


def collate(encoded: EncodedSet, indices: list[int], encoder: WindowEncoder) -> dict[str, torch.Tensor]:
    return {**encoder.collate([encoded.windows[i] for i in indices]), **labels(encoded, indices)}


def labels(encoded: EncodedSet, indices: list[int]) -> dict[str, torch.Tensor]:
    """The batch's label ids per axis, and each row's second domain (-100 where unlabelled or none);
    where the set has soft targets, `role_soft` / `domain_soft` (a row of zeros where a row has none)."""
    batch = {
        "role": torch.tensor([encoded.role[i] for i in indices]),
        "domain": torch.tensor([encoded.domain[i] for i in indices]),
        "domain_alt": torch.tensor([encoded.domain_alt[i] for i in indices]),
    }
    for axis, targets in encoded.soft.items():
        width = len(next(t for t in targets if t is not None))
        batch[f"{axis}_soft"] = torch.tensor([targets[i] or [0.0] * width for i in indices])
    return batch
