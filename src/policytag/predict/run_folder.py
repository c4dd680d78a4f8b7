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
from policytag.runtime.typed import load_json, to_dict

RUN_FORMAT = 1


@dataclass(frozen=True)
class RunRecord:
    created: str  # UTC, ISO 8601
    train: str  # the training split (absolute)
    dataset: str  # the dataset folder (absolute)
    dev: str | None = None  # the dev gold used for model selection (absolute)
    taxonomy: str | None = None  # the taxonomy copied into the run folder
    format: int = RUN_FORMAT

    def __post_init__(self) -> None:
        if self.format > RUN_FORMAT:
            raise ValueError(f"format {self.format}: written by a newer policytag; upgrade policytag")


def is_run(folder: Path) -> bool:
    return (Path(folder) / RUN_MARKER).is_file()


def write_run_record(run: Path, train: Path, dev: Path | None, taxonomy: str | None) -> RunRecord:
    train = Path(train).resolve()
    record = RunRecord(
        datetime.now(timezone.utc).isoformat(timespec="seconds"),
        str(train),
        str(train.parent.parent),
        str(Path(dev).resolve()) if dev else None,
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
