"""Contrasts between two groups: is a label's share higher in A than in B, and by how much?

`--contrast level=province,city` compares the paragraphs of reports whose `level` is `province`
(A) with those whose level is `city` (B), pooled over every other grouping. The difference is
share_b − share_a; its 95% interval resamples reports within each group independently (the two
groups are different reports), so it carries the spread between reports of both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from policytag.findings.shares import group_counts, percentile_interval, shares_with_replicates
from policytag.labels.schema import AXES, LabelSchema

COLUMNS = (
    "key",
    "axis",
    "label",
    "a",
    "b",
    "share_a",
    "share_b",
    "difference",
    "low",
    "high",
    "reports_a",
    "reports_b",
)


@dataclass(frozen=True)
class Contrast:
    key: str
    a: str
    b: str

    @classmethod
    def parse(cls, text: str) -> Contrast:
        key, sep, values = text.partition("=")
        pair = [v.strip() for v in values.split(",")]
        if not sep or not key.strip() or len(pair) != 2 or not all(pair) or pair[0] == pair[1]:
            raise ValueError(f"--contrast {text!r}: give KEY=A,B (a column and two different values of it)")
        return cls(key.strip(), pair[0], pair[1])


def contrast_table(
    table: pd.DataFrame,
    contrasts: Sequence[Contrast],
    schema: LabelSchema,
    weight: str,
    resamples: int,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """One row per contrast, axis and label (`COLUMNS`); `ValueError` naming a key that is not a
    column or a value with no reports."""
    records = []
    for contrast in contrasts:
        rows = {side: _side(table, contrast, value) for side, value in (("a", contrast.a), ("b", contrast.b))}
        for axis in AXES:
            labels = schema.labels(axis)
            estimates, replicates = {}, {}
            for side, part in rows.items():
                counts = group_counts(part, axis, labels, weight)
                estimates[side], replicates[side] = shares_with_replicates(counts, resamples, rng)
            difference = estimates["b"] - estimates["a"]
            low, high = percentile_interval(replicates["b"] - replicates["a"], difference)
            for k, label in enumerate(labels):
                records.append(
                    {
                        "key": contrast.key,
                        "axis": axis,
                        "label": label,
                        "a": contrast.a,
                        "b": contrast.b,
                        "share_a": estimates["a"][k],
                        "share_b": estimates["b"][k],
                        "difference": difference[k],
                        "low": low[k],
                        "high": high[k],
                        "reports_a": rows["a"]["doc_id"].nunique(),
                        "reports_b": rows["b"]["doc_id"].nunique(),
                    }
                )
    return pd.DataFrame.from_records(records, columns=list(COLUMNS))


def _side(table: pd.DataFrame, contrast: Contrast, value: str) -> pd.DataFrame:
    if contrast.key not in table.columns:
        known = ", ".join(c for c in table.columns if c not in ("text", "characters"))
        raise ValueError(f"--contrast {contrast.key}: not a column of the tags; columns: {known}")
    part = table[table[contrast.key].astype(str) == value]
    if part.empty:
        present = ", ".join(sorted(map(str, table[contrast.key].dropna().unique()))[:12])
        raise ValueError(
            f"--contrast {contrast.key}={value}: no report has that value; values present: {present}"
        )
    return part


def periods(years: pd.Series, width: int) -> pd.Series:
    """Years binned into periods of `width` years, each named by its first year (1990, 1995, …)."""
    return (years // width * width).astype("Int64")
