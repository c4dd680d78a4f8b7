"""A run's training curves: the picture in every run folder, and TensorBoard event files on request.

`curves.png` and `curves.svg` show the training loss and the selection pool's macro-F1 of each axis against
steps, read from `log.jsonl`. With `report_to: [tensorboard]` (`--report-to tensorboard`) the
same scalars also go to `tensorboard/` as TensorBoard event files, as Trainer users expect; that
needs the `tensorboard` extra (`pip install 'policytag[tensorboard]'`).
"""

from __future__ import annotations

import json
from pathlib import Path

from policytag.config import ConfigError
from policytag.io.run_folder import RUN_LOG

REPORTERS = ("tensorboard",)
INSTALL = "pip install 'policytag[tensorboard]'"


def read_log(run: Path) -> list[dict]:
    path = run / RUN_LOG
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def draw_curves(run: Path) -> list[Path]:
    """`curves.png` and `curves.svg` in `run`, from its log; returns the files written."""
    from policytag.stats.plots import cjk_font, plt

    cjk_font()
    entries = read_log(run)
    train = [e for e in entries if e.get("event") == "train" and "loss" in e]
    evals = [e for e in entries if e.get("event") == "eval"]
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    left.plot([e["step"] for e in train], [e["loss"] for e in train], color="#444444", linewidth=1.2)
    left.set(title="training loss", xlabel="step", ylabel="loss (both heads)")
    for axis, colour in (("role", "#1f77b4"), ("domain", "#d62728")):
        steps = [e["step"] for e in evals]
        right.plot(steps, [e[f"{axis}_macro_f1"] for e in evals], marker="o", color=colour, label=axis)
    best = [e for e in evals if e.get("improved")]
    if best:
        right.axvline(best[-1]["step"], color="#888888", linestyle=":", linewidth=1, label="kept model")
    right.set(title="selection-pool macro-F1 (model selection)", xlabel="step", ylabel="macro-F1")
    right.legend(loc="best", frameon=False)
    for panel in (left, right):
        panel.grid(alpha=0.3)
        panel.spines[["top", "right"]].set_visible(False)
    figure.suptitle(f"{run.name}: training curves", fontsize=11)
    figure.tight_layout()
    written = [run / "curves.png", run / "curves.svg"]
    for path in written:
        figure.savefig(path, dpi=130)
    plt.close(figure)
    return written


def check_reporters(report_to: tuple[str, ...]) -> None:
    """Refuse an unknown reporter, or TensorBoard without its package, naming the fix."""
    for name in report_to:
        if name not in REPORTERS:
            raise ConfigError(f"report_to: {name!r} is not one of {', '.join(REPORTERS)}")
    if "tensorboard" in report_to:
        try:
            import tensorboard  # noqa: F401
        except ImportError:
            raise ConfigError(f"--report-to tensorboard needs the tensorboard package: {INSTALL}") from None


class TensorBoardLog:
    """The log's scalars as TensorBoard event files under `run/tensorboard/`."""

    def __init__(self, run: Path) -> None:
        from torch.utils.tensorboard import SummaryWriter

        self.writer = SummaryWriter(log_dir=str(run / "tensorboard"))

    def write(self, entry: dict) -> None:
        step = entry.get("step", 0)
        if entry.get("event") == "train":
            for key in ("loss", "lr"):
                if key in entry:
                    self.writer.add_scalar(f"train/{key}", entry[key], step)
        elif entry.get("event") == "eval":
            for key in ("role_macro_f1", "domain_macro_f1", "mean_macro_f1"):
                self.writer.add_scalar(f"dev/{key}", entry[key], step)
        self.writer.flush()

    def close(self) -> None:
        self.writer.close()
