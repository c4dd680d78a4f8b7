"""The baseline every report is held against: character n-gram TF-IDF + logistic regression.

Trained on the same training split as the model, one classifier per axis, on the
same normalised text; it shows how much the fine-tuned encoder adds.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline

from policytag.io.jsonl import read_labelled
from policytag.runtime.checksum import sha256
from policytag.runtime.ngrams import AxisNgrams, CharNgrams
from policytag.runtime.normalize import normalize


@dataclass
class TfidfBaseline:
    """One char 1–3-gram TF-IDF + logistic regression pipeline per axis."""

    pipelines: dict[str, Pipeline]

    @classmethod
    def fit(
        cls, rows: list[dict], axes: tuple[str, ...] = ("role", "domain"), seed: int = 0
    ) -> TfidfBaseline:
        pipelines = {}
        for axis in axes:
            labelled = [r for r in rows if r.get(axis)]
            if len({r[axis] for r in labelled}) < 2:
                raise ValueError(f"baseline: fewer than two {axis} labels in the training rows")
            pipeline = make_pipeline(
                TfidfVectorizer(
                    analyzer="char", ngram_range=(1, 3), min_df=2, sublinear_tf=True, max_features=200_000
                ),
                LogisticRegression(max_iter=2000, class_weight="balanced", C=4.0, random_state=seed),
            )
            pipeline.fit([normalize(r["text"]) for r in labelled], [r[axis] for r in labelled])
            pipelines[axis] = pipeline
        return cls(pipelines)

    def predict(self, texts: list[str], axis: str) -> list[str]:
        return list(self.pipelines[axis].predict([normalize(t) for t in texts]))

    def typed(self, rows_sha256: str) -> CharNgrams:
        """The fitted pipelines as typed arrays (`policytag.runtime.ngrams`), to ship in an export."""
        axes = {}
        for axis, pipeline in self.pipelines.items():
            vectorizer, regression = pipeline.steps[0][1], pipeline.steps[1][1]
            coef, intercept = regression.coef_, regression.intercept_
            if coef.shape[0] == 1:  # two classes: scikit-learn keeps one row; softmax needs both
                coef, intercept = (
                    np.vstack([-coef / 2, coef / 2]),
                    np.array([-intercept[0] / 2, intercept[0] / 2]),
                )
            axes[axis] = AxisNgrams(
                tuple(regression.classes_),
                {gram: int(k) for gram, k in vectorizer.vocabulary_.items()},
                vectorizer.idf_.astype(np.float64),
                coef.astype(np.float32),
                intercept.astype(np.float32),
                tuple(vectorizer.ngram_range),
            )
        return CharNgrams(axes, rows_sha256)


def baseline_for(rows_file: Path, model_folder: Path | None, seed: int = 0):
    """The n-gram baseline fitted on `rows_file`: the one `model_folder` carries when it was
    fitted on exactly these rows (same SHA-256), else fitted now."""
    digest = sha256(rows_file)
    if model_folder is not None and CharNgrams.present(model_folder):
        carried = CharNgrams.load(model_folder)
        if carried.rows_sha256 == digest:
            return carried
    return TfidfBaseline.fit(read_labelled(rows_file), seed=seed)
