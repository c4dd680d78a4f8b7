"""Splits by report: no report's paragraphs in two splits, stratified, seeded, with holdouts.

Paragraphs of one report share its wording, its year and its structure; splitting
paragraphs rather than reports would leak them between train and test and flatter
every figure. Reports are shuffled with the seed within each stratum (level by
default) and dealt out to the splits in proportion.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True)
class HoldoutConfig:
    """Reports whose `field` is in `values` go to split `name`, whatever the fractions say."""

    field: Literal["region", "year", "level"]
    values: list[str]
    name: str = "holdout"


@dataclass(frozen=True)
class SplitConfig:
    seed: int = 13
    fractions: dict[str, float] = field(
        default_factory=lambda: {"train": 0.8, "validation": 0.1, "test": 0.1}
    )
    stratify_by: Literal["level", "region", "year"] | None = "level"
    holdout: HoldoutConfig | None = None

    def __post_init__(self) -> None:
        if not self.fractions or any(v < 0 for v in self.fractions.values()):
            raise ValueError("fractions: give each split a fraction ≥ 0")
        if abs(sum(self.fractions.values()) - 1.0) > 1e-6:
            raise ValueError(f"fractions: must sum to 1, not {sum(self.fractions.values()):g}")
        if self.holdout and self.holdout.name in self.fractions:
            raise ValueError(f"holdout.name: {self.holdout.name!r} is also in fractions; pick another name")


def assign_splits(reports: Mapping[str, Mapping[str, object]], config: SplitConfig) -> dict[str, str]:
    """Map each report id to a split name. `reports` maps id → its metadata (level, region, year)."""
    assignment: dict[str, str] = {}
    strata: dict[object, list[str]] = defaultdict(list)
    for doc_id in sorted(reports):
        meta = reports[doc_id]
        holdout = config.holdout
        if holdout and str(meta.get(holdout.field)) in {str(v) for v in holdout.values}:
            assignment[doc_id] = holdout.name
        else:
            strata[meta.get(config.stratify_by) if config.stratify_by else None].append(doc_id)
    rng = random.Random(config.seed)
    for key in sorted(strata, key=str):
        ids = strata[key]
        rng.shuffle(ids)
        for doc_id, split in zip(ids, _deal(len(ids), config.fractions)):
            assignment[doc_id] = split
    return assignment


def _deal(n: int, fractions: Mapping[str, float]) -> Sequence[str]:
    """`n` split names in proportion to `fractions` (largest remainders get the spare ones)."""
    exact = {name: n * f for name, f in fractions.items()}
    counts = {name: int(x) for name, x in exact.items()}
    spare = n - sum(counts.values())
    for name in sorted(exact, key=lambda k: exact[k] - counts[k], reverse=True)[:spare]:
        counts[name] += 1
    return [name for name, k in counts.items() for _ in range(k)]
