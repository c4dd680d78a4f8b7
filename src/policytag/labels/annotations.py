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

from policytag.io.jsonl import read_text, text_lines
from policytag.labels.schema import AXES, LabelSchema
from policytag.runtime.normalize import normalize


@dataclass
class Annotations:
    """Hand labels by paragraph id and by normalised text."""

    by_id: dict[str, dict[str, str]] = field(default_factory=dict)
    by_text: dict[str, dict[str, str]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    rows: int = 0  # rows kept (a later row for the same id or text replaces an earlier one)

    def __len__(self) -> int:
        return self.rows

    def lookup(self, paragraph_id: str, text: str) -> dict[str, str] | None:
        return self.by_id.get(paragraph_id) or self.by_text.get(text)


def load_annotations(paths: list[Path], schema: LabelSchema) -> Annotations:
    """Read every annotation file; bad rows are listed in `problems` with file and line.
    A missing file raises `FileNotFoundError`, a binary one `ValueError`, each naming it."""
    result = Annotations()
    for path in paths:
        for where, row in _rows(path):
            _add(result, schema, where, row)
    return result


def _rows(path: Path):
    suffix = path.suffix.lower()
    if suffix == ".csv":
        for number, row in enumerate(csv.DictReader(io.StringIO(read_text(path))), start=2):
            yield f"{path}:{number}", row
    elif suffix == ".json":
        try:
            tasks = json.loads(read_text(path) or "[]")
        except json.JSONDecodeError as err:
            yield str(path), {"_error": f"not valid JSON ({err.msg} at line {err.lineno}); file skipped"}
            return
        if not isinstance(tasks, list):
            yield str(path), {"_error": "expected a Label Studio export (a list of tasks); file skipped"}
            return
        for number, task in enumerate(tasks, start=1):
            yield f"{path}: task {number}", label_studio_row(task)
    else:
        for number, line in text_lines(path):
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
    if not isinstance(tasks, list) or not all(
        isinstance(t, dict) and "text" in t.get("data", {}) for t in tasks
    ):
        raise ValueError(f"{path}: expected a Label Studio task list (objects with data.text)")
    return [label_studio_row(task) for task in tasks]


def label_studio_row(task: object) -> dict:
    """Flatten an exported Label Studio task to {id, doc_id, text, role, domain, domain_alt}
    (its first annotation; choices named after the keys, as `policytag select` configures them);
    an `_error` when it is no task."""
    data = task.get("data") if isinstance(task, dict) else None
    if not isinstance(data, dict):
        return {"_error": "not a Label Studio task (no `data` object)"}
    row = {"id": data.get("id"), "doc_id": data.get("doc_id"), "text": data.get("text")}
    annotations = task.get("annotations")  # type: ignore[union-attr]
    for annotation in (annotations if isinstance(annotations, list) else [])[:1]:
        results = annotation.get("result") if isinstance(annotation, dict) else None
        for result in results if isinstance(results, list) else []:
            value = result.get("value") if isinstance(result, dict) else None
            choices = value.get("choices") if isinstance(value, dict) else None
            if result.get("from_name") in (*AXES, "domain_alt") and isinstance(choices, list) and choices:
                row[result["from_name"]] = choices[0]
    return row


def _add(result: Annotations, schema: LabelSchema, where: str, row: object) -> None:
    if not isinstance(row, dict):
        result.problems.append(f"{where}: not a JSON object")
        return
    if "_error" in row:
        result.problems.append(f"{where}: {row['_error']}")
        return
    labels = {axis: row.get(axis) or None for axis in AXES}
    doccano = row.get("label") or []
    if not isinstance(doccano, list):
        result.problems.append(f"{where}: `label` must be a list of label ids, got {doccano!r}")
        return
    for label in doccano:  # doccano: one list holding both axes' ids
        name = label[-1] if isinstance(label, list) and label else label
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
        return
    if not row.get("id") and not row.get("text"):
        result.problems.append(f"{where}: neither `id` nor `text` to match a paragraph by")
        return
    alt = row.get("domain_alt")
    if alt and alt in schema.domain and alt != labels.get("domain"):
        labels["domain_alt"] = alt
    # by id, and by text too: a row still finds its paragraph after the numbering changes
    if row.get("id"):
        result.by_id[str(row["id"])] = labels
    if isinstance(row.get("text"), str):
        result.by_text[normalize(row["text"])] = labels
    result.rows += 1
