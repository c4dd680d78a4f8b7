"""Dev-gold figures of the TF-IDF + logistic regression baseline trained on a prepared split.

Trains on the same rows the default recipe trains on (the same seeded `max_train`
sample when one is given) and prints accuracy and macro-F1 per axis with 95%
intervals from resampling whole reports. With `--model` (an export or a run folder) it
also tags the dev gold with that model and prints, per axis, the model's macro-F1 minus
the baseline's with a paired 95% interval (both scored on the same resampled reports)
and the share of resamples in which the model is ahead.

    python scripts/baseline_dev.py data/processed/sample
    python scripts/baseline_dev.py data/processed/corpus --max-train 20000 --seed 13
    python scripts/baseline_dev.py experiments/main/data --model experiments/main/export
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

from policytag.evaluation.baseline import TfidfBaseline
from policytag.evaluation.evaluate import AXES, baseline_comparison, scored
from policytag.io.jsonl import read_labelled

RESAMPLES = 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--split", default="train")
    parser.add_argument("--dev", type=Path, default=Path("data/gold/dev.jsonl"))
    parser.add_argument("--max-train", type=int)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--model", type=Path, help="an export or run folder to compare with the baseline")
    args = parser.parse_args()
    rows = read_labelled(args.dataset / "splits" / f"{args.split}.jsonl")
    if args.max_train and len(rows) > args.max_train:
        rows = random.Random(args.seed).sample(rows, args.max_train)  # as the training loop samples
    dev = read_labelled(args.dev)
    started = time.perf_counter()
    baseline = TfidfBaseline.fit(rows, seed=args.seed)
    report = {"train_rows": len(rows), "fit_seconds": round(time.perf_counter() - started, 1)}
    model = model_labels(args.model, [r["text"] for r in dev]) if args.model else None
    compared = baseline_comparison(baseline, dev, model, RESAMPLES, args.seed)
    for axis in AXES:
        report[axis] = summary(compared[axis])
        if model is not None:
            report[axis]["model"] = summary(scored(dev, model[axis], axis, RESAMPLES, args.seed))
            report[axis]["model_minus_baseline"] = {
                k: round(v, 4) for k, v in compared[axis]["model_minus_baseline"].items()
            }
    print(json.dumps(report, indent=2))


def summary(figures: dict) -> dict:
    found = {k: round(figures[k], 4) for k in ("accuracy", "macro_f1", "lenient_accuracy") if k in figures}
    return {**found, "macro_f1_95": [round(x, 4) for x in figures["bootstrap_95"]["macro_f1"]]}


def model_labels(model: Path, texts: list[str]) -> dict[str, list[str]]:
    from policytag import Predictor

    tags = Predictor.open(model).predict(texts)
    return {axis: [getattr(t, axis) for t in tags] for axis in AXES}


if __name__ == "__main__":
    main()
