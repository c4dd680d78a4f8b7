"""Inputs a fair but hostile user tries: each either read correctly or refused with a message
naming where and what to do; nothing lost silently, no traceback."""

import json
from pathlib import Path, PurePosixPath

import pytest
from typer.testing import CliRunner

from conftest import DATA, REPORT_TEXT, make_pdf
from policytag.cli import app
from policytag.corpus.writing import write_tags
from policytag.data.gold import read_gold
from policytag.io.readers import read_report
from policytag.runtime.encoding import decode_bytes
from policytag.runtime.tagging import Tag

runner = CliRunner()
CHINESE_ONLY = "全年地区生产总值增长百分之五，一般公共预算收入完成一百二十亿元。\n我们也清醒看到，发展中还存在一些问题和不足。\n"
GOOD = {
    "id": "a",
    "doc_id": "r1",
    "text": "全年地区生产总值增长5%。",
    "role": "achievement",
    "domain": "economy",
}


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_byte_order_mark_holding_only_chinese_is_read(encoding):
    text, found = decode_bytes(CHINESE_ONLY.encode(encoding))
    assert text == CHINESE_ONLY and found == encoding


@pytest.mark.parametrize("encoding", ["gb18030", "gbk"])
def test_chinese_gb_text_is_still_not_taken_for_utf16(encoding):
    text, found = decode_bytes(CHINESE_ONLY.encode(encoding))
    assert text == CHINESE_ONLY and found == "gb18030"


def _encrypted_pdf(tmp_path, user_password):
    import pypdf

    plain = make_pdf(tmp_path / "plain.pdf", ["一、2023年工作回顾", "全年地区生产总值增长5.2%。"])
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(plain))
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="AES-256")
    path = tmp_path / "locked.pdf"
    with path.open("wb") as handle:
        writer.write(handle)
    return path.read_bytes()


def test_an_aes_encrypted_pdf_without_a_user_password_is_read(tmp_path):
    report = read_report("locked.pdf", PurePosixPath("locked.pdf"), _encrypted_pdf(tmp_path, ""))
    assert any("5.2%" in b.text for b in report.blocks)


def test_a_password_protected_pdf_says_so(tmp_path):
    from policytag.runtime.encoding import UnreadableFile

    with pytest.raises(UnreadableFile, match="password"):
        read_report("locked.pdf", PurePosixPath("locked.pdf"), _encrypted_pdf(tmp_path, "secret"))


def test_duplicated_gold_ids_are_scored_once_with_a_warning(tmp_path, schema):
    path = tmp_path / "gold.jsonl"
    other = {**GOOD, "id": "b", "text": "明年力争增长6%。", "role": "plan"}
    path.write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in (GOOD, other, GOOD)), encoding="utf-8"
    )
    rows, problems = read_gold(path, schema)
    assert [r["id"] for r in rows] == ["a", "b"]
    assert problems == [f"{path}:3: duplicate id 'a' (first on line 1); scored once, this line skipped"]


def test_a_gold_file_with_a_byte_order_mark_keeps_its_first_line(tmp_path, schema):
    path = tmp_path / "gold.jsonl"
    path.write_text(json.dumps(GOOD, ensure_ascii=False) + "\n", encoding="utf-8-sig")
    rows, problems = read_gold(path, schema)
    assert [r["id"] for r in rows] == ["a"] and problems == []


def test_a_gb18030_gold_file_is_read(tmp_path, schema):
    path = tmp_path / "gold.jsonl"
    path.write_bytes((json.dumps(GOOD, ensure_ascii=False) + "\n").encode("gb18030"))
    rows, _ = read_gold(path, schema)
    assert rows[0]["text"] == GOOD["text"]


def test_a_binary_gold_file_is_refused_naming_it(tmp_path, schema):
    from policytag.data.gold import GoldError

    path = tmp_path / "gold.jsonl"
    path.write_bytes(bytes(range(256)) * 8)
    with pytest.raises(GoldError, match=str(path)):
        read_gold(path, schema)


