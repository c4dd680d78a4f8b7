"""`predict` output: one row per paragraph, as JSONL or CSV (by the file's suffix)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from pathlib import Path

from policytag.io.exclusive import OutputInUse, exclusive_output
from policytag.runtime.tagging import Tag

__all__ = ["COLUMNS", "OutputInUse", "write_tags"]

COLUMNS = (
    "doc_id",
    "index",
    "section",
    "text",
    "role",
    "role_score",
    "domain",
    "domain_score",
    "top_domains",
    "uncertain",
    "section_path",
)


def write_tags(path: Path, tags: Iterable[Tag]) -> int:
    """Write tags to `path` (.jsonl or .csv) as they come, atomically; returns the number of rows.

    The rows go to a staging file of this writer's own; `path` is replaced only when all are
    written. A second writer to the same `path` meanwhile gets `OutputInUse`."""
    if path.suffix.lower() not in (".jsonl", ".csv"):
        raise ValueError(f"{path}: output must end in .jsonl or .csv")
    rows = 0
    with (
        exclusive_output(path, "policytag predict") as staging,
        staging.open("w", encoding="utf-8", newline="") as handle,
    ):
        writer = csv.DictWriter(handle, COLUMNS) if path.suffix.lower() == ".csv" else None
        if writer:
            writer.writeheader()
        for tag in tags:
            row = {key: tag.to_dict()[key] for key in COLUMNS}
            if writer:
                row["top_domains"] = ";".join(f"{d}:{p}" for d, p in row["top_domains"])
                row["section_path"] = " > ".join(row["section_path"] or [])
                writer.writerow(row)
            else:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
            rows += 1
    return rows
