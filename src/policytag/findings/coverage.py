"""What the labelled data covers: the government levels and the span of years it was drawn from.

A share (or its confusion adjustment) outside that range rests on a model never
checked there, so `summarize` flags such groups. The labelled rows come from the
evaluation folders (their `predictions.jsonl`, joined by `id` to the labelled file named
in `metrics.json` for `level` and `year`) and from `--coverage` label files; where a row
says neither, its report id is read as a corpus path.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pandas as pd

from policytag.data.metadata import report_meta
from policytag.io.jsonl import read_labelled

CHECKED = ("level", "year")


@dataclass(frozen=True)
class Coverage:
    """Levels and the year span (first, last) of the labelled paragraphs."""

    levels: frozenset[str]
    years: tuple[int, int] | None
    paragraphs: int

    @classmethod
    def from_rows(cls, rows: Iterable[dict]) -> Coverage:
        levels, years, n = set(), [], 0
        for row in rows:
            n += 1
            meta = report_meta(PurePosixPath(str(row.get("doc_id", ""))), None)
            level, year = row.get("level") or meta.level, row.get("year") or meta.year
            if level:
                levels.add(str(level))
            if year:
                years.append(int(year))
        return cls(frozenset(levels), (min(years), max(years)) if years else None, n)

    def covered(self, table: pd.DataFrame) -> pd.Series:
        """Per tagged row: its level is a labelled level and its year inside the labelled span
        (each checked only where the tags carry that field)."""
        inside = pd.Series(True, index=table.index)
        if "level" in table.columns and table["level"].notna().any():
            inside &= table["level"].isin(self.levels)
        if "year" in table.columns and table["year"].notna().any():
            first, last = self.years or (1, 0)  # no labelled year: nothing is inside
            inside &= table["year"].between(first, last).fillna(False).astype(bool)
        return inside

    def describe(self) -> str:
        span = f"{self.years[0]}–{self.years[1]}" if self.years else "no year known"
        levels = ", ".join(sorted(self.levels)) or "no level known"
        return f"{self.paragraphs:,} labelled paragraphs; levels: {levels}; years: {span}"


def labelled_rows(
    evaluations: Sequence[dict], coverage_files: Sequence[Path], folders: Sequence[Path]
) -> list[dict]:
    """Labelled rows for `Coverage`: the evaluation rows, given `level`/`year` from the labelled file
    each folder's metrics.json names (where it is still there), and the rows of `coverage_files`."""
    extra: dict[str, dict] = {}
    for folder in folders:
        metrics = Path(folder) / "metrics.json"
        data = json.loads(metrics.read_text(encoding="utf-8")).get("data") if metrics.is_file() else None
        if data and Path(data).is_file():
            extra.update({str(r.get("id")): r for r in read_labelled(Path(data))})
    rows = [
        {**row, **{k: extra.get(str(row.get("id")), {}).get(k, row.get(k)) for k in CHECKED}}
        for row in evaluations
    ]
    for path in coverage_files:
        if not Path(path).is_file():
            raise FileNotFoundError(
                f"{path}: coverage file not found; give labelled JSONL files "
                "(contract 3: doc_id, level, year)"
            )
        rows += read_labelled(Path(path))
    return rows
