"""Hand-labelled paragraphs that come without their reports, added whole to the train split.

Rows of `data/annotations/*.jsonl` carry their text, heading path, report id and labels
(contract 3 and the review loop's extra keys), so a dataset can train on paragraphs
picked from a corpus that is not shipped. Rows marked `skip` (bare headings, glossary
entries) and rows without a label are left out.
"""

from __future__ import annotations

from pathlib import Path

from policytag.io.jsonl import read_labelled
from policytag.labels.schema import AXES, LabelSchema
from policytag.runtime.mojibake import count_mojibake
from policytag.runtime.normalize import normalize


def labelled_paragraphs(paths: list[Path], schema: LabelSchema, split: str = "train") -> list[dict]:
    """Paragraph rows for the dataset, in file order; an unknown label is an error naming
    the file and line (these files are the training data: nothing is skipped silently)."""
    rows = []
    for path in paths:
        for number, row in enumerate(read_labelled(path), start=1):
            if row.get("skip") or not any(row.get(axis) for axis in AXES):
                continue
            where = f"{path}: row {number}"
            labels = {axis: schema.check(axis, row[axis], where) if row.get(axis) else None for axis in AXES}
            alt = row.get("domain_alt")
            section_path = [
                normalize(h)
                for h in row.get("section_path") or ([row["section"]] if row.get("section") else [])
            ]
            rows.append(
                {
                    "id": str(row.get("id") or f"{row.get('doc_id')}#{number:04d}"),
                    "doc_id": row.get("doc_id"),
                    "index": number - 1,
                    "section": section_path[-1] if section_path else None,
                    "section_path": section_path,
                    "text": normalize(row["text"]),
                    **labels,
                    "domain_alt": schema.check("domain", alt, where) if alt else None,
                    "level": row.get("level"),
                    "region": row.get("region"),
                    "year": row.get("year"),
                    "split": split,
                    "label_source": "hand",
                    "line": number,
                    "mojibake": count_mojibake(row["text"]),
                    "source": str(path),
                }
            )
    return rows
