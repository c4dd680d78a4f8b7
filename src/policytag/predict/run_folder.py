"""A training run folder's marker, `run.json`: what makes a folder a run, typed.

`train` writes it when it creates a run; `Predictor.open` recognises a run by it (and
refuses a folder that has neither it nor an export's manifest); `evaluate` finds the
run's training split in it (an absolute path, so it is found from any directory).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from policytag.io.outputs import RUN_MARKER
from policytag.runtime.checksum import sha256
from policytag.runtime.manifest import MANIFEST
from policytag.runtime.typed import load_json, to_dict

RUN_FORMAT = 1


@dataclass(frozen=True)
class RunRecord:
    created: str  # UTC, ISO 8601
    train: str  # the training split (absolute)
    dataset: str  # the dataset folder (absolute)
    dev: str | None = None  # the dev gold used for model selection (absolute)
    selection: tuple[str, ...] = ()  # more labelled files pooled with it for selection (absolute)
    taxonomy: str | None = None  # the taxonomy copied into the run folder
    format: int = RUN_FORMAT

    def selection_files(self) -> list[Path]:
        return [Path(p) for p in (self.dev, *self.selection) if p]

    def __post_init__(self) -> None:
        if self.format > RUN_FORMAT:
            raise ValueError(f"format {self.format}: written by a newer policytag; upgrade policytag")


def is_run(folder: Path) -> bool:
    return (Path(folder) / RUN_MARKER).is_file()


def write_run_record(run: Path, train: Path, pool: list[Path], taxonomy: str | None) -> RunRecord:
    """`pool`: the selection files, the dev gold first (empty: no selection)."""
    train = Path(train).resolve()
    files = [str(Path(p).resolve()) for p in pool]
    record = RunRecord(
        datetime.now(timezone.utc).isoformat(timespec="seconds"),
        str(train),
        str(train.parent.parent),
        files[0] if files else None,
        tuple(files[1:]),
        taxonomy,
    )
    (Path(run) / RUN_MARKER).write_text(
        json.dumps(to_dict(record), ensure_ascii=False, indent=2), encoding="utf-8"
    )
    return record


def load_run_record(run: Path) -> RunRecord:
    """The marker of run folder `run`; `ConfigError` naming the file when it is missing or broken."""
    return load_json(
        RunRecord, Path(run) / RUN_MARKER, "not a training run; give a folder `policytag train` wrote"
    )


def model_folder(model: Path) -> Path:
    """The folder holding a model's files: an export itself, or a run's `best/`."""
    model = Path(model)
    return model / "best" if is_run(model) and not (model / MANIFEST).is_file() else model


def manifest_hash(model: Path) -> str:
    """The SHA-256 of a model's manifest: what tag parts and evaluations record of the model."""
    return sha256(model_folder(model) / MANIFEST)
