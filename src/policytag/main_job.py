"""The main job (`policytag run`): prepare → train → export → evaluate, offline, in one folder.

    DIR/data/     the labelled dataset of the shipped sample (prepare)
    DIR/run/      the training run (config, log, best model, dev metrics)
    DIR/export/   the exported predictor (calibrated; torch, int8 and ONNX backends)
    DIR/eval/     its evaluation on the dev gold (metrics.json, report.md, pictures)

The exported predictor is what gets evaluated: the figures are those of the thing
that ships, calibration and fastest backend included.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

from policytag.config import CONFIGS

ROOT = CONFIGS.parent  # the repository: shipped sample, gold and vocabulary live under data/


def _repo_path(value: str) -> str:
    """A recipe's relative path, resolved against the repository when it is not found from here."""
    path = Path(value)
    return str(ROOT / path) if not path.is_absolute() and not path.exists() and (ROOT / path).exists() else value


def run_main_job(recipe: Path, out: Path, overrides: list[str], parity_paragraphs: int = 300,
                 echo: Callable[[str], None] = print) -> dict:
    """Run every step into `out`; returns the dev-gold metrics of the exported predictor."""
    from policytag.data.prepare import load_prepare_config, prepare
    from policytag.evaluation.evaluate import evaluate
    from policytag.predict.export import ExportConfig, export
    from policytag.training.config import load_train_config, read_recipe
    from policytag.training.loop import train

    started = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    data, run, exported, evaluation = out / "data", out / "run", out / "export", out / "eval"

    echo(f"[1/4] prepare: {ROOT / 'data' / 'raw'} → {data}")
    stats = prepare([ROOT / "data" / "raw"], data, load_prepare_config(CONFIGS / "data" / "default.yaml"))
    echo(f"      {stats['paragraphs']:,} paragraphs from {stats['reports']} reports")

    paths = read_recipe(recipe)["data"]
    located = [f"data.dataset={data}", f"data.dev={_repo_path(str(paths.get('dev') or 'data/gold/dev.jsonl'))}"]
    if paths.get("vocabulary"):
        located.append(f"data.vocabulary={_repo_path(str(paths['vocabulary']))}")
    config = load_train_config(recipe, [*located, *overrides])
    echo(f"[2/4] train: recipe {recipe} → {run}")
    run.mkdir(parents=True, exist_ok=True)
    train(config, run, sys.argv)

    echo(f"[3/4] export: → {exported}")
    export(run, exported, ExportConfig(dev=config.data.dev, parity_paragraphs=parity_paragraphs))

    echo(f"[4/4] evaluate the export on the dev gold: → {evaluation}")
    metrics = evaluate(exported, config.data.dev, evaluation)
    metrics["seconds"] = round(time.perf_counter() - started, 1)
    return metrics
