"""The `policytag` command: a thin Typer layer, one library call per command."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated

import typer

from policytag.config import CONFIGS, ConfigError

app = typer.Typer(
    help="Tag paragraphs of Chinese work reports by role and policy domain.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def main() -> None:
    """Tag paragraphs of Chinese work reports by role and policy domain."""


def _fail(message: str) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(2)


Overwrite = Annotated[
    bool,
    typer.Option(
        help="Write the output folder beside files policytag did not write there (they are never removed or replaced)."
    ),
]


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
        _fail(str(err))
    _print_prepare_summary(stats, out)


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

    from policytag.io.outputs import Output, claim_empty, locked
    from policytag.training.config import load_resumable_config, load_train_config
    from policytag.training.curves import check_reporters
    from policytag.training.loop import train as run_training
    from policytag.training.run import new_run_dir

    try:
        if resume is not None:  # the run's own resolved recipe, so nothing can drift
            config = load_resumable_config(resume)
            run = resume
        else:
            path = _recipe_path(recipe, "train")
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
        _fail(str(err))
    if metrics:
        typer.echo(
            f"dev gold: role macro-F1 {metrics['role']['macro_f1']:.3f} "
            f"{_interval(metrics['role'])}, domain macro-F1 {metrics['domain']['macro_f1']:.3f} "
            f"{_interval(metrics['domain'])}, domain lenient accuracy {metrics['domain']['lenient_accuracy']:.3f}"
        )
    typer.echo(f"run folder: {run}")


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
        _fail(str(err))
    _print_evaluation(metrics, out)


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
        _fail(str(err))
    _print_export(settings, out)


def _print_export(settings, out: Path) -> None:
    c = settings.calibration
    typer.echo(
        f"calibration: temperature role {c.role_temperature}, domain {c.domain_temperature}; "
        f"uncertain below role {c.role_threshold:.3f} / domain {c.domain_threshold:.3f} "
        f"({c.dev_flagged_share:.1%} of dev flagged)"
    )
    for name, b in settings.backends.items():
        typer.echo(
            f"  {name}: {b['paragraphs_per_s']} paragraphs/s, agreement with fp32 role "
            f"{b['role_agreement_parity']:.1%} domain {b['domain_agreement_parity']:.1%} "
            f"on {settings.parity_paragraphs} paragraphs; dev macro-F1 role {b['dev_role_macro_f1']:.3f} "
            f"domain {b['dev_domain_macro_f1']:.3f}"
        )
    typer.echo(f"exported to {out}")


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
    from policytag.predict.corpus import CorpusRun, EngineUnavailable, tag_corpus

    run = CorpusRun(model, inputs, out, backend, workers, engine, ray_address, resume, gpus_per_worker)
    try:
        stats = tag_corpus(run)
    except EngineUnavailable as err:
        typer.secho(f"error: {err}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None
    except (FileNotFoundError, ValueError) as err:
        _fail(str(err))
    for problem in [*stats.skipped, *stats.empty, *stats.warnings[:20]]:
        typer.echo(f"  skipped {problem}")
    resumed = f"; {stats.resumed} reports already in {out}" if stats.resumed else ""
    empty = f", {len(stats.empty)} reports without a paragraph" if stats.empty else ""
    typer.echo(
        f"tagged {stats.rows:,} paragraphs of {stats.tagged} reports with backend {stats.backend} "
        f"({engine}, {len(stats.workers)} worker{'s' * (len(stats.workers) != 1)}); skipped {len(stats.skipped)} files"
        f"{empty} and {len(stats.warnings)} lines{resumed}; wrote {out}"
    )


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
        _fail(str(err))
    typer.echo(
        f"{result['paragraphs']:,} paragraphs from {result['reports']:,} reports in {result['groups']} groups"
    )
    if "coverage" in result:
        typer.echo(f"labelled data: {result['coverage']}; {result['uncovered_groups']} groups outside it")
    typer.echo(
        f"wrote {out}/shares.csv, shares.parquet, role_by_domain.csv, summary.md, {', '.join(result['pictures'])}"
    )


@app.command("run")
def run_job(
    recipe: Annotated[
        Path, typer.Argument(help="Training recipe: a YAML file or a name in configs/train/.")
    ] = Path("default"),
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for data/, run/, export/ and eval/.")
    ] = Path("experiments/main"),
    parity_paragraphs: Annotated[
        int, typer.Option(help="Corpus paragraphs in the export's parity check.")
    ] = 300,
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
            _recipe_path(recipe, "train"), out, overrides or [], parity_paragraphs, typer.echo, overwrite
        )
    except (ConfigError, FileNotFoundError, ValueError) as err:
        _fail(str(err))
    typer.echo(f"dev gold, exported predictor (backend {metrics['backend']}):")
    _print_evaluation(metrics, out / "eval")
    typer.echo(
        f"done in {metrics['seconds'] / 60:.1f} min: dataset {out}/data, run {out}/run, "
        f"predictor {out}/export, evaluation {out}/eval/report.md"
    )


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
    from policytag.experiments.sweep import SweepSpec, parse_grid
    from policytag.experiments.sweep import sweep as run_sweep
    from policytag.main_job import sample_path
    from policytag.predict.corpus import EngineUnavailable
    from policytag.training.config import load_train_config

    try:
        path = _recipe_path(recipe, "train")
        dev = data or sample_path(load_train_config(path, overrides or []).data.dev)
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
        )
        result = run_sweep(spec, out, engine, ray_address, typer.echo)
    except EngineUnavailable as err:
        _fail(str(err))
    except (ConfigError, FileNotFoundError, ValueError) as err:
        _fail(str(err))
    typer.echo(f"{result['trials']} trials ({result['ran']} run now): {out}/results.csv, {out}/summary.md")


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
        _fail(str(err))
    typer.echo(table)
    if out is not None:
        try:
            write_text(Output(out, "compare", tuple(folders)), table)
        except ValueError as err:
            _fail(str(err))


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
    from policytag.review.selection import SelectConfig
    from policytag.review.selection import select as run_select

    if model is None and inputs and _is_model(inputs[0]):
        model, inputs = inputs[0], inputs[1:]
    if not inputs:
        _fail("no INPUT: give report files, folders, archives or a prepared dataset after the model")
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
        _fail(str(err))
    for item in summary["skipped"]:
        typer.echo(f"  skipped {item['file']}: {item['reason']}")
    typer.echo(
        f"{summary['candidates']:,} candidate paragraphs from {summary['candidate_reports']:,} reports; "
        f"passed over: {summary['refused'] or 'none'}"
    )
    typer.echo(
        f"picked {summary['picked']:,} paragraphs ({strategy}) from {summary['reports']:,} reports; "
        f"levels {summary['by_level']}; decades {summary['by_decade']}"
    )
    if summary["picked"] < n:
        typer.echo(f"only {summary['picked']} of {n} found: add inputs, or raise --per-report")
    if fmt != "jsonl" and model is None:
        typer.echo("no model given: the tasks carry no pre-annotations")
    typer.echo(f"wrote {summary['tasks']}")


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
        _fail(str(err))
    table = render_markdown(result)
    if out is not None:
        written = [Output(path, "agreement", (first, second)) for path in (out, out.with_suffix(".md"))]
        try:
            for output in written:  # both checked before either is written
                claim_file(output)
            write_text(written[0], json.dumps(result, ensure_ascii=False, indent=2))
            write_text(written[1], table)
        except ValueError as err:
            _fail(str(err))
    typer.echo(table)
    if out is not None:
        typer.echo(f"wrote {out} and {out.with_suffix('.md')}")


def _is_model(path: Path) -> bool:
    """An export folder (manifest) or a run folder (a best model): the contract's leading MODEL."""
    return path.is_dir() and any(
        (path / name).is_file() for name in ("manifest.json", "policytag.json", "best/policytag.json")
    )


