import json
import os

import pytest
from typer.testing import CliRunner

from conftest import DATA, REPORT_TEXT, SEED_SAMPLE, make_docx, make_pdf
from policytag.cli import app
from policytag.data.prepare import prepare

runner = CliRunner()


def read_jsonl(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture()
def bad_folder(tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(os.urandom(4096) + b"\x00" * 64)
    (folder / "gbk.txt").write_bytes(REPORT_TEXT.encode("gbk"))
    (folder / "utf16.txt").write_bytes(REPORT_TEXT.replace("2023年", "2022年").encode("utf-16"))
    sentence = "全年完成固定资产投资一百亿元，同比增长百分之五。"
    (folder / "oneline.txt").write_text(
        "一、2023年工作回顾\n" + sentence * (5_000_000 // len(sentence) // 3), encoding="utf-8"
    )
    (folder / "headings.txt").write_text(
        "一、2023年工作回顾\n二、2024年工作安排\n（一）产业发展\n", encoding="utf-8"
    )
    (folder / "notes.xlsx").write_bytes(b"PK\x03\x04")
    make_docx(
        folder / "word.docx",
        [("一、2023年工作回顾", "Heading 1"), ("全年新建学校12所，新增学位1.5万个。", None)],
    )
    make_pdf(folder / "scan.pdf", ["一、2023年工作回顾", "全年空气质量优良天数比例达到百分之九十。"])
    return folder


@pytest.mark.slow
def test_bad_input_folder_finishes_names_problems_and_keeps_paragraphs(bad_folder, tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(app, ["prepare", str(bad_folder), "--out", str(out), "--set", "workers=1"])
    assert result.exit_code == 0, result.output
    stats = json.loads((out / "stats.json").read_text())
    reasons = {os.path.basename(s["file"]): s["reason"] for s in stats["skipped"]}
    assert set(reasons) == {"empty.txt", "binary.txt", "headings.txt", "notes.xlsx"}
    assert "empty" in reasons["empty.txt"] and "binary" in reasons["binary.txt"]
    assert "no paragraphs" in reasons["headings.txt"] and "unsupported" in reasons["notes.xlsx"]
    for name in reasons:
        assert name in result.output  # every problem is named on screen too
    assert any("cut at sentence ends" in w for w in stats["warnings"])
    paragraphs = read_jsonl(out / "paragraphs.jsonl")
    by_doc = {}
    for p in paragraphs:
        by_doc.setdefault(p["doc_id"], []).append(p)
    assert set(by_doc) == {"gbk", "utf16", "oneline", "word", "scan"}
    assert [p["text"][:6] for p in by_doc["gbk"]] == [
        "全年地区生产",
        "（一）产业发",
        "我们也清醒看",
        "（一）加快建",
    ]
    assert by_doc["utf16"][0]["year"] is None and stats["encodings"]["gb18030"] == 1
    assert by_doc["word"][0]["text"] == "全年新建学校12所，新增学位1.5万个。"
    assert by_doc["scan"][0]["text"] == "全年空气质量优良天数比例达到百分之九十。"


def test_prepare_writes_contract_fields_labels_and_grouped_splits(prepare_config, tmp_path):
    out = tmp_path / "out"
    stats = prepare([DATA / "raw"], out, prepare_config)
    paragraphs = read_jsonl(out / "paragraphs.jsonl")
    first = paragraphs[0]
    for key in (
        "id",
        "doc_id",
        "index",
        "section",
        "section_path",
        "text",
        "role",
        "domain",
        "level",
        "region",
        "year",
    ):
        assert key in first
    assert first["id"] == f"{first['doc_id']}#{first['index']:04d}"
    assert len({p["id"] for p in paragraphs}) == len(paragraphs)
    split_of = {}
    for p in paragraphs:
        assert split_of.setdefault(p["doc_id"], p["split"]) == p["split"]  # no report in two splits
    assert set(split_of.values()) == {"train", "validation", "test"}
    assert stats["coverage"]["role"] > 0.9 and stats["coverage"]["domain"] > 0.5
    assert {p["level"] for p in paragraphs} == {"city", "province", "prefecture"}
    rows = read_jsonl(out / "splits" / "test.jsonl")
    assert rows and set(rows[0]) == {
        "id",
        "doc_id",
        "text",
        "role",
        "domain",
        "domain_alt",
        "section",
        "section_path",
        "level",
        "region",
        "year",
    }
    import datasets

    dataset = datasets.load_from_disk(str(out / "dataset"))
    assert dataset["test"].num_rows == len(rows)


def test_splits_are_seeded_and_holdout_takes_a_region(prepare_config, tmp_path):
    from dataclasses import replace

    from policytag.data.splits import HoldoutConfig

    region = "深圳市"
    config = replace(
        prepare_config, split=replace(prepare_config.split, holdout=HoldoutConfig("region", [region]))
    )
    a = prepare([DATA / "raw"], tmp_path / "a", config)
    b = prepare([DATA / "raw"], tmp_path / "b", config)
    assert a["splits"] == b["splits"]
    held = [p for p in read_jsonl(tmp_path / "a" / "paragraphs.jsonl") if p["split"] == "holdout"]
    assert held and {p["region"] for p in held} == {region}


def test_hand_annotations_override_silver_labels(prepare_config, tmp_path, schema):
    from dataclasses import replace

    (tmp_path / "r.txt").write_text(REPORT_TEXT, encoding="utf-8")
    first = prepare([tmp_path / "r.txt"], tmp_path / "silver", prepare_config)
    assert first["paragraphs"] == 4
    silver = read_jsonl(tmp_path / "silver" / "paragraphs.jsonl")
    by_id = tmp_path / "hand.jsonl"
    by_id.write_text(json.dumps({"id": silver[0]["id"], "role": "problem", "domain": "welfare"}) + "\n{bad\n")
    by_text = tmp_path / "hand.csv"
    by_text.write_text(
        "text,role,domain\n（一）加快建設現代化產業體系。力爭規上工業增加值增長8%，新開工產業項目40個。,plan,innovation\n"
    )
    studio = tmp_path / "studio.json"
    studio.write_text(
        json.dumps(
            [
                {
                    "data": {"text": silver[1]["text"]},
                    "annotations": [{"result": [{"from_name": "domain", "value": {"choices": ["reform"]}}]}],
                }
            ],
            ensure_ascii=False,
        )
    )
    doccano = tmp_path / "doccano.jsonl"
    doccano.write_text(
        json.dumps({"text": silver[2]["text"], "label": ["achievement", "nonsense"]}, ensure_ascii=False)
        + "\n"
    )
    config = replace(prepare_config, annotations=[by_id, by_text, studio, doccano])
    stats = prepare([tmp_path / "r.txt"], tmp_path / "hand", config)
    hand = read_jsonl(tmp_path / "hand" / "paragraphs.jsonl")
    assert (hand[0]["role"], hand[0]["domain"], hand[0]["label_source"]) == ("problem", "welfare", "hand")
    assert (hand[3]["role"], hand[3]["domain"]) == ("plan", "innovation")
    assert hand[1]["domain"] == "reform" and hand[1]["role"] == silver[1]["role"]
    assert (
        hand[2]["role"] == silver[2]["role"]
    )  # the doccano row had an unknown label: skipped, not half-applied
    problems = stats["hand_annotations"]["problems"]
    assert any("hand.jsonl:2" in p for p in problems) and any("nonsense" in p for p in problems)
    assert stats["hand_annotations"]["applied"] == 3


def test_silver_roles_follow_structure(prepare_config, tmp_path):
    (tmp_path / "r_2024.txt").write_text(REPORT_TEXT, encoding="utf-8")
    prepare([tmp_path / "r_2024.txt"], tmp_path / "out", prepare_config)
    rows = read_jsonl(tmp_path / "out" / "paragraphs.jsonl")
    assert [r["role"] for r in rows] == ["achievement", "achievement", "problem", "plan"]
    assert rows[0]["domain"] == "economy" and rows[3]["domain"] == "industry"
    assert rows[0]["year"] == 2024


@pytest.mark.slow
def test_rule_report_on_dev_reports_meets_targets(tmp_path):
    out = tmp_path / "dev"
    gold = DATA / "gold" / "dev.jsonl"
    result = runner.invoke(
        app, ["prepare", str(DATA / "gold" / "dev-reports"), "--out", str(out), "--gold", str(gold)]
    )
    assert result.exit_code == 0, result.output
    report = json.loads((out / "rule_report.json").read_text())
    assert report["gold_matched"] == report["gold_rows"] == 144
    role, domain = report["role"]["combined"], report["domain"]["combined"]
    assert role["gold_coverage"] >= 0.90 and role["accuracy"] >= 0.90
    assert domain["gold_coverage"] >= 0.60 and domain["lenient_accuracy"] >= 0.70
    assert "| role | problem_opener |" in (out / "rule_report.md").read_text()


def test_seed_sample_through_prepare(prepare_config, tmp_path):
    stats = prepare([SEED_SAMPLE], tmp_path / "seed", prepare_config)
    rows = read_jsonl(tmp_path / "seed" / "paragraphs.jsonl")
    assert stats["paragraphs"] == len(rows) > 20
    assert stats["paragraphs_with_mojibake"] >= 3
    text = "".join(r["text"] for r in rows)
    assert "(qū)" not in text and "（qū）" not in text and "區" not in text and "體" not in text


def test_prepare_with_nothing_readable_fails_clearly(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "empty.txt").write_bytes(b"")
    result = runner.invoke(app, ["prepare", str(tmp_path / "in"), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "no readable report" in result.output


def test_cli_help_works_without_a_model():
    for args in (["--help"], ["prepare", "--help"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0 and "Usage" in result.output


def test_shipped_hand_labels_match_the_prepared_sample(dataset, schema):
    # the annotation files are keyed by paragraph text: a change to segmentation must not orphan them
    stats = json.loads((dataset / "stats.json").read_text(encoding="utf-8"))
    everything = read_jsonl(dataset / "splits" / "train.jsonl")
    corpus_ids = {
        r["id"] for r in read_jsonl(DATA / "annotations" / "corpus.jsonl") if r["role"] or r["domain"]
    }
    corpus = [r for r in everything if r["id"] in corpus_ids]
    train = [r for r in everything if r["id"] not in corpus_ids]
    assert stats["hand_annotations"]["applied"] == stats["hand_annotations"]["loaded"] == len(train)
    # the corpus paragraphs labelled without their reports all train, none of them in the sample's reports
    assert stats["labelled_without_reports"]["paragraphs"] == len(corpus) == 3610
    heldout = read_jsonl(DATA / "annotations" / "sample-heldout.jsonl")
    prepared = {
        r["text"]: r
        for split in ("validation", "test")
        for r in read_jsonl(dataset / "splits" / f"{split}.jsonl")
    }
    assert sorted(r["text"] for r in heldout) == sorted(prepared)
    assert not {r["doc_id"] for r in heldout} & {r["doc_id"] for r in train}
    for row in heldout:
        assert row["role"] in schema.role and row["domain"] in schema.domain
        assert row["domain_alt"] is None or (
            row["domain_alt"] in schema.domain and row["domain_alt"] != row["domain"]
        )


def test_prepare_and_predict_read_a_jsonl_line_the_same_way(prepare_config, tmp_path):
    """One document reader: a JSONL line's `section_path` (or its `section`) is its heading path
    in a prepared dataset exactly as `predict` and `evaluate` read it."""
    from policytag.data.documents import iter_documents

    lines = [
        {
            "id": "a#0",
            "doc_id": "a",
            "text": "加快建设现代化产业体系。",
            "section_path": ["一、工作回顾", "（一）经济"],
        },
        {"id": "a#1", "doc_id": "a", "text": "推进生态文明建设。", "section": "二、今年工作"},
        {"id": "a#2", "doc_id": "a", "text": "完善社会保障。"},
    ]
    source = tmp_path / "in" / "lines.jsonl"
    source.parent.mkdir()
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in lines), encoding="utf-8")
    prepare([source.parent], tmp_path / "ds", prepare_config)
    prepared = [json.loads(x) for x in (tmp_path / "ds" / "paragraphs.jsonl").read_text().splitlines()]
    read = [p for d in iter_documents([source.parent]) for p in d.paragraphs]
    assert [p["section_path"] for p in prepared] == [list(p.section_path) for p in read]
    assert [p["section_path"] for p in prepared] == [["一、工作回顾", "（一）经济"], ["二、今年工作"], []]
