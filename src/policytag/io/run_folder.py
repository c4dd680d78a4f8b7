"""What a training run folder and a model folder are: their file names, how each is recognised,
and the run's marker, `run.json`, typed. Every other module spells these names through here.

A run folder (`policytag train`)::

    run.json         the marker: the training split, dataset and selection files (absolute)
    config.yaml      the resolved recipe          command.txt   the exact command
    provenance.json  git revision, library versions, data fingerprints, machine
    log.jsonl        one line per logged step and per evaluation
    best/            the best model so far: a model folder with its manifest
    checkpoint/      the latest resumable state
    metrics.json     the best model's selection-pool metrics

A model folder is an export (`manifest.json` and `policytag.json`) or a run's `best/`.
`train` writes the marker when it creates a run; `Predictor.open` recognises a run by it (and
refuses a folder that has neither it nor an export's manifest); `evaluate` finds the
run's training split in it (an absolute path, so it is found from any directory).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from policytag.config import read_yaml
from policytag.runtime.checksum import sha256
from policytag.runtime.manifest import MANIFEST
from policytag.runtime.settings import SETTINGS_FILE
from policytag.runtime.typed import load_json, to_dict

RUN_FORMAT = 1
RUN_MARKER = "run.json"  # the file that makes a folder a training run
BEST = "best"  # the run's best model, a model folder
CHECKPOINT = "checkpoint"  # the run's resumable state
CHECKPOINT_STATE = "state.pt"  # in it: model, optimizer, schedule, RNG, position
RUN_CONFIG = "config.yaml"
RUN_LOG = "log.jsonl"
RUN_METRICS = "metrics.json"
TRAIN_SAMPLE = "train-sample.jsonl"  # the rows trained on, when the split was sampled (data.max_train)


@dataclass(frozen=True)
class RunRecord:
    created: str  # UTC, ISO 8601
    train: str  # the training split (absolute)
    dataset: str  # the dataset folder (absolute)
    dev: str | None = None  # the dev gold used for model selection (absolute)
    selection: tuple[str, ...] = ()  # more labelled files pooled with it for selection (absolute)
    taxonomy: str | None = None  # the taxonomy copied into the run folder
    format: int = RUN_FORMAT
    sample: str | None = None  # the rows trained on, when `train` was sampled (absolute)
    soft: tuple[str, ...] = ()  # teacher-tagged rows trained on besides the split (absolute)

    def selection_files(self) -> list[Path]:
        return [Path(p) for p in (self.dev, *self.selection) if p]

    def trained_rows(self) -> Path:
        """The labelled rows the model learnt from: the training split, or the run's sample of it."""
        return Path(self.sample or self.train)

    def __post_init__(self) -> None:
        if self.format > RUN_FORMAT:
            raise ValueError(f"format {self.format}: written by a newer policytag; upgrade policytag")


def is_run(folder: Path) -> bool:
    return (Path(folder) / RUN_MARKER).is_file()


def has_checkpoint(run: Path) -> bool:
    """A run that can be resumed: its checkpoint state is there."""
    return (Path(run) / CHECKPOINT / CHECKPOINT_STATE).is_file()


def is_export(folder: Path) -> bool:
    folder = Path(folder)
    return (folder / MANIFEST).is_file() and (folder / SETTINGS_FILE).is_file()


def is_model_folder(path: Path) -> bool:
    """An export, a run folder with a best model, or a saved model (its settings file)."""
    path = Path(path)
    return path.is_dir() and any(
        (path / name).is_file() for name in (MANIFEST, SETTINGS_FILE, f"{BEST}/{SETTINGS_FILE}")
    )


def write_run_record(
    run: Path,
    train: Path,
    pool: list[Path],
    taxonomy: str | None,
    sample: Path | None = None,
    soft: tuple[Path, ...] = (),
) -> RunRecord:
    """`pool`: the selection files, the dev gold first (empty: no selection); `sample`: the
    rows trained on when the split was sampled; `soft`: teacher-tagged rows trained on too."""
    train = Path(train).resolve()
    files = [str(Path(p).resolve()) for p in pool]
    record = RunRecord(
        datetime.now(timezone.utc).isoformat(timespec="seconds"),
        str(train),
        str(train.parent.parent),
        files[0] if files else None,
        tuple(files[1:]),
        taxonomy,
        sample=str(Path(sample).resolve()) if sample else None,
        soft=tuple(str(Path(p).resolve()) for p in soft),
    )
    (Path(run) / RUN_MARKER).write_text(
        json.dumps(to_dict(record), ensure_ascii=False, indent=2), encoding="utf-8"
    )
    return record


def load_run_recipe(run: Path) -> dict:
    """The resolved recipe a run wrote into its folder (`config.yaml`), as written; `ConfigError`
    naming the file when it is missing or broken."""
    return read_yaml(Path(run) / RUN_CONFIG)


def load_run_record(run: Path) -> RunRecord:
    """The marker of run folder `run`; `ConfigError` naming the file when it is missing or broken."""
    return load_json(
        RunRecord, Path(run) / RUN_MARKER, "not a training run; give a folder `policytag train` wrote"
    )


def model_folder(model: Path) -> Path:
    """The folder holding a model's files: an export itself, or a run's `best/`."""
    model = Path(model)
    return model / BEST if is_run(model) and not (model / MANIFEST).is_file() else model


def manifest_hash(model: Path) -> str:
    """The SHA-256 of a model's manifest: what tag parts and evaluations record of the model."""
    return sha256(model_folder(model) / MANIFEST)
