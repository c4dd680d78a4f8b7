"""`policytag sweep`: a grid of the tiny recipe over seeds, continued after a stop, and on Ray."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import DATA
from policytag.cli import app

runner = CliRunner()
DEV = DATA / "gold" / "dev.jsonl"


def _sweep(dataset, out, *extra: str, seeds: str = "1,2"):
    args = ["sweep", "tiny", "--grid", "optim.lr=1e-3,3e-3", "--seeds", seeds, "--out", str(out)]
    args += ["--dataset", str(dataset), "--data", str(DEV), *extra]
    return runner.invoke(app, args)


def _table(out) -> list[dict]:
    with (out / "results.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def swept(dataset, tmp_path_factory):
    out = tmp_path_factory.mktemp("sweep") / "sweep"
    result = _sweep(dataset, out)
    assert result.exit_code == 0, result.output
    return out


@pytest.mark.slow
def test_a_sweep_of_two_values_and_two_seeds_gives_four_rows_and_a_summary(swept):
    rows = _table(swept)
    assert [(r["optim.lr"], r["seed"]) for r in rows] == [
        ("1e-3", "1"),
        ("1e-3", "2"),
        ("3e-3", "1"),
        ("3e-3", "2"),
    ]
    assert list(rows[0]) == [
        "run", "seed", "optim.lr", "role_macro_f1", "domain_macro_f1", "role_accuracy", "domain_accuracy", "wall_s"
    ]  # fmt: skip
    for row in rows:
        assert 0 <= float(row["domain_macro_f1"]) <= 1 and int(row["wall_s"]) >= 0
    summary = (swept / "summary.md").read_text(encoding="utf-8")
    assert "| 01-lr=1e-3 | 2 |" in summary and "| 02-lr=3e-3 | 2 |" in summary and "paired" in summary


@pytest.mark.slow
def test_a_stopped_sweep_continues_without_training_again(swept, dataset):
    last = _table(swept)[-1]["run"]
    log = (swept / "runs" / last / "log.jsonl").read_bytes()
    (swept / "trials" / f"{last}.json").unlink()  # as if stopped after training, before the record
    result = _sweep(dataset, swept)
    assert result.exit_code == 0, result.output
    assert "3 of 4 trials already finished" in result.output
    assert (swept / "runs" / last / "log.jsonl").read_bytes() == log  # not trained again
    assert len(_table(swept)) == 4


def test_a_grid_key_the_recipe_lacks_is_refused_before_anything_trains(dataset, tmp_path):
    out = tmp_path / "sweep"
    result = runner.invoke(
        app,
        ["sweep", "tiny", "--grid", "optim.learning_rate=1e-3", "--out", str(out), "--dataset", str(dataset)],
    )
    assert result.exit_code == 2 and "optim.learning_rate" in result.output
    assert not out.exists()


@pytest.mark.slow
def test_a_folder_holding_another_sweep_is_refused(swept, dataset):
    args = ["sweep", "tiny", "--grid", "optim.lr=1e-2", "--seeds", "1", "--out", str(swept)]
    result = runner.invoke(app, [*args, "--dataset", str(dataset), "--data", str(DEV)])
    assert result.exit_code == 2 and "another grid" in result.output


@pytest.mark.slow
def test_a_ray_sweep_gives_the_same_table_as_a_local_one(swept, dataset, tmp_path):
    pytest.importorskip("ray")
    out = tmp_path / "ray-sweep"
    result = _sweep(dataset, out, "--engine", "ray", seeds="2")  # two trials at once, one per core
    assert result.exit_code == 0, result.output
    drop = lambda rows: [{k: v for k, v in r.items() if k != "wall_s"} for r in rows if r["seed"] == "2"]  # noqa: E731
    assert len(drop(_table(out))) == 2 and drop(_table(out)) == drop(_table(swept))


@pytest.mark.slow
def test_compare_groups_evaluations_by_recipe_with_seed_means_and_paired_intervals(swept):
    evals = sorted((swept / "evals").iterdir())
    result = runner.invoke(app, ["compare", "--seeds", *map(str, evals), "--resamples", "200"])
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if line.startswith("| optim.lr=")]
    assert [row.split("|")[2].strip() for row in rows] == ["2", "2"]  # two recipes, two seeds each
    first, second = ([cell.strip() for cell in row.strip().strip("|").split("|")] for row in rows)
    assert first[3] == first[5] == "–" and "[" in second[3] and "[" in second[5]  # the first is the reference


def test_a_grid_over_the_dataset_trains_each_trial_on_its_own(tmp_path):
    from policytag.experiments.design import SweepSpec, trial_dataset, trials

    spec = SweepSpec(recipe="r.yaml", grid={"data.dataset": ["/a/old", "/a/new"]}, seeds=[1], data="d")
    assert [trial_dataset(t, "/sweep/data") for t in trials(spec)] == [Path("/a/old"), Path("/a/new")]
    plain = SweepSpec(recipe="r.yaml", grid={"optim.lr": ["1e-3"]}, seeds=[1], data="d")
    assert [trial_dataset(t, "/sweep/data") for t in trials(plain)] == [Path("/sweep/data")]


def test_a_grid_dataset_that_is_not_prepared_is_refused_before_anything_trains(dataset, tmp_path):
    out, missing = tmp_path / "sweep", tmp_path / "not-prepared"
    grid = f"data.dataset={dataset},{missing}"
    result = runner.invoke(app, ["sweep", "tiny", "--grid", grid, "--data", str(DEV), "--out", str(out)])
    assert result.exit_code == 2 and "not-prepared" in result.output and not out.exists()


def test_one_key_at_a_time_varies_each_lever_alone_against_the_first_values():
    from policytag.experiments.design import SweepSpec, trials

    grid = {"optim.lr": ["1e-4", "2e-4"], "optim.freeze_layers": ["6", "3", "0"]}
    spec = SweepSpec(recipe="r.yaml", grid=grid, seeds=[13], data="d.jsonl", vary="one")
    assert [(t.name, t.values) for t in trials(spec)] == [
        ("01-base-seed13", {"optim.lr": "1e-4", "optim.freeze_layers": "6"}),
        ("02-lr=2e-4-seed13", {"optim.lr": "2e-4", "optim.freeze_layers": "6"}),
        ("03-freeze_layers=3-seed13", {"optim.lr": "1e-4", "optim.freeze_layers": "3"}),
        ("04-freeze_layers=0-seed13", {"optim.lr": "1e-4", "optim.freeze_layers": "0"}),
    ]
    every = SweepSpec(recipe="r.yaml", grid=grid, seeds=[13], data="d.jsonl")
    assert len(trials(every)) == 6 and trials(every)[0].name == "01-lr=1e-4-freeze_layers=6-seed13"
