"""Every model folder is verified before it loads, and outputs never destroy what a command did not make."""

import json
import os
import shutil

import pytest
from typer.testing import CliRunner

from conftest import DATA, REPORT_TEXT
from policytag import Predictor
from policytag.cli import app
from policytag.runtime.manifest import STAGING_MARKER, BrokenExport

runner = CliRunner()


# --- loading: an export by its manifest, a run by its marker; nothing else


def test_a_folder_without_manifest_or_run_marker_is_refused(tiny_export, tiny_run, tmp_path):
    stripped = tmp_path / "stripped"
    shutil.copytree(tiny_export, stripped)
    (stripped / "manifest.json").unlink()  # an export whose manifest was removed
    with pytest.raises(BrokenExport, match="neither an export .* nor a training run"):
        Predictor.open(stripped)
    unmarked = tmp_path / "unmarked"
    shutil.copytree(tiny_run, unmarked)
    (unmarked / "run.json").unlink()  # a run folder without its marker
    with pytest.raises(BrokenExport, match="neither an export"):
        Predictor.open(unmarked)
    result = runner.invoke(
        app, ["predict", str(stripped), str(DATA / "seed"), "--out", str(tmp_path / "t.jsonl")]
    )
    assert result.exit_code == 2 and "neither an export" in result.output and "Traceback" not in result.output


def test_an_interrupted_exports_staging_folder_is_refused(tiny_export, tmp_path):
    staging = tmp_path / ".export.partial-123-abcd"
    shutil.copytree(tiny_export, staging)
    (staging / STAGING_MARKER).touch()
    with pytest.raises(BrokenExport, match="staging folder"):
        Predictor.open(staging)
    (staging / "manifest.json").unlink()  # interrupted before the manifest: still refused
    with pytest.raises(BrokenExport, match="staging folder"):
        Predictor.open(staging)


def test_a_runs_best_model_is_checked_by_its_manifest(tiny_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    assert Predictor.open(run).backend == "torch"
    with (run / "best" / "heads.safetensors").open("r+b") as handle:
        handle.seek(-4, os.SEEK_END)
        handle.write(b"\x00\x00\x80\x7f")
    with pytest.raises(BrokenExport, match="heads.safetensors does not match its checksum"):
        Predictor.open(run)


def test_an_unknown_backend_fails_for_exports_and_runs(tiny_export, tiny_run, tmp_path):
    for folder in (tiny_export, tiny_run):
        with pytest.raises(ValueError, match="backend 'banana'"):
            Predictor.open(folder, backend="banana")
        result = runner.invoke(
            app,
            [
                "predict",
                str(folder),
                str(DATA / "seed"),
                "--out",
                str(tmp_path / "t.jsonl"),
                "--backend",
                "banana",
            ],
        )
        assert result.exit_code == 2 and "backend 'banana'" in result.output
    with pytest.raises(ValueError, match="only the torch backend"):
        Predictor.open(tiny_run, backend="onnx-int8")


def test_a_manifest_that_does_not_list_a_backends_file_is_refused(tiny_export, tmp_path):
    export = tmp_path / "export"
    shutil.copytree(tiny_export, export)
    manifest = json.loads((export / "manifest.json").read_text())
    del manifest["files"]["model.int8.onnx"]
    (export / "manifest.json").write_text(json.dumps(manifest))
    assert Predictor.load(export, backend="torch").backend == "torch"
    with pytest.raises(BrokenExport, match="model.int8.onnx"):
        Predictor.load(export, backend="onnx-int8")


# --- writing: only over its own kind of output; never a run


def test_export_refuses_a_folder_it_did_not_make_and_never_a_run(tiny_run, tmp_path):
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "notes.txt").write_text("x")
    result = runner.invoke(app, ["export", str(tiny_run), "--out", str(precious)])
    assert result.exit_code == 2 and str(precious) in result.output and "--overwrite" in result.output
    assert (precious / "notes.txt").read_text() == "x"
    for target in (tiny_run, tiny_run.parent):  # the run itself, and a folder holding it
        result = runner.invoke(app, ["export", str(tiny_run), "--out", str(target), "--overwrite"])
        assert result.exit_code == 2 and "training run" in result.output
        assert (tiny_run / "run.json").is_file() and (tiny_run / "best" / "manifest.json").is_file()
    assert not list(tmp_path.glob(".*partial*"))


