"""Prevalence corrected for the model's known confusion (adjusted classify-and-count).

With C[i, j] = P(predicted j | true i), estimated on held-out labelled paragraphs,
the observed shares are p_observed = Cᵀ p_true; the adjusted shares solve that system
(least squares, so a near-singular C does not explode), are clipped at 0 and
renormalised. A true class the labelled data never shows keeps its row of the identity:
nothing is known about how it is confused, so it is taken as read right.

C's own uncertainty is carried into the intervals: each bootstrap replicate
re-estimates C from labelled reports drawn with replacement.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from policytag.findings.shares import normalise
from policytag.io.jsonl import read_labelled
from policytag.runtime.normalize import normalize
from policytag.stats.metrics import resample_weights


class EvaluationError(ValueError):
    """An evaluation folder that cannot give a confusion matrix; the message says which and why."""


def read_predictions(folders: Sequence[Path]) -> list[dict]:
    """The rows of each folder's `predictions.jsonl` (written by `policytag evaluate`), pooled;
    a paragraph (`id`) that two folders share is counted once, and must be the same text in both
    (`EvaluationError` naming the ids otherwise)."""
    rows, seen, texts, clashes = [], set(), {}, []
    for folder in folders:
        path = Path(folder) / "predictions.jsonl"
        if not path.is_file():
            raise EvaluationError(
                f"{folder}: no predictions.jsonl; give folders written by "
                "`policytag evaluate EXPORT --data LABELLED.jsonl --out FOLDER`"
            )
        for number, row in enumerate(read_labelled(path), start=1):
            key = row.get("id", f"{path}:{number}")
            text = normalize(str(row.get("text", "")))
            if key in texts and texts[key] != text:
                clashes.append(str(key))
            texts.setdefault(key, text)
            if key not in seen:
                seen.add(key)
                rows.append({**row, "source": str(folder)})
    if clashes:
        raise EvaluationError(
            f"paragraph ids {', '.join(clashes[:5])}{' …' if len(clashes) > 5 else ''} stand for different "
            f"texts in {', '.join(map(str, folders))}; these evaluations are not of the same labelled set"
        )
    return rows


def check_labels(rows: Sequence[dict], schema) -> None:
    """Every gold and predicted label of the evaluation rows is in the taxonomy (named otherwise)."""
    for axis in ("role", "domain"):
        known = set(schema.labels(axis))
        unknown = sorted(
            {
                str(r.get(key))
                for r in rows
                for key in (axis, f"gold_{axis}")
                if r.get(key) and r[key] not in known
            }
        )
        if unknown:
            raise EvaluationError(
                f"--adjust: {axis} labels outside the taxonomy in the evaluations: {', '.join(unknown)}; "
                "evaluate a model of this taxonomy on labels of this taxonomy"
            )


def check_same_model(tag_models: Sequence[str], folders: Sequence[Path]) -> None:
    """The evaluations scored the export that tagged (its manifest hash, as the tag parts record it)."""
    for folder in folders:
        metrics = json.loads((Path(folder) / "metrics.json").read_text(encoding="utf-8"))
        scored = metrics.get("model_manifest_sha256")
        for model in tag_models:
            if scored != model:
                raise EvaluationError(
                    f"--adjust {folder}: evaluates the model with manifest {scored or 'not recorded'}, but "
                    f"the tags were made by the model with manifest {model}; evaluate the export that "
                    "tagged (`policytag evaluate EXPORT --data LABELLED --out FOLDER`)"
                )


def evaluated_models(folders: Sequence[Path]) -> list[str]:
    """The distinct models (`model` of each folder's metrics.json) the evaluations scored."""
    models = set()
    for folder in folders:
        metrics = Path(folder) / "metrics.json"
        if metrics.is_file():
            models.add(str(json.loads(metrics.read_text(encoding="utf-8")).get("model")))
    return sorted(models)


@dataclass(frozen=True)
class Confusion:
    """Confusion counts per labelled report: `counts[r, i, j]` paragraphs of report r, true i, predicted j."""

    labels: tuple[str, ...]
    counts: np.ndarray

    @classmethod
    def from_rows(
        cls, rows: Sequence[dict], axis: str, labels: Sequence[str], exclude_uncertain: bool = False
    ) -> Confusion:
        """From evaluation rows with `gold_<axis>` and `<axis>`; rows without either are left out,
        and so are uncertain ones when `exclude_uncertain` (as they are from the tags)."""
        index = {label: k for k, label in enumerate(labels)}
        kept = [
            r
            for r in rows
            if r.get(f"gold_{axis}") in index
            and r.get(axis) in index
            and not (exclude_uncertain and r.get("uncertain"))
        ]
        reports = sorted({str(r["doc_id"]) for r in kept})  # the unit of resampling: one report
        where = {report: k for k, report in enumerate(reports)}
        counts = np.zeros((len(reports), len(labels), len(labels)))
        for r in kept:
            counts[where[str(r["doc_id"])], index[r[f"gold_{axis}"]], index[r[axis]]] += 1
        return cls(tuple(labels), counts)

    @property
    def paragraphs(self) -> int:
        return int(self.counts.sum())

    def unseen(self) -> list[str]:
        """True classes the labelled data never shows (their rows of C are the identity)."""
        return [label for label, n in zip(self.labels, self.counts.sum(axis=(0, 2))) if n == 0]

    def matrix(self) -> np.ndarray:
        """C estimated on all labelled reports."""
        return confusion_matrix(self.counts.sum(axis=0))

    def replicates(self, resamples: int, rng: np.random.Generator) -> np.ndarray:
        """(resamples, labels, labels): C re-estimated on labelled reports drawn with replacement."""
        drawn = resample_weights(len(self.counts), resamples, rng)
        flat = drawn @ self.counts.reshape(len(self.counts), -1)
        return confusion_matrix(flat.reshape(resamples, len(self.labels), len(self.labels)))


def confusion_matrix(counts: np.ndarray) -> np.ndarray:
    """Row-normalised counts (…, true, predicted); a true class with no rows keeps the identity."""
    k = counts.shape[-1]
    empty = counts.sum(axis=-1, keepdims=True) == 0
    return normalise(np.where(empty, np.eye(k), counts))


def adjusted_prevalence(observed: np.ndarray, confusion: np.ndarray) -> np.ndarray:
    """Solve observed = Cᵀ p for p (least squares), clip at 0 and renormalise; batched over
    leading axes of `observed` (…, labels) and `confusion` (…, labels, labels)."""
    return adjust_with(observed, solver(confusion))


def solver(confusion: np.ndarray) -> np.ndarray:
    """The least-squares inverse of Cᵀ (batched), to adjust many groups with one C."""
    return np.linalg.pinv(np.swapaxes(confusion, -1, -2))


def adjust_with(observed: np.ndarray, inverse: np.ndarray) -> np.ndarray:
    """`adjusted_prevalence` given `solver(C)`: where every solved share is ≤ 0, the observed ones."""
    clipped = np.clip((inverse @ observed[..., None])[..., 0], 0, None)
    return np.where(clipped.sum(axis=-1, keepdims=True) > 0, normalise(clipped), observed)
