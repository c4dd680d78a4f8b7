"""Candidate paragraphs for labelling: read from raw reports exactly as `prepare` reads them,
or taken from a prepared dataset's `paragraphs.jsonl`.

Reading through `prepare`'s own functions keeps paragraph ids identical to those of a later
`policytag prepare` of the same inputs, so finished labels find their paragraphs by id.
"""

from __future__ import annotations

from pathlib import Path

from policytag.data.prepare import PrepareConfig, read_paragraphs
from policytag.io.jsonl import read_labelled

# What a task carries about its paragraph: never a label or a prediction.
TASK_KEYS = ("id", "doc_id", "text", "section_path", "section", "level", "region", "year", "source")
PARAGRAPHS_FILE = "paragraphs.jsonl"


def load_candidates(inputs: list[Path], config: PrepareConfig) -> tuple[list[dict], list[dict]]:
    """Paragraphs under `inputs` as task rows (`TASK_KEYS`), and the files skipped with why.

    An input that is a prepared dataset (a folder holding `paragraphs.jsonl`, or that file
    itself) is read as it stands; everything else goes through `prepare`'s readers and
    segmenter."""
    prepared = [p for p in inputs if _prepared_file(p) is not None]
    raw = [p for p in inputs if _prepared_file(p) is None]
    rows: list[dict] = []
    for path in prepared:
        rows += [_task_row(r, str(_prepared_file(path))) for r in read_labelled(_prepared_file(path))]
    skipped: list[dict] = []
    if raw:
        paragraphs, skipped = read_paragraphs(raw, config)
        rows += [_task_row(p, p.get("source")) for p in paragraphs]
    seen: set[str] = set()
    unique = []
    for row in rows:  # the same paragraph through two inputs is one candidate
        if row["id"] not in seen:
            seen.add(row["id"])
            unique.append(row)
    return unique, skipped


def _prepared_file(path: Path) -> Path | None:
    if path.is_dir() and (path / PARAGRAPHS_FILE).is_file():
        return path / PARAGRAPHS_FILE
    if path.is_file() and path.name == PARAGRAPHS_FILE:
        return path
    return None


def _task_row(paragraph: dict, source: str | None) -> dict:
    section_path = paragraph.get("section_path")
    if isinstance(section_path, str):
        section_path = [section_path]
    section = paragraph.get("section")
    row = {
        "id": paragraph.get("id") or f"{paragraph.get('doc_id')}#{int(paragraph.get('index') or 0):04d}",
        "doc_id": paragraph.get("doc_id"),
        "text": paragraph["text"],  # normalised by `prepare` already
        "section_path": list(section_path or ([section] if section else [])),
        "section": section,
        "level": paragraph.get("level"),
        "region": paragraph.get("region"),
        "year": paragraph.get("year"),
        "source": paragraph.get("source") or source,
    }
    return {k: row[k] for k in TASK_KEYS}
