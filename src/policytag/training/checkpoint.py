"""Resumable state of a run: where it is, and the model, optimizer, schedule and RNG.

Written atomically (to a temporary folder, then renamed), so a run killed while
writing keeps its previous checkpoint and `--resume` continues exactly from it.
Saved as tensors and plain numbers only and read back with `weights_only=True`: a
checkpoint is data, and a crafted one cannot run code when it is loaded.
"""

from __future__ import annotations

import pickle
import random
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from policytag.io.run_folder import CHECKPOINT_STATE


class UnsafeCheckpoint(ValueError):
    """A checkpoint holding more than tensors and plain numbers (or not a checkpoint at all)."""


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
            "rng": {"torch": torch.get_rng_state(), "python": random.getstate(), "numpy": _numpy_rng()},
        },
        staging / CHECKPOINT_STATE,
    )
    shutil.rmtree(folder, ignore_errors=True)
    staging.rename(folder)


def read_checkpoint(path: Path) -> dict:
    """The saved mapping, loaded with `weights_only=True`; `UnsafeCheckpoint` when the file
    holds anything else (objects whose unpickling would run code are never built)."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no checkpoint to resume from")
    try:
        saved = torch.load(path, weights_only=True, map_location="cpu")
    except (pickle.UnpicklingError, RuntimeError, EOFError, AttributeError, ValueError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise UnsafeCheckpoint(
            f"{path}: cannot be loaded safely (it holds more than tensors and numbers, or is damaged: {first}); "
            "it was not written by this version of policytag: start a new run instead of resuming"
        ) from None
    if not isinstance(saved, dict) or not {"model", "optimizer", "schedule", "state", "rng"} <= set(saved):
        raise UnsafeCheckpoint(f"{path}: not a policytag checkpoint (keys missing); start a new run")
    return saved


def load_checkpoint(folder: Path, model, optimizer, schedule) -> RunState:
    """Restore model, optimizer, schedule and RNG from `folder/state.pt`; returns the position."""
    saved = read_checkpoint(folder / CHECKPOINT_STATE)
    model.load_state_dict(saved["model"])
    optimizer.load_state_dict(saved["optimizer"])
    schedule.load_state_dict(saved["schedule"])
    torch.set_rng_state(saved["rng"]["torch"])
    version, internal, gauss = saved["rng"]["python"]
    random.setstate((version, tuple(internal), gauss))
    _set_numpy_rng(saved["rng"]["numpy"])
    return RunState(**saved["state"])


def _numpy_rng() -> dict:
    """NumPy's legacy RNG state as a tensor and plain numbers (no numpy objects in the file)."""
    name, keys, position, has_gauss, gauss = np.random.get_state()
    return {
        "name": name,
        "keys": torch.from_numpy(keys.astype(np.int64)),
        "position": int(position),
        "has_gauss": int(has_gauss),
        "gauss": float(gauss),
    }


def _set_numpy_rng(saved: dict) -> None:
    keys = saved["keys"].numpy().astype(np.uint32)
    np.random.set_state((saved["name"], keys, saved["position"], saved["has_gauss"], saved["gauss"]))
