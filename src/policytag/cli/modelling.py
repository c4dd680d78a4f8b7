"""Commands that train, evaluate, export and compare models."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from policytag.cli import printing
from policytag.cli.app import Overwrite, app, fail, recipe_path
from policytag.config import ConfigError


@app.command()
def train(
    recipe: Annotated[
        Path,
        typer.Argument(help="Training recipe: a YAML file, or a name in configs/train/ (default, tiny, …)."),
    ] = Path("default"),
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Run folder (default: experiments/<time>-<recipe>).")
    ] = None,
    resume: Annotated[
        Path | None,
        typer.Option(help="Continue the interrupted run in this folder, from its last checkpoint."),
    ] = None,
    overrides: Annotated[
        list[str] | None, typer.Option("--set", help="Override a recipe key: --set optim.lr=3e-5")
    ] = None,
    report_to: Annotated[
        list[str] | None,
        typer.Option(
            help="Also write the training curves as: tensorboard (event files in RUN/tensorboard/)."
        ),
    ] = None,
) -> None:
    """Fine-tune an encoder with a role head and a domain head; keep the best model by dev macro-F1."""
    import json
    import os
    import sys
    from contextlib import nullcontext

    from policytag.io.locks import locked
    from policytag.io.outputs import Output, claim_empty
    from policytag.training.config import load_resumable_config, load_train_config
    from policytag.training.curves import check_reporters
    from policytag.training.loop import train as run_training
    from policytag.training.run import new_run_dir

    try:
        if resume is not None:  # the run's own resolved recipe, so nothing can drift
            config = load_resumable_config(resume)
            run = resume
        else:
            path = recipe_path(recipe, "train")
            reporters = [f"report_to={json.dumps(report_to)}"] if report_to else []
            config = load_train_config(path, [*(overrides or []), *reporters])
            check_reporters(config.report_to)  # before the run folder exists
            config.data.train_file()  # before the run folder exists: a missing dataset leaves none
            if out is None and int(os.environ.get("WORLD_SIZE", "1")) > 1:
                raise ConfigError("several processes share one run folder: give it with --out")
            if out is not None:
                claim_empty(Output(out, "train", (config.data.dataset, *filter(None, [config.data.dev]))))
            run = out or new_run_dir(Path("experiments"), path.stem)
            run.mkdir(parents=True, exist_ok=True)
        with locked(run, "train") if int(os.environ.get("RANK", "0")) == 0 else nullcontext():
            metrics = run_training(config, run, sys.argv, resume=resume is not None)
    except (ConfigError, FileNotFoundError, ValueError) as err:
        fail(str(err))
    printing.train(metrics, run)


@app.command()
def evaluate(
    model: Annotated[Path, typer.Argument(help="An export folder or a run folder.")],
    data: Annotated[
        Path, typer.Option("--data", "-d", help="Labelled JSONL (id, doc_id, text, role, domain).")
    ],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for metrics.json, report.md, pictures, errors.")
    ],
    strict: Annotated[
        bool, typer.Option(help="Stop at the first bad gold line instead of skipping it.")
    ] = False,
    baseline: Annotated[
        bool, typer.Option(help="Train and report the TF-IDF baseline beside the model.")
    ] = True,
    baseline_train: Annotated[
        Path | None, typer.Option(help="Training JSONL for the baseline (default: the model's own split).")
    ] = None,
    reports: Annotated[
        Path | None,
        typer.Option(
            help="Folder of the whole reports the gold comes from: each paragraph is read with its headings there."
        ),
    ] = None,
    context: Annotated[
        bool, typer.Option(help="Without --reports, read each gold row's section_path/section.")
    ] = True,
    nearest_only: Annotated[
        bool, typer.Option(help="Give the model only the heading nearest to each paragraph.")
    ] = False,
    overwrite: Overwrite = False,
) -> None:
    """Evaluate a model on held-out labelled paragraphs: metrics, intervals, pictures, mistakes."""
    from policytag.evaluation.evaluate import EvalConfig
    from policytag.evaluation.evaluate import evaluate as run_evaluate
    from policytag.runtime.manifest import BrokenExport

    try:
        metrics = run_evaluate(
            model,
            data,
            out,
            EvalConfig(
                strict=strict,
                baseline=baseline,
                baseline_train=baseline_train,
                reports=reports,
                gold_sections=context,
                nearest=nearest_only,
            ),
            overwrite=overwrite,
        )
    except (BrokenExport, FileNotFoundError, ValueError) as err:  # GoldError is a ValueError
        fail(str(err))
    printing.evaluation(metrics, out)


@app.command()
def export(
    run: Annotated[Path, typer.Argument(help="A finished training run folder.")],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Export folder (an earlier export there is replaced).")
    ],
    dev: Annotated[
        Path | None, typer.Option(help="Gold for calibration (default: the run's dev set).")
    ] = None,
    parity_data: Annotated[
        Path | None,
        typer.Option(help="Corpus paragraphs JSONL for the parity check (default: the run's dataset)."),
    ] = None,
    parity_paragraphs: Annotated[int, typer.Option(help="Corpus paragraphs in the parity check.")] = 2000,
    overwrite: Overwrite = False,
) -> None:
    """Export a run's best model as a self-contained, calibrated predictor folder (torch, int8, ONNX)."""
    from policytag.export.build import ExportConfig
    from policytag.export.build import export as run_export

    try:
        settings = run_export(
            run,
            out,
            ExportConfig(dev=dev, parity_data=parity_data, parity_paragraphs=parity_paragraphs),
            overwrite=overwrite,
        )
    except (FileNotFoundError, ValueError) as err:
        fail(str(err))
    printing.export(settings, out)


