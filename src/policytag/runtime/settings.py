"""`policytag.json`: what a saved model needs to read text and decode its outputs, typed.

A run's best model writes the model part (labels, special ids, windows, prefix,
normalisation, backbone, label names); an export adds calibration, its backends' parity,
the int8 and ONNX details and where it was trained. One frozen dataclass, one loader
(`load_settings`, through the strict config loader): unknown keys and wrong types are
refused naming the file, and a `format` newer than this code's is refused.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from policytag.runtime.typed import load_json, to_dict
from policytag.runtime.windows import ContextConfig, WindowConfig

SETTINGS_FILE = "policytag.json"
SETTINGS_FORMAT = 1  # raise when a field changes meaning; files without `format` are format 1
NORMALIZATION = "policytag.runtime.normalize v1"  # the normalisation's name and version, as trained


@dataclass(frozen=True)
class Calibration:
    """Temperatures per head (fitted on the dev gold) and the `uncertain` thresholds."""

    role_temperature: float = 1.0
    domain_temperature: float = 1.0
    role_threshold: float = 0.0  # a paragraph is uncertain when a top score is below its threshold
    domain_threshold: float = 0.0
    # how the thresholds were chosen (recorded by `export`)
    dev_flagged_share: float | None = None
    target_accuracy: float | None = None
    dev_paragraphs: int | None = None


@dataclass(frozen=True)
class LabelMaps:
    """Label ids per head, in class-id order; also readable by axis: `labels["domain"]`."""

    role: list[str]
    domain: list[str]

    def __getitem__(self, axis: str) -> list[str]:
        if axis not in ("role", "domain"):
            raise KeyError(f"unknown axis {axis!r}; axes are role, domain")
        return getattr(self, axis)


@dataclass(frozen=True)
class TrainingRecord:
    """Where an export comes from."""

    run: str  # the run folder, as given to `export`
    train: str | None = None  # the training split (absolute path at export time)
    recipe: dict[str, Any] = field(default_factory=dict)  # the run's resolved recipe
    baseline_rows: str | None = None  # file in the export: the baseline's training rows
    selection_reports: tuple[str, ...] = ()  # reports of the rows calibration and fusion were chosen on


@dataclass(frozen=True)
class ExportSettings:
    labels: LabelMaps
    special_ids: dict[str, int]  # `first`, `last`, `pad`
    windows: WindowConfig
    prefix: str = ""
    normalization: str = NORMALIZATION
    backbone: dict[str, Any] = field(default_factory=dict)
    label_names: dict[str, str] = field(default_factory=dict)  # id → Chinese name
    context: ContextConfig | None = None  # the heading path segment (None: a context-free model)
    # written by `export`
    calibration: Calibration | None = None
    onnx: dict[str, Any] | None = None
    int8: dict[str, Any] | None = None
    backends: dict[str, dict[str, float]] = field(default_factory=dict)
    parity_paragraphs: int | None = None
    fusion: dict[str, float] = field(default_factory=dict)  # axis → weight of the export's n-gram model
    training: TrainingRecord | None = None
    policytag_version: str | None = None
    format: int = SETTINGS_FORMAT

    def __post_init__(self) -> None:
        if self.format > SETTINGS_FORMAT:
            raise ValueError(
                f"format {self.format}: written by a newer policytag (this one reads up to "
                f"{SETTINGS_FORMAT}); upgrade policytag"
            )
        missing = [k for k in ("first", "last", "pad") if k not in self.special_ids]
        if missing:
            raise ValueError(f"special_ids: {missing[0]!r} is missing")

    def write(self, folder: Path) -> None:
        (folder / SETTINGS_FILE).write_text(
            json.dumps(to_dict(self), ensure_ascii=False, indent=2), encoding="utf-8"
        )


def load_settings(folder: Path) -> ExportSettings:
    """The settings of a saved model or export folder; `ConfigError` naming the file when
    it is missing, not JSON, or does not fit `ExportSettings`."""
    return load_json(
        ExportSettings, Path(folder) / SETTINGS_FILE, "no such file; not a saved model or export folder"
    )
