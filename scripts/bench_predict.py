"""Prediction throughput, measured side by side in one run on the same corpus paragraphs.

    python scripts/bench_predict.py EXPORT [--data paragraphs.jsonl] [--paragraphs 2000]

Configurations, each in its own process (so each peak memory is its own):
  naive       the transformers encoder in fp32 with the exported heads, batches of 16 in
              input order, padded per batch, truncated at 512 tokens
  torch       the predictor's torch fp32 path (windows, batches sorted by length)
  torch-int8  the predictor's int8 torch path
  onnx-int8   the predictor's ONNX Runtime int8 path
Prints a JSON line per configuration (paragraphs/s, peak RSS, label agreement with
`torch` over the corpus paragraphs, dev-gold macro-F1) and the ratios of each to
`naive` and to `torch`.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CONFIGS = ("naive", "torch", "torch-int8", "onnx-int8")
DEV = Path("data/gold/dev.jsonl")


def naive_tags(export: Path, texts: list[str]) -> list[tuple[str, str]]:
    """What a first attempt looks like: the model as loaded, batches of 16 in input order."""
    import torch
    from safetensors.torch import load_file
    from transformers import AutoModel, AutoTokenizer

    settings = json.loads((export / "policytag.json").read_text(encoding="utf-8"))
    tokenizer = AutoTokenizer.from_pretrained(export)
    encoder = AutoModel.from_pretrained(export, add_pooling_layer=False).eval()
    heads = load_file(str(export / "heads.safetensors"))
    from policytag.runtime.normalize import normalize

    tags = []
    with torch.no_grad():
        for start in range(0, len(texts), 16):
            batch = [settings["prefix"] + normalize(t) for t in texts[start : start + 16]]
            encoded = tokenizer(batch, padding=True, truncation=True, max_length=512, return_tensors="pt")
            hidden = encoder(**encoded).last_hidden_state
            mask = encoded["attention_mask"].unsqueeze(-1).float()
            pooled = (hidden * mask).sum(1) / mask.sum(1)
            role = pooled @ heads["role_head.weight"].T + heads["role_head.bias"]
            domain = pooled @ heads["domain_head.weight"].T + heads["domain_head.bias"]
            tags += [
                (settings["labels"]["role"][r], settings["labels"]["domain"][d])
                for r, d in zip(role.argmax(1).tolist(), domain.argmax(1).tolist())
            ]
    return tags


def peak_rss_mb() -> int:
    """This process's peak resident memory. Linux's VmHWM starts afresh at exec; ru_maxrss
    does not (a worker would report at least its parent's peak)."""
    try:
        status = Path("/proc/self/status").read_text(encoding="utf-8")
        return round(
            int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))) / 1024
        )
    except (OSError, StopIteration):
        return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def worker(config: str, export: Path, texts_file: Path) -> dict:
    """Tag the paragraphs (timed) and the dev gold (not timed) with one configuration."""
    texts = json.loads(texts_file.read_text(encoding="utf-8"))
    dev = [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()]
    if config == "naive":
        run = lambda batch: naive_tags(export, batch)  # noqa: E731
    else:
        from policytag import Predictor

        predictor = Predictor.load(export, backend=config)
        run = lambda batch: [(t.role, t.domain) for t in predictor.predict(batch)]  # noqa: E731
    run(texts[:16])  # warm-up: first calls allocate and pick kernels
    started = time.perf_counter()
    tags = run(texts)
    seconds = time.perf_counter() - started
    dev_tags = run([r["text"] for r in dev])
    from policytag.stats.metrics import axis_metrics

    f1 = {
        axis: axis_metrics([r[axis] for r in dev], [t[k] for t in dev_tags])["macro_f1"]
        for k, axis in enumerate(("role", "domain"))
    }
    return {
        "config": config,
        "paragraphs": len(texts),
        "seconds": round(seconds, 2),
        "paragraphs_per_s": round(len(texts) / seconds, 2),
        "peak_rss_mb": peak_rss_mb(),
        "dev_role_macro_f1": round(f1["role"], 4),
        "dev_domain_macro_f1": round(f1["domain"], 4),
        "tags": tags,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("export", type=Path)
    parser.add_argument("--data", type=Path, default=Path("experiments/main/data/paragraphs.jsonl"))
    parser.add_argument("--paragraphs", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=CONFIGS)
    parser.add_argument("--worker", choices=CONFIGS, help=argparse.SUPPRESS)
    parser.add_argument("--texts", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.export, args.texts), ensure_ascii=False))
        return
    rows = [json.loads(line) for line in args.data.read_text(encoding="utf-8").splitlines() if line.strip()]
    texts = [r["text"] for r in random.Random(args.seed).sample(rows, min(args.paragraphs, len(rows)))]
    results = {}
    with tempfile.TemporaryDirectory() as scratch:
        texts_file = Path(scratch) / "texts.json"
        texts_file.write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
        for config in args.configs:
            done = subprocess.run(
                [sys.executable, __file__, str(args.export), "--worker", config, "--texts", str(texts_file)],
                capture_output=True,
                text=True,
                check=True,
            )
            results[config] = json.loads(done.stdout.strip().splitlines()[-1])
            tags = results[config].pop("tags")
            if "torch" in results:
                reference = results["torch"].get("_tags", tags)
                results[config]["role_agreement_with_torch"] = round(
                    sum(a[0] == b[0] for a, b in zip(tags, reference)) / len(tags), 4
                )
                results[config]["domain_agreement_with_torch"] = round(
                    sum(a[1] == b[1] for a, b in zip(tags, reference)) / len(tags), 4
                )
            results[config]["_tags"] = tags
            line = {k: v for k, v in results[config].items() if k != "_tags"}
            for base in ("naive", "torch"):
                if base in results and config != base:
                    line[f"speed_vs_{base}"] = round(
                        line["paragraphs_per_s"] / results[base]["paragraphs_per_s"], 2
                    )
            print(json.dumps(line, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
