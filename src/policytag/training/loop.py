"""`train`: fine-tune one encoder with two heads on a prepared dataset.

Reads top to bottom like the run it performs: set up the machine, build the model,
encode the data, then step through length-bucketed batches, evaluating on the dev
gold, keeping the best model and a resumable checkpoint as it goes.
"""

from __future__ import annotations

import os
import random
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from tqdm import tqdm

from policytag.io.jsonl import read_labelled, write_jsonl
from policytag.io.run_folder import BEST, CHECKPOINT, TRAIN_SAMPLE, write_run_record
from policytag.modeling.classifier import TwoHeadClassifier
from policytag.modeling.windows import WindowEncoder
from policytag.training import distributed, setup
from policytag.training.checkpoint import RunState, load_checkpoint, save_checkpoint
from policytag.training.config import TrainConfig
from policytag.training.curves import check_reporters, draw_curves
from policytag.training.data import TAXONOMY, EncodedSet, dataset_schema, encode_rows
from policytag.training.frozen import FrozenStates
from policytag.training.run import RunLog, write_provenance
from policytag.training.selection import Selector, final_metrics
from policytag.training.step import (
    Stepper,
    check_finite,
    epoch_batches,
    make_batch,
    maybe_compile,
    reached_rows,
)


@dataclass
class Parts:
    """What a run trains with, built once: the model, its reader, the encoded data."""

    model: TwoHeadClassifier
    tokenizer: object
    windows: WindowEncoder  # training windows
    eval_windows: WindowEncoder  # selection windows: whole paragraphs, as prediction reads them
    train_set: EncodedSet
    dev_set: EncodedSet | None
    label_names: dict[str, str]  # the taxonomy's names of the labels, for the saved settings


@dataclass
class Optimisation:
    """How a run steps: optimiser, schedule, losses, the frozen-layer cache, the step budget."""

    optimizer: torch.optim.Optimizer
    schedule: object
    losses: object
    frozen: FrozenStates | None
    total: int


