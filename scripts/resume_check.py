"""Resume, measured: a default-recipe run straight through, and the same run killed with
SIGKILL in the middle of its first epoch and resumed; prints both runs' dev metrics.

    python scripts/resume_check.py [--steps 40] [--kill-after 20]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from policytag.training.checkpoint import UnsafeCheckpoint, read_checkpoint


def checkpoint_step(run: Path) -> int:
    try:  # read_checkpoint loads with weights_only=True: the file is data, never code
        return read_checkpoint(run / "checkpoint" / "state.pt")["state"]["step"]
    except (FileNotFoundError, UnsafeCheckpoint, KeyError):  # absent, or caught mid-rename
        return -1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--kill-after", type=int, default=20)
    args = parser.parse_args()
    overrides = [
        "--set",
        f"optim.max_steps={args.steps}",
        "--set",
        "checkpoint_every=10",
        "--set",
        "eval.every_steps=20",
    ]
    command = [sys.executable, "-m", "policytag.cli", "train", "default", *overrides]
    straight, killed = Path("experiments/resume-straight"), Path("experiments/resume-killed")
    for run in (straight, killed):
        shutil.rmtree(run, ignore_errors=True)

    started = time.perf_counter()
    subprocess.run([*command, "--out", str(straight)], check=True, capture_output=True)
    print(f"straight run: {time.perf_counter() - started:.0f} s")

    process = subprocess.Popen(
        [*command, "--out", str(killed)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    while process.poll() is None and checkpoint_step(killed) < args.kill_after:
        time.sleep(0.2)
    time.sleep(3)  # a few steps past the checkpoint, so the resume really replays them
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    print(f"killed after the step-{checkpoint_step(killed)} checkpoint")
    subprocess.run(
        [sys.executable, "-m", "policytag.cli", "train", "--resume", str(killed)],
        check=True,
        capture_output=True,
    )

    metrics = [json.loads((run / "metrics.json").read_text()) for run in (straight, killed)]
    for axis in ("role", "domain"):
        a, b = (m[axis] for m in metrics)
        print(
            f"{axis}: straight macro-F1 {a['macro_f1']:.5f} accuracy {a['accuracy']:.5f}; "
            f"resumed macro-F1 {b['macro_f1']:.5f} accuracy {b['accuracy']:.5f}"
        )


if __name__ == "__main__":
    main()
