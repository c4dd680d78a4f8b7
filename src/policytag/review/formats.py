"""Writing selected paragraphs as labelling tasks: plain JSONL, Label Studio or doccano.

- `jsonl`: `DIR/tasks.jsonl`, one task row per paragraph (`TASK_KEYS` plus `selected_by`),
  never a label or a prediction, so annotators label blind.
- `labelstudio`: `DIR/tasks.json`, Label Studio's task list (`data` with the text, heading
  path and ids; the model's pre-annotations as `predictions[0].result`, one `choices` item
  per axis), and `DIR/labelstudio.xml`, the labelling config for both axes.
- `doccano`: `DIR/tasks.jsonl` in doccano's text-classification form (`text`, `label`: the
  model's role and domain ids when a model was given, else empty; the rest as metadata).
"""

from __future__ import annotations

import json
from pathlib import Path
from xml.sax.saxutils import quoteattr

from policytag.io.jsonl import write_jsonl
from policytag.labels.schema import AXES, LabelSchema

FORMATS = ("jsonl", "labelstudio", "doccano")
CODEBOOK = "docs/codebook.md"


def write_tasks(
    out: Path, rows: list[dict], fmt: str, schema: LabelSchema, tags: dict, model_version: str | None
) -> Path:
    """Write `rows` (task rows with `selected_by`) in format `fmt` under `out`; returns the task
    file. `tags` maps paragraph ids to the model's tags (empty without a model)."""
    if fmt not in FORMATS:
        raise ValueError(f"--format {fmt!r}: choose one of {', '.join(FORMATS)}")
    if fmt == "labelstudio":
        path = out / "tasks.json"
        tasks = [_label_studio_task(row, tags.get(row["id"]), model_version) for row in rows]
        path.write_text(json.dumps(tasks, ensure_ascii=False, indent=1), encoding="utf-8")
        (out / "labelstudio.xml").write_text(label_studio_config(schema), encoding="utf-8")
        return path
    path = out / "tasks.jsonl"
    if fmt == "doccano":
        write_jsonl(path, (_doccano_row(row, tags.get(row["id"])) for row in rows))
    else:
        write_jsonl(path, rows)
    return path


def heading_path(row: dict) -> str:
    """The heading path as one line, top level first."""
    return " › ".join(row.get("section_path") or [])


def _label_studio_task(row: dict, tag, model_version: str | None) -> dict:
    task = {
        "data": {**{k: v for k, v in row.items() if k != "section_path"}, "section_path": heading_path(row)}
    }
    if tag is not None:
        result = [
            {
                "id": f"{row['id']}/{axis}",
                "from_name": axis,
                "to_name": "text",
                "type": "choices",
                "value": {"choices": [tag[axis]]},
                "score": tag[f"{axis}_score"],
            }
            for axis in AXES
            if tag[axis]
        ]
        task["predictions"] = [
            {
                "model_version": model_version or "policytag",
                "result": result,
                "score": min(tag["role_score"], tag["domain_score"]),
            }
        ]
    return task


def _doccano_row(row: dict, tag) -> dict:
    labels = [tag[axis] for axis in AXES if tag[axis]] if tag is not None else []
    return {"text": row["text"], "label": labels, **{k: v for k, v in row.items() if k != "text"}}


def label_studio_config(schema: LabelSchema) -> str:
    """Label Studio's labelling config: the heading path and text, one single choice per axis
    (role, domain) and an optional second domain (`domain_alt`); choice values are taxonomy ids."""

    def choices(name: str, axis: str, required: bool) -> list[str]:
        lines = [
            f'  <Choices name="{name}" toName="text" choice="single" showInline="true"'
            f' required="{str(required).lower()}">'
        ]
        lines += [
            f"    <Choice value={quoteattr(label)} hint={quoteattr(schema.names.get(label, label))}/>"
            for label in schema.labels(axis)
        ]
        return [*lines, "  </Choices>"]

    lines = [
        "<View>",
        f"  <!-- Label each paragraph on both axes, following the codebook ({CODEBOOK}). -->",
        '  <Header value="$section_path" size="5"/>',
        '  <Text name="text" value="$text"/>',
        '  <Header value="Role" size="6"/>',
        *choices("role", "role", True),
        '  <Header value="Domain" size="6"/>',
        *choices("domain", "domain", True),
        '  <Header value="Second domain, when another field takes a substantial share (optional)" size="6"/>',
        *choices("domain_alt", "domain", False),
        "</View>",
    ]
    return "\n".join(lines) + "\n"
