"""Task files for labelling tools: doccano rows come back through the annotation reader."""

from __future__ import annotations

import json

from policytag.labels.annotations import load_annotations
from policytag.review.formats import label_studio_config, write_tasks

ROWS = [
    {
        "id": "r#0001",
        "doc_id": "r",
        "text": "新建改建农村公路120公里。",
        "section_path": ["一、工作回顾", "（一）乡村振兴"],
        "section": "（一）乡村振兴",
        "level": "city",
        "region": "某市",
        "year": 2020,
        "source": "r.md",
        "selected_by": "random",
    },
    {
        "id": "r#0002",
        "doc_id": "r",
        "text": "加快城市更新。",
        "section_path": [],
        "section": None,
        "level": "city",
        "region": "某市",
        "year": 2020,
        "source": "r.md",
        "selected_by": "random",
    },
]
TAGS = {
    "r#0001": {"role": "achievement", "role_score": 0.91, "domain": "rural", "domain_score": 0.72},
    "r#0002": {"role": "plan", "role_score": 0.88, "domain": "urban", "domain_score": 0.65},
}


def test_doccano_rows_hold_the_model_labels_and_come_back_by_id(tmp_path, schema):
    path = write_tasks(tmp_path, ROWS, "doccano", schema, TAGS, "export-1")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [(r["text"], r["label"], r["id"]) for r in rows] == [
        (ROWS[0]["text"], ["achievement", "rural"], "r#0001"),
        (ROWS[1]["text"], ["plan", "urban"], "r#0002"),
    ]
    rows[1]["label"] = ["problem", "governance"]  # the annotator's correction
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    annotations = load_annotations([path], schema)
    assert not annotations.problems
    assert annotations.by_id["r#0002"] == {"role": "problem", "domain": "governance"}


def test_label_studio_tasks_give_the_heading_path_as_one_line(tmp_path, schema):
    path = write_tasks(tmp_path, ROWS, "labelstudio", schema, TAGS, "export-1")
    tasks = json.loads(path.read_text(encoding="utf-8"))
    assert tasks[0]["data"]["section_path"] == "一、工作回顾 › （一）乡村振兴"
    assert tasks[1]["data"]["section_path"] == ""
    assert tasks[0]["predictions"][0]["model_version"] == "export-1"
    assert tasks[0]["predictions"][0]["score"] == 0.72
    assert '<Header value="$section_path"' in label_studio_config(schema)


def test_plain_jsonl_tasks_carry_no_predictions(tmp_path, schema):
    path = write_tasks(tmp_path, ROWS, "jsonl", schema, TAGS, "export-1")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert rows == ROWS
