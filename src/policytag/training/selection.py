"""Model selection on the dev gold: metrics per evaluation, the best model kept, early stopping."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import torch

from policytag.io.run_folder import BEST, RUN_METRICS
from policytag.modeling.classifier import TorchWindowLogits, TwoHeadClassifier
from policytag.modeling.windows import WindowEncoder
from policytag.runtime.settings import ExportSettings
from policytag.runtime.tagging import paragraph_logits
from policytag.stats.metrics import axis_metrics, bootstrap_intervals
from policytag.training.checkpoint import RunState
from policytag.training.config import TrainConfig
from policytag.training.data import IGNORE, EncodedSet
from policytag.training.run import RunLog


def dev_metrics(
    model, dev_set: EncodedSet, windows: WindowEncoder, config: TrainConfig, device, bootstrap: bool = False
):
    """Both axes' metrics on `dev_set`, the selection pool (and report-level intervals when `bootstrap`)."""
    was_training = model.training
    batch_tokens = config.eval.batch_size * config.predict_windows.max_length
    role_l, domain_l = paragraph_logits(
        dev_set.windows, TorchWindowLogits(model, device), windows.pad_id, batch_tokens
    )
    model.train(was_training)
    result = {}
    for axis, logits, labels in (
        ("role", role_l, model.role_labels),
        ("domain", domain_l, model.domain_labels),
    ):
        ids = getattr(dev_set, axis)
        keep = [i for i, y in enumerate(ids) if y != IGNORE]
        gold = [labels[ids[i]] for i in keep]
        pred = [labels[int(logits[i].argmax())] for i in keep]
        alt = [dev_set.rows[i].get("domain_alt") for i in keep] if axis == "domain" else None
        result[axis] = axis_metrics(gold, pred, alt)
        if bootstrap:
            result[axis]["bootstrap_95"] = bootstrap_intervals(
                [dev_set.doc_ids[i] for i in keep], gold, pred, seed=config.seed
            )
    result["mean_macro_f1"] = (result["role"]["macro_f1"] + result["domain"]["macro_f1"]) / 2
    return result


@dataclass
class Selector:
    """Evaluates on the dev gold (main process only), keeps the best model, decides early stopping."""

    model: TwoHeadClassifier
    dev_set: EncodedSet | None
    windows: WindowEncoder
    config: TrainConfig
    device: torch.device
    state: RunState
    run: Path
    tokenizer: object
    settings: ExportSettings
    log: RunLog | None

    def evaluate(self) -> None:
        if self.dev_set is None:
            return
        state = self.state
        metrics = dev_metrics(self.model, self.dev_set, self.windows, self.config, self.device)
        score = metrics["mean_macro_f1"]
        improved = score > state.best
        if improved:
            state.best, state.bad_evals = score, 0
            staging = self.run / f"{BEST}.tmp"
            shutil.rmtree(staging, ignore_errors=True)
            self.model.save(staging, self.tokenizer, self.settings)
            shutil.rmtree(self.run / BEST, ignore_errors=True)
            staging.rename(self.run / BEST)
        else:
            state.bad_evals += 1
            state.stopped = state.bad_evals >= self.config.eval.patience
        if self.log is not None:
            self.log.write(
                event="eval",
                step=state.step,
                role_macro_f1=round(metrics["role"]["macro_f1"], 4),
                domain_macro_f1=round(metrics["domain"]["macro_f1"], 4),
                mean_macro_f1=round(score, 4),
                improved=improved,
                early_stop=state.stopped,
            )


def final_metrics(run: Path, dev_set: EncodedSet | None, config: TrainConfig, device) -> dict:
    if dev_set is None:
        return {}
    model, tokenizer, settings = TwoHeadClassifier.load(run / BEST)
    model.to(device)
    windows = WindowEncoder(tokenizer, settings.prefix, config.predict_windows, settings.context)
    metrics = dev_metrics(model, dev_set, windows, config, device, bootstrap=True)
    metrics["n"] = len(dev_set)
    (run / RUN_METRICS).write_text(json.dumps(metrics, indent=2, ensure_ascii=False), encoding="utf-8")
    return metrics