def _print_evaluation(metrics: dict, out: Path) -> None:
    for problem in metrics["problems"][:10]:
        typer.echo(f"  skipped {problem}")
    if metrics["skipped_lines"]:
        typer.echo(f"skipped {metrics['skipped_lines']} bad lines (all in metrics.json / report.md)")
    from policytag.evaluation.report import context_line

    typer.echo(context_line(metrics))
    baseline = metrics.get("baseline", {})
    for axis in ("role", "domain"):
        m = metrics[axis]
        line = (
            f"{axis}: n {m['n']}, accuracy {m['accuracy']:.3f}, macro-F1 {m['macro_f1']:.3f} {_interval(m)}, "
            f"ECE {metrics['calibration'][axis + '_ece']:.3f}"
        )
        if "lenient_accuracy" in m:
            line += f", lenient accuracy {m['lenient_accuracy']:.3f}"
        if axis in baseline:
            line += f"; baseline macro-F1 {baseline[axis]['macro_f1']:.3f}"
            paired = baseline[axis].get("model_minus_baseline")
            if paired:
                line += (
                    f", difference {paired['difference']:+.3f} [{paired['low']:+.3f}, {paired['high']:+.3f}]"
                )
        typer.echo(line)
    typer.echo(f"wrote {out}/metrics.json, report.md, errors.md, pictures")


def _interval(axis: dict) -> str:
    if "bootstrap_95" not in axis:
        return ""
    low, high = axis["bootstrap_95"]["macro_f1"]
    return f"[95% {low:.3f}–{high:.3f}]"


def _recipe_path(recipe: Path, kind: str) -> Path:
    """A recipe file, or a bare name looked up in configs/<kind>/."""
    if recipe.suffix in (".yaml", ".yml") or recipe.exists():
        return recipe
    path = CONFIGS / kind / f"{recipe}.yaml"
    if not path.is_file():
        names = ", ".join(sorted(p.stem for p in (CONFIGS / kind).glob("*.yaml")))
        raise ConfigError(f"no recipe {recipe!r}; configs/{kind}/ has: {names}")
    return path


def _print_prepare_summary(stats: dict, out: Path) -> None:
    typer.echo(
        f"read {stats['files_read']} files, skipped {stats['files_skipped']}; "
        f"{stats['paragraphs']:,} paragraphs from {stats['reports']} reports in {stats['seconds']} s"
    )
    for item in stats["skipped"]:
        typer.echo(f"  skipped {item['file']}: {item['reason']}")
    if stats["warnings"]:
        typer.echo(f"{len(stats['warnings'])} warnings (all in stats.json), first ones:")
        for warning in stats["warnings"][:10]:
            typer.echo(f"  {warning}")
    coverage = stats["coverage"]
    typer.echo(f"labelled: role {coverage['role']:.1%}, domain {coverage['domain']:.1%}")
    if stats["paragraphs_with_mojibake"]:
        typer.echo(
            f"mojibake: {stats['mojibake_marks']} marks in {stats['paragraphs_with_mojibake']} paragraphs"
        )
    for name, split in stats["splits"].items():
        typer.echo(f"  {name}: {split['reports']} reports, {split['paragraphs']:,} paragraphs")
    if "rule_report" in stats:
        typer.echo((out / "rule_report.md").read_text(encoding="utf-8"))
    typer.echo(f"wrote {out}/paragraphs.jsonl, splits/, dataset/, stats.json")


if __name__ == "__main__":
    app()
