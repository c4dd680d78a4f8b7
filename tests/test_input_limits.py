"""Inputs that must not exhaust memory or hang: size limits on files and archive members,
links and special files counted as skipped, never read."""

import io
import os
import tarfile
import zipfile
from pathlib import PurePosixPath

import pytest
from typer.testing import CliRunner

from conftest import REPORT_TEXT
from policytag.cli import app
from policytag.io.limits import ReadLimits
from policytag.io.sources import iter_source_files

runner = CliRunner()
ONE_MB = 1 << 20
SMALL = ReadLimits(file_mb=1, archive_mb=2)


def _zeros_zip(path, members):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, size in members:
            archive.writestr(name, b"\0" * size)
    return path


def _tar(path, members):
    with tarfile.open(path, "w:gz") as archive:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def test_a_zip_member_over_the_limit_is_refused_naming_member_and_limit(tmp_path):
    archive = _zeros_zip(tmp_path / "bomb.zip", [("a.txt", 100), ("zeros.txt", 3 * ONE_MB)])
    found = {f.rel.name: f for f in iter_source_files([archive], SMALL)}
    assert found["a.txt"].data == b"\0" * 100
    zeros = found["zeros.txt"]
    assert zeros.data is None and zeros.source.endswith("bomb.zip:zeros.txt")
    assert "1 MB limit" in zeros.error and "POLICYTAG_MAX_FILE_MB" in zeros.error


def test_a_tar_member_over_the_limit_is_refused(tmp_path):
    archive = _tar(tmp_path / "r.tar.gz", [("big.md", b"x" * (2 * ONE_MB)), ("ok.md", REPORT_TEXT.encode())])
    found = list(iter_source_files([archive], SMALL))
    assert [(f.rel.name, f.data is not None) for f in found] == [("big.md", False), ("ok.md", True)]
    assert "1 MB limit" in found[0].error


def test_an_archive_stops_at_its_total_limit(tmp_path):
    archive = _zeros_zip(tmp_path / "many.zip", [(f"{i}.txt", ONE_MB - 10) for i in range(4)])
    found = list(iter_source_files([archive], SMALL))
    assert [f.rel.name for f in found] == ["0.txt", "1.txt", "many.zip"]
    assert (
        "2 MB limit for one archive at 2.txt" in found[-1].error
        and "POLICYTAG_MAX_ARCHIVE_MB" in found[-1].error
    )


def test_a_plain_file_over_the_limit_is_refused(tmp_path):
    (tmp_path / "big.txt").write_bytes(b"a" * (ONE_MB + 1))
    [found] = iter_source_files([tmp_path / "big.txt"], SMALL)
    assert found.data is None and "1 MB limit" in found.error


def test_the_limit_comes_from_the_environment_in_prepare(tmp_path, monkeypatch):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "ok.txt").write_text(REPORT_TEXT, encoding="utf-8")
    _zeros_zip(tmp_path / "in" / "bomb.zip", [("zeros.txt", 2 * ONE_MB)])
    monkeypatch.setenv("POLICYTAG_MAX_FILE_MB", "1")
    result = runner.invoke(
        app, ["prepare", str(tmp_path / "in"), "--out", str(tmp_path / "out"), "--set", "workers=1"]
    )
    assert result.exit_code == 0, result.output
    assert "bomb.zip:zeros.txt" in result.output and "1 MB limit" in result.output


def test_a_bad_limit_in_the_environment_names_the_variable(tmp_path, monkeypatch):
    (tmp_path / "ok.txt").write_text(REPORT_TEXT, encoding="utf-8")
    monkeypatch.setenv("POLICYTAG_MAX_FILE_MB", "lots")
    result = runner.invoke(
        app, ["prepare", str(tmp_path / "ok.txt"), "--out", str(tmp_path / "out"), "--set", "workers=1"]
    )
    assert result.exit_code == 2
    assert "POLICYTAG_MAX_FILE_MB='lots'" in result.output


def test_links_and_fifos_in_a_folder_are_counted_as_skipped(tmp_path):
    (tmp_path / "ok.txt").write_text(REPORT_TEXT, encoding="utf-8")
    (tmp_path / "gone.md").symlink_to(tmp_path / "nowhere.md")
    os.mkfifo(tmp_path / "x.md")
    found = {f.rel.name: f for f in iter_source_files([tmp_path])}
    assert found["ok.txt"].data is not None
    assert "dangling symbolic link" in found["gone.md"].error
    assert "not a regular file" in found["x.md"].error


def test_a_fifo_named_as_input_is_not_opened(tmp_path):
    os.mkfifo(tmp_path / "x.md")
    [found] = iter_source_files([tmp_path / "x.md"])
    assert found.data is None and "not a regular file" in found.error


