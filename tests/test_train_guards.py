"""Training refuses what it cannot trust: crafted checkpoints, non-finite numbers, folders that are not runs."""

import shutil

import pytest
import torch
from typer.testing import CliRunner

from conftest import tiny_args
from policytag.cli import app

runner = CliRunner()


class _Payload:
    """Unpickling this creates `marker`: the code execution a checkpoint must never get."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        import pathlib

        return pathlib.Path.touch, (pathlib.Path(self.marker),)


def test_resume_refuses_a_checkpoint_that_would_run_code(tiny_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    marker = tmp_path / "marker"
    torch.save({"state": _Payload(marker)}, run / "checkpoint" / "state.pt")
    result = runner.invoke(app, ["train", "--resume", str(run)])
    assert result.exit_code != 0
    assert not marker.exists()
    assert "state.pt" in result.output and "cannot be loaded safely" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_resume_still_works_with_a_checkpoint_it_wrote(tiny_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    result = runner.invoke(app, ["train", "--resume", str(run)])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf"])
def test_a_non_finite_learning_rate_is_refused(dataset, tmp_path, value):
    run = tmp_path / "run"
    result = runner.invoke(app, [*tiny_args(dataset, "--set", f"optim.lr={value}"), "--out", str(run)])
    assert result.exit_code != 0
    assert "optim" in result.output and "finite" in result.output
    assert not (run / "best").exists()


def test_a_diverging_loss_stops_training_before_a_best_model_is_saved(dataset, tmp_path):
    run = tmp_path / "run"
    args = ["optim.lr=1e30", "optim.head_lr=1e30", "optim.warmup_ratio=0.0"]
    result = runner.invoke(
        app, [*tiny_args(dataset, *[x for a in args for x in ("--set", a)]), "--out", str(run)]
    )
    assert result.exit_code != 0
    assert "loss" in result.output and "not finite" in result.output
    assert not (run / "best").exists()


def test_resume_on_a_folder_that_is_not_a_run_says_so(tmp_path):
    result = runner.invoke(app, ["train", "--resume", str(tmp_path)])
    assert result.exit_code == 2
    assert "not a training run" in result.output and str(tmp_path) in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_resume_with_broken_yaml_names_the_file(tmp_path):
    (tmp_path / "config.yaml").write_text("optim: [unclosed\n", encoding="utf-8")
    result = runner.invoke(app, ["train", "--resume", str(tmp_path)])
    assert result.exit_code == 2
    assert "config.yaml" in result.output and "not valid YAML" in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output


def test_train_on_a_missing_dataset_leaves_no_run_folder(tmp_path):
    run = tmp_path / "run"
    result = runner.invoke(app, [*tiny_args(tmp_path / "absent"), "--out", str(run)])
    assert result.exit_code == 2
    assert "policytag prepare" in result.output
    assert not run.exists()
