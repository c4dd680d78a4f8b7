"""Two models, several training seeds each, compared on the same labelled paragraphs.

Each seed is one `policytag evaluate` folder (its `predictions.jsonl`). A model's score is
its macro-F1 averaged over its seeds; the difference between two models is that mean minus
the other's, with a 95% interval from resampling whole reports: on every resample all seeds
of both models are scored on the same paragraphs, so the interval is paired and carries the
spread between reports, while the seed average smooths the spread between training runs.
Only paragraphs that every folder scored enter (an evaluation in context leaves out gold
paragraphs it could not find in their reports).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from policytag.stats.metrics import macro_f1, macro_f1_draws, report_draws

AXES = ("role", "domain")


@dataclass(frozen=True)
class SeedScores:
    """One model's macro-F1 per seed on the shared paragraphs, their mean and its 95% interval."""

    per_seed: list[float]
    mean: float
    low: float
    high: float


@dataclass(frozen=True)
class PairedSeeds:
    """Model a against model b on one axis: each one's `SeedScores` and the paired difference."""

    axis: str
    n: int
    reports: int
    a: SeedScores
    b: SeedScores
    difference: float
    low: float
    high: float
    a_ahead: float  # share of resamples where a's seed mean is above b's


def read_predictions(folder: Path) -> dict[str, dict]:
    """The rows of `folder/predictions.jsonl` by paragraph id (`FileNotFoundError` naming it)."""
    path = folder / "predictions.jsonl"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no predictions; give `policytag evaluate` output folders")
    with path.open(encoding="utf-8") as handle:
        return {row["id"]: row for row in map(json.loads, handle)}


def compare_seeds(
    a: list[Path], b: list[Path], axis: str, resamples: int = 1000, seed: int = 0, level: float = 0.95
) -> PairedSeeds:
    """Model `a` (one evaluation folder per seed) against model `b` on `axis`."""
    runs_a, runs_b = [read_predictions(f) for f in a], [read_predictions(f) for f in b]
    first = runs_a[0]
    ids = [i for i in first if first[i].get(f"gold_{axis}") and all(i in run for run in runs_a[1:] + runs_b)]
    if not ids:
        raise ValueError(f"no paragraph labelled on {axis} is scored by every folder")
    gold = np.asarray([first[i][f"gold_{axis}"] for i in ids], dtype=object)
    groups = [str(first[i]["doc_id"]) for i in ids]
    preds_a = [np.asarray([run[i][axis] for i in ids], dtype=object) for run in runs_a]
    preds_b = [np.asarray([run[i][axis] for i in ids], dtype=object) for run in runs_b]

    codes, weights = report_draws(groups, resamples, seed)
    draws = np.stack(
        [
            np.mean([macro_f1_draws(gold, p, codes, weights) for p in preds], axis=0)
            for preds in (preds_a, preds_b)
        ],
        axis=1,
    )
    tail = (1 - level) / 2 * 100
    difference = draws[:, 0] - draws[:, 1]
    mean_a, mean_b = (float(np.mean([macro_f1(gold, p) for p in preds])) for preds in (preds_a, preds_b))
    return PairedSeeds(
        axis=axis,
        n=len(ids),
        reports=len(set(groups)),
        a=_scores(preds_a, gold, mean_a, draws[:, 0], tail),
        b=_scores(preds_b, gold, mean_b, draws[:, 1], tail),
        difference=mean_a - mean_b,
        low=float(np.percentile(difference, tail)),
        high=float(np.percentile(difference, 100 - tail)),
        a_ahead=float(np.mean(difference > 0)),
    )


def _scores(
    preds: list[np.ndarray], gold: np.ndarray, mean: float, draws: np.ndarray, tail: float
) -> SeedScores:
    return SeedScores(
        per_seed=[macro_f1(gold, p) for p in preds],
        mean=mean,
        low=float(np.percentile(draws, tail)),
        high=float(np.percentile(draws, 100 - tail)),
    )


def strata_scores(
    folders: list[Path], gold_rows: list[dict], key, min_paragraphs: int = 40, min_reports: int = 3
) -> list[dict]:
    """Macro-F1 per axis in each stratum (`key(row)` → a label, e.g. level × decade), averaged over
    the seeds' evaluation `folders`; a stratum with fewer than `min_paragraphs` scored paragraphs
    or `min_reports` reports is flagged `thin` (too few to say anything)."""
    runs = [read_predictions(f) for f in folders]
    members: dict[str, list[dict]] = defaultdict(list)
    for row in gold_rows:
        if all(row["id"] in run for run in runs):
            members[key(row)].append(row)
    table = []
    for stratum, rows in sorted(members.items()):
        entry = {"stratum": stratum, "paragraphs": len(rows), "reports": len({r["doc_id"] for r in rows})}
        entry["thin"] = entry["paragraphs"] < min_paragraphs or entry["reports"] < min_reports
        for axis in AXES:
            labelled = [r for r in rows if r.get(axis)]
            gold = np.asarray([r[axis] for r in labelled], dtype=object)
            entry[axis] = (
                float(
                    np.mean(
                        [macro_f1(gold, np.asarray([run[r["id"]][axis] for r in labelled])) for run in runs]
                    )
                )
                if labelled
                else None
            )
        table.append(entry)
    return table


def seeds_table(points: dict[str, list[Path]], resamples: int = 1000) -> list[str]:
    """Markdown rows comparing models (name → one evaluation folder per seed): per axis the seed
    mean [95% report-bootstrap interval] and the paired difference from the first model."""
    header = (
        "| model | seeds | " + " | ".join(f"{a} macro-F1 | {a} vs first [paired 95%]" for a in AXES) + " |"
    )
    lines = [header, "|---|---:|" + "---:|---:|" * len(AXES)]
    first = next(iter(points.values()))
    for name, folders in points.items():
        cells = []
        for axis in AXES:
            paired = compare_seeds(folders, first, axis, resamples=resamples)
            cells.append(f"{paired.a.mean:.3f} [{paired.a.low:.3f}–{paired.a.high:.3f}]")
            same = [Path(f) for f in folders] == [Path(f) for f in first]
            cells.append("–" if same else f"{paired.difference:+.3f} [{paired.low:+.3f}, {paired.high:+.3f}]")
        lines.append(f"| {name} | {len(folders)} | " + " | ".join(cells) + " |")
    return lines


def strata_table(gold: Path, folders: list[Path]) -> list[str]:
    """Markdown rows of macro-F1 per level × decade (seed mean), thin strata flagged."""
    rows = [json.loads(line) for line in Path(gold).read_text(encoding="utf-8").splitlines() if line.strip()]
    table = strata_scores(folders, rows, _level_decade)
    lines = [
        "| level × decade | paragraphs | reports | role macro-F1 | domain macro-F1 | |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for e in table:
        cells = [f"{e[a]:.3f}" if e[a] is not None else "–" for a in AXES]
        flag = "too thin to say" if e["thin"] else ""
        lines.append(
            f"| {e['stratum']} | {e['paragraphs']} | {e['reports']} | {cells[0]} | {cells[1]} | {flag} |"
        )
    return lines


def _level_decade(row: dict) -> str:
    return f"{row.get('level')} × {str(row['year'])[:3]}0s" if row.get("year") else f"{row.get('level')} × ?"
