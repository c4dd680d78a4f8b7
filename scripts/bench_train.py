"""Training throughput: the project's training step against a plain Hugging Face Trainer,
side by side in one process, on the same model shape and the corpus's paragraph lengths.

    PYTHONPATH=src python scripts/bench_train.py --preset cpu     # about a minute on 2 cores
    PYTHONPATH=src python scripts/bench_train.py --preset gpu     # bert-base and e5 shapes

Random weights; token ids random, lengths drawn from data/corpus-token-lengths.txt
(real e5 lengths of corpus paragraphs) and cut at 256. The Trainer baseline pads to
256, uses per-device batch 32 and its default sampler and optimizer, bf16 on a GPU and
fp32 on a CPU, no compile. The project's loop is `policytag.training.step` as `train`
uses it: length buckets, bf16 autocast, fused AdamW and torch.compile on a GPU.

One JSON line per configuration: `config`, `paragraphs_per_s`, `real_tokens_per_s`,
`mfu` (FLOPs on real tokens only: 6·N + 12·L·s·h per token, N the encoder's matrix
parameters without embeddings) over `--peak` (default 790e12, bf16 on an H200; on a
CPU the measured fp32 matrix-multiply rate). The last line: `{"speedup_vs_trainer": X}`
on the main (first) shape.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path

import torch
from torch import nn

LENGTHS = Path(__file__).resolve().parents[1] / "data" / "corpus-token-lengths.txt"
SHAPES = {  # name: (vocabulary, hidden, layers, heads, intermediate)
    "bert-base-chinese": (21128, 768, 12, 12, 3072),
    "e5-small": (250037, 384, 12, 12, 1536),
    "e5-small-trimmed": (16629, 384, 12, 12, 1536),
}
PRESETS = {
    # the project's steps vary in length (length buckets): more of them are timed than of the
    # Trainer's, whose steps all cost the same (everything padded to 256)
    "gpu": {
        "shapes": ["bert-base-chinese", "e5-small"],
        "steps": 40,
        "own_steps": 60,
        "warmup": 10,
        "batch": 256,
    },
    "cpu": {"shapes": ["e5-small-trimmed"], "steps": 4, "own_steps": 8, "warmup": 1, "batch": 32},
}
ROLE, DOMAIN = 3, 13


def bert_config(shape: str):
    from transformers import BertConfig

    vocab, hidden, layers, heads, intermediate = SHAPES[shape]
    return BertConfig(
        vocab_size=vocab,
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        intermediate_size=intermediate,
        max_position_embeddings=512,
    )


def corpus_lengths(n: int, seed: int, cap: int = 256) -> list[int]:
    lengths = [int(x) for x in LENGTHS.read_text().split("\n") if x and not x.startswith("#")]
    rng = random.Random(seed)
    return [min(rng.choice(lengths), cap) for _ in range(n)]


def matrix_parameters(encoder: nn.Module) -> int:
    return sum(m.weight.numel() for m in encoder.encoder.modules() if isinstance(m, nn.Linear))


def flops(lengths: list[int], n_matrix: int, layers: int, hidden: int) -> float:
    return float(sum(s * (6 * n_matrix + 12 * layers * s * hidden) for s in lengths))


def cpu_peak() -> float:
    """fp32 matrix-multiply FLOP/s of this machine (the best of a few 2048² products)."""
    a, b = torch.randn(2048, 2048), torch.randn(2048, 2048)
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - started)
    return 2 * 2048**3 / best


def project_loop(shape: str, lengths: list[int], batch_size: int, steps: int, warmup: int, device) -> dict:
    """The training path's own pieces: length batches, `make_batch`, `Stepper`, compile on GPU."""
    from transformers import BertModel, get_linear_schedule_with_warmup

    from policytag.modeling.classifier import TwoHeadClassifier
    from policytag.training.data import EncodedSet
    from policytag.training.step import Stepper, epoch_batches, make_batch, maybe_compile

    torch.manual_seed(0)
    config = bert_config(shape)
    model = TwoHeadClassifier(
        BertModel(config, add_pooling_layer=False),
        [str(i) for i in range(ROLE)],
        [str(i) for i in range(DOMAIN)],
    ).to(device)
    rng = random.Random(1)
    encoded = EncodedSet(
        windows=[[[rng.randrange(5, config.vocab_size) for _ in range(n)]] for n in lengths],
        role=[rng.randrange(ROLE) for _ in lengths],
        domain=[rng.randrange(DOMAIN) for _ in lengths],
        doc_ids=["x"] * len(lengths),
        rows=[{}] * len(lengths),
    )
    maybe_compile(model, "auto", device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-5, fused=device.type == "cuda")
    schedule = get_linear_schedule_with_warmup(optimizer, 0, steps)
    losses = {
        "role": nn.CrossEntropyLoss(ignore_index=-100),
        "domain": nn.CrossEntropyLoss(ignore_index=-100),
    }
    step = Stepper(model, model, optimizer, schedule, losses, 1.0, device, None)
    windows = _Padding()
    batches = epoch_batches(encoded.lengths(), batch_size, 0, 0, by_length=True)[:steps]
    model.train()
    timed_lengths, started = [], None
    for k, indices in enumerate(batches):
        if k == warmup:
            _sync(device)
            started = time.perf_counter()
        loss = step(make_batch(encoded, indices, windows, None))
        if k >= warmup:
            timed_lengths += [lengths[i] for i in indices]
    loss.item()
    _sync(device)
    return {"seconds": time.perf_counter() - started, "lengths": timed_lengths, "model": model.encoder}


