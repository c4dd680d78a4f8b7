"""report.md, errors.jsonl and errors.md for an evaluation, with its pictures."""

from __future__ import annotations

from pathlib import Path

from policytag.io.jsonl import write_jsonl
from policytag.labels.schema import LabelSchema
from policytag.stats import plots

AXES = ("role", "domain")


def context_line(metrics: dict) -> str:
    """How the paragraphs were read: which heading paths, and for `reports` how many gold rows were found."""
    context = metrics.get("context", "none")
    line = f"Context: `{context}`" + (
        " (nearest heading only)" if metrics.get("context_nearest_only") else ""
    )
    found = metrics.get("context_found") or {}
    if context == "reports":
        line += (
            f"; gold rows found in the reports: {found['exact']} by exact text, {found['near']} by a near match "
            f"(containment), {found['not_found']} not found and not scored"
        )
    return line + "."


def write_report(out: Path, metrics: dict, rows: list[dict], tags: list, schema: LabelSchema) -> None:
    baseline = metrics.get("baseline", {})
    for axis in AXES:
        plots.confusion_plot(
            metrics[axis]["confusion"],
            [
                label
                for label in schema.labels(axis)
                if label in metrics[axis]["confusion"] or _predicted(metrics[axis], label)
            ],
            schema.names,
            f"{axis} confusion (n={metrics[axis]['n']})",
            out / f"confusion_{axis}.png",
        )
        plots.f1_bars(
            metrics[axis]["per_class"],
            baseline.get(axis, {}).get("per_class"),
            schema.names,
            f"{axis}: F1 per class",
            out / f"f1_{axis}.png",
        )
    plots.reliability_plot(
        {a: metrics[a]["reliability"] for a in AXES},
        {a: metrics["calibration"][f"{a}_ece"] for a in AXES},
        out / "reliability.png",
    )
    errors = _errors(rows, tags)
    write_jsonl(out / "errors.jsonl", errors)
    (out / "errors.md").write_text(_errors_markdown(errors, schema), encoding="utf-8")
    (out / "report.md").write_text(_report_markdown(metrics, schema, len(errors)), encoding="utf-8")


def _predicted(axis_metrics: dict, label: str) -> bool:
    return any(label in row for row in axis_metrics["confusion"].values())


def _errors(rows: list[dict], tags: list) -> list[dict]:
    """Paragraphs with a wrong role or domain (strict), most confident mistake first."""
    errors = []
    for row, tag in zip(rows, tags):
        wrong = [a for a in AXES if row.get(a) and getattr(tag, a) != row[a]]
        if not wrong:
            continue
        errors.append(
            {
                "id": row["id"],
                "doc_id": row["doc_id"],
                "section": row.get("section"),
                "text": row["text"],
                "wrong": wrong,
                "gold_role": row.get("role"),
                "role": tag.role,
                "role_score": tag.role_score,
                "gold_domain": row.get("domain"),
                "domain_alt": row.get("domain_alt"),
                "domain": tag.domain,
                "domain_score": tag.domain_score,
                "top_domains": tag.to_dict()["top_domains"],
                "lenient_ok": "domain" in wrong and tag.domain == row.get("domain_alt"),
                "confidence": max(getattr(tag, f"{a}_score") for a in wrong),
            }
        )
    return sorted(errors, key=lambda e: -e["confidence"])


def _interval(axis: dict, key: str) -> str:
    low, high = axis.get("bootstrap_95", {}).get(key, [None, None])
    return f"{axis[key]:.3f} [{low:.3f}–{high:.3f}]" if low is not None else f"{axis[key]:.3f}"


def _difference(base: dict) -> str:
    paired = base.get("model_minus_baseline")
    if not paired:
        return "–"
    return (
        f"{paired['difference']:+.3f} [{paired['low']:+.3f}, {paired['high']:+.3f}], "
        f"ahead in {paired['a_ahead']:.0%}"
    )