def test_jsonl_lines_with_a_bad_index_or_section_are_skipped_and_named(tmp_path):
    lines = [
        {"text": "全年增长5%。", "index": "a1"},
        {"text": "明年增长6%。", "index": 3},
        {"text": "存在问题。", "section": ["not", "text"]},
    ]
    data = "\n".join(json.dumps(r, ensure_ascii=False) for r in lines).encode()
    report = read_report("x.jsonl", PurePosixPath("x.jsonl"), data)
    assert [r["text"] for r in report.records] == ["明年增长6%。"]
    assert [w.split(":")[0] for w in report.warnings] == ["line 1", "line 3"]
    assert "'a1'" in report.warnings[0]


def test_predict_skips_a_bad_jsonl_line_and_counts_it(tiny_export, tmp_path):
    source = tmp_path / "in.jsonl"
    rows = [{"text": "全年增长5%。", "index": "a1"}, {"text": "明年增长6%。", "doc_id": "r", "index": 3}]
    source.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    out = tmp_path / "tags.jsonl"
    result = runner.invoke(
        app, ["predict", str(tiny_export), str(source), "--out", str(out), "--backend", "torch"]
    )
    assert result.exit_code == 0, result.output
    assert f"{source}: line 1:" in result.output and "skipped 0 files and 1 lines" in result.output
    tagged = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [(t["doc_id"], t["index"]) for t in tagged] == [("r", 3)]


def test_predict_documents_refuses_a_single_string(tiny_export):
    from policytag import Predictor

    predictor = Predictor.load(tiny_export, backend="torch")
    with pytest.raises(TypeError, match=r"list.*predict_documents\(\[path\]\)"):
        predictor.predict_documents("report.txt")
    with pytest.raises(TypeError, match=r"paths\[1\] is int"):
        predictor.predict_documents([Path("a.txt"), 7])
    with pytest.raises(TypeError, match=r"texts\[2\] is bytes"):
        predictor.predict(["一", "二", b"\xe4\xb8\x89"])


def _tag(text):
    return Tag(text=text, role="plan", role_score=0.9, domain="economy", domain_score=0.8)


def test_a_second_writer_to_the_same_output_is_refused_and_the_first_completes(tmp_path):
    from policytag.corpus.writing import OutputInUse

    out = tmp_path / "tags.jsonl"
    refused = []

    def first():
        yield _tag("一")
        with pytest.raises(OutputInUse, match="another") as err:
            write_tags(out, iter([_tag("乱")]))
        refused.append(str(err.value))
        yield _tag("二")

    assert write_tags(out, first()) == 2
    assert [json.loads(line)["text"] for line in out.read_text(encoding="utf-8").splitlines()] == ["一", "二"]
    assert refused and str(out) in refused[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".tags.jsonl.policytag.json", "tags.jsonl"]


def test_a_failed_write_leaves_the_earlier_output_and_no_partial_file(tmp_path):
    out = tmp_path / "tags.jsonl"
    write_tags(out, iter([_tag("旧")]))

    def broken():
        yield _tag("新")
        raise RuntimeError("reader failed")

    with pytest.raises(RuntimeError):
        write_tags(out, broken())
    assert json.loads(out.read_text(encoding="utf-8"))["text"] == "旧"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".tags.jsonl.policytag.json", "tags.jsonl"]


def test_prepare_over_an_older_dataset_leaves_no_stale_rule_report(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "r.txt").write_text(REPORT_TEXT, encoding="utf-8")
    out = tmp_path / "out"
    gold = str(DATA / "gold" / "dev.jsonl")
    first = runner.invoke(
        app, ["prepare", str(tmp_path / "in"), "--out", str(out), "--set", "workers=1", "--gold", gold]
    )
    assert first.exit_code == 0, first.output  # an older dataset, prepared with gold
    assert (out / "rule_report.json").is_file()
    result = runner.invoke(app, ["prepare", str(tmp_path / "in"), "--out", str(out), "--set", "workers=1"])
    assert result.exit_code == 0, result.output
    assert not (out / "rule_report.json").exists() and not (out / "rule_report.md").exists()


def test_a_jsonl_file_with_no_usable_line_says_why():
    from policytag.runtime.encoding import UnreadableFile

    with pytest.raises(UnreadableFile, match=r"no usable line \(2 skipped; first: line 1: `index`"):
        read_report("x.jsonl", PurePosixPath("x.jsonl"), b'{"text": "a", "index": "a1"}\n[1]\n')
