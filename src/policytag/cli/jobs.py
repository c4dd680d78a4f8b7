"""Commands that run whole pipelines: the main job and sweeps."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from policytag.cli import printing
from policytag.cli.app import app, fail, recipe_path
from policytag.config import ConfigError, shipped


@app.command("run")
def run_job(
    recipe: Annotated[
        Path, typer.Argument(help="Training recipe: a YAML file or a name in configs/train/.")
    ] = Path("default"),
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for data/, run/, export/ and eval/.")
    ] = Path("experiments/main"),
    parity_paragraphs: Annotated[
        int,
        typer.Option(
            help="Corpus paragraphs in the export's parity check (the selection pool's are compared too)."
        ),
    ] = 100,
    overrides: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override a training recipe key: --set optim.max_steps=50"),
    ] = None,
    overwrite: Annotated[
        bool, typer.Option(help="Replace sub-folders of OUT that hold something else (never a training run).")
    ] = False,
) -> None:
    """The main job, offline: prepare the shipped sample, train, export, evaluate on the dev gold."""
    from policytag.main_job import run_main_job

    try:
        metrics = run_main_job(
            recipe_path(recipe, "train"), out, overrides or [], parity_paragraphs, typer.echo, overwrite
        )
    except (ConfigError, FileNotFoundError, ValueError) as err:
        fail(str(err))
    printing.main_job(metrics, out)


@app.command()
def sweep(
    recipe: Annotated[Path, typer.Argument(help="Training recipe: a YAML file or a name in configs/train/.")],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Sweep folder: runs/, evals/, results.csv, summary.md.")
    ],
    grid: Annotated[
        list[str] | None, typer.Option(help="KEY=V1,V2: a recipe key and its values (repeatable).")
    ] = None,
    seeds: Annotated[str, typer.Option(help="Training seeds, comma-separated.")] = "13",
    vary: Annotated[
        str,
        typer.Option(
            help="all: every combination of the grid; one: each key alone, the others at their first value."
        ),
    ] = "all",
    data: Annotated[
        Path | None,
        typer.Option(help="Held-out labelled JSONL to evaluate every run on (default: the recipe's dev)."),
    ] = None,
    reports: Annotated[
        Path | None, typer.Option(help="The whole reports of --data, to read its paragraphs in context.")
    ] = None,
    dataset: Annotated[
        Path | None,
        typer.Option(help="A prepared dataset (default: the recipe's, else prepared into OUT/data)."),
    ] = None,
    overrides: Annotated[
        list[str] | None, typer.Option("--set", help="Override a recipe key in every trial.")
    ] = None,
    engine: Annotated[
        str, typer.Option(help="local (one trial after another) or ray (Ray tasks).")
    ] = "local",
    ray_address: Annotated[
        str | None, typer.Option(help="Join this Ray cluster; default: a local Ray.")
    ] = None,
) -> None:
    """Train every grid point with every seed, evaluate each run, and compare them with paired intervals."""
    from policytag.corpus.run import EngineUnavailable
    from policytag.experiments.design import SweepSpec, parse_grid
    from policytag.experiments.sweep import sweep as run_sweep
    from policytag.training.config import load_train_config

    try:
        path = recipe_path(recipe, "train")
        dev = data or shipped(load_train_config(path, overrides or []).data.dev)
        if dev is None:
            raise ConfigError("the recipe has no dev gold: give the held-out set with --data")
        spec = SweepSpec(
            recipe=str(path.resolve()),
            grid=parse_grid(grid or []),
            seeds=[int(s) for s in seeds.split(",") if s.strip()],
            data=str(dev.resolve()),
            reports=str(reports.resolve()) if reports else None,
            dataset=str(dataset.resolve()) if dataset else None,
            overrides=list(overrides or []),
            vary=vary,
        )
        result = run_sweep(spec, out, engine, ray_address, typer.echo)
    except EngineUnavailable as err:
        fail(str(err))
    except (ConfigError, FileNotFoundError, ValueError) as err:
        fail(str(err))
    typer.echo(f"{result['trials']} trials ({result['ran']} run now): {out}/results.csv, {out}/summary.md")
