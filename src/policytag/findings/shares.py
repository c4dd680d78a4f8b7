"""Shares of each label within a group, with 95% intervals from resampling whole reports.

A group's paragraphs are not independent draws: paragraphs of one report share an
author, a year and a template. The intervals therefore resample whole reports
(`doc_id`) with replacement within the group, and every replicate is one matrix
product: (times each report is drawn) × (weight per report and label).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from policytag.stats.metrics import resample_weights

LEVEL = 0.95


@dataclass(frozen=True)
class GroupCounts:
    """One group's weights per report and label: `paragraphs` and `weights` are (reports, labels)."""

    paragraphs: np.ndarray
    weights: np.ndarray  # paragraphs, or characters, per report and label

    @property
    def reports(self) -> int:
        return self.weights.shape[0]


def group_counts(
    rows: pd.DataFrame, axis: str, labels: Sequence[str], weight: str, only: pd.Series | None = None
) -> GroupCounts:
    """Per report (rows of `doc_id`) and label of `axis`: paragraph counts and the chosen weight
    (`paragraphs` or `characters`); paragraphs without a label on `axis` are left out, and so are
    those outside `only` (a mask over `rows`), whose reports still count (with zeros)."""
    reports, report_index = np.unique(rows["doc_id"].to_numpy(dtype=str), return_inverse=True)
    keep = rows[axis].notna().to_numpy() & (True if only is None else only.to_numpy(dtype=bool))
    codes = pd.Categorical(rows[axis], categories=list(labels)).codes
    at = (report_index[keep], codes[keep])
    paragraphs = np.zeros((len(reports), len(labels)))
    np.add.at(paragraphs, at, 1)
    if weight == "paragraphs":
        return GroupCounts(paragraphs, paragraphs)
    weights = np.zeros_like(paragraphs)
    np.add.at(weights, at, rows["characters"].to_numpy(dtype=float)[keep])
    return GroupCounts(paragraphs, weights)


def normalise(totals: np.ndarray) -> np.ndarray:
    """Rows of non-negative totals as shares summing to 1 (all zeros where a row is empty)."""
    sums = totals.sum(axis=-1, keepdims=True)
    return np.divide(totals, sums, out=np.zeros_like(totals, dtype=float), where=sums > 0)


def shares_with_replicates(
    counts: GroupCounts, resamples: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """The group's shares per label and (resamples, labels) shares of resampled reports."""
    estimate = normalise(counts.weights.sum(axis=0))
    drawn = resample_weights(counts.reports, resamples, rng)
    return estimate, normalise(drawn @ counts.weights)


def percentile_interval(replicates: np.ndarray, estimate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """95% percentile intervals per column, widened where needed to hold `estimate` (a percentile
    interval can miss it when a group has very few reports or the statistic is clipped)."""
    if len(replicates) == 0:
        return estimate.copy(), estimate.copy()
    tail = (1 - LEVEL) / 2 * 100
    low, high = np.percentile(replicates, [tail, 100 - tail], axis=0)
    return np.minimum(low, estimate), np.maximum(high, estimate)


def ratio_with_interval(
    numerator: np.ndarray, denominator: np.ndarray, resamples: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per column, sum(numerator) / sum(denominator) over reports (rows), with a 95% interval from
    resampling reports; 0 where the denominator is 0."""

    def ratio(top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
        return np.divide(top, bottom, out=np.zeros_like(top, dtype=float), where=bottom > 0)

    estimate = ratio(numerator.sum(axis=0), denominator.sum(axis=0))
    drawn = resample_weights(numerator.shape[0], resamples, rng)
    low, high = percentile_interval(ratio(drawn @ numerator, drawn @ denominator), estimate)
    return estimate, low, high
