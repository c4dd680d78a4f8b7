"""A character n-gram TF-IDF + logistic regression model as typed arrays, read with numpy alone.

The n-gram model is fitted with scikit-learn (`policytag.modeling.baseline`); an export
carries it as plain files, so every backend and the standalone `predictor.py` read it the same
way, and nothing is unpickled:

    ngrams.json   per axis: the labels, the n-gram vocabulary (in feature order), the n-gram
                  range; and the SHA-256 of the training rows it was fitted on
    ngrams.npz    per axis: `idf`, `coef` (labels × features) and `intercept` (numpy arrays,
                  loaded with `allow_pickle=False`)

`probabilities` reproduces scikit-learn's char analyzer (lower-cased, runs of white space
made one space, every n-gram of the range), sublinear TF × IDF, L2 normalisation and the
multinomial logistic regression's softmax.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from policytag.runtime.normalize import normalize

META_FILE = "ngrams.json"
ARRAYS_FILE = "ngrams.npz"
_WHITE = re.compile(r"\s\s+")


@dataclass(frozen=True)
class AxisNgrams:
    labels: tuple[str, ...]
    vocabulary: dict[str, int]
    idf: np.ndarray  # (features,)
    coef: np.ndarray  # (labels, features)
    intercept: np.ndarray  # (labels,)
    ngram_range: tuple[int, int] = (1, 3)

    def features(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The text's feature indices and L2-normalised sublinear TF-IDF values."""
        text = _WHITE.sub(" ", text.lower())
        low, high = self.ngram_range
        counts = Counter(text[i : i + n] for n in range(low, high + 1) for i in range(len(text) - n + 1))
        found = [(self.vocabulary[g], c) for g, c in counts.items() if g in self.vocabulary]
        if not found:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        index = np.fromiter((i for i, _ in found), dtype=np.int64, count=len(found))
        values = (1.0 + np.log([c for _, c in found])) * self.idf[index]
        return index, values / np.linalg.norm(values)

    def probabilities(self, texts: list[str]) -> np.ndarray:
        decision = np.empty((len(texts), len(self.labels)))
        for row, text in enumerate(texts):
            index, values = self.features(text)
            decision[row] = self.coef[:, index] @ values + self.intercept
        decision -= decision.max(axis=1, keepdims=True)
        exp = np.exp(decision)
        return (exp / exp.sum(axis=1, keepdims=True)).astype(np.float32)


@dataclass(frozen=True)
class CharNgrams:
    """Both axes' n-gram models, and the hash of the rows they were fitted on."""

    axes: dict[str, AxisNgrams]
    rows_sha256: str

    def probabilities(self, texts: list[str], axis: str, labels: list[str] | None = None) -> np.ndarray:
        """(texts, labels) probabilities of normalised texts; columns in `labels` order when given
        (0 for a label the n-gram model never saw)."""
        model = self.axes[axis]
        found = model.probabilities(texts)
        if labels is None:
            return found
        out = np.zeros((len(texts), len(labels)), dtype=np.float32)
        for k, label in enumerate(labels):
            if label in model.labels:
                out[:, k] = found[:, model.labels.index(label)]
        return out

    def predict(self, texts: list[str], axis: str) -> list[str]:
        """Labels of raw texts (normalised first, as the fitted baseline reads them)."""
        labels = self.axes[axis].labels
        probabilities = self.probabilities([normalize(t) for t in texts], axis)
        return [labels[k] for k in probabilities.argmax(axis=1)]

    def save(self, folder: Path) -> None:
        meta = {
            "rows_sha256": self.rows_sha256,
            "axes": {
                axis: {
                    "labels": list(m.labels),
                    "ngram_range": list(m.ngram_range),
                    "vocabulary": _in_order(m),
                }
                for axis, m in self.axes.items()
            },
        }
        (Path(folder) / META_FILE).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        arrays = {}
        for axis, m in self.axes.items():
            arrays |= {f"{axis}_idf": m.idf, f"{axis}_coef": m.coef, f"{axis}_intercept": m.intercept}
        with (Path(folder) / ARRAYS_FILE).open("wb") as handle:
            np.savez_compressed(handle, **arrays)

    @classmethod
    def load(cls, folder: Path) -> CharNgrams:
        meta = json.loads((Path(folder) / META_FILE).read_text(encoding="utf-8"))
        with np.load(Path(folder) / ARRAYS_FILE, allow_pickle=False) as arrays:
            axes = {
                axis: AxisNgrams(
                    tuple(spec["labels"]),
                    {gram: k for k, gram in enumerate(spec["vocabulary"])},
                    arrays[f"{axis}_idf"],
                    arrays[f"{axis}_coef"],
                    arrays[f"{axis}_intercept"],
                    tuple(spec["ngram_range"]),
                )
                for axis, spec in meta["axes"].items()
            }
        return cls(axes, meta["rows_sha256"])

    @staticmethod
    def present(folder: Path) -> bool:
        return (Path(folder) / META_FILE).is_file() and (Path(folder) / ARRAYS_FILE).is_file()


def _in_order(model: AxisNgrams) -> list[str]:
    ordered = [""] * len(model.vocabulary)
    for gram, k in model.vocabulary.items():
        ordered[k] = gram
    return ordered