def test_link_members_in_archives_are_counted_as_skipped(tmp_path):
    with tarfile.open(tmp_path / "links.tar", "w") as archive:
        for name, kind in (("soft.md", tarfile.SYMTYPE), ("hard.md", tarfile.LNKTYPE)):
            info = tarfile.TarInfo(name)
            info.type, info.linkname = kind, "/etc/passwd"
            archive.addfile(info)
    with zipfile.ZipFile(tmp_path / "links.zip", "w") as archive:
        info = zipfile.ZipInfo("soft.txt")
        info.create_system, info.external_attr = 3, (0o120777 << 16)
        archive.writestr(info, "/etc/passwd")
    found = list(iter_source_files([tmp_path / "links.tar", tmp_path / "links.zip"]))
    assert [(f.rel, f.data) for f in found] == [
        (PurePosixPath(n), None) for n in ("soft.md", "hard.md", "soft.txt")
    ]
    assert all("link member" in f.error for f in found)


def test_prepare_counts_links_as_skipped_files(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "ok.txt").write_text(REPORT_TEXT, encoding="utf-8")
    (tmp_path / "in" / "gone.md").symlink_to(tmp_path / "nowhere.md")
    result = runner.invoke(
        app, ["prepare", str(tmp_path / "in"), "--out", str(tmp_path / "out"), "--set", "workers=1"]
    )
    assert result.exit_code == 0, result.output
    assert "read 1 files, skipped 1" in result.output and "gone.md: dangling symbolic link" in result.output


@pytest.mark.parametrize("read", [True, False])
def test_listing_without_reading_gives_the_same_files(tmp_path, read):
    archive = _zeros_zip(tmp_path / "r.zip", [("a.txt", 10), ("b.txt", 2 * ONE_MB)])
    listed = [(f.source, f.rel) for f in iter_source_files([archive, tmp_path], SMALL, read=read)]
    assert listed == [(f.source, f.rel) for f in iter_source_files([archive, tmp_path], SMALL)]


def test_a_member_that_fails_to_unpack_does_not_shift_later_report_ids(tmp_path):
    from policytag.data.documents import iter_documents

    with zipfile.ZipFile(tmp_path / "r.zip", "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("a.txt", REPORT_TEXT)
        archive.writestr("b.txt", REPORT_TEXT)
    data = bytearray((tmp_path / "r.zip").read_bytes())
    start = data.index(REPORT_TEXT.encode())
    data[start] ^= 0xFF  # a.txt's bytes no longer match its CRC: the archive fails while read
    (tmp_path / "r.zip").write_bytes(bytes(data))
    (tmp_path / "c.txt").write_text(REPORT_TEXT, encoding="utf-8")
    documents = list(iter_documents([tmp_path / "r.zip", tmp_path / "c.txt"]))
    assert [(d.source.endswith("r.zip"), d.error is not None) for d in documents] == [
        (True, True),
        (False, False),
    ]
    assert {p.doc_id for p in documents[1].paragraphs} == {"c"}


def test_an_encrypted_zip_member_is_skipped_not_a_crash(tmp_path):
    import struct

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.txt", REPORT_TEXT)
        archive.writestr("b.txt", REPORT_TEXT)
    data = bytearray(buffer.getvalue())
    struct.pack_into("<H", data, 6, 1)  # a.txt's local header and central entry: "encrypted"
    struct.pack_into("<H", data, data.index(b"PK\x01\x02") + 8, 1)
    (tmp_path / "locked.zip").write_bytes(bytes(data))
    found = list(iter_source_files([tmp_path / "locked.zip"]))
    assert [(f.rel.name, f.data is not None) for f in found] == [("a.txt", False), ("b.txt", True)]
    assert "encrypted member" in found[0].error


def test_a_word_file_whose_parts_unpack_past_the_limit_is_refused_unread(tmp_path, monkeypatch):
    from conftest import make_docx
    from policytag.io.readers import read_report
    from policytag.runtime.encoding import UnreadableFile

    path = make_docx(tmp_path / "r.docx", [("全年地区生产总值增长5%。", None)])
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/media/zeros.bin", b"\0" * (2 * ONE_MB))
    monkeypatch.setenv("POLICYTAG_MAX_FILE_MB", "1")
    with pytest.raises(
        UnreadableFile, match="Word file, all its parts together: unpacks to .* over the 1 MB limit"
    ):
        read_report("r.docx", PurePosixPath("r.docx"), path.read_bytes())
    monkeypatch.delenv("POLICYTAG_MAX_FILE_MB")
    assert read_report("r.docx", PurePosixPath("r.docx"), path.read_bytes()).blocks


def test_sources_go_to_the_workers_in_batches_bounded_by_count_and_bytes():
    from policytag.io.sources import SourceFile, batched_sources

    sizes = {"a": 5, "b": 20, "c": 1, "d": 0, "e": 1, "f": 1, "g": 1}
    sources = [SourceFile(name, PurePosixPath(name), data=b"x" * size) for name, size in sizes.items()]
    batches = [[s.source for s in batch] for batch in batched_sources(iter(sources), 3, 10)]
    assert batches == [["a", "b"], ["c", "d", "e"], ["f", "g"]]
