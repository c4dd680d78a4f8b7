"""Commands that make and check labelled data: prepare, select, agreement."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated

import typer

from policytag.cli import printing
from policytag.cli.app import Overwrite, app, fail
from policytag.config import CONFIGS, ConfigError


@app.command()
def prepare(
    inputs: Annotated[list[Path], typer.Argument(help="Report files, folders, or .tar.gz/.zip archives.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder for the dataset.")],
    recipe: Annotated[Path, typer.Option(help="Dataset recipe (YAML).")] = CONFIGS / "data" / "default.yaml",
    gold: Annotated[
        Path | None, typer.Option(help="Gold JSONL to score the labelling rules against (rule report).")
    ] = None,
    annotations: Annotated[
        list[Path] | None,
        typer.Option("--annotations", "-a", help="Hand annotations overriding silver labels."),
    ] = None,
    overrides: Annotated[
        list[str] | None, typer.Option("--set", help="Override a recipe key: --set split.seed=7")
    ] = None,
    overwrite: Overwrite = False,
) -> None:
    """Read raw reports, segment them into paragraphs, label and split them by report."""
    from policytag.data.prepare import load_prepare_config
    from policytag.data.prepare import prepare as run_prepare

    try:
        config = load_prepare_config(recipe, overrides or [])
        if annotations:
            config = dataclasses.replace(config, annotations=[*config.annotations, *annotations])
        stats = run_prepare(inputs, out, config, gold=gold, overwrite=overwrite)
    except (ConfigError, FileNotFoundError, ValueError) as err:  # ValueError: a broken gold line
        fail(str(err))
    printing.prepare_summary(stats, out)


@app.command()
def select(
    inputs: Annotated[
        list[Path],
        typer.Argument(
            help="[MODEL] then report files, folders, archives, or a prepared dataset (its folder or paragraphs.jsonl)."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the tasks.")],
    n: Annotated[int, typer.Option("--n", help="How many paragraphs to pick.")],
    strategy: Annotated[
        str, typer.Option(help="random, diverse, or uncertainty (needs a model).")
    ] = "random",
    fmt: Annotated[
        str, typer.Option("--format", help="jsonl (no predictions), labelstudio or doccano.")
    ] = "jsonl",
    model: Annotated[
        Path | None, typer.Option(help="An export or run folder (or give it as the first INPUT).")
    ] = None,
    exclude: Annotated[
        list[Path] | None,
        typer.Option(
            help="Rows never to pick, nor their near-duplicates ('heldout' in the name: their reports too)."
        ),
    ] = None,
    seed: Annotated[
        int, typer.Option(help="Random seed: the same inputs and seed pick the same paragraphs.")
    ] = 13,
    per_report: Annotated[int | None, typer.Option(help="At most this many paragraphs per report.")] = None,
    pool: Annotated[
        int, typer.Option(help="Uncertainty: how many random eligible paragraphs the model scores.")
    ] = 2000,
    recipe: Annotated[
        Path, typer.Option(help="Dataset recipe: how reports are read and segmented.")
    ] = CONFIGS / "data" / "default.yaml",
    overwrite: Overwrite = False,
) -> None:
    """Pick the paragraphs to label next (never dev gold reports, held-out rows or labelled ones)."""
    from policytag.data.prepare import load_prepare_config
    from policytag.io.run_folder import is_model_folder
    from policytag.review.selection import SelectConfig
    from policytag.review.selection import select as run_select

    if model is None and inputs and is_model_folder(inputs[0]):
        model, inputs = inputs[0], inputs[1:]
    if not inputs:
        fail("no INPUT: give report files, folders, archives or a prepared dataset after the model")
    try:
        config = SelectConfig(
            n=n,
            strategy=strategy,
            format=fmt,
            model=model,
            exclude=tuple(exclude or ()),
            seed=seed,
            per_report=per_report,
            pool=pool,
        )
        summary = run_select(inputs, out, config, load_prepare_config(recipe), overwrite)
    except (ConfigError, FileNotFoundError, ValueError) as err:
        fail(str(err))
    printing.select(summary, n, strategy, fmt != "jsonl" and model is None)


@app.command()
def agreement(
    first: Annotated[
        Path, typer.Argument(help="Annotator A's labels (JSONL: id or text, role, domain, domain_alt).")
    ],
    second: Annotated[Path, typer.Argument(help="Annotator B's labels of the same paragraphs.")],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write F.json and the table as F.md beside it.")
    ] = None,
    taxonomy: Annotated[Path, typer.Option(help="The label ids to check the files against.")] = CONFIGS
    / "taxonomy.yaml",
) -> None:
    """Agreement between two annotators per axis: raw, Cohen's kappa, Krippendorff's alpha, per class."""
    import json

    from policytag.io.outputs import Output, claim_file, write_text
    from policytag.labels.schema import LabelSchema
    from policytag.review.agreement import agreement as run_agreement
    from policytag.review.agreement import render_markdown

    try:
        result = run_agreement(first, second, LabelSchema.load(taxonomy))
    except (ConfigError, FileNotFoundError, ValueError) as err:
        fail(str(err))
    table = render_markdown(result)
    if out is not None:
        written = [Output(path, "agreement", (first, second)) for path in (out, out.with_suffix(".md"))]
        try:
            for output in written:  # both checked before either is written
                claim_file(output)
            write_text(written[0], json.dumps(result, ensure_ascii=False, indent=2))
            write_text(written[1], table)
        except ValueError as err:
            fail(str(err))
    typer.echo(table)
    if out is not None:
        typer.echo(f"wrote {out} and {out.with_suffix('.md')}")