def train(config: TrainConfig, run: Path, command: list[str], resume: bool = False) -> dict:
    """Train into run folder `run`; returns the best model's dev metrics (also in metrics.json).

    Under torchrun/accelerate every process runs this; only the main one writes."""
    check_reporters(config.report_to)  # before anything is written
    group, device = distributed.setup(setup.device(config.device))
    torch.set_num_threads(config.threads or max(1, (os.cpu_count() or 1) // group.world))
    setup.seed_everything(config.seed + group.rank)
    parts = _build(config, run, command, resume, group)
    parts.model.to(device)
    opt = _optimisation(parts, config, group, device)
    state = (
        load_checkpoint(run / CHECKPOINT, parts.model, opt.optimizer, opt.schedule) if resume else RunState()
    )
    log = RunLog(run, tensorboard="tensorboard" in config.report_to) if group.is_main else None
    _log(
        log,
        event="start" if not resume else "resume",
        step=state.step,
        train=len(parts.train_set),
        dev=len(parts.dev_set) if parts.dev_set else 0,
        total_steps=opt.total,
        device=str(device),
        processes=group.world,
    )
    settings = _settings(parts, config)
    keep = Selector(
        parts.model,
        parts.dev_set,
        parts.eval_windows,
        config,
        device,
        state,
        run,
        parts.tokenizer,
        settings,
        log,
    )
    _loop(parts, opt, config, state, keep, log, run, group, device)
    metrics = {}
    if group.is_main:
        if not parts.dev_set:  # nothing to select with: the last model is the best one
            parts.model.save(run / BEST, parts.tokenizer, settings)
        save_checkpoint(run / CHECKPOINT, parts.model, opt.optimizer, opt.schedule, state)
        metrics = final_metrics(run, parts.dev_set, config, device)
        extra = {"dev_mean_macro_f1": metrics["mean_macro_f1"]} if metrics else {}
        _log(log, event="end", step=state.step, **extra)
        log.close()
        draw_curves(run)
    distributed.barrier(group)
    distributed.teardown(group)
    return metrics


def _build(config: TrainConfig, run: Path, command: list[str], resume: bool, group) -> Parts:
    """Read the rows (before the model: trimming keeps the pieces the data needs), record the run,
    build the backbone and two heads, and encode training and selection rows."""
    train_path = config.data.train_file()
    train_rows = read_labelled(train_path)
    sampled = bool(config.data.max_train and len(train_rows) > config.data.max_train)
    if sampled:
        train_rows = random.Random(config.seed).sample(train_rows, config.data.max_train)
    pool = config.data.selection_files()
    dev_rows = [row for path in pool for row in read_labelled(path)] if group.is_main else []
    schema = dataset_schema(config.data.dataset)
    if not resume and group.is_main:
        write_provenance(run, config, command, [train_path, *pool, *config.data.soft])
        shutil.copyfile(config.data.dataset / TAXONOMY, run / TAXONOMY)
        if sampled:  # the rows learnt from, for the export's n-gram model and evaluate's baseline
            write_jsonl(run / TRAIN_SAMPLE, train_rows)
        write_run_record(
            run, train_path, pool, TAXONOMY, run / TRAIN_SAMPLE if sampled else None, config.data.soft
        )
    train_rows += [row for path in config.data.soft for row in read_labelled(path)]
    encoder_model, tokenizer = setup.backbone(config, train_rows, group)
    model = TwoHeadClassifier(encoder_model, list(schema.role), list(schema.domain), dropout=config.dropout)
    prefix = config.backbone.text_prefix
    windows = WindowEncoder(tokenizer, prefix, config.windows, config.context)
    eval_windows = WindowEncoder(tokenizer, prefix, config.predict_windows, config.context)
    labels = (model.role_labels, model.domain_labels)
    train_set = encode_rows(train_rows, windows, *labels, training=True)
    dev_set = encode_rows(dev_rows, eval_windows, *labels) if dev_rows else None
    return Parts(model, tokenizer, windows, eval_windows, train_set, dev_set, schema.names)


def _optimisation(parts: Parts, config: TrainConfig, group, device: torch.device) -> Optimisation:
    from transformers import get_linear_schedule_with_warmup

    model, train_set = parts.model, parts.train_set
    setup.freeze(model, config)
    steps_per_epoch = -(-len(train_set) // config.optim.batch_size) // group.world
    total = config.optim.max_steps or steps_per_epoch * config.optim.epochs
    frozen = None
    if config.speed.cache_frozen and config.optim.freeze_layers:
        only = reached_rows(
            train_set.lengths(),
            config.optim.batch_size,
            config.seed,
            config.speed.length_buckets,
            total * group.world,
        )
        frozen = FrozenStates.compute(
            model, train_set, parts.windows, config.optim.freeze_layers, device, only=only
        )
    maybe_compile(model, config.speed.compile, device)
    optimizer = setup.optimizer(model, config, device)
    schedule = get_linear_schedule_with_warmup(optimizer, int(config.optim.warmup_ratio * total), total)
    return Optimisation(optimizer, schedule, setup.losses(train_set, model, config, device), frozen, total)


def _settings(parts: Parts, config: TrainConfig):
    return parts.model.settings(
        parts.tokenizer,
        config.backbone.text_prefix,
        config.predict_windows,
        asdict(config.backbone),
        parts.label_names,
        config.context,
    )


def _loop(
    parts: Parts, opt: Optimisation, config: TrainConfig, state: RunState, keep, log, run, group, device
):
    """Step through length-bucketed batches, epoch by epoch, evaluating and checkpointing."""
    trained = distributed.wrap(parts.model, group, device)
    progress = tqdm(
        total=opt.total, initial=state.step, desc="training", unit=" steps", disable=not group.is_main
    )
    step = Stepper(
        trained,
        parts.model,
        opt.optimizer,
        opt.schedule,
        opt.losses,
        config.optim.grad_clip,
        device,
        opt.frozen,
    )
    trained.train()
    while not state.stopped and state.step < opt.total and state.epoch < config.optim.epochs:
        batches = epoch_batches(
            parts.train_set.lengths(),
            config.optim.batch_size,
            config.seed,
            state.epoch,
            config.speed.length_buckets,
        )
        batches = batches[: len(batches) // group.world * group.world][group.rank :: group.world]
        for indices in batches[state.batch :]:
            loss = step(make_batch(parts.train_set, indices, parts.windows, opt.frozen))
            state.step += 1
            check_finite(loss, state.step)  # before anything of this step is evaluated or saved
            state.batch += 1
            progress.update(1)
            if state.step % 10 == 0:
                lr = opt.schedule.get_last_lr()[0]
                _log(
                    log, event="train", step=state.step, epoch=state.epoch, loss=round(loss.item(), 4), lr=lr
                )
            if state.step % config.eval.every_steps == 0 or state.step == opt.total:
                keep.evaluate()
                state.stopped = distributed.agree(state.stopped, group, device)
            if state.step % config.checkpoint_every == 0 and group.is_main:
                save_checkpoint(run / CHECKPOINT, parts.model, opt.optimizer, opt.schedule, state)
            if state.stopped or state.step >= opt.total:
                break
        else:
            state.epoch += 1
            state.batch = 0
            if state.step % config.eval.every_steps:
                keep.evaluate()
                state.stopped = distributed.agree(state.stopped, group, device)
            continue
        break
    progress.close()


def _log(log: RunLog | None, **entry) -> None:
    if log is not None:
        log.write(**entry)
