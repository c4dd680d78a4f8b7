"""What `select` must never pick: the dev gold's reports, held-out rows and their reports,
paragraphs already labelled, and near-duplicates of any evaluation paragraph.

- The dev gold: its reports (`data/gold/dev-reports/`, and every `doc_id` of `dev.jsonl`)
  and near-duplicates of their paragraphs.
- Held-out files (`data/annotations/*heldout*.jsonl`, and any `--exclude` file with
  `heldout` in its name): their rows, their reports (by `doc_id`, or by level, region and
  year, which name a corpus report whatever its id) and near-duplicates of their rows.
- Other `--exclude` files (JSONL rows, or a Label Studio task list): their rows and
  near-duplicates of them.
- Every other `data/annotations/*.jsonl`: its rows, by `id` or by normalised text.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from policytag.data.prepare import PrepareConfig, read_paragraphs
from policytag.io.jsonl import read_labelled
from policytag.labels.annotations import read_label_studio
from policytag.review.neardup import NearDuplicates
from policytag.runtime.normalize import normalize


@dataclass
class Exclusions:
    """Paragraph ids, texts and reports that are off limits, with a near-duplicate index."""

    ids: set[str] = field(default_factory=set)
    texts: set[str] = field(default_factory=set)
    reports: set[str] = field(default_factory=set)
    report_keys: set[tuple] = field(default_factory=set)  # (level, region, year)
    near: NearDuplicates = field(default_factory=lambda: NearDuplicates([]))
    refused: Counter = field(default_factory=Counter)  # why candidates were passed over

    def reason(self, row: dict) -> str | None:
        """Why `row` may not be picked (None when it may); cheap checks first."""
        if row.get("doc_id") in self.reports or _report_key(row) in self.report_keys:
            return "dev or held-out report"
        if row.get("id") in self.ids or normalize(row["text"]) in self.texts:
            return "labelled or excluded"
        if self.near.match(row["text"]) is not None:
            return "near-duplicate of a dev or held-out paragraph"
        return None

    def allows(self, row: dict) -> bool:
        """True when `row` may be picked; otherwise counts the reason in `refused`."""
        why = self.reason(row)
        if why:
            self.refused[why] += 1
        return why is None

    def add_rows(self, rows: list[dict], *, reports: bool, near: bool) -> None:
        for row in rows:
            key = _report_key(row)
            # a report id shortened to a bare year (`2010`) names no one report: its key does
            named = bool(row.get("doc_id")) and not (key is not None and str(row["doc_id"]).isdigit())
            if row.get("id") and (named or not row.get("doc_id")):
                self.ids.add(str(row["id"]))
            self.texts.add(normalize(row["text"]))
            if near:
                self.near.add(row["text"])
            if reports:
                if named:
                    self.reports.add(str(row["doc_id"]))
                if key is not None:
                    self.report_keys.add(key)


def _report_key(row: dict) -> tuple | None:
    key = (row.get("level"), row.get("region"), row.get("year"))
    return key if all(v is not None for v in key) else None


def build_exclusions(repo_data: Path, extra: list[Path], config: PrepareConfig) -> Exclusions:
    """The exclusions of the module docstring, from the repository's `data/` folder and `extra` files."""
    base = _repository_exclusions(Path(repo_data), config)
    exclusions = dataclasses.replace(
        base,
        ids=set(base.ids),
        texts=set(base.texts),
        reports=set(base.reports),
        report_keys=set(base.report_keys),
        near=base.near.copy() if extra else base.near,  # `match` only reads it
        refused=Counter(),
    )
    for path in extra:
        exclusions.add_rows(_rows(path), reports="heldout" in path.name, near=True)
    return exclusions


_BUILT: dict[tuple, Exclusions] = {}  # the last repository's exclusions, while its files are unchanged


def _repository_exclusions(repo_data: Path, config: PrepareConfig) -> Exclusions:
    """The dev gold, its reports and the labelled files of `repo_data`, read once per process for
    as long as none of those files changes (size and modification time)."""
    gold = repo_data / "gold"
    labelled = sorted((repo_data / "annotations").glob("*.jsonl"))
    files = [gold / "dev.jsonl", *sorted(gold.glob("dev-reports/*")), *labelled]
    key = (repr(config), *((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files if f.is_file()))
    if key not in _BUILT:
        exclusions = Exclusions()
        if (gold / "dev.jsonl").is_file():
            exclusions.add_rows(read_labelled(gold / "dev.jsonl"), reports=True, near=True)
        if (gold / "dev-reports").is_dir():
            paragraphs, _ = read_paragraphs([gold / "dev-reports"], dataclasses.replace(config, workers=1))
            exclusions.add_rows(paragraphs, reports=True, near=True)
        for path in labelled:  # the files the key was made from
            held_out = "heldout" in path.name
            exclusions.add_rows(read_labelled(path), reports=held_out, near=held_out)
        _BUILT.clear()
        _BUILT[key] = exclusions
    return _BUILT[key]


def _rows(path: Path) -> list[dict]:
    """Rows of an exclusion file: JSONL with `text`, or a Label Studio task list (`data.text`)."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such exclusion file")
    return read_label_studio(path) if path.suffix.lower() == ".json" else read_labelled(path)
