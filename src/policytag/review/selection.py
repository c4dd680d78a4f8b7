"""`select`: read candidate paragraphs, drop what must not be labelled, pick by a strategy and
write the tasks (see `strategies`, `exclusions` and `formats`)."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from policytag.config import SAMPLE, ConfigError
from policytag.data.prepare import PrepareConfig
from policytag.io.outputs import Output, output_folder
from policytag.labels.schema import LabelSchema
from policytag.review.candidates import load_candidates
from policytag.review.exclusions import build_exclusions
from policytag.review.formats import FORMATS, write_tasks
from policytag.review.strategies import pick_diverse, pick_random, pick_uncertain

STRATEGIES = ("random", "diverse", "uncertainty")


@dataclass(frozen=True)
class SelectConfig:
    """What to pick and how to write it; `data` is the repository's `data/` (gold, annotations)."""

    n: int
    strategy: str = "random"
    format: str = "jsonl"
    model: Path | None = None
    exclude: tuple[Path, ...] = ()
    seed: int = 13
    per_report: int | None = None
    pool: int = 2000
    data: Path = field(default_factory=lambda: SAMPLE)  # the repository's `data/` in a checkout

    def __post_init__(self) -> None:
        if self.strategy not in STRATEGIES:
            raise ConfigError(f"--strategy {self.strategy!r}: choose one of {', '.join(STRATEGIES)}")
        if self.format not in FORMATS:
            raise ConfigError(f"--format {self.format!r}: choose one of {', '.join(FORMATS)}")
        if self.strategy == "uncertainty" and self.model is None:
            raise ConfigError(
                "--strategy uncertainty needs a model: give an export or run folder with --model"
            )
        if self.n < 1 or (self.per_report is not None and self.per_report < 1):
            raise ConfigError("--n and --per-report must be at least 1")
        if self.strategy == "uncertainty" and self.pool < self.n:
            raise ConfigError(
                f"--pool {self.pool} is smaller than --n {self.n}: the pool is what gets ranked"
            )


def select(
    inputs: list[Path],
    out: Path,
    config: SelectConfig,
    prepare_config: PrepareConfig,
    overwrite: bool = False,
) -> dict:
    """Pick `config.n` paragraphs under `inputs` and write them as tasks under `out`; returns a
    summary (counts of candidates, picks by level and year, reasons candidates were refused).
    `out` follows the one output rule (`policytag.io.outputs`)."""
    inputs_all = (*inputs, *([config.model] if config.model else []), *config.exclude)
    with output_folder(Output(out, "select", inputs_all, overwrite)) as staging:
        summary = _select(inputs, staging, config, prepare_config)
    return {**summary, "tasks": str(out / Path(summary["tasks"]).name)}


def _select(inputs: list[Path], out: Path, config: SelectConfig, prepare_config: PrepareConfig) -> dict:
    predictor = None
    if config.model is not None:
        from policytag.predict.predictor import Predictor

        predictor = Predictor.open(config.model)
    exclusions = build_exclusions(
        config.data, list(config.exclude), prepare_config
    )  # its errors before the long read
    candidates, skipped = load_candidates(inputs, prepare_config)
    read = len(candidates)
    # excluded paragraphs leave before any strategy draws, so they never shift its random order
    candidates = [row for row in candidates if exclusions.allows(row)]
    rng = random.Random(config.seed)
    predict = (
        (lambda texts: predictor.predict_batched(texts, desc="scoring")) if predictor is not None else None
    )
    tags: dict = {}
    if config.strategy == "random":
        picked = pick_random(candidates, config.n, exclusions, rng, config.per_report)
    elif config.strategy == "diverse":
        picked, tags = pick_diverse(candidates, config.n, exclusions, rng, config.per_report, predict)
    else:
        picked, tags = pick_uncertain(
            candidates, config.n, exclusions, rng, predict, config.pool, config.per_report
        )
    if predictor is not None and config.format != "jsonl":
        missing = [row for row in picked if row["id"] not in tags]
        tags.update(zip((r["id"] for r in missing), predict([r["text"] for r in missing])))
    rows = [{**row, "selected_by": config.strategy} for row in picked]
    schema = LabelSchema.load(prepare_config.rules.taxonomy)
    version = str(config.model) if config.model is not None else None
    path = write_tasks(out, rows, config.format, schema, tags if config.format != "jsonl" else {}, version)
    return {
        "tasks": str(path),
        "candidates": read,
        "candidate_reports": len({c["doc_id"] for c in candidates}),
        "picked": len(rows),
        "reports": len({r["doc_id"] for r in rows}),
        "by_level": dict(Counter(str(r["level"]) for r in rows).most_common()),
        "by_decade": dict(sorted(Counter(_decade(r["year"]) for r in rows).items())),
        "refused": dict(exclusions.refused),
        "skipped": skipped,
    }


def _decade(year: int | None) -> str:
    return f"{year // 10 * 10}s" if year else "unknown"