@app.command()
def distill(
    teacher: Annotated[Path, typer.Argument(help="The teacher: an export folder.")],
    corpus: Annotated[
        list[Path], typer.Argument(help="Reports to distil on: folders, files, archives, paragraphs.jsonl.")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="The student's run folder (new or empty).")],
    recipe: Annotated[
        Path, typer.Option(help="The student's training recipe: a YAML file or a name in configs/train/.")
    ] = Path("student"),
    labelled: Annotated[
        Path | None,
        typer.Option(help="Prepared dataset of hand labels (default: the teacher's training dataset)."),
    ] = None,
    paragraphs: Annotated[int, typer.Option(help="Corpus paragraphs the teacher tags, at most.")] = 10_000,
    overrides: Annotated[
        list[str] | None, typer.Option("--set", help="Override a student recipe key: --set optim.lr=1e-4")
    ] = None,
) -> None:
    """Train a smaller student on a teacher export's probabilities for corpus paragraphs, with the
    hand labels; never on dev, held-out or selection reports. Export the run as any other."""
    from policytag.distill import DistillConfig
    from policytag.distill import distill as run_distill

    try:
        metrics = run_distill(
            teacher,
            corpus,
            out,
            recipe_path(recipe, "train"),
            labelled,
            overrides,
            DistillConfig(paragraphs=paragraphs),
        )
    except (ConfigError, FileNotFoundError, ValueError) as err:
        fail(str(err))
    printing.train(metrics, out)


@app.command()
def compare(
    folders: Annotated[list[Path], typer.Argument(help="Run folders or `evaluate` output folders.")],
    seeds: Annotated[
        bool,
        typer.Option(
            "--seeds", help="Evaluations grouped by recipe, seed aside: seed means and paired intervals."
        ),
    ] = False,
    strata: Annotated[
        Path | None,
        typer.Option(help="With --seeds: also macro-F1 per level × decade of this labelled file."),
    ] = None,
    resamples: Annotated[int, typer.Option(help="Report resamples for the intervals.")] = 1000,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Also write the table to this Markdown file.")
    ] = None,
) -> None:
    """One table of runs or evaluations; with --seeds, models over several seeds with paired intervals."""
    from policytag.evaluation.seeds import seeds_table, strata_table
    from policytag.io.outputs import Output, write_text
    from policytag.training.compare import compare_table, load_entry, seed_groups

    try:
        if seeds:
            table = "\n".join(seeds_table(seed_groups(folders), resamples)) + "\n"
            if strata is not None:
                table += "\n" + "\n".join(strata_table(strata, folders)) + "\n"
        else:
            table = compare_table([load_entry(folder) for folder in folders])
    except (ConfigError, FileNotFoundError, ValueError) as err:  # ValueError: a recipe that does not load
        fail(str(err))
    typer.echo(table)
    if out is not None:
        try:
            write_text(Output(out, "compare", tuple(folders)), table)
        except ValueError as err:
            fail(str(err))
