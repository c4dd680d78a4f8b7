"""The main job (`policytag run`): prepare → train → export → evaluate, offline, in one folder.

    DIR/data/     the labelled dataset of the shipped sample (prepare)
    DIR/run/      the training run (config, log, best model, dev metrics)
    DIR/export/   the exported predictor (calibrated; torch, int8 and ONNX backends)
    DIR/eval/     its evaluation on the dev gold (metrics.json, report.md, pictures)

The exported predictor is what gets evaluated: the figures are those of the thing
that ships, calibration and fastest backend included. The shipped sample, dev gold
and recipes are package data, so the job runs from any directory. Run again into the
same folder, it replaces its dataset, export and evaluation, and keeps the earlier
run beside the new one (`run.<its start time>`): a run is never removed.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

from policytag.config import CONFIGS, SAMPLE, shipped
from policytag.io.outputs import Output, OutputRefused, check_place, claim_folder, set_aside

ANNOTATIONS = ("sample.jsonl",)  # hand labels of the sample's own reports
LABELLED = ("corpus.jsonl", "corpus-round3.jsonl")  # hand-labelled corpus paragraphs, without their reports


def with_shipped_paths(config, dataset: Path):
    """A training recipe reading `dataset`, its dev gold, selection pool and vocabulary from the
    shipped sample where the recipe's `data/…` paths do not exist from here."""
    data = config.data
    return dataclasses.replace(
        config,
        data=dataclasses.replace(
            data,
            dataset=dataset,
            dev=shipped(data.dev),
            selection=tuple(shipped(p) for p in data.selection),
            vocabulary=shipped(data.vocabulary),
        ),
    )


def prepare_shipped(data: Path, overwrite: bool = False) -> dict:
    """The shipped sample and the hand-labelled corpus paragraphs prepared into `data`."""
    from policytag.data.prepare import load_prepare_config, prepare

    annotations = [SAMPLE / "annotations" / name for name in ANNOTATIONS]
    labelled = [SAMPLE / "annotations" / name for name in LABELLED]
    overrides = [
        f"annotations={json.dumps([str(a) for a in annotations])}",
        f"labelled={json.dumps([str(a) for a in labelled])}",
    ]
    config = load_prepare_config(CONFIGS / "data" / "default.yaml", overrides)
    return prepare([SAMPLE / "raw"], data, config, overwrite=overwrite)


def run_main_job(
    recipe: Path,
    out: Path,
    overrides: list[str],
    parity_paragraphs: int = 100,
    echo: Callable[[str], None] = print,
    overwrite: bool = False,
) -> dict:
    """Run every step into `out`; returns the dev-gold metrics of the exported predictor."""
    from policytag.evaluation.evaluate import EvalConfig, evaluate
    from policytag.export.build import ExportConfig, export
    from policytag.io.run_folder import is_run, load_run_record
    from policytag.training.config import load_train_config
    from policytag.training.loop import train

    started = time.perf_counter()
    data, run, exported, evaluation = out / "data", out / "run", out / "export", out / "eval"
    config = with_shipped_paths(load_train_config(recipe, overrides), data)
    if config.data.dev is None or not config.data.dev.is_file():
        raise FileNotFoundError(f"{config.data.dev}: no dev gold; give one with --set data.dev=FILE")
    # every target is checked before anything is written
    check_place(Output(out, "run"))
    claim_folder(Output(data, "prepare", overwrite=overwrite))
    claim_folder(Output(exported, "export", overwrite=overwrite))
    claim_folder(Output(evaluation, "evaluate", overwrite=overwrite))
    if run.exists() and not is_run(run) and (not run.is_dir() or any(run.iterdir())):
        raise OutputRefused(f"{run}: not a training run and not empty; move it away or choose another --out")
    out.mkdir(parents=True, exist_ok=True)

    echo(f"[1/4] prepare: {SAMPLE / 'raw'} → {data}")
    stats = prepare_shipped(data, overwrite)
    echo(f"      {stats['paragraphs']:,} paragraphs from {stats['reports']} reports")

    if is_run(run):
        kept = set_aside(run, load_run_record(run).created)
        echo(f"      the earlier run is kept as {kept}")
    elif run.exists():
        run.rmdir()  # empty (checked above)
    echo(f"[2/4] train: recipe {recipe} → {run}")
    run.mkdir(parents=True)
    train(config, run, sys.argv)

    echo(f"[3/4] export: → {exported}")
    export(
        run,
        exported,
        ExportConfig(parity_paragraphs=parity_paragraphs),  # calibrated on the run's selection pool
        overwrite=overwrite,
    )

    # the dev gold is read in context: each paragraph with its headings in the whole report it comes from
    reports = config.data.dev.parent / "dev-reports"
    echo(f"[4/4] evaluate the export on the dev gold, in context ({reports}): → {evaluation}")
    metrics = evaluate(
        exported, config.data.dev, evaluation, EvalConfig(reports=reports if reports.is_dir() else None)
    )
    metrics["seconds"] = round(time.perf_counter() - started, 1)
    return metrics
