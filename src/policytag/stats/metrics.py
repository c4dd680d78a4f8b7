"""Metrics per axis (scikit-learn) and report-level bootstrap intervals.

Macro-F1 averages over the classes present in the gold labels: a class the gold set
never uses has no defined recall, and counting it as zero would only measure the
sample. Paragraphs without a gold label on an axis are left out of that axis.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support


def axis_metrics(gold: Sequence[str], pred: Sequence[str], alt: Sequence[str | None] | None = None) -> dict:
    """Accuracy, macro- and weighted F1 and per-class figures; `lenient_accuracy` when `alt` is given."""
    labels = sorted(set(gold))
    precision, recall, f1, support = precision_recall_fscore_support(
        gold, pred, labels=labels, zero_division=0
    )
    result = {
        "n": len(gold),
        "accuracy": float(accuracy_score(gold, pred)) if len(gold) else 0.0,
        "macro_f1": float(f1_score(gold, pred, labels=labels, average="macro", zero_division=0))
        if labels
        else 0.0,
        "weighted_f1": float(f1_score(gold, pred, labels=labels, average="weighted", zero_division=0))
        if labels
        else 0.0,
        "per_class": {
            label: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
            for label, p, r, f, s in zip(labels, precision, recall, f1, support)
        },
    }
    if alt is not None:
        right = sum(1 for g, p, a in zip(gold, pred, alt) if p == g or (a is not None and p == a))
        result["lenient_accuracy"] = right / len(gold) if len(gold) else 0.0
    return result


def bootstrap_intervals(
    groups: Sequence[str],
    gold: Sequence[str],
    pred: Sequence[str],
    resamples: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> dict[str, list[float]]:
    """95% intervals for accuracy and macro-F1, resampling whole reports (`groups`) with replacement."""
    codes, weights = report_draws(groups, resamples, seed)
    right = np.bincount(codes, weights=np.asarray(gold, dtype=object) == np.asarray(pred, dtype=object))
    accuracy = (weights @ right) / np.maximum(weights @ np.bincount(codes), 1)
    macro = macro_f1_draws(gold, pred, codes, weights)
    tail = (1 - level) / 2 * 100
    return {
        "accuracy": [float(np.percentile(accuracy, tail)), float(np.percentile(accuracy, 100 - tail))],
        "macro_f1": [float(np.percentile(macro, tail)), float(np.percentile(macro, 100 - tail))],
    }


def paired_difference_interval(
    groups: Sequence[str],
    gold: Sequence[str],
    pred_a: Sequence[str],
    pred_b: Sequence[str],
    resamples: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> dict[str, float]:
    """Macro-F1 of `pred_a` minus that of `pred_b` on the same paragraphs: the observed
    difference, its 95% interval from resampling whole reports (`groups`) with both
    predictions scored on each resample, and the share of resamples where `a` is ahead."""
    codes, weights = report_draws(groups, resamples, seed)
    samples = macro_f1_draws(gold, pred_a, codes, weights) - macro_f1_draws(gold, pred_b, codes, weights)
    tail = (1 - level) / 2 * 100
    return {
        "difference": macro_f1(gold, pred_a) - macro_f1(gold, pred_b),
        "low": float(np.percentile(samples, tail)),
        "high": float(np.percentile(samples, 100 - tail)),
        "a_ahead": float(np.mean(samples > 0)),
    }


def report_draws(groups: Sequence[str], resamples: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The one report bootstrap: each paragraph's report (as a code 0…R−1, in order of first
    appearance) and (resamples, R) counts of how often each report is drawn, whole reports
    being drawn with replacement (`resample_weights`)."""
    index: dict[str, int] = {}
    codes = np.asarray([index.setdefault(g, len(index)) for g in groups], dtype=int)
    return codes, resample_weights(len(index), resamples, np.random.default_rng(seed))


def resample_weights(units: int, resamples: int, rng: np.random.Generator) -> np.ndarray:
    """(resamples, units): how often each unit (report) is drawn when `units` units are drawn
    with replacement."""
    if units == 0:
        return np.zeros((resamples, 0))
    return rng.multinomial(units, np.full(units, 1 / units), size=resamples).astype(float)


def macro_f1_draws(gold: Sequence, pred: Sequence, codes: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Macro-F1 over the classes present in each draw's gold, for every row of `weights` (how
    often each report is drawn): per report and class, true positives, gold and predicted
    counts, then F1 = 2·tp / (gold + predicted) per class of the weighted sums."""
    labels = {label: i for i, label in enumerate(dict.fromkeys([*gold, *pred]))}
    g = np.asarray([labels[x] for x in gold], dtype=int)
    p = np.asarray([labels[x] for x in pred], dtype=int)
    counts = np.zeros((3, weights.shape[1], len(labels)))
    np.add.at(counts[0], (codes, g), g == p)
    np.add.at(counts[1], (codes, g), 1)
    np.add.at(counts[2], (codes, p), 1)
    tp, in_gold, predicted = (weights @ c for c in counts)
    present = in_gold > 0
    f1 = np.divide(2 * tp, in_gold + predicted, out=np.zeros_like(tp), where=present)
    return f1.sum(axis=1) / np.maximum(present.sum(axis=1), 1)


def macro_f1(gold: Sequence, pred: Sequence) -> float:
    """Macro-F1 over the classes present in `gold` (as scikit-learn's `f1_score(average="macro",
    labels=the gold classes)`)."""
    codes = np.zeros(len(gold), dtype=int)
    return float(macro_f1_draws(gold, pred, codes, np.ones((1, 1)))[0])


def reliability_bins(confidence: Sequence[float], correct: Sequence[bool], bins: int = 15) -> list[dict]:
    """Per equal-width confidence bin ((k/bins, (k+1)/bins], the first one closed): count,
    mean confidence and accuracy."""
    conf = np.asarray(confidence, dtype=np.float64)
    right = np.asarray(correct, dtype=np.float64)
    which = np.clip(np.ceil(conf * bins).astype(int) - 1, 0, bins - 1)
    result = []
    for k in range(bins):
        members = which == k
        n = int(members.sum())
        result.append(
            {
                "low": k / bins,
                "high": (k + 1) / bins,
                "n": n,
                "confidence": float(conf[members].mean()) if n else None,
                "accuracy": float(right[members].mean()) if n else None,
            }
        )
    return result


def expected_calibration_error(confidence: Sequence[float], correct: Sequence[bool], bins: int = 15) -> float:
    """ECE: Σ over bins of (bin share) × |accuracy − mean confidence|, 15 equal-width bins."""
    total = len(confidence)
    if not total:
        return 0.0
    return float(
        sum(
            b["n"] / total * abs(b["accuracy"] - b["confidence"])
            for b in reliability_bins(confidence, correct, bins)
            if b["n"]
        )
    )
