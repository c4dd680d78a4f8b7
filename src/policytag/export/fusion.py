"""How much of the n-gram model to mix into the encoder's probabilities, chosen on the selection pool.

For each axis, the weight w of `fuse(encoder, ngrams, w)` is the one on `GRID` that gives the
highest macro-F1 on the selection pool (the dev gold and the files pooled with it), the smaller
weight on ties; w = 0 leaves the axis to the encoder alone. A mixture of probabilities is less
sharp than either: a temperature fitted on the same pool recalibrates it (`calibration.py`).
The test sets take no part.
"""

from __future__ import annotations

import numpy as np

from policytag.runtime.tagging import fuse
from policytag.stats.metrics import macro_f1

GRID = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def choose_weight(
    encoder: np.ndarray, ngrams: np.ndarray, gold: np.ndarray
) -> tuple[float, dict[float, float]]:
    """The weight with the best macro-F1 on the labelled rows (`gold` ≥ 0), and every weight's score."""
    keep = gold >= 0
    scores = {}
    for weight in GRID:
        predicted = fuse(encoder[keep], ngrams[keep], weight).argmax(axis=1)
        scores[weight] = round(float(macro_f1(gold[keep], predicted)), 4)
    best = max(GRID, key=lambda w: (scores[w], -w))
    return best, scores
