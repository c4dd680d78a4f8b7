"""Labelled JSONL (gold and prepared splits, DESIGN.md contract 3): one object per line."""

from __future__ import annotations

import json
from pathlib import Path


def read_labelled(path: Path) -> list[dict]:
    """Rows of a labelled JSONL (contract 3); a broken line is an error naming it."""
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            raise ValueError(f"{path}:{number}: not valid JSON ({err.msg})") from err
        if not isinstance(row, dict) or not isinstance(row.get("text"), str):
            raise ValueError(f"{path}:{number}: expected an object with a string `text`")
        rows.append(row)
    return rows
