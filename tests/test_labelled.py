"""Hand-labelled paragraphs without their reports: read into the train split, checked, and
never near repeats of an evaluation paragraph."""

import json

import pytest

from conftest import CONFIGS, DATA
from policytag.data.labelled import labelled_paragraphs
from policytag.io.jsonl import read_labelled
from policytag.labels.schema import LabelSchema
from policytag.review.neardup import NearDuplicates

SCHEMA = LabelSchema.load(CONFIGS / "taxonomy.yaml")


def _write(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_rows_train_with_their_heading_path_and_skips_stay_out(tmp_path):
    path = _write(
        tmp_path / "labels.jsonl",
        [
            {
                "id": "r/2020#0001",
                "doc_id": "r/2020",
                "text": "區(qū)裏推進老旧小区改造。",
                "section_path": ["二、2020年工作安排"],
                "role": "plan",
                "domain": "urban",
                "domain_alt": "welfare",
                "level": "city",
                "year": 2020,
            },
            {
                "id": "r/2020#0002",
                "doc_id": "r/2020",
                "text": "（一）抓项目。",
                "role": None,
                "domain": None,
                "skip": "bare heading",
            },
        ],
    )
    rows = labelled_paragraphs([path], SCHEMA)
    assert len(rows) == 1
    row = rows[0]
    assert row["split"] == "train" and row["label_source"] == "hand"
    assert row["text"] == "区里推进老旧小区改造。" and row["section_path"] == ["二、2020年工作安排"]
    assert row["section"] == "二、2020年工作安排" and row["domain_alt"] == "welfare"


def test_an_unknown_label_names_the_file_and_row(tmp_path):
    path = _write(
        tmp_path / "labels.jsonl", [{"id": "a#1", "doc_id": "a", "text": "文本。", "role": "plans"}]
    )
    with pytest.raises(ValueError, match=r"labels\.jsonl: row 1: unknown role label 'plans'"):
        labelled_paragraphs([path], SCHEMA)


def test_shipped_labels_do_not_nearly_repeat_an_evaluation_paragraph():
    evaluation = [
        r["text"]
        for name in (
            "gold/dev.jsonl",
            "annotations/sample-heldout.jsonl",
            "annotations/corpus-audit-heldout.jsonl",
        )
        for r in read_labelled(DATA / name)
    ]
    near = NearDuplicates(evaluation)
    for name in ("annotations/sample.jsonl", "annotations/corpus.jsonl"):
        repeats = [r["id"] for r in read_labelled(DATA / name) if near.match(r["text"]) is not None]
        assert repeats == [], f"{name}: near repeats of evaluation paragraphs: {repeats[:5]}"


def test_shipped_corpus_labels_are_complete_rows():
    rows = read_labelled(DATA / "annotations" / "corpus.jsonl")
    assert len({r["doc_id"] for r in rows}) >= 150
    for r in rows:
        assert {
            "id",
            "doc_id",
            "text",
            "section_path",
            "role",
            "domain",
            "domain_alt",
            "selected_by",
            "round",
            "pass",
        } <= set(r)
        assert r.get("skip") or (
            SCHEMA.check("role", r["role"], r["id"]) and SCHEMA.check("domain", r["domain"], r["id"])
        )
    audit = {r["doc_id"] for r in read_labelled(DATA / "annotations" / "corpus-audit-heldout.jsonl")}
    assert not audit & {r["doc_id"] for r in rows}
