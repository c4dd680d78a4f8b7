"""Training recipes (`configs/train/*.yaml`) as typed, frozen config objects.

A recipe may start with `base: other.yaml` and then state only what differs; the
base is merged key by key (nested sections too) before validation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from policytag.config import ConfigError, apply_overrides, from_dict, read_yaml
from policytag.io.run_folder import RUN_CONFIG, has_checkpoint, load_run_recipe
from policytag.modeling.backbone import BackboneConfig
from policytag.runtime.windows import ContextConfig, WindowConfig


@dataclass(frozen=True)
class DataConfig:
    dataset: Path = Path("data/processed/sample")  # a `policytag prepare` output folder
    train_split: str = "train"
    dev: Path | None = Path("data/gold/dev.jsonl")  # gold paragraphs for model selection
    selection: tuple[Path, ...] = ()  # more held-out labelled files pooled with `dev` for selection
    max_train: int | None = None  # cap on training paragraphs (seeded sample), for quick runs
    soft: tuple[Path, ...] = ()  # teacher-tagged rows (`soft_role`, `soft_domain`), trained with the split
    vocabulary: Path | None = Path("data/e5-corpus-pieces.txt")  # pieces kept when trimming

    def train_file(self) -> Path:
        """The training split's JSONL; `FileNotFoundError` saying what to run when it is missing."""
        path = self.dataset / "splits" / f"{self.train_split}.jsonl"
        if not path.is_file():
            raise FileNotFoundError(
                f"{path}: no training split; run `policytag prepare` first (data.dataset)"
            )
        if self.dev is not None and not self.dev.is_file():
            raise FileNotFoundError(
                f"{self.dev}: no such dev gold file (data.dev); give one or set data.dev=null"
            )
        for extra in self.selection:
            if not extra.is_file():
                raise FileNotFoundError(f"{extra}: no such labelled file (data.selection)")
        for extra in self.soft:
            if not extra.is_file():
                raise FileNotFoundError(f"{extra}: no such teacher-tagged file (data.soft)")
        if self.selection and self.dev is None:
            raise FileNotFoundError("data.selection needs data.dev: the pool starts with the dev gold")
        return path

    def selection_files(self) -> list[Path]:
        """The selection pool: the dev gold and the files pooled with it (empty without dev)."""
        return [self.dev, *self.selection] if self.dev is not None else []


@dataclass(frozen=True)
class OptimConfig:
    lr: float = 5e-5
    head_lr: float = 1e-3
    weight_decay: float = 0.01
    warmup_ratio: float = 0.06
    batch_size: int = 16
    epochs: int = 2
    max_steps: int | None = None
    grad_clip: float = 1.0
    freeze_embeddings: bool = True  # the word embeddings stay as pretrained: faster steps, less drift
    freeze_layers: int = 0  # the lowest N encoder layers (and all embeddings) stay as pretrained

    def __post_init__(self) -> None:
        numbers = {
            "lr": self.lr,
            "head_lr": self.head_lr,
            "weight_decay": self.weight_decay,
            "warmup_ratio": self.warmup_ratio,
            "grad_clip": self.grad_clip,
        }
        for name, value in numbers.items():
            if not math.isfinite(value):
                raise ValueError(f"{name} is {value}; it must be a finite number")
        if self.lr <= 0 or self.head_lr <= 0:
            raise ValueError("lr and head_lr must be positive")
        if self.batch_size < 1 or self.epochs < 1:
            raise ValueError("batch_size and epochs must be at least 1")
        if self.freeze_layers < 0:
            raise ValueError("freeze_layers: 0 or more")


@dataclass(frozen=True)
class LossConfig:
    class_weighting: Literal["none", "sqrt", "balanced"] = "sqrt"
    max_weight: float = 5.0
    alt_share: float = 0.0  # of a domain target given to the row's acceptable second domain (`domain_alt`)

    def __post_init__(self) -> None:
        if not 0 <= self.alt_share < 0.5:
            raise ValueError(
                f"alt_share: {self.alt_share} is not in [0, 0.5): the label must keep the larger share"
            )


@dataclass(frozen=True)
class SpeedConfig:
    """Speed features of the training path (each can be switched off to compare)."""

    length_buckets: bool = True  # batches of paragraphs of similar length: little padding computed
    cache_frozen: bool = True  # run the frozen lowest layers once per window, not once per step
    compile: Literal["auto", "on", "off"] = "auto"  # torch.compile the encoder (auto: on a GPU)


@dataclass(frozen=True)
class EvalConfig:
    every_steps: int = 100
    patience: int = 3  # evaluations without improvement before stopping
    batch_size: int = 32  # dev batches hold about this many full-length windows (sorted by length)


@dataclass(frozen=True)
class TrainConfig:
    backbone: BackboneConfig = field(default_factory=BackboneConfig)
    windows: WindowConfig = field(default_factory=WindowConfig)  # while training
    predict_windows: WindowConfig = field(default_factory=lambda: WindowConfig(max_length=256, stride=64))
    context: ContextConfig = field(default_factory=ContextConfig)  # heading paths as a first segment
    data: DataConfig = field(default_factory=DataConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    speed: SpeedConfig = field(default_factory=SpeedConfig)
    dropout: float = 0.1
    seed: int = 13
    checkpoint_every: int = 50
    device: Literal["auto", "cpu", "cuda"] = "auto"
    threads: int | None = None  # CPU threads; default: all cores
    report_to: tuple[str, ...] = ()  # also write the curves elsewhere: `tensorboard`


def read_recipe(path: Path) -> dict[str, Any]:
    """The recipe's mapping with its `base:` chain merged in (the child wins)."""
    data = read_yaml(path)
    base = data.pop("base", None)
    if base is None:
        return data
    base_path = (path.parent / base).resolve()
    if base_path == path.resolve():
        raise ConfigError(f"{path}: base refers to itself")
    return _merge(read_recipe(base_path), data)


def load_train_config(path: Path, overrides: list[str] | None = None) -> TrainConfig:
    """Load a training recipe with its base and `key.sub=value` overrides, validated."""
    return from_dict(TrainConfig, apply_overrides(read_recipe(path), overrides or []), source=str(path))


def load_resumable_config(run: Path) -> TrainConfig:
    """The resolved recipe a run folder saved (for `--resume`); `ConfigError` naming the
    folder when it is not a run `policytag train` wrote or has no checkpoint yet."""
    if not (run / RUN_CONFIG).is_file():
        raise ConfigError(
            f"{run}: not a training run (no config.yaml); give the folder `policytag train --out` wrote"
        )
    config = load_run_config(run)
    if not has_checkpoint(run):
        raise ConfigError(
            f"{run}: no checkpoint yet (checkpoint/state.pt), nothing to resume; start the run anew"
        )
    return config


def _merge(base: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in child.items():
        merged[key] = (
            _merge(base[key], value) if isinstance(value, dict) and isinstance(base.get(key), dict) else value
        )
    return merged


def load_run_config(run: Path) -> TrainConfig:
    """The resolved recipe a run wrote into its folder (`config.yaml`), typed; `ConfigError`
    naming the file when it is missing or does not fit."""
    return from_dict(TrainConfig, load_run_recipe(run), source=str(Path(run) / RUN_CONFIG))
