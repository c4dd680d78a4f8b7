import io
import tarfile
import zipfile
from pathlib import Path, PurePosixPath

import pytest

from conftest import REPORT_TEXT, make_docx, make_pdf
from policytag.io.readers import read_report
from policytag.io.sources import iter_source_files
from policytag.runtime.encoding import UnreadableFile, decode_bytes


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16"])
def test_encodings_decode_to_the_same_text(encoding):
    text, _ = decode_bytes(REPORT_TEXT.encode(encoding))
    assert text.lstrip("\ufeff") == REPORT_TEXT


@pytest.mark.parametrize(
    "data, reason", [(b"", "empty"), (b" \n\t", "empty"), (bytes(range(256)) * 20, "binary")]
)
def test_unreadable_bytes_say_why(data, reason):
    with pytest.raises(UnreadableFile, match=reason):
        decode_bytes(data)


def test_markdown_front_matter_and_bold_headings():
    md = "---\ntitle: 某市2024年政府工作报告\n---\n\n**一、2023年工作回顾**\n\n全年**地区生产总值**增长5%。\n\n## 二、2024年工作安排\n"
    report = read_report("x.md", PurePosixPath("x.md"), md.encode())
    assert report.title == "某市2024年政府工作报告"
    assert [(b.text, b.heading) for b in report.blocks] == [
        ("一、2023年工作回顾", True),
        ("全年地区生产总值增长5%。", False),
        ("二、2024年工作安排", True),
    ]


def test_markdown_comments_are_not_text_and_keep_line_numbers():
    md = "<!-- 市长作政府工作报告 -->\n\n全年地区生产总值增长5%。<!-- 编者注\n两行 -->\n\n财政收入增长3%。\n"
    report = read_report("x.md", PurePosixPath("x.md"), md.encode())
    assert [(b.text, b.line) for b in report.blocks] == [
        ("全年地区生产总值增长5%。", 3),
        ("财政收入增长3%。", 6),
    ]


def test_docx_keeps_heading_styles(tmp_path):
    path = make_docx(
        tmp_path / "r.docx", [("一、2023年工作回顾", "Heading 1"), ("全年地区生产总值增长5.2%。", None)]
    )
    report = read_report(str(path), PurePosixPath("r.docx"), path.read_bytes())
    assert [(b.text, b.heading) for b in report.blocks] == [
        ("一、2023年工作回顾", True),
        ("全年地区生产总值增长5.2%。", False),
    ]


def test_pdf_text_layer_with_wrapped_lines_rejoined(tmp_path):
    lines = [
        "一、2023年工作回顾",
        "全年地区生产总值增长5.2%，一般公共预算收入完成一百二十亿",
        "元，同比增长百分之六。",
    ]
    path = make_pdf(tmp_path / "r.pdf", lines)
    report = read_report(str(path), PurePosixPath("r.pdf"), path.read_bytes())
    assert [b.text for b in report.blocks] == [lines[0], lines[1] + lines[2]]


def test_jsonl_bad_lines_are_warned_and_skipped():
    data = '{"text": "全年增长5%。", "doc_id": "a"}\nnot json\n{"no_text": 1}\n'.encode()
    report = read_report("x.jsonl", PurePosixPath("x.jsonl"), data)
    assert [r["text"] for r in report.records] == ["全年增长5%。"]
    assert [w.split(":")[0] for w in report.warnings] == ["line 2", "line 3"]


def test_archives_are_read_without_unpacking(tmp_path):
    payload = REPORT_TEXT.encode()
    with tarfile.open(tmp_path / "r.tar.gz", "w:gz") as archive:
        info = tarfile.TarInfo("reports/a.txt")
        info.size = len(payload)
        archive.addfile(info, io.BytesIO(payload))
    with zipfile.ZipFile(tmp_path / "r.zip", "w") as archive:
        archive.writestr("reports/b.txt", payload)
        archive.writestr("reports/image.png", b"\x89PNG")
    found = list(iter_source_files([tmp_path / "r.tar.gz", tmp_path / "r.zip"]))
    assert [(f.rel, f.data) for f in found] == [
        (PurePosixPath("reports/a.txt"), payload),
        (PurePosixPath("reports/b.txt"), payload),
        (PurePosixPath("reports/image.png"), None),  # named, not read
    ]
    assert found[-1].error == "unsupported file type (.png); skipped"


def test_missing_input_is_reported():
    [found] = list(iter_source_files([Path("/no/such/folder")]))
    assert found.error == "no such file or folder"
