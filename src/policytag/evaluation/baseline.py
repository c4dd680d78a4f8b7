"""The baseline every report is held against: character n-gram TF-IDF + logistic regression.

Trained on the same training split as the model, one classifier per axis, on the
same normalised text; it shows how much the fine-tuned encoder adds.
"""

from __future__ import annotations

from dataclasses import dataclass

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline

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
