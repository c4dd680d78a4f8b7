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
from policytag.evaluation.metrics import axis_metrics, bootstrap_intervals, paired_difference_interval
from policytag.io.jsonl import read_labelled


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
    texts, groups = [r["text"] for r in dev], [r["doc_id"] for r in dev]
    tags = model_tags(args.model, texts) if args.model else None
    for axis in ("role", "domain"):
        gold = [r[axis] for r in dev]
        pred = baseline.predict(texts, axis)
        report[axis] = figures(dev, axis, pred, args.seed)
        if tags is not None:
            mine = [t[axis] for t in tags]
            report[axis]["model"] = figures(dev, axis, mine, args.seed)
            paired = paired_difference_interval(groups, gold, mine, pred, seed=args.seed)
            report[axis]["model_minus_baseline"] = {k: round(v, 4) for k, v in paired.items()}
    print(json.dumps(report, indent=2))


def figures(dev: list[dict], axis: str, pred: list[str], seed: int) -> dict:
    gold = [r[axis] for r in dev]
    metrics = axis_metrics(gold, pred, [r.get("domain_alt") for r in dev] if axis == "domain" else None)
    intervals = bootstrap_intervals([r["doc_id"] for r in dev], gold, pred, seed=seed)
    found = {k: round(metrics[k], 4) for k in ("accuracy", "macro_f1", "lenient_accuracy") if k in metrics}
    return {**found, "macro_f1_95": [round(x, 4) for x in intervals["macro_f1"]]}


def model_tags(model: Path, texts: list[str]) -> list[dict]:
    from policytag import Predictor

    return [{"role": t.role, "domain": t.domain} for t in Predictor.open(model).predict(texts)]


if __name__ == "__main__":
    main()
