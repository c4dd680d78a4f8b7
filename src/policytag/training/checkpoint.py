"""Resumable state of a run: where it is, and the model, optimizer, schedule and RNG.

Written atomically (to a temporary folder, then renamed), so a run killed while
writing keeps its previous checkpoint and `--resume` continues exactly from it.
"""

from __future__ import annotations

import random
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch


@dataclass
class RunState:
    """Where the run is: saved in every checkpoint so that `--resume` continues exactly."""

    step: int = 0
    epoch: int = 0
    batch: int = 0  # batches of `epoch` already done
    best: float = -1.0
    bad_evals: int = 0
    stopped: bool = False


def save_checkpoint(folder: Path, model, optimizer, schedule, state: RunState) -> None:
    """Write the resumable state atomically (a kill mid-write leaves the previous one)."""
    staging = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    torch.save(
        {
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "schedule": schedule.state_dict(),
            "state": vars(state),
            "rng": {"torch": torch.get_rng_state(), "python": random.getstate(), "numpy": np.random.get_state()},
        },
        staging / "state.pt",
    )
    shutil.rmtree(folder, ignore_errors=True)
    staging.rename(folder)


def load_checkpoint(folder: Path, model, optimizer, schedule) -> RunState:
    path = folder / "state.pt"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no checkpoint to resume from")
    saved = torch.load(path, weights_only=False)
    model.load_state_dict(saved["model"])
    optimizer.load_state_dict(saved["optimizer"])
    schedule.load_state_dict(saved["schedule"])
    torch.set_rng_state(saved["rng"]["torch"])
    random.setstate(saved["rng"]["python"])
    np.random.set_state(saved["rng"]["numpy"])
    return RunState(**saved["state"])