def _report_markdown(metrics: dict, schema: LabelSchema, n_errors: int) -> str:
    baseline = metrics.get("baseline", {})
    lines = [
        "# Evaluation report",
        "",
        f"Model `{metrics['model']}` (backend {metrics['backend']}) on `{metrics['data']}`: "
        f"{metrics['n']} paragraphs from {len(metrics['breakdown'].get('doc_id', {}))} reports"
        + (
            f"; {metrics['skipped_lines']} bad lines skipped (listed below)."
            if metrics["skipped_lines"]
            else "."
        ),
        "",
        context_line(metrics),
        "",
        "Intervals are 95% bootstrap intervals resampling whole reports (1,000 resamples).",
        "",
        "| axis | n | accuracy | macro-F1 | weighted F1 | lenient accuracy | ECE | baseline macro-F1 | Δ macro-F1 (paired) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for axis in AXES:
        m, base = metrics[axis], baseline.get(axis)
        lenient = f"{m['lenient_accuracy']:.3f}" if "lenient_accuracy" in m else "–"
        versus = f"{_interval(base, 'macro_f1')} | {_difference(base)}" if base else "– | –"
        lines.append(
            f"| {axis} | {m['n']} | {_interval(m, 'accuracy')} | {_interval(m, 'macro_f1')} | "
            f"{m['weighted_f1']:.3f} | {lenient} | {metrics['calibration'][f'{axis}_ece']:.3f} | {versus} |"
        )
    if "skipped" in baseline:
        lines += ["", f"Baseline not run: {baseline['skipped']}."]
    elif baseline:
        lines += [
            "",
            (
                f"Baseline: {baseline['name']}, trained on `{baseline['train']}` (the model's training split). "
                "Δ is the model's macro-F1 minus the baseline's, with a paired interval (both scored on the "
                "same resampled reports) and the share of resamples in which the model is ahead."
            ),
        ]
    lines += [
        "",
        "![role confusion](confusion_role.png) ![domain confusion](confusion_domain.png)",
        "",
        "![reliability](reliability.png)",
        "",
        "![role F1](f1_role.png) ![domain F1](f1_domain.png)",
        "",
    ]
    lines += _per_class_lines(metrics, schema) + _breakdown_lines(metrics)
    lines += [
        "## Mistakes",
        "",
        f"{n_errors} paragraphs with a wrong role or domain: [errors.md](errors.md) "
        "(most confident first; all fields in errors.jsonl).",
        "",
    ]
    if metrics["problems"]:
        lines += ["## Skipped gold lines", ""] + [f"- {p}" for p in metrics["problems"]] + [""]
    return "\n".join(lines)


def _per_class_lines(metrics: dict, schema: LabelSchema) -> list[str]:
    """Per axis, a table of precision, recall and F1 per class, beside the baseline's F1."""
    baseline, lines = metrics.get("baseline", {}), []
    for axis in AXES:
        lines += [
            f"## {axis}: per class",
            "",
            "| class | 名称 | precision | recall | F1 | support | baseline F1 |",
            "|---|---|---|---|---|---|---|",
        ]
        base = baseline.get(axis, {}).get("per_class", {})
        for label, c in metrics[axis]["per_class"].items():
            b = f"{base[label]['f1']:.3f}" if label in base else "–"
            lines.append(
                f"| {label} | {schema.names.get(label, label)} | {c['precision']:.3f} | {c['recall']:.3f} | "
                f"{c['f1']:.3f} | {c['support']} | {b} |"
            )
        lines.append("")
    return lines


def _breakdown_lines(metrics: dict) -> list[str]:
    """Accuracy per value of each breakdown key (level, decade, report)."""
    lines = []
    for key, groups in metrics["breakdown"].items():
        lines += [
            f"## By {key}",
            "",
            "| " + key + " | n | role accuracy | domain accuracy |",
            "|---|---|---|---|",
        ]
        for value, g in groups.items():
            lines.append(
                f"| {value} | {g['n']} | {g.get('role_accuracy', float('nan')):.3f} | "
                f"{g.get('domain_accuracy', float('nan')):.3f} |"
            )
        lines.append("")
    return lines


def _errors_markdown(errors: list[dict], schema: LabelSchema) -> str:
    names = schema.names
    lines = ["# Mistakes, most confident first", ""]
    for k, e in enumerate(errors, start=1):
        lines.append(
            f"### {k}. `{e['id']}` ({', '.join(e['wrong'])} wrong, confidence {e['confidence']:.2f})"
        )
        lines.append("")
        lines.append(f"> {e['text'][:400]}{'…' if len(e['text']) > 400 else ''}")
        lines.append("")
        if e["section"]:
            lines.append(f"- section: {e['section']}")
        lines.append(f"- role: gold **{e['gold_role']}**, predicted **{e['role']}** ({e['role_score']:.2f})")
        alt = f" (also acceptable: {e['domain_alt']})" if e["domain_alt"] else ""
        top = ", ".join(f"{names.get(d, d)} {p:.2f}" for d, p in e["top_domains"])
        lines.append(f"- domain: gold **{e['gold_domain']}**{alt}, predicted **{e['domain']}** ({top})")
        lines.append("")
    return "\n".join(lines)
