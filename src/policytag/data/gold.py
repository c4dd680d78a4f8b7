"""Reading a labelled JSONL to evaluate on (contract 3), problem lines named by number.

A broken line (bad JSON, a missing field, an unknown label, an id seen before) is
skipped and reported with its line number; with `strict` the first one stops the
evaluation instead. A duplicated id is scored once, from its first line.
"""

from __future__ import annotations

import json
from pathlib import Path

from policytag.io.jsonl import text_lines
from policytag.labels.schema import LabelSchema
from policytag.runtime.normalize import normalize

REQUIRED = ("id", "doc_id", "text")


class GoldError(ValueError):
    """A gold file that cannot be evaluated on."""


def read_gold(path: Path, schema: LabelSchema, strict: bool = False) -> tuple[list[dict], list[str]]:
    """`(rows, problems)`: the usable rows and one message per skipped line."""
    try:
        lines = list(text_lines(path))
    except (FileNotFoundError, ValueError) as err:
        raise GoldError(str(err)) from None
    rows, problems = [], []
    first_line: dict[str, int] = {}
    for number, line in lines:
        try:
            row = json.loads(line)
            problem = _check(row, schema)
        except json.JSONDecodeError as err:
            problem = f"not valid JSON ({err.msg} at column {err.colno})"
        if problem is None and row["id"] in first_line:
            first = rows[[r["id"] for r in rows].index(row["id"])]
            if normalize(str(first["text"])) != normalize(str(row["text"])):
                raise GoldError(
                    f"{path}:{number}: id {row['id']!r} stands for another text than on line "
                    f"{first_line[row['id']]}; one id must be one paragraph: give them different ids"
                )
            problem = f"duplicate id {row['id']!r} (first on line {first_line[row['id']]}); scored once, this line skipped"
        if problem is None:
            first_line[row["id"]] = number
            rows.append(row)
            continue
        message = f"{path}:{number}: {problem}"
        if strict:
            raise GoldError(message + " (--strict stops at the first bad line)")
        problems.append(message)
    if not rows:
        reason = "is empty" if not problems else "has no usable line"
        raise GoldError(f"{path} {reason}: expected JSON lines with id, doc_id, text, role, domain")
    return rows, problems


def _check(row: object, schema: LabelSchema) -> str | None:
    if not isinstance(row, dict):
        return "not a JSON object"
    missing = [key for key in REQUIRED if not isinstance(row.get(key), str) or not row[key]]
    if missing:
        return f"missing field {missing[0]!r}"
    if not row.get("role") and not row.get("domain"):
        return "neither `role` nor `domain` is labelled"
    for axis, key in (("role", "role"), ("domain", "domain"), ("domain", "domain_alt")):
        label = row.get(key)
        if label is not None and label not in schema.labels(axis):
            return f"unknown {key} label {label!r}; expected one of {', '.join(schema.labels(axis))}"
    return None
