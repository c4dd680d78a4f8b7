"""The export's README.md: what the model is, what it was trained on, how well it does."""

from __future__ import annotations

from policytag.runtime.settings import ExportSettings


def model_card(settings: ExportSettings, recipe: dict, run_metrics: dict) -> str:
    """The card's Markdown, from the export's settings, the run's recipe and its dev metrics."""
    lines = [
        "# policytag paragraph tagger",
        "",
        "Tags paragraphs of Chinese work reports with a **role** (achievement / problem / plan) and a "
        "**policy domain** (13 fields).",
        "",
        "## Use",
        "",
        "```python",
        "from policytag import Predictor",
        'tagger = Predictor.load("path/to/this/folder")',
        'tags = tagger.predict(["一、2024年工作回顾 ……"])   # tags[0].role, .domain, .uncertain',
        "```",
        "",
        "Without torch or policytag (numpy, tokenizers, onnxruntime, opencc only):",
        "",
        "```python",
        "import predictor            # this folder on sys.path",
        'tags = predictor.load().predict(["……"])',
        "```",
        "",
        "## Model",
        "",
        f"- backbone: {recipe['backbone']['kind']} {recipe['backbone'].get('name') or ''}".rstrip(),
        f"- windows: {settings.windows.max_length} tokens, stride {settings.windows.stride}; prefix "
        f"`{settings.prefix}`; normalisation {settings.normalization}",
        f"- labels: role {', '.join(settings.labels.role)}; domain {', '.join(settings.labels.domain)}",
        f"- training data: `{settings.training.train}`; run `{settings.training.run}`",
        f"- optimiser: lr {recipe['optim']['lr']}, batch {recipe['optim']['batch_size']}, "
        f"max steps {recipe['optim']['max_steps']}, seed {recipe['seed']}",
        "",
    ]
    if run_metrics:
        lines += [
            "## Dev gold (at training time, uncalibrated)",
            "",
            "| axis | accuracy | macro-F1 [95% report bootstrap] |",
            "|---|---|---|",
        ]
        for axis in ("role", "domain"):
            m = run_metrics[axis]
            low, high = m["bootstrap_95"]["macro_f1"]
            lines.append(f"| {axis} | {m['accuracy']:.3f} | {m['macro_f1']:.3f} [{low:.3f}–{high:.3f}] |")
        lines.append("")
    lines += _calibration_lines(settings) + _backend_lines(settings)
    lines += ["", '`backend="auto"` picks the fastest row. Files and checksums: manifest.json.', ""]
    return "\n".join(lines)


def _calibration_lines(settings: ExportSettings) -> list[str]:
    """Temperatures, the `uncertain` thresholds and the n-gram fusion weights."""
    calibration = settings.calibration
    return [
        "## Calibration and the `uncertain` flag",
        "",
        f"Temperatures fitted on the selection pool ({calibration.dev_paragraphs} paragraphs: the dev gold and "
        f"the held-out files pooled with it): role "
        f"{calibration.role_temperature}, domain {calibration.domain_temperature}. A paragraph is flagged "
        f"`uncertain` when its role score is below {calibration.role_threshold:.4f} or its domain score below "
        f"{calibration.domain_threshold:.4f}: chosen so that unflagged dev paragraphs reach "
        f"{calibration.target_accuracy:.0%} accuracy on both axes; {calibration.dev_flagged_share:.1%} of the "
        "dev paragraphs are flagged.",
        "",
        "The export carries a character n-gram TF-IDF model fitted on its training rows (`ngrams.json`, "
        "`ngrams.npz`: typed arrays, no pickle). Its probabilities are mixed into the encoder's with weight "
        + (
            ", ".join(f"{a} {settings.fusion[a]:.1f}" for a in ("role", "domain") if a in settings.fusion)
            if settings.fusion
            else "0 (not fused)"
        )
        + ", each chosen on the selection pool and recalibrated there by a temperature; every backend and "
        "`predictor.py` mix them the same way.",
        "",
    ]


def _backend_lines(settings: ExportSettings) -> list[str]:
    """One row per backend: speed and parity against torch fp32."""
    lines = [
        f"## Backends (parity against torch fp32 on {settings.parity_paragraphs} corpus paragraphs and the dev gold)",
        "",
        "| backend | paragraphs/s | role agreement | domain agreement | max Δ probability | dev role macro-F1 | "
        "dev domain macro-F1 |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, b in settings.backends.items():
        delta = max(
            b["role_max_probability_difference_parity"], b["domain_max_probability_difference_parity"]
        )
        lines.append(
            f"| {name} | {b['paragraphs_per_s']} | {b['role_agreement_parity']:.2%} | "
            f"{b['domain_agreement_parity']:.2%} | {delta:.3f} | {b['dev_role_macro_f1']:.3f} | "
            f"{b['dev_domain_macro_f1']:.3f} |"
        )
    return lines
