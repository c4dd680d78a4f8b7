"""Commands that tag corpora and summarise the tags: predict, summarize."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from policytag.cli import printing
from policytag.cli.app import Overwrite, app, fail


@app.command()
def predict(
    model: Annotated[Path, typer.Argument(help="An export folder (or a run folder).")],
    inputs: Annotated[
        list[Path], typer.Argument(help="Report files, folders, archives, or JSONL with `text`.")
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help="Output: a .jsonl, .csv or .parquet file, or a folder (DIR/) of Parquet parts.",
        ),
    ],
    backend: Annotated[str, typer.Option(help="auto, torch, torch-int8 or onnx-int8.")] = "auto",
    workers: Annotated[
        int,
        typer.Option(
            help="Processes (local; on CUDA with --backend torch, one per GPU) or actors (ray), each with its share of the CPUs."
        ),
    ] = 1,
    engine: Annotated[str, typer.Option(help="local (processes) or ray (Ray Data actors).")] = "local",
    ray_address: Annotated[
        str | None, typer.Option(help="Join this Ray cluster (e.g. 10.0.0.5:6379); default: a local Ray.")
    ] = None,
    gpus_per_worker: Annotated[float, typer.Option(help="GPUs per Ray actor (torch backend).")] = 0.0,
    resume: Annotated[
        bool, typer.Option(help="Output folder: tag only the reports whose part is not there yet.")
    ] = False,
) -> None:
    """Tag every paragraph of new reports with role and domain."""
    from policytag.corpus.run import CorpusRun, EngineUnavailable, tag_corpus

    run = CorpusRun(model, inputs, out, backend, workers, engine, ray_address, resume, gpus_per_worker)
    try:
        stats = tag_corpus(run)
    except EngineUnavailable as err:
        typer.secho(f"error: {err}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None
    except (FileNotFoundError, ValueError) as err:
        fail(str(err))
    printing.predict(stats, engine, out)


@app.command()
def summarize(
    tags: Annotated[
        list[Path],
        typer.Argument(
            help="Tag files from `policytag predict`: .jsonl, .csv, .parquet, or a folder of Parquet parts."
        ),
    ],
    out: Annotated[
        Path,
        typer.Option("--out", "-o", help="Folder for shares.csv/.parquet, tables, pictures, summary.md."),
    ],
    by: Annotated[
        str, typer.Option(help="Group fields, comma-separated: year,level (empty: all together).")
    ] = "",
    exclude_uncertain: Annotated[bool, typer.Option(help="Leave out paragraphs flagged uncertain.")] = False,
    weight: Annotated[
        str, typer.Option(help="What a share counts: paragraphs or characters.")
    ] = "paragraphs",
    adjust: Annotated[
        list[Path] | None,
        typer.Option(
            help="`policytag evaluate` folder of the same export (repeatable): "
            "adds confusion-adjusted shares."
        ),
    ] = None,
    coverage: Annotated[
        list[Path] | None,
        typer.Option(help="Labelled JSONL (repeatable) saying which levels and years were checked."),
    ] = None,
    bootstrap: Annotated[int, typer.Option(help="Report resamples per group for the 95% intervals.")] = 1000,
    seed: Annotated[int, typer.Option(help="Seed of the resampling.")] = 13,
    period: Annotated[
        int, typer.Option(help="Bin years into periods of N years, so thin years do not zig-zag.")
    ] = 1,
    contrast: Annotated[
        list[str] | None,
        typer.Option(help="KEY=A,B: share differences of group B against A with 95% intervals (repeatable)."),
    ] = None,
    overwrite: Overwrite = False,
) -> None:
    """Role and domain shares per group with 95% intervals, a role x domain table, pictures, summary.md."""
    from policytag.findings.summarize import SummaryConfig
    from policytag.findings.summarize import summarize as run_summarize

    try:
        config = SummaryConfig(
            by=tuple(f.strip() for f in by.split(",") if f.strip()),
            exclude_uncertain=exclude_uncertain,
            weight=weight,
            adjust=tuple(adjust or ()),
            coverage=tuple(coverage or ()),
            bootstrap=bootstrap,
            seed=seed,
            period=period,
            contrasts=tuple(contrast or ()),
        )
        result = run_summarize(tags, out, config, overwrite)
    except (FileNotFoundError, ValueError) as err:  # TagFileError and EvaluationError are ValueErrors
        fail(str(err))
    printing.summarize(result, out)
