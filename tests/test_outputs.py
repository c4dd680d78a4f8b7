"""The one output rule: a command writes only paths it owns, and a user's files are never touched."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import DATA, REPORT_TEXT
from policytag.cli import app
from policytag.io.locks import OutputInUse, OutputRefused, locked
from policytag.io.outputs import (
    OWNER,
    Output,
    output_file,
    output_folder,
    sidecar,
    write_text,
)

runner = CliRunner()


def _write(staging: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (staging / name).parent.mkdir(parents=True, exist_ok=True)
        (staging / name).write_text(text, encoding="utf-8")


def test_a_folder_output_replaces_only_its_own_files(tmp_path):
    out = tmp_path / "out"
    with output_folder(Output(out, "prepare")) as staging:
        _write(staging, {"a.txt": "1", "sub/b.txt": "2"})
    assert (out / "a.txt").read_text() == "1" and (out / OWNER).is_file()
    with output_folder(Output(out, "prepare")) as staging:  # its own output: replaced whole
        _write(staging, {"a.txt": "3"})
    assert (out / "a.txt").read_text() == "3" and not (out / "sub" / "b.txt").exists()


def test_a_users_notes_in_an_output_folder_refuse_it_and_overwrite_keeps_them(tmp_path):
    out = tmp_path / "out"
    with output_folder(Output(out, "export")) as staging:
        _write(staging, {"model.bin": "old"})
    (out / "notes.md").write_text("my notes", encoding="utf-8")
    with pytest.raises(OutputRefused, match="notes.md"):
        with output_folder(Output(out, "export")) as staging:
            _write(staging, {"model.bin": "new"})
    assert (out / "model.bin").read_text() == "old"
    with output_folder(Output(out, "export", overwrite=True)) as staging:
        _write(staging, {"model.bin": "new"})
    assert (out / "model.bin").read_text() == "new" and (out / "notes.md").read_text() == "my notes"


def test_overwrite_never_replaces_a_file_the_command_did_not_write(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.md").write_text("mine", encoding="utf-8")
    with pytest.raises(OutputRefused, match="would replace report.md"):
        with output_folder(Output(out, "evaluate", overwrite=True)) as staging:
            _write(staging, {"report.md": "generated"})
    assert (out / "report.md").read_text() == "mine"


def test_an_owned_file_changed_by_the_user_counts_as_theirs(tmp_path):
    out = tmp_path / "out"
    with output_folder(Output(out, "summarize")) as staging:
        _write(staging, {"summary.md": "generated"})
    (out / "summary.md").write_text("generated, then edited", encoding="utf-8")
    with pytest.raises(OutputRefused, match="summary.md"):
        with output_folder(Output(out, "summarize")) as staging:
            _write(staging, {"summary.md": "again"})


def test_another_commands_output_is_not_its_own(tmp_path):
    out = tmp_path / "out"
    with output_folder(Output(out, "prepare")) as staging:
        _write(staging, {"stats.json": "{}"})
    with pytest.raises(OutputRefused, match="stats.json"):
        with output_folder(Output(out, "evaluate")):
            pass


def test_an_output_inside_an_input_a_run_or_an_export_is_refused(tmp_path):
    inputs = tmp_path / "reports"
    inputs.mkdir()
    with pytest.raises(OutputRefused, match="input"):
        with output_folder(Output(inputs / "out", "prepare", (inputs,))):
            pass
    run = tmp_path / "run"
    run.mkdir()
    (run / "run.json").write_text("{}", encoding="utf-8")
    with pytest.raises(OutputRefused, match="training run"):
        with output_file(Output(run / "tags.jsonl", "predict")):
            pass
    export = tmp_path / "export"
    export.mkdir()
    (export / "manifest.json").write_text("{}", encoding="utf-8")
    (export / "policytag.json").write_text("{}", encoding="utf-8")
    with pytest.raises(OutputRefused, match="export"):
        with output_folder(Output(export / "eval", "evaluate")):
            pass


def test_a_file_output_is_new_or_its_own_and_never_a_users_file(tmp_path):
    out = tmp_path / "table.md"
    write_text(Output(out, "compare"), "one")
    assert sidecar(out).is_file()
    write_text(Output(out, "compare"), "two")  # its own: replaced
    assert out.read_text() == "two"
    grades = tmp_path / "grades.csv"
    grades.write_text("a,b\n", encoding="utf-8")
    with pytest.raises(OutputRefused, match="did not write"):
        write_text(Output(grades, "predict"), "x")
    assert grades.read_text() == "a,b\n"


def test_a_failed_write_leaves_the_earlier_output_and_no_staging(tmp_path):
    out = tmp_path / "out"
    with output_folder(Output(out, "prepare")) as staging:
        _write(staging, {"a.txt": "1"})
    with pytest.raises(RuntimeError):
        with output_folder(Output(out, "prepare")) as staging:
            _write(staging, {"a.txt": "2"})
            raise RuntimeError("killed")
    assert (out / "a.txt").read_text() == "1"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_second_writer_of_a_folder_is_refused_at_once(tmp_path):
    out = tmp_path / "out"
    with locked(out, "predict"):
        with pytest.raises(OutputInUse, match=str(out)):
            with output_folder(Output(out, "predict")):
                pass


def test_a_killed_writers_leftovers_are_removed_by_the_next_run(tmp_path):
    out = tmp_path / "tags.jsonl"
    leftover = tmp_path / f".tags.jsonl.partial-{os.getpid() + 1}-dead"
    leftover.write_text("half", encoding="utf-8")
    write_text(Output(out, "predict"), "rows")
    assert not leftover.exists() and out.read_text() == "rows"


# ---- the probe's data-loss cases, through the commands ----------------------------------------


@pytest.fixture
def reports(tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "某区2024.txt").write_text(REPORT_TEXT, encoding="utf-8")
    return folder


def test_prepare_onto_an_earlier_dataset_keeps_the_users_notes(tmp_path, reports):
    out = tmp_path / "ds"
    args = ["prepare", str(reports), "--out", str(out), "--set", "workers=1"]
    assert runner.invoke(app, args).exit_code == 0
    (out / "notes.md").write_text("my notes", encoding="utf-8")
    refused = runner.invoke(app, args)
    assert refused.exit_code == 2 and "notes.md" in refused.output
    assert runner.invoke(app, [*args, "--overwrite"]).exit_code == 0
    assert (out / "notes.md").read_text(encoding="utf-8") == "my notes"
    assert (out / "paragraphs.jsonl").is_file()


def test_predict_never_writes_over_its_input_a_users_file_or_into_an_export(tmp_path, tiny_export):
    mine = tmp_path / "mine.jsonl"
    mine.write_text(
        json.dumps({"text": "加快建设现代化产业体系。", "doc_id": "a"}, ensure_ascii=False) + "\n"
    )
    before = mine.read_bytes()
    result = runner.invoke(app, ["predict", str(tiny_export), str(mine), "--out", str(mine)])
    assert result.exit_code == 2 and "input" in result.output
    assert mine.read_bytes() == before
    grades = tmp_path / "grades.csv"
    grades.write_text("name,grade\n", encoding="utf-8")
    result = runner.invoke(app, ["predict", str(tiny_export), str(mine), "--out", str(grades)])
    assert result.exit_code == 2 and grades.read_text() == "name,grade\n"
    inside = tiny_export / "tags.jsonl"
    result = runner.invoke(app, ["predict", str(tiny_export), str(mine), "--out", str(inside)])
    assert result.exit_code == 2 and "export" in result.output and not inside.exists()


# `export` onto an earlier export holding a user's notes: tests/test_model_folders.py


def test_agreement_and_compare_never_write_over_an_input_or_a_users_file(tmp_path, tiny_run):
    first = tmp_path / "a.jsonl"
    shutil.copyfile(DATA / "annotations" / "double" / "pass-1.jsonl", first)
    second = DATA / "annotations" / "double" / "pass-2.jsonl"
    before = first.read_bytes()
    result = runner.invoke(app, ["agreement", str(first), str(second), "--out", str(first)])
    assert result.exit_code == 2 and first.read_bytes() == before
    (tmp_path / "agree.md").write_text("mine", encoding="utf-8")
    result = runner.invoke(app, ["agreement", str(first), str(second), "--out", str(tmp_path / "agree.json")])
    assert result.exit_code == 2 and (tmp_path / "agree.md").read_text() == "mine"
    notes = tmp_path / "a.txt"
    notes.write_text("mine", encoding="utf-8")
    result = runner.invoke(app, ["compare", str(tiny_run), "--out", str(notes)])
    assert result.exit_code == 2 and notes.read_text() == "mine"


def test_a_second_predict_into_a_folder_being_written_is_refused(tmp_path, tiny_export):
    out = tmp_path / "tags"
    with locked(out, "predict"):  # another `predict` holds the folder for its whole run
        result = runner.invoke(
            app,
            [
                "predict",
                str(tiny_export),
                str(DATA / "gold" / "dev.jsonl"),
                "--out",
                f"{out}/",
                "--backend",
                "torch",
            ],
        )
    assert result.exit_code == 2 and "another `policytag` command is writing" in result.output
    assert not out.exists() or not any(out.glob("part-*"))
