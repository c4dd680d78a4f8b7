"""The tagging arithmetic shared by every backend and by the standalone `predictor.py`.

Only the standard library, numpy and tokenizers: this module is copied into each
export's standalone predictor, so it must not import torch or the rest of the package.
A backend turns padded windows into per-window logits; everything around that —
batching by length, pooling windows into paragraphs, temperature, top classes and the
`uncertain` flag — lives here, once (the window framing: `windows.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np

from policytag.runtime.ngrams import CharNgrams
from policytag.runtime.settings import Calibration, ExportSettings
from policytag.runtime.windows import WindowFraming, heading_path, pad_windows

# (input_ids, attention_mask) → (role logits, domain logits), one row per window
WindowLogits = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def pool_windows(logits: np.ndarray, owner: np.ndarray, n: int) -> np.ndarray:
    """Mean of each paragraph's window logits (the heads are linear, so this equals the
    head applied to the mean window vector, as in training)."""
    summed = np.zeros((n, logits.shape[1]), dtype=np.float64)
    np.add.at(summed, owner, logits)
    return (summed / np.bincount(owner, minlength=n).clip(min=1)[:, None]).astype(np.float32)


def paragraph_logits(
    windows: list[list[list[int]]], run: WindowLogits, pad_id: int, batch_tokens: int = 4096
) -> tuple[np.ndarray, np.ndarray]:
    """Role and domain logits per paragraph, in input order.

    Paragraphs go shortest first in batches of about `batch_tokens` padded tokens, so
    little padding is computed; results are put back in input order. (On 2 CPU cores,
    500 paragraphs: 4,096 tokens per batch ran about 10% faster than 8,192 in fp32 and
    int8 alike, and 16,384 slower; the activations of a batch then stay in cache.)
    """
    sizes = [sum(len(w) for w in p) for p in windows]
    order = sorted(range(len(windows)), key=sizes.__getitem__)
    role: list[np.ndarray | None] = [None] * len(windows)
    domain: list[np.ndarray | None] = [None] * len(windows)
    start = 0
    while start < len(order):
        end, width, rows = start, 0, 0
        while end < len(order):
            paragraph = windows[order[end]]
            width = max(width, max(len(w) for w in paragraph))
            if rows and (rows + len(paragraph)) * width > batch_tokens:
                break
            rows, end = rows + len(paragraph), end + 1
        chunk = order[start:end]
        input_ids, attention, owner = pad_windows([windows[i] for i in chunk], pad_id)
        role_w, domain_w = run(input_ids, attention)
        for axis, per_window in ((role, role_w), (domain, domain_w)):
            pooled = pool_windows(np.asarray(per_window, dtype=np.float32), owner, len(chunk))
            for k, i in enumerate(chunk):
                axis[i] = pooled[k]
        start = end
    return np.stack(role) if windows else np.zeros((0, 0)), np.stack(domain) if windows else np.zeros((0, 0))


def fuse(encoder: np.ndarray, ngrams: np.ndarray, weight: float, temperature: float = 1.0) -> np.ndarray:
    """The encoder's calibrated probabilities mixed with the n-gram model's (`weight`: the n-grams'
    share), then recalibrated: each row raised to 1/`temperature` and renormalised."""
    mixed = ((1 - weight) * encoder + weight * ngrams).astype(np.float64)
    if temperature != 1.0:
        mixed = np.power(np.clip(mixed, 1e-12, None), 1.0 / temperature)
        mixed /= mixed.sum(axis=-1, keepdims=True)
    return mixed.astype(np.float32)


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    scaled = logits.astype(np.float64) / temperature
    scaled -= scaled.max(axis=-1, keepdims=True)
    exp = np.exp(scaled)
    return (exp / exp.sum(axis=-1, keepdims=True)).astype(np.float32)


@dataclass
class Tag:
    """One paragraph's tags. Fields are also readable as keys: `tag["role"]`."""

    text: str
    role: str | None
    role_score: float
    domain: str | None
    domain_score: float
    top_domains: list[tuple[str, float]] = field(default_factory=list)
    uncertain: bool = False
    doc_id: str | None = None
    index: int | None = None
    section: str | None = None
    section_path: list[str] | None = None

    def __getitem__(self, key: str):
        return getattr(self, key)

    def to_dict(self) -> dict:
        row = asdict(self)
        row["top_domains"] = [[label, score] for label, score in self.top_domains]
        return row


def make_tags(
    texts: list[str],
    role_p: np.ndarray,
    domain_p: np.ndarray,
    role_labels: list[str],
    domain_labels: list[str],
    calibration: Calibration,
) -> list[Tag]:
    """Tags from calibrated probabilities; an empty text gets no labels and is uncertain."""
    tags = []
    for i, text in enumerate(texts):
        if not text:
            tags.append(Tag(text, None, 0.0, None, 0.0, [], True))
            continue
        r, d = int(role_p[i].argmax()), int(domain_p[i].argmax())
        top = np.argsort(-domain_p[i])[:3]
        role_score, domain_score = float(role_p[i, r]), float(domain_p[i, d])
        tags.append(
            Tag(
                text=text,
                role=role_labels[r],
                role_score=round(role_score, 4),
                domain=domain_labels[d],
                domain_score=round(domain_score, 4),
                top_domains=[(domain_labels[j], round(float(domain_p[i, j]), 4)) for j in top],
                uncertain=role_score < calibration.role_threshold
                or domain_score < calibration.domain_threshold,
            )
        )
    return tags


