"""The tables `summarize` writes: tidy shares per group and axis, and role × domain."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from policytag.findings.adjust import Confusion, adjust_with, solver
from policytag.findings.coverage import Coverage
from policytag.findings.shares import (
    group_counts,
    percentile_interval,
    ratio_with_interval,
    shares_with_replicates,
)
from policytag.labels.schema import AXES, LabelSchema


def share_table(
    table: pd.DataFrame,
    by: Sequence[str],
    schema: LabelSchema,
    weight: str,
    resamples: int,
    rng: np.random.Generator,
    confusions: Mapping[str, Confusion] | None = None,
    coverage: Coverage | None = None,
) -> pd.DataFrame:
    """One row per group (values of `by`), axis and taxonomy label: `paragraphs`, `characters`,
    `share` with `share_low`/`share_high` (95%, resampling the group's reports), `reports`; with
    `confusions`, `adjusted` and its interval (C re-estimated in every replicate); with `coverage`,
    `covered` (every paragraph of the group inside the labelled levels and years)."""
    inverses = {
        axis: (solver(c.matrix()), solver(c.replicates(resamples, rng)))
        for axis, c in (confusions or {}).items()
    }
    inside = (
        coverage.covered(table) if coverage is not None else None
    )  # which fields to check: the whole table's
    records = []
    for key, rows in _groups(table, by):
        group = {**dict(zip(by, key)), "reports": rows["doc_id"].nunique()}
        if inside is not None:
            group["covered"] = bool(inside.loc[rows.index].all())
        for axis in AXES:
            labels = schema.labels(axis)
            counts = group_counts(rows, axis, labels, weight)
            characters = group_counts(rows, axis, labels, "characters").weights.sum(axis=0)
            estimate, replicates = shares_with_replicates(counts, resamples, rng)
            columns = {
                "paragraphs": counts.paragraphs.sum(axis=0).astype(int),
                "characters": characters.astype(int),
                "share": estimate,
                **_interval("share", replicates, estimate),
            }
            if axis in inverses:  # replicate b pairs resampled reports b with C re-estimated b
                inverse, inverse_replicates = inverses[axis]
                adjusted = adjust_with(estimate, inverse)
                columns |= {
                    "adjusted": adjusted,
                    **_interval("adjusted", adjust_with(replicates, inverse_replicates), adjusted),
                }
            for k, label in enumerate(labels):
                records.append(
                    {
                        **group,
                        "axis": axis,
                        "label": label,
                        **{name: values[k] for name, values in columns.items()},
                    }
                )
    order = [*by, "axis", "label", "paragraphs", "share", "share_low", "share_high", "reports", "characters"]
    frame = pd.DataFrame.from_records(records)
    return frame[order + [c for c in frame.columns if c not in order]]


def role_by_domain(
    table: pd.DataFrame, schema: LabelSchema, weight: str, resamples: int, rng: np.random.Generator
) -> pd.DataFrame:
    """Per domain: paragraph counts per role, all paragraphs, and `problem_share` (problem among
    the domain's paragraphs, by `weight`) with a 95% interval from resampling reports."""
    rows = table[table["role"].notna()]
    domains = schema.labels("domain")
    counts = pd.crosstab(rows["domain"], rows["role"]).reindex(
        index=list(domains), columns=list(schema.role), fill_value=0
    )
    everything = group_counts(rows, "domain", domains, weight).weights
    problem = group_counts(rows, "domain", domains, weight, only=rows["role"] == "problem").weights
    share, low, high = ratio_with_interval(problem, everything, resamples, rng)
    result = counts.reset_index().rename(columns={"index": "domain"})
    result.columns.name = None
    result.insert(1, "name", [schema.names[d] for d in domains])
    result["paragraphs"] = counts.sum(axis=1).to_numpy()
    result["problem_share"], result["problem_share_low"], result["problem_share_high"] = share, low, high
    return result


def group_rows(shares: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """The first row of each group of a `share_table`, in its order (one row when `by` is empty)."""
    return shares.drop_duplicates(subset=list(by)) if by else shares.head(1)


def _interval(name: str, replicates: np.ndarray, estimate: np.ndarray) -> dict[str, np.ndarray]:
    low, high = percentile_interval(replicates, estimate)
    return {f"{name}_low": low, f"{name}_high": high}


def _groups(table: pd.DataFrame, by: Sequence[str]):
    if not by:
        return [((), table)]
    return table.groupby(list(by), dropna=False, sort=True)
