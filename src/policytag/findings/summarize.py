"""`summarize`: from tag files to shares with intervals, tables, pictures and summary.md.

Writes to the output folder: shares.csv and shares.parquet (DESIGN.md contract 10),
role_by_domain.csv, the PNG pictures and summary.md tying them together.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from policytag.config import CONFIGS
from policytag.findings import pictures
from policytag.findings.adjust import (
    Confusion,
    check_labels,
    check_same_model,
    evaluated_models,
    read_predictions,
)
from policytag.findings.contrasts import Contrast, contrast_table, periods
from policytag.findings.coverage import Coverage, labelled_rows
from policytag.findings.results import group_rows, role_by_domain, share_table
from policytag.findings.summary import write_summary
from policytag.findings.tables import read_tags, tag_models
from policytag.io.outputs import Output, output_folder
from policytag.labels.schema import AXES, LabelSchema

WEIGHTS = ("paragraphs", "characters")
OUTPUT_COLUMNS = (
    "axis",
    "label",
    "paragraphs",
    "share",
    "share_low",
    "share_high",
    "reports",
    "characters",
    "covered",
    "adjusted",
    "adjusted_low",
    "adjusted_high",
)


@dataclass(frozen=True)
class SummaryConfig:
    by: tuple[str, ...] = ()
    exclude_uncertain: bool = False
    weight: str = "paragraphs"  # what a share counts: paragraphs or their characters
    adjust: tuple[Path, ...] = ()  # `policytag evaluate` folders of the same export: the confusion matrix
    coverage: tuple[Path, ...] = ()  # further labelled JSONL: which levels and years were checked
    bootstrap: int = 1000  # report resamples per group for the 95% intervals
    seed: int = 13
    period: int = 1  # years binned into periods of this many years (named by their first year)
    contrasts: tuple[str, ...] = ()  # `KEY=A,B`: share differences between two groups

    def __post_init__(self) -> None:
        if isinstance(self.period, bool) or not isinstance(self.period, int) or self.period < 1:
            raise ValueError(f"--period {self.period!r}: give a whole number of years, 1 or more")
        for text in self.contrasts:
            Contrast.parse(text)
        if self.weight not in WEIGHTS:
            raise ValueError(f"--weight {self.weight!r}: choose {' or '.join(WEIGHTS)}")
        if self.bootstrap < 1:
            raise ValueError(f"--bootstrap {self.bootstrap}: give at least 1 resample (1000 is usual)")
        clash = set(self.by) & set(OUTPUT_COLUMNS)
        if clash:
            raise ValueError(f"--by {', '.join(sorted(clash))}: that name is a column of shares.csv itself")


def summarize(tag_files: list[Path], out: Path, config: SummaryConfig, overwrite: bool = False) -> dict:
    """Summarise `tag_files` into `out`; returns what was written and the facts summary.md states.
    `out` follows the one output rule (`policytag.io.outputs`)."""
    inputs = (*tag_files, *config.adjust)
    with output_folder(Output(out, "summarize", inputs, overwrite)) as staging:
        return {**_summarize(tag_files, staging, config), "out": str(out)}


def _summarize(tag_files: list[Path], out: Path, config: SummaryConfig) -> dict:
    schema = LabelSchema.load(CONFIGS / "taxonomy.yaml")
    table = read_tags(tag_files, config.by, schema, config.exclude_uncertain)
    if config.period > 1 and "year" in table.columns:
        table["year"] = periods(table["year"], config.period)
    rng = np.random.default_rng(config.seed)
    facts = {
        "inputs": [str(p) for p in tag_files],
        "paragraphs": len(table),
        "reports": table["doc_id"].nunique(),
        "weight": config.weight,
        "exclude_uncertain": config.exclude_uncertain,
        "bootstrap": config.bootstrap,
        "seed": config.seed,
    }

    # The confusion matrix and the coverage come from held-out evaluations of the same export.
    confusions, coverage, evaluations = None, None, []
    if config.adjust:
        evaluations = read_predictions(config.adjust)
        check_labels(evaluations, schema)
        check_same_model(tag_models(tag_files), config.adjust)
        confusions = {
            axis: Confusion.from_rows(evaluations, axis, schema.labels(axis), config.exclude_uncertain)
            for axis in AXES
        }
        facts["confusion"] = {
            "paragraphs": confusions["domain"].paragraphs,
            "reports": len(confusions["domain"].counts),
            "folders": [str(f) for f in config.adjust],
            "models": evaluated_models(config.adjust),
            "unseen": {axis: c.unseen() for axis, c in confusions.items()},
            "condition": {axis: float(np.linalg.cond(c.matrix())) for axis, c in confusions.items()},
        }
    if config.adjust or config.coverage:
        coverage = Coverage.from_rows(labelled_rows(evaluations, config.coverage, config.adjust))
        facts["coverage"] = coverage.describe()

    shares = share_table(table, config.by, schema, config.weight, config.bootstrap, rng, confusions, coverage)
    shares.to_csv(out / "shares.csv", index=False)
    shares.to_parquet(out / "shares.parquet", index=False)
    roles_domains = role_by_domain(table, schema, config.weight, config.bootstrap, rng)
    roles_domains.to_csv(out / "role_by_domain.csv", index=False)

    drawn = _pictures(table, shares, roles_domains, schema, config, rng, out)
    contrasts = None
    if config.contrasts:
        parsed = [Contrast.parse(text) for text in config.contrasts]
        contrasts = contrast_table(table, parsed, schema, config.weight, config.bootstrap, rng)
        contrasts.to_csv(out / "contrasts.csv", index=False)
        pictures.contrast_plot(contrasts, schema.names, out / "contrasts.png")
        drawn.append("contrasts.png")
    facts["period"] = config.period
    write_summary(out / "summary.md", shares, config.by, roles_domains, schema, facts, drawn, contrasts)
    uncovered = int((~group_rows(shares, config.by)["covered"]).sum()) if coverage else 0
    return {
        **facts,
        "groups": len(shares) // (len(schema.role) + len(schema.domain)),
        "uncovered_groups": uncovered,
        "pictures": drawn,
        "out": str(out),
    }


def _pictures(
    table,
    shares,
    roles_domains,
    schema: LabelSchema,
    config: SummaryConfig,
    rng: np.random.Generator,
    out: Path,
) -> list[str]:
    """Draw the pictures the fields allow; returns their file names."""
    drawn = ["problem_by_domain.png"]
    pictures.problem_by_domain(roles_domains, out / drawn[0])
    if table["year"].notna().any():
        # Over the years per level, whatever --by says: regroup when --by is not exactly that.
        by = tuple(f for f in ("level", "year") if table[f].notna().any())
        trends = (
            shares
            if set(config.by) == set(by)
            else share_table(table, by, schema, config.weight, config.bootstrap, rng)
        )
        drawn.append("domain_shares_by_year.png")
        pictures.domain_trends(trends, schema.domain, schema.names, out / drawn[-1], config.period)
        drawn.append("problem_share_by_year.png")
        pictures.problem_over_time(trends, out / drawn[-1], config.period)
    if table["region"].notna().any():
        drawn.append("domain_shares_by_region.png")
        pictures.region_heatmap(table, schema.domain, schema.names, config.weight, out / drawn[-1])
    return drawn
