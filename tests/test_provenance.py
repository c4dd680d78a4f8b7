"""Provenance checked where artefacts meet: tag parts, adjustments, paired rows; nothing skipped unnamed."""

from __future__ import annotations

import io
import json
import shutil
import zipfile

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from conftest import DATA, REPORT_TEXT
from policytag.cli import app

runner = CliRunner()


@pytest.fixture
def tagged(tmp_path, tiny_export):
    """Two reports tagged by the tiny export into a folder of parts."""
    reports = tmp_path / "reports"
    reports.mkdir()
    for name in ("甲区2023.txt", "乙区2024.txt"):
        (reports / name).write_text(REPORT_TEXT, encoding="utf-8")
    out = tmp_path / "tags"
    result = runner.invoke(app, ["predict", str(tiny_export), str(reports), "--out", f"{out}/"])
    assert result.exit_code == 0, result.output
    return reports, out


def _foreign_part(folder, name="part-9999-foreign.parquet"):
    """A copy of a part that claims another export (its manifest hash changed)."""
    first = sorted(folder.glob("part-*.parquet"))[0]
    table = pq.read_table(first)
    meta = dict(table.schema.metadata)
    meta[b"policytag.manifest_sha256"] = b"0" * 64
    pq.write_table(table.replace_schema_metadata(meta), folder / name)
    return name


def test_resume_and_summarize_refuse_a_part_of_another_export(tagged, tiny_export, tmp_path):
    reports, out = tagged
    odd = _foreign_part(out)
    resumed = runner.invoke(app, ["predict", str(tiny_export), str(reports), "--out", f"{out}/", "--resume"])
    assert resumed.exit_code == 2 and odd in resumed.output
    summary = runner.invoke(app, ["summarize", str(out), "--by", "year", "--out", str(tmp_path / "f")])
    assert summary.exit_code == 2 and odd in summary.output and not (tmp_path / "f").exists()


def test_adjust_takes_only_evaluations_of_the_export_that_tagged(tagged, tiny_export, tiny_run, tmp_path):
    _, out = tagged
    other = tmp_path / "eval-run"
    assert runner.invoke(app, ["evaluate", str(tiny_run), "--data", str(DATA / "gold" / "dev.jsonl"), "--out", str(other), "--no-baseline"]).exit_code == 0  # fmt: skip
    result = runner.invoke(app, ["summarize", str(out), "--adjust", str(other), "--out", str(tmp_path / "f")])
    assert result.exit_code == 2 and "manifest" in result.output
    same = tmp_path / "eval-export"
    assert runner.invoke(app, ["evaluate", str(tiny_export), "--data", str(DATA / "gold" / "dev.jsonl"), "--out", str(same), "--no-baseline"]).exit_code == 0  # fmt: skip
    result = runner.invoke(app, ["summarize", str(out), "--adjust", str(same), "--out", str(tmp_path / "g")])
    assert result.exit_code == 0, result.output
    rows = [
        json.loads(line) for line in (same / "predictions.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    rows[0]["gold_domain"] = "astrology"
    broken = tmp_path / "eval-broken"
    shutil.copytree(same, broken)
    (broken / "predictions.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    result = runner.invoke(
        app, ["summarize", str(out), "--adjust", str(broken), "--out", str(tmp_path / "h")]
    )
    assert result.exit_code == 2 and "astrology" in result.output


def test_agreement_refuses_one_id_standing_for_two_texts(tmp_path):
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    a.write_text(
        json.dumps({"id": "p1", "text": "加强安全生产。", "role": "plan", "domain": "safety"}) + "\n"
    )
    b.write_text(
        json.dumps({"id": "p1", "text": "发展旅游业。", "role": "plan", "domain": "culture_edu"}) + "\n"
    )
    result = runner.invoke(app, ["agreement", str(a), str(b)])
    assert result.exit_code == 2 and "p1" in result.output


def test_an_archives_doc_member_nested_zip_and_empty_report_are_named(tmp_path, tiny_export):
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as nested:
        nested.writestr("x.txt", REPORT_TEXT)
    archive = tmp_path / "in.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("a.txt", REPORT_TEXT)
        bundle.writestr("old.doc", b"\xd0\xcf\x11\xe0")
        bundle.writestr("more.zip", inner.getvalue())
        bundle.writestr("blank.txt", "各位代表：\n")
    for out in ("t.jsonl", "t.parquet", "tags/"):
        result = runner.invoke(app, ["predict", str(tiny_export), str(archive), "--out", str(tmp_path / out)])
        assert result.exit_code == 0, result.output
        assert "old.doc" in result.output and "more.zip" in result.output and "blank.txt" in result.output
        assert "skipped 2 files, 1 reports without a paragraph" in result.output
    # ... and recorded with each output: the sidecar, the Parquet footer, the folder's record
    records = [
        json.loads((tmp_path / ".t.jsonl.policytag.json").read_text(encoding="utf-8"))["outcome"],
        json.loads(pq.read_metadata(tmp_path / "t.parquet").metadata[b"policytag.outcome"]),
        json.loads((tmp_path / "tags" / "_policytag.json").read_text(encoding="utf-8"))["outcome"],
    ]
    for outcome in records:
        assert outcome["tagged"] == 1 and len(outcome["skipped"]) == 2
        assert "old.doc" in " ".join(outcome["skipped"]) and "blank.txt" in outcome["empty"][0]


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_tampered_export_with_a_rebuilt_manifest_is_refused_in_one_line(tiny_export, tmp_path, workers):
    from policytag.runtime.manifest import write_manifest

    export = tmp_path / "export"
    shutil.copytree(tiny_export, export)
    (export / "tokenizer.json").write_text('{"broken": 1}', encoding="utf-8")
    meta = json.loads((export / "manifest.json").read_text(encoding="utf-8"))
    meta.pop("files")
    write_manifest(export, meta)  # the checksums match again: only loading can tell
    args = ["predict", str(export), str(DATA / "gold" / "dev.jsonl"), "--out", str(tmp_path / "t.jsonl")]
    result = runner.invoke(app, [*args, "--workers", workers])
    assert result.exit_code == 2 and "cannot be loaded" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "t.jsonl").exists()
