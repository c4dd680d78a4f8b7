"""Hand annotations, which override silver labels.

Accepted: JSONL or CSV rows keyed by `id` or by `text` with `role`/`domain` columns;
a Label Studio JSON export (choices named `role` and `domain`); doccano JSONL
(`text` plus `label`: a list of label ids, sorted into role and domain by the schema).
Text keys are compared after normalisation, so raw and prepared text both match.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

from policytag.labels.schema import AXES, LabelSchema
from policytag.text.normalize import normalize


@dataclass
class Annotations:
    """Hand labels by paragraph id and by normalised text."""

    by_id: dict[str, dict[str, str]] = field(default_factory=dict)
    by_text: dict[str, dict[str, str]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.by_id) + len(self.by_text)

    def lookup(self, paragraph_id: str, text: str) -> dict[str, str] | None:
        return self.by_id.get(paragraph_id) or self.by_text.get(text)


def load_annotations(paths: list[Path], schema: LabelSchema) -> Annotations:
    """Read every annotation file; bad rows are listed in `problems` with file and line."""
    result = Annotations()
    for path in paths:
        raw = path.read_text(encoding="utf-8-sig")
        for where, row in _rows(path, raw):
            _add(result, schema, where, row)
    return result


def _rows(path: Path, raw: str):
    suffix = path.suffix.lower()
    if suffix == ".csv":
        for number, row in enumerate(csv.DictReader(io.StringIO(raw)), start=2):
            yield f"{path}:{number}", row
    elif suffix == ".json":
        tasks = json.loads(raw)
        for number, task in enumerate(tasks if isinstance(tasks, list) else [], start=1):
            yield f"{path}: task {number}", label_studio_row(task)
    else:
        for number, line in enumerate(raw.splitlines(), start=1):
            if line.strip():
                try:
                    yield f"{path}:{number}", json.loads(line)
                except json.JSONDecodeError as err:
                    yield f"{path}:{number}", {"_error": f"not valid JSON ({err.msg})"}


def read_label_studio(path: Path) -> list[dict]:
    """A Label Studio task list or export (JSON), flattened by `label_studio_row`; a file that is
    not one is an error naming it."""
    try:
        tasks = json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}:{err.lineno}: not valid JSON ({err.msg})") from err
    if not isinstance(tasks, list) or not all(isinstance(t, dict) and "text" in t.get("data", {}) for t in tasks):
        raise ValueError(f"{path}: expected a Label Studio task list (objects with data.text)")
    return [label_studio_row(task) for task in tasks]


def label_studio_row(task: dict) -> dict:
    """Flatten an exported Label Studio task to {id, doc_id, text, role, domain, domain_alt}
    (its first annotation; choices named after the keys, as `policytag select` configures them)."""
    data = task.get("data", {})
    row = {"id": data.get("id"), "doc_id": data.get("doc_id"), "text": data.get("text")}
    for annotation in task.get("annotations", [])[:1]:
        for result in annotation.get("result", []):
            choices = result.get("value", {}).get("choices", [])
            if result.get("from_name") in (*AXES, "domain_alt") and choices:
                row[result["from_name"]] = choices[0]
    return row


def _add(result: Annotations, schema: LabelSchema, where: str, row: dict) -> None:
    if "_error" in row:
        result.problems.append(f"{where}: {row['_error']}")
        return
    labels = {axis: row.get(axis) or None for axis in AXES}
    for label in row.get("label") or []:  # doccano: one list holding both axes' ids
        name = label[-1] if isinstance(label, list) else label
        axis = "role" if name in schema.role else "domain" if name in schema.domain else None
        if axis is None:
            result.problems.append(f"{where}: unknown label {name!r}")
            return
        labels[axis] = name
    try:
        labels = {axis: schema.check(axis, v, where) for axis, v in labels.items() if v}
    except ValueError as err:
        result.problems.append(str(err))
        return
    if not labels:
        result.problems.append(f"{where}: no role or domain label")
    elif row.get("id"):
        result.by_id[str(row["id"])] = labels
    elif row.get("text"):
        result.by_text[normalize(str(row["text"]))] = labels
    else:
        result.problems.append(f"{where}: neither `id` nor `text` to match a paragraph by")
