"""Dev-gold figures of the TF-IDF + logistic regression baseline trained on a prepared split.

Trains on the same rows the default recipe trains on (the same seeded `max_train`
sample when one is given) and prints accuracy and macro-F1 per axis with 95%
intervals from resampling whole reports.

    python scripts/baseline_dev.py data/processed/sample
    python scripts/baseline_dev.py data/processed/corpus --max-train 20000 --seed 13
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

from policytag.evaluation.baseline import TfidfBaseline
from policytag.evaluation.metrics import axis_metrics, bootstrap_intervals
from policytag.io.jsonl import read_labelled


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--split", default="train")
    parser.add_argument("--dev", type=Path, default=Path("data/gold/dev.jsonl"))
    parser.add_argument("--max-train", type=int)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    rows = read_labelled(args.dataset / "splits" / f"{args.split}.jsonl")
    if args.max_train and len(rows) > args.max_train:
        rows = random.Random(args.seed).sample(rows, args.max_train)  # as the training loop samples
    dev = read_labelled(args.dev)
    started = time.perf_counter()
    baseline = TfidfBaseline.fit(rows, seed=args.seed)
    report = {"train_rows": len(rows), "fit_seconds": round(time.perf_counter() - started, 1)}
    for axis in ("role", "domain"):
        gold = [r[axis] for r in dev]
        pred = baseline.predict([r["text"] for r in dev], axis)
        metrics = axis_metrics(gold, pred, [r.get("domain_alt") for r in dev] if axis == "domain" else None)
        intervals = bootstrap_intervals([r["doc_id"] for r in dev], gold, pred, seed=args.seed)
        report[axis] = {k: round(metrics[k], 4) for k in ("accuracy", "macro_f1", "lenient_accuracy") if k in metrics}
        report[axis]["macro_f1_95"] = [round(x, 4) for x in intervals["macro_f1"]]
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