class _Padding:
    """What `make_batch` needs of a `WindowEncoder`, without a tokenizer: padding (id 0)."""

    def collate(self, paragraphs):
        from policytag.runtime.windows import pad_windows

        input_ids, attention, owner = pad_windows(paragraphs, 0)
        return {
            "input_ids": torch.from_numpy(input_ids),
            "attention_mask": torch.from_numpy(attention),
            "paragraph_of": torch.from_numpy(owner),
        }


def trainer_loop(shape: str, lengths: list[int], steps: int, warmup: int, device) -> dict:
    """A plain Trainer: padding to 256, batch 32, defaults, bf16 on GPU, fp32 on CPU."""
    from transformers import BertModel, Trainer, TrainerCallback, TrainingArguments

    torch.manual_seed(0)
    config = bert_config(shape)

    class Classifier(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = BertModel(config, add_pooling_layer=False)
            self.role = nn.Linear(config.hidden_size, ROLE)
            self.domain = nn.Linear(config.hidden_size, DOMAIN)

        def forward(self, input_ids, attention_mask, role, domain):
            hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state[:, 0]
            loss = nn.functional.cross_entropy(self.role(hidden), role) + nn.functional.cross_entropy(
                self.domain(hidden), domain
            )
            return {"loss": loss}

    rng = random.Random(1)
    rows = []
    for n in lengths:
        ids = torch.zeros(256, dtype=torch.long)
        ids[:n] = torch.tensor([rng.randrange(5, config.vocab_size) for _ in range(n)])
        mask = (torch.arange(256) < n).long()
        rows.append(
            {
                "input_ids": ids,
                "attention_mask": mask,
                "role": rng.randrange(ROLE),
                "domain": rng.randrange(DOMAIN),
            }
        )

    times: list[float] = []

    class Clock(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            _sync(device)
            times.append(time.perf_counter())

    with tempfile.TemporaryDirectory() as scratch:
        args = TrainingArguments(
            output_dir=scratch,
            per_device_train_batch_size=32,
            max_steps=steps,
            bf16=device.type == "cuda",
            report_to="none",
            save_strategy="no",
            disable_tqdm=True,
            use_cpu=device.type != "cuda",
            seed=0,
        )
        model = Classifier()
        Trainer(model=model, args=args, train_dataset=rows, callbacks=[Clock()]).train()
    measured = steps - warmup
    mean_length = sum(lengths) / len(lengths)  # the sampler is random: the expected real length
    return {
        "seconds": times[-1] - times[warmup - 1],
        "lengths": [mean_length] * (measured * 32),
        "model": model.bert,
        "paragraphs": measured * 32,
    }


def _sync(device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def report(config: str, result: dict, shape: str, peak: float) -> dict:
    vocab, hidden, layers, heads, intermediate = SHAPES[shape]
    lengths = result["lengths"]
    n_matrix = matrix_parameters(result["model"])
    paragraphs = result.get("paragraphs", len(lengths))
    line = {
        "config": config,
        "shape": shape,
        "paragraphs_per_s": round(paragraphs / result["seconds"], 2),
        "real_tokens_per_s": round(sum(lengths) / result["seconds"], 1),
        "mfu": round(flops(lengths, n_matrix, layers, hidden) / result["seconds"] / peak, 4),
    }
    print(json.dumps(line), flush=True)
    return line


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--preset", choices=PRESETS, default="cpu")
    parser.add_argument(
        "--peak", type=float, help="peak FLOP/s for MFU (default: 790e12 on GPU, measured on CPU)"
    )
    parser.add_argument("--steps", type=int, help="steps per configuration, warm-up included")
    args = parser.parse_args()
    preset = PRESETS[args.preset]
    device = torch.device("cuda" if args.preset == "gpu" else "cpu")
    peak = args.peak or (790e12 if device.type == "cuda" else cpu_peak())
    print(json.dumps({"device": str(device), "peak_flops": peak, "torch": torch.__version__}), flush=True)
    steps = args.steps or preset["steps"]
    own_steps = args.steps or preset["own_steps"]
    speedup = None
    for shape in preset["shapes"]:
        lengths = corpus_lengths(max(steps * 32, own_steps * preset["batch"]), seed=0)
        trainer = report(
            "hf-trainer",
            trainer_loop(shape, lengths[: steps * 32], steps, preset["warmup"], device),
            shape,
            peak,
        )
        ours = report(
            "policytag",
            project_loop(shape, lengths, preset["batch"], own_steps, preset["warmup"], device),
            shape,
            peak,
        )
        if speedup is None:
            speedup = round(ours["paragraphs_per_s"] / trainer["paragraphs_per_s"], 2)
    print(json.dumps({"speedup_vs_trainer": speedup}), flush=True)


if __name__ == "__main__":
    main()
