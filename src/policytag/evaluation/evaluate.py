"""`evaluate`: a model on a labelled JSONL, written up the way researchers report results.

Writes to the output folder: metrics.json (DESIGN.md contract 4, plus intervals,
breakdowns and the baseline), predictions.jsonl, errors.jsonl and errors.md (most
confident mistakes first), the pictures and report.md tying them together.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from policytag.data.gold import read_gold
from policytag.evaluation.context import gold_context
from policytag.io.jsonl import write_jsonl
from policytag.io.outputs import Output, output_folder
from policytag.io.run_folder import is_run, load_run_record, manifest_hash
from policytag.labels.schema import LabelSchema
from policytag.modeling.baseline import TfidfBaseline, baseline_for
from policytag.predict.predictor import Predictor
from policytag.runtime.ngrams import CharNgrams
from policytag.runtime.settings import SETTINGS_FILE, load_settings
from policytag.stats.metrics import (
    axis_metrics,
    bootstrap_intervals,
    expected_calibration_error,
    paired_difference_interval,
    reliability_bins,
)

AXES = ("role", "domain")
BINS = 15


@dataclass(frozen=True)
class EvalConfig:
    strict: bool = False  # stop at the first bad gold line instead of skipping it
    bootstrap: int = 1000  # report-level resamples for the 95% intervals
    seed: int = 0
    baseline: bool = True  # fit the TF-IDF baseline on the model's training rows
    baseline_train: Path | None = None  # another training split for the baseline
    batch: int = 256  # paragraphs per progress step
    reports: Path | None = None  # whole reports to find the gold paragraphs' heading paths in
    gold_sections: bool = True  # without reports: read a row's `section_path`/`section` (false: no context)
    nearest: bool = False  # only the heading nearest to each paragraph


def evaluate(
    model: Path, data: Path, out: Path, config: EvalConfig = EvalConfig(), overwrite: bool = False
) -> dict:
    """Evaluate `model` (export or run folder) on `data`; returns the metrics written to metrics.json.
    `out` follows the one output rule (`policytag.io.outputs`)."""
    inputs = (model, data, *([config.reports] if config.reports else []))
    with output_folder(Output(out, "evaluate", inputs, overwrite)) as staging:
        return _evaluate(model, data, staging, config)


def _evaluate(model: Path, data: Path, out: Path, config: EvalConfig) -> dict:
    predictor = Predictor.open(model)
    schema = LabelSchema.of_model(predictor.settings)  # the taxonomy travels with the model
    rows, problems = read_gold(data, schema, config.strict)
    context = gold_context(rows, config.reports, config.gold_sections, config.nearest)
    rows, sections = context.rows, context.sections
    texts = [r["text"] for r in rows]
    tags = predictor.predict_batched(texts, sections or None, "evaluate", config.batch)

    metrics = {
        "n": len(rows),
        "model": str(model.resolve()),  # found again from any directory (`compare`)
        "model_manifest_sha256": manifest_hash(model),
        "backend": predictor.backend,
        "data": str(data.resolve()),
        "skipped_lines": len(problems),
        "problems": problems[:50],
        "context": context.context,
        "context_nearest_only": config.nearest,
        "context_found": context.found,
    }
    for axis in AXES:
        metrics[axis] = _axis(rows, tags, axis, config)
    metrics["calibration"] = {f"{axis}_ece": metrics[axis].pop("ece") for axis in AXES} | {"bins": BINS}
    metrics["breakdown"] = {
        key: _breakdown(rows, tags, key)
        for key in ("doc_id", "level", "year")
        if any(r.get(key) is not None for r in rows)
    }
    if config.baseline:
        metrics["baseline"] = _baseline(model, rows, tags, config)

    (out / "metrics.json").write_text(json.dumps(metrics, indent=2, ensure_ascii=False), encoding="utf-8")
    _write_predictions(out, rows, tags)
    from policytag.evaluation.report import write_report

    write_report(out, metrics, rows, tags, schema)
    return metrics


def _labelled(rows: list[dict], axis: str) -> list[int]:
    """Indices of the rows that carry a label on `axis`."""
    return [i for i, r in enumerate(rows) if r.get(axis)]


def scored(rows: list[dict], pred: list, axis: str, resamples: int, seed: int) -> dict:
    """`axis_metrics` of `pred` (one label per row) over the rows labelled on `axis`, with
    intervals from resampling whole reports."""
    keep = _labelled(rows, axis)
    gold, mine = [rows[i][axis] for i in keep], [pred[i] for i in keep]
    alt = [rows[i].get("domain_alt") for i in keep] if axis == "domain" else None
    result = axis_metrics(gold, mine, alt)
    if keep:
        result["bootstrap_95"] = bootstrap_intervals(
            [rows[i]["doc_id"] for i in keep], gold, mine, resamples, seed
        )
    return result


def baseline_comparison(
    baseline: TfidfBaseline, rows: list[dict], model: dict[str, list] | None, resamples: int, seed: int
) -> dict[str, dict]:
    """Per axis, the baseline's `scored` figures and, given the model's labels per axis,
    `model_minus_baseline`: the model's macro-F1 minus the baseline's with a paired interval
    (both scored on the same resampled reports)."""
    texts, result = [r["text"] for r in rows], {}
    for axis in AXES:
        pred = baseline.predict(texts, axis)
        result[axis] = scored(rows, pred, axis, resamples, seed)
        keep = _labelled(rows, axis)
        if model is not None and keep:
            result[axis]["model_minus_baseline"] = paired_difference_interval(
                [rows[i]["doc_id"] for i in keep],
                [rows[i][axis] for i in keep],
                [model[axis][i] for i in keep],
                [pred[i] for i in keep],
                resamples,
                seed,
            )
    return result


def _axis(rows: list[dict], tags: list, axis: str, config: EvalConfig) -> dict:
    pred = [getattr(t, axis) for t in tags]
    result = scored(rows, pred, axis, config.bootstrap, config.seed)
    keep = _labelled(rows, axis)
    gold, mine = [rows[i][axis] for i in keep], [pred[i] for i in keep]
    correct = [g == p for g, p in zip(gold, mine)]
    confidence = [getattr(tags[i], f"{axis}_score") for i in keep]
    result["ece"] = expected_calibration_error(confidence, correct, BINS)
    result["reliability"] = reliability_bins(confidence, correct, BINS)
    result["confusion"] = _confusion(gold, mine)
    return result


def _confusion(gold: list[str], pred: list[str]) -> dict[str, dict[str, int]]:
    table: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for g, p in zip(gold, pred):
        table[g][str(p)] += 1
    return {g: dict(row) for g, row in table.items()}


def _breakdown(rows: list[dict], tags: list, key: str) -> dict[str, dict]:
    groups: dict[str, list[int]] = defaultdict(list)
    for i, row in enumerate(rows):
        groups[str(row.get(key))].append(i)
    result = {}
    for value, members in sorted(groups.items()):
        entry = {"n": len(members)}
        for axis in AXES:
            labelled = [i for i in members if rows[i].get(axis)]
            if labelled:
                entry[f"{axis}_accuracy"] = sum(
                    getattr(tags[i], axis) == rows[i][axis] for i in labelled
                ) / len(labelled)
        result[value] = entry
    return result


def training_split(model: Path) -> Path | None:
    """The rows the baseline is fitted on: those an export carries, or a run's training split
    (recorded with an absolute path, so both are found from any working directory)."""
    if is_run(model):
        return load_run_record(model).trained_rows()
    if (model / SETTINGS_FILE).is_file():
        training = load_settings(model).training
        if training is not None and training.baseline_rows:
            return model / training.baseline_rows
        if training is not None and training.train:
            return Path(training.train)
    return None


def _baseline(model: Path, rows: list[dict], tags: list, config: EvalConfig) -> dict:
    """The baseline's figures per axis, and the model's macro-F1 minus the baseline's with a
    paired interval (`model_minus_baseline`: both scored on the same resampled reports)."""
    train = config.baseline_train or training_split(model)
    if train is None or not train.is_file():
        return {"skipped": f"training split not found ({train}); give one with --baseline-train"}
    baseline = baseline_for(train, model if (model / SETTINGS_FILE).is_file() else None, config.seed)
    model = {axis: [getattr(t, axis) for t in tags] for axis in AXES}
    return {
        "name": "char 1-3-gram TF-IDF + logistic regression",
        "train": str(train),
        "fitted": "carried by the export"
        if isinstance(baseline, CharNgrams)
        else "here, on the training rows",
        **baseline_comparison(baseline, rows, model, config.bootstrap, config.seed),
    }


def _write_predictions(out: Path, rows: list[dict], tags: list) -> None:
    records = (
        {
            **tag.to_dict(),
            "id": row["id"],
            "doc_id": row["doc_id"],
            "gold_role": row.get("role"),
            "gold_domain": row.get("domain"),
            "domain_alt": row.get("domain_alt"),
        }
        for row, tag in zip(rows, tags)
    )
    write_jsonl(out / "predictions.jsonl", records)
