"""`predict` output: one row per paragraph, as JSONL or CSV (by the file's suffix)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from pathlib import Path

from policytag.runtime.tagging import Tag

COLUMNS = ("doc_id", "index", "section", "text", "role", "role_score", "domain", "domain_score",
           "top_domains", "uncertain")


def write_tags(path: Path, tags: Iterable[Tag]) -> int:
    """Write tags to `path` (.jsonl or .csv) atomically; returns the number of rows."""
    if path.suffix.lower() not in (".jsonl", ".csv"):
        raise ValueError(f"{path}: output must end in .jsonl or .csv")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    rows = 0
    with partial.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, COLUMNS) if path.suffix.lower() == ".csv" else None
        if writer:
            writer.writeheader()
        for tag in tags:
            row = {key: tag.to_dict()[key] for key in COLUMNS}
            if writer:
                row["top_domains"] = ";".join(f"{d}:{p}" for d, p in row["top_domains"])
                writer.writerow(row)
            else:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
            rows += 1
    partial.replace(path)
    return rows