def file_tokenizer(path: str) -> Callable[[list[str]], list[list[int]]]:
    """Texts → token ids without special tokens, from a `tokenizer.json` (no truncation, no padding)."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return lambda texts: [e.ids for e in tokenizer.encode_batch(texts, add_special_tokens=False)]


def place(tags: list[Tag], paragraphs: list) -> list[Tag]:
    """Set each tag's `doc_id`, `index`, `section` and `section_path` from its paragraph (same order)."""
    for tag, paragraph in zip(tags, paragraphs):
        tag.doc_id, tag.index, tag.section = paragraph.doc_id, paragraph.index, paragraph.section
        tag.section_path = list(paragraph.section_path)
    return tags


def paragraph_inputs(paragraphs: list) -> tuple[list[str], list[list[str]]]:
    """Segmented paragraphs' texts and heading paths (already normalised), for `TextTagger.tag`."""
    texts = [p.text for p in paragraphs]
    return texts, [heading_path(p.section_path, p.text) for p in paragraphs]


def context_paths(
    sections: list | None, texts: list[str], normalize: Callable[[str], str]
) -> list[list[str]] | None:
    """Per normalised text, its normalised heading path from `sections` (each a list of headings,
    top first, one string or None; `heading_path` rules), or None when no sections are given.
    `ValueError` when `sections` and `texts` differ in length."""
    if sections is None:
        return None
    if isinstance(sections, str) or len(sections) != len(texts):
        raise ValueError(
            f"sections: give one heading path per text ({len(texts)}), a list of lists or strings"
        )
    return [
        heading_path([normalize(h) for h in ([s] if isinstance(s, str) else s or []) if h], text)
        for s, text in zip(sections, texts)
    ]


class TextTagger:
    """Normalised texts → `Tag`s, with any `WindowLogits` backend.

    `tokenize(texts)` gives token ids without special tokens (a `tokenizers.Tokenizer`
    or a transformers tokenizer, wrapped by the caller)."""

    def __init__(
        self,
        tokenize: Callable[[list[str]], list[list[int]]],
        settings: ExportSettings,
        run: WindowLogits,
        calibration: Calibration,
        ngrams: CharNgrams | None = None,
    ) -> None:
        self.tokenize, self.run, self.calibration = tokenize, run, calibration
        self.labels = settings.labels
        self.fusion = {axis: w for axis, w in settings.fusion.items() if axis in ("role", "domain") and w > 0}
        self.fusion_temperature = {
            axis: settings.fusion.get(f"{axis}_temperature", 1.0) for axis in ("role", "domain")
        }
        if self.fusion and ngrams is None:
            raise ValueError(
                "the settings fuse an n-gram model, and none was given (ngrams.json, ngrams.npz)"
            )
        self.ngrams = ngrams
        prefix = tuple(tokenize([settings.prefix])[0]) if settings.prefix else ()
        self.framing = WindowFraming(settings.special_ids, prefix, settings.windows, settings.context)
        self.pad_id = self.framing.pad_id

    def windows(self, texts: list[str], paths: list[list[str]] | None = None) -> list[list[list[int]]]:
        """Each text's framed windows, opened by its heading path (normalised, top first) where given."""
        headings = None
        if paths and self.framing.path_budget:
            flat = iter(self.tokenize([h for p in paths for h in p]) if any(paths) else [])
            headings = [[next(flat) for _ in p] for p in paths]
        return self.framing.frame_all(self.tokenize(texts) if texts else [], headings)

    def logits(self, texts: list[str], paths: list[list[str]] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Uncalibrated per-paragraph logits (for calibration and parity checks)."""
        return paragraph_logits(self.windows(texts, paths), self.run, self.pad_id)

    def tag_raw(self, texts: list[str], sections: list | None, normalize: Callable[[str], str]) -> list[Tag]:
        """Tags for raw texts, normalised by `normalize`, each read with its heading path from
        `sections` where given (`context_paths` rules); the tags carry the path read."""
        normalised = [normalize(t or "") for t in texts]
        paths = context_paths(sections, normalised, normalize)
        tags = self.tag(normalised, paths)
        for tag, path in zip(tags, paths or []):
            tag.section_path = path
        return tags

    def tag(self, texts: list[str], paths: list[list[str]] | None = None) -> list[Tag]:
        """Tags for normalised texts, each read with its heading path where `paths` is given."""
        role_p, domain_p = self.probabilities(texts, paths)
        return make_tags(texts, role_p, domain_p, self.labels.role, self.labels.domain, self.calibration)

    def probabilities(
        self, texts: list[str], paths: list[list[str]] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Calibrated (and fused) probabilities of every role and domain, per normalised text, in
        the order of the export's labels; zeros for an empty text."""
        where = [i for i, t in enumerate(texts) if t]
        role_p = np.zeros((len(texts), len(self.labels.role)), dtype=np.float32)
        domain_p = np.zeros((len(texts), len(self.labels.domain)), dtype=np.float32)
        if where:
            role_l, domain_l = self.logits(
                [texts[i] for i in where], [paths[i] for i in where] if paths else None
            )
            role_p[where] = softmax(role_l, self.calibration.role_temperature)
            domain_p[where] = softmax(domain_l, self.calibration.domain_temperature)
            for axis, probabilities in (("role", role_p), ("domain", domain_p)):
                if axis in self.fusion:
                    probabilities[where] = fuse(
                        probabilities[where],
                        self.ngrams.probabilities(
                            [texts[i] for i in where], axis, getattr(self.labels, axis)
                        ),
                        self.fusion[axis],
                        self.fusion_temperature.get(axis, 1.0),
                    )
        return role_p, domain_p
