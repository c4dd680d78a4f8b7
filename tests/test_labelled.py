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


EVALUATION = [DATA / "gold" / "dev.jsonl", *sorted((DATA / "annotations").glob("*heldout*.jsonl"))]
TRAINING = sorted(p for p in (DATA / "annotations").glob("*.jsonl") if "heldout" not in p.name)


def test_shipped_labels_do_not_nearly_repeat_an_evaluation_paragraph():
    assert len(EVALUATION) >= 4 and len(TRAINING) >= 3
    near = NearDuplicates([r["text"] for path in EVALUATION for r in read_labelled(path)])
    for path in TRAINING:
        repeats = [r["id"] for r in read_labelled(path) if near.match(r["text"]) is not None]
        assert repeats == [], f"{path.name}: near repeats of evaluation paragraphs: {repeats[:5]}"


def test_no_held_out_report_is_trained_on():
    trained = {r["doc_id"] for path in TRAINING for r in read_labelled(path)}
    for path in EVALUATION[1:]:
        assert not {r["doc_id"] for r in read_labelled(path)} & trained, path.name


def test_shipped_corpus_labels_are_complete_rows():
    for name, reports in (
        ("corpus.jsonl", 150),
        ("corpus-round3.jsonl", 500),
        ("corpus-audit2-heldout.jsonl", 30),
    ):
        rows = read_labelled(DATA / "annotations" / name)
        assert len({r["doc_id"] for r in rows}) >= reports
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


def test_the_merged_label_files_match_their_reading_passes():
    """`scripts/merge_label_passes.py` rebuilds the round's files from the passes exactly."""
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "scripts/merge_label_passes.py", "--check"],
        cwd=DATA.parent,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
