"""The `policytag` command: a thin Typer layer, one library call per command."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated, Optional

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


@app.command()
def prepare(
    inputs: Annotated[list[Path], typer.Argument(help="Report files, folders, or .tar.gz/.zip archives.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder for the dataset.")],
    recipe: Annotated[Path, typer.Option(help="Dataset recipe (YAML).")] = CONFIGS / "data" / "default.yaml",
    gold: Annotated[
        Optional[Path], typer.Option(help="Gold JSONL to score the labelling rules against (rule report).")
    ] = None,
    annotations: Annotated[
        Optional[list[Path]], typer.Option("--annotations", "-a", help="Hand annotations overriding silver labels.")
    ] = None,
    overrides: Annotated[
        Optional[list[str]], typer.Option("--set", help="Override a recipe key: --set split.seed=7")
    ] = None,
) -> None:
    """Read raw reports, segment them into paragraphs, label and split them by report."""
    from policytag.data.prepare import load_prepare_config, prepare as run_prepare

    try:
        config = load_prepare_config(recipe, overrides or [])
        if annotations:
            config = dataclasses.replace(config, annotations=[*config.annotations, *annotations])
        stats = run_prepare(inputs, out, config, gold=gold)
    except (ConfigError, FileNotFoundError, ValueError) as err:  # ValueError: a broken gold line
        _fail(str(err))
    _print_prepare_summary(stats, out)


@app.command()
def train(
    recipe: Annotated[
        Path, typer.Argument(help="Training recipe: a YAML file, or a name in configs/train/ (default, tiny, …).")
    ] = Path("default"),
    out: Annotated[
        Optional[Path], typer.Option("--out", "-o", help="Run folder (default: experiments/<time>-<recipe>).")
    ] = None,
    resume: Annotated[
        Optional[Path], typer.Option(help="Continue the interrupted run in this folder, from its last checkpoint.")
    ] = None,
    overrides: Annotated[
        Optional[list[str]], typer.Option("--set", help="Override a recipe key: --set optim.lr=3e-5")
    ] = None,
) -> None:
    """Fine-tune an encoder with a role head and a domain head; keep the best model by dev macro-F1."""
    import os
    import sys

    from policytag.training.config import load_run_config, load_train_config
    from policytag.training.loop import train as run_training
    from policytag.training.run import new_run_dir

    try:
        if resume is not None:  # the run's own resolved recipe, so nothing can drift
            config = load_run_config(resume)
            run = resume
        else:
            path = _recipe_path(recipe, "train")
            config = load_train_config(path, overrides or [])
            config.data.train_file()  # before the run folder exists: a missing dataset leaves none
            if out is None and int(os.environ.get("WORLD_SIZE", "1")) > 1:
                raise ConfigError("several processes share one run folder: give it with --out")
            run = out or new_run_dir(Path("experiments"), path.stem)
            run.mkdir(parents=True, exist_ok=True)
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
    data: Annotated[Path, typer.Option("--data", "-d", help="Labelled JSONL (id, doc_id, text, role, domain).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for metrics.json, report.md, pictures, errors.")],
    strict: Annotated[bool, typer.Option(help="Stop at the first bad gold line instead of skipping it.")] = False,
    baseline: Annotated[bool, typer.Option(help="Train and report the TF-IDF baseline beside the model.")] = True,
    baseline_train: Annotated[
        Optional[Path], typer.Option(help="Training JSONL for the baseline (default: the model's own split).")
    ] = None,
) -> None:
    """Evaluate a model on held-out labelled paragraphs: metrics, intervals, pictures, mistakes."""
    from policytag.evaluation.evaluate import EvalConfig, evaluate as run_evaluate
    from policytag.predict.manifest import BrokenExport

    try:
        metrics = run_evaluate(model, data, out, EvalConfig(strict=strict, baseline=baseline,
                                                            baseline_train=baseline_train))
    except (BrokenExport, FileNotFoundError, ValueError) as err:  # GoldError is a ValueError
        _fail(str(err))
    _print_evaluation(metrics, out)


@app.command()
def export(
    run: Annotated[Path, typer.Argument(help="A finished training run folder.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Export folder (replaced when it exists).")],
    dev: Annotated[Optional[Path], typer.Option(help="Gold for calibration (default: the run's dev set).")] = None,
    parity_data: Annotated[
        Optional[Path], typer.Option(help="Corpus paragraphs JSONL for the parity check (default: the run's dataset).")
    ] = None,
    parity_paragraphs: Annotated[int, typer.Option(help="Corpus paragraphs in the parity check.")] = 2000,
) -> None:
    """Export a run's best model as a self-contained, calibrated predictor folder (torch, int8, ONNX)."""
    from policytag.predict.export import ExportConfig, export as run_export

    try:
        settings = run_export(run, out, ExportConfig(dev=dev, parity_data=parity_data,
                                                     parity_paragraphs=parity_paragraphs))
    except (FileNotFoundError, ValueError) as err:
        _fail(str(err))
    _print_export(settings, out)