def test_export_replaces_an_earlier_export_and_never_a_users_file(tiny_run, tiny_export, tmp_path):
    out = tmp_path / "export"
    shutil.copytree(tiny_export, out)  # an earlier export, with its owner file
    (out / "notes.txt").write_text("mine")
    args = ["export", str(tiny_run), "--out", str(out), "--parity-paragraphs", "20"]
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and "notes.txt" in result.output
    before = (out / "manifest.json").read_bytes()
    result = runner.invoke(app, [*args, "--overwrite"])  # its own files replaced, the user's kept
    assert result.exit_code == 0, result.output
    assert (out / "notes.txt").read_text() == "mine" and Predictor.load(out).backend
    assert (out / "manifest.json").read_bytes() != before  # the export's own files were written anew
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export"]  # no staging or old folder left


def test_prepare_refuses_a_foreign_folder_and_replaces_an_earlier_dataset_whole(prepare_config, tmp_path):
    from policytag.data.prepare import prepare

    reports = tmp_path / "reports"
    reports.mkdir()
    for year in (2022, 2023, 2024):
        (reports / f"区政府工作报告_{year}.txt").write_text(REPORT_TEXT, encoding="utf-8")
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "notes.txt").write_text("x")
    result = runner.invoke(app, ["prepare", str(reports), "--out", str(precious), "--set", "workers=1"])
    assert result.exit_code == 2 and str(precious) in result.output
    assert [p.name for p in precious.iterdir()] == ["notes.txt"]

    out = tmp_path / "dataset"
    prepare([reports], out, prepare_config, gold=DATA / "gold" / "dev.jsonl")
    assert (out / "rule_report.md").is_file() and (out / "taxonomy.yaml").is_file()
    prepare([reports], out, prepare_config)  # an earlier dataset: replaced, its rule report with it
    assert not (out / "rule_report.md").exists() and (out / "paragraphs.jsonl").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dataset", "precious", "reports"]


def test_staging_paths_are_unique_to_the_process_and_call(tmp_path):
    from policytag.io.locks import unique_sibling

    a, b = unique_sibling(tmp_path / "out", "partial"), unique_sibling(tmp_path / "out", "partial")
    assert a != b and a.parent == tmp_path and a.name.startswith(f".out.partial-{os.getpid()}-")


# --- what travels with the dataset, the run and the export


def test_taxonomy_and_baseline_rows_travel_with_the_export(dataset, tiny_run, tiny_export):
    from policytag.runtime.settings import load_settings

    for folder in (dataset, tiny_run, tiny_export):
        assert (folder / "taxonomy.yaml").read_text(encoding="utf-8").startswith("# Label schema")
    settings = load_settings(tiny_export)
    assert settings.label_names["economy"] and settings.labels.role == ["achievement", "problem", "plan"]
    rows = [
        json.loads(line) for line in (tiny_export / settings.training.baseline_rows).open(encoding="utf-8")
    ]
    trained = [json.loads(line) for line in (tiny_run / "train-sample.jsonl").open(encoding="utf-8")]
    assert len(rows) == len(trained) == 1200  # the tiny recipe's sample of the split, and only it
    assert [r["text"] for r in rows] == [r["text"] for r in trained]
    record = json.loads((tiny_run / "run.json").read_text(encoding="utf-8"))
    assert record["train"] == str(dataset / "splits" / "train.jsonl") and record["sample"].endswith(
        "train-sample.jsonl"
    )
    assert "baseline-train.jsonl" in json.loads((tiny_export / "manifest.json").read_text())["files"]


def test_evaluate_of_an_export_from_another_directory_reports_the_baseline(
    tiny_export, tmp_path, monkeypatch
):
    moved = tmp_path / "somewhere" / "export"
    shutil.copytree(tiny_export, moved)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = runner.invoke(
        app, ["evaluate", str(moved), "--data", str(DATA / "gold" / "dev.jsonl"), "--out", "eval"]
    )
    assert result.exit_code == 0, result.output
    baseline = json.loads((elsewhere / "eval" / "metrics.json").read_text(encoding="utf-8"))["baseline"]
    assert baseline["train"] == str(moved / "baseline-train.jsonl")
    assert baseline["domain"]["macro_f1"] > 0.5 and "model_minus_baseline" in baseline["role"]


def test_settings_are_typed_and_refuse_unknown_keys_and_newer_formats(tiny_export, tmp_path):
    from policytag.config import ConfigError
    from policytag.runtime.settings import load_settings

    folder = tmp_path / "m"
    folder.mkdir()
    data = json.loads((tiny_export / "policytag.json").read_text(encoding="utf-8"))
    (folder / "policytag.json").write_text(json.dumps({**data, "windwos": {}}))
    with pytest.raises(ConfigError, match=r"policytag.json: unknown key windwos"):
        load_settings(folder)
    (folder / "policytag.json").write_text(json.dumps({**data, "format": 99}))
    with pytest.raises(ConfigError, match="newer policytag"):
        load_settings(folder)
