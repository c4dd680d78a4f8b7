"""What the commands print: one closing summary per command, kept apart from the commands."""

from __future__ import annotations

from pathlib import Path

import typer


def export(settings, out: Path) -> None:
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


def evaluation(metrics: dict, out: Path) -> None:
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
            f"{axis}: n {m['n']}, accuracy {m['accuracy']:.3f}, macro-F1 {m['macro_f1']:.3f} {interval(m)}, "
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


def interval(axis: dict) -> str:
    if "bootstrap_95" not in axis:
        return ""
    low, high = axis["bootstrap_95"]["macro_f1"]
    return f"[95% {low:.3f}–{high:.3f}]"


def prepare_summary(stats: dict, out: Path) -> None:
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


def predict(stats, engine: str, out: Path) -> None:
    """What was skipped or empty (named), then one closing line of counts."""
    for problem in [*stats.skipped, *stats.empty, *stats.warnings[:20]]:
        typer.echo(f"  skipped {problem}")
    resumed = f"; {stats.resumed} reports already in {out}" if stats.resumed else ""
    empty = f", {len(stats.empty)} reports without a paragraph" if stats.empty else ""
    typer.echo(
        f"tagged {stats.rows:,} paragraphs of {stats.tagged} reports with backend {stats.backend} "
        f"({engine}, {len(stats.workers)} worker{'s' * (len(stats.workers) != 1)}); skipped {len(stats.skipped)} files"
        f"{empty} and {len(stats.warnings)} lines{resumed}; wrote {out}"
    )


def summarize(result: dict, out: Path) -> None:
    typer.echo(
        f"{result['paragraphs']:,} paragraphs from {result['reports']:,} reports in {result['groups']} groups"
    )
    if "coverage" in result:
        typer.echo(f"labelled data: {result['coverage']}; {result['uncovered_groups']} groups outside it")
    typer.echo(
        f"wrote {out}/shares.csv, shares.parquet, role_by_domain.csv, summary.md, {', '.join(result['pictures'])}"
    )


def select(summary: dict, n: int, strategy: str, unannotated: bool) -> None:
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
    if unannotated:
        typer.echo("no model given: the tasks carry no pre-annotations")
    typer.echo(f"wrote {summary['tasks']}")


def train(metrics: dict, run: Path) -> None:
    if metrics:
        typer.echo(
            f"selection pool ({metrics['n']:,} paragraphs): role macro-F1 {metrics['role']['macro_f1']:.3f} "
            f"{interval(metrics['role'])}, domain macro-F1 {metrics['domain']['macro_f1']:.3f} "
            f"{interval(metrics['domain'])}, domain lenient accuracy {metrics['domain']['lenient_accuracy']:.3f}"
        )
    typer.echo(f"run folder: {run}")


def main_job(metrics: dict, out: Path) -> None:
    typer.echo(f"dev gold, exported predictor (backend {metrics['backend']}):")
    evaluation(metrics, out / "eval")
    typer.echo(
        f"done in {metrics['seconds'] / 60:.1f} min: dataset {out}/data, run {out}/run, "
        f"predictor {out}/export, evaluation {out}/eval/report.md"
    )