def _print_export(settings: dict, out: Path) -> None:
    c = settings["calibration"]
    typer.echo(f"calibration: temperature role {c['role_temperature']}, domain {c['domain_temperature']}; "
               f"uncertain below role {c['role_threshold']:.3f} / domain {c['domain_threshold']:.3f} "
               f"({c['dev_flagged_share']:.1%} of dev flagged)")
    for name, b in settings["backends"].items():
        typer.echo(f"  {name}: {b['paragraphs_per_s']} paragraphs/s, agreement with fp32 role "
                   f"{b['role_agreement_parity']:.1%} domain {b['domain_agreement_parity']:.1%} "
                   f"on {settings['parity_paragraphs']} paragraphs; dev macro-F1 role {b['dev_role_macro_f1']:.3f} "
                   f"domain {b['dev_domain_macro_f1']:.3f}")
    typer.echo(f"exported to {out}")


@app.command()
def predict(
    model: Annotated[Path, typer.Argument(help="An export folder (or a run folder).")],
    inputs: Annotated[list[Path], typer.Argument(help="Report files, folders, archives, or JSONL with `text`.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output file: .jsonl or .csv")],
    backend: Annotated[str, typer.Option(help="auto, torch, torch-int8 or onnx-int8.")] = "auto",
) -> None:
    """Tag every paragraph of new reports with role and domain."""
    from policytag.predict.manifest import BrokenExport
    from policytag.predict.predictor import Predictor
    from policytag.predict.writing import OutputInUse, write_tags

    try:
        predictor = Predictor.open(model, backend)
    except (BrokenExport, FileNotFoundError, ValueError) as err:
        _fail(str(err))
    failed: list[str] = []
    lines: list[str] = []

    def tags():
        from tqdm import tqdm

        for document, found in tqdm(predictor.tag_documents(inputs), desc="predict", unit="file"):
            if document.error:
                failed.append(f"{document.source}: {document.error}")
            lines.extend(f"{document.source}: {warning}" for warning in document.warnings)
            yield from found

    try:
        rows = write_tags(out, tags())
    except (OutputInUse, ValueError) as err:
        _fail(str(err))
    for problem in [*failed, *lines[:20]]:
        typer.echo(f"  skipped {problem}")
    typer.echo(f"tagged {rows:,} paragraphs with backend {predictor.backend}; skipped {len(failed)} files "
               f"and {len(lines)} lines; wrote {out}")


@app.command("run")
def run_job(
    recipe: Annotated[
        Path, typer.Argument(help="Training recipe: a YAML file or a name in configs/train/.")
    ] = Path("default"),
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for data/, run/, export/ and eval/.")] = Path(
        "experiments/main"
    ),
    parity_paragraphs: Annotated[int, typer.Option(help="Corpus paragraphs in the export's parity check.")] = 300,
    overrides: Annotated[
        Optional[list[str]], typer.Option("--set", help="Override a training recipe key: --set optim.max_steps=50")
    ] = None,
) -> None:
    """The main job, offline: prepare the shipped sample, train, export, evaluate on the dev gold."""
    from policytag.main_job import run_main_job

    try:
        metrics = run_main_job(_recipe_path(recipe, "train"), out, overrides or [], parity_paragraphs, typer.echo)
    except (ConfigError, FileNotFoundError, ValueError) as err:
        _fail(str(err))
    typer.echo(f"dev gold, exported predictor (backend {metrics['backend']}):")
    _print_evaluation(metrics, out / "eval")
    typer.echo(f"done in {metrics['seconds'] / 60:.1f} min: dataset {out}/data, run {out}/run, "
               f"predictor {out}/export, evaluation {out}/eval/report.md")


@app.command()
def compare(
    folders: Annotated[list[Path], typer.Argument(help="Run folders or `evaluate` output folders.")],
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Also write the table to this Markdown file.")] = None,
) -> None:
    """One table of runs: the recipe keys that differ and the headline metrics, best in bold."""
    from policytag.evaluation.compare import compare_table, load_entry

    try:
        table = compare_table([load_entry(folder) for folder in folders])
    except FileNotFoundError as err:
        _fail(str(err))
    typer.echo(table)
    if out is not None:
        out.write_text(table, encoding="utf-8")


def _print_evaluation(metrics: dict, out: Path) -> None:
    for problem in metrics["problems"][:10]:
        typer.echo(f"  skipped {problem}")
    if metrics["skipped_lines"]:
        typer.echo(f"skipped {metrics['skipped_lines']} bad lines (all in metrics.json / report.md)")
    baseline = metrics.get("baseline", {})
    for axis in ("role", "domain"):
        m = metrics[axis]
        line = (f"{axis}: n {m['n']}, accuracy {m['accuracy']:.3f}, macro-F1 {m['macro_f1']:.3f} {_interval(m)}, "
                f"ECE {metrics['calibration'][axis + '_ece']:.3f}")
        if "lenient_accuracy" in m:
            line += f", lenient accuracy {m['lenient_accuracy']:.3f}"
        if axis in baseline:
            line += f"; baseline macro-F1 {baseline[axis]['macro_f1']:.3f}"
            paired = baseline[axis].get("model_minus_baseline")
            if paired:
                line += (f", difference {paired['difference']:+.3f} "
                         f"[{paired['low']:+.3f}, {paired['high']:+.3f}]")
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
        typer.echo(f"mojibake: {stats['mojibake_marks']} marks in {stats['paragraphs_with_mojibake']} paragraphs")
    for name, split in stats["splits"].items():
        typer.echo(f"  {name}: {split['reports']} reports, {split['paragraphs']:,} paragraphs")
    if "rule_report" in stats:
        typer.echo((out / "rule_report.md").read_text(encoding="utf-8"))
    typer.echo(f"wrote {out}/paragraphs.jsonl, splits/, dataset/, stats.json")


if __name__ == "__main__":
    app()
