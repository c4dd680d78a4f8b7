"""`prepare`: folders of raw reports → a labelled, split dataset on disk.

Reads every file (in two processes by default), segments and silver-labels each
report, applies hand annotations, splits by report and writes the dataset, its
statistics and, when gold paragraphs are given, the rule report.
"""

from __future__ import annotations

import json
import multiprocessing
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from tqdm import tqdm

from policytag.config import apply_overrides, from_dict, read_yaml, recipe_path
from policytag.data.documents import DocumentParagraph, read_document
from policytag.data.labelled import labelled_paragraphs
from policytag.data.metadata import report_ids, report_meta
from policytag.data.prepare_stats import dataset_stats, score_rules
from policytag.data.splits import SplitConfig, assign_splits
from policytag.data.writer import TAXONOMY, write_dataset
from policytag.io.limits import MB
from policytag.io.outputs import Output, output_folder
from policytag.io.sources import SourceFile, batched_sources, iter_source_files
from policytag.labels.annotations import load_annotations
from policytag.labels.report import render_table
from policytag.labels.schema import LabelSchema
from policytag.labels.silver import SilverLabeler
from policytag.runtime.segment import SegmentConfig, Segmenter


@dataclass(frozen=True)
class RulesConfig:
    taxonomy: Path
    role: Path
    domain: Path


@dataclass(frozen=True)
class PrepareConfig:
    """Typed form of a dataset recipe (`configs/data/*.yaml`); paths are relative to the recipe."""

    rules: RulesConfig
    segment: SegmentConfig = field(default_factory=SegmentConfig)
    split: SplitConfig = field(default_factory=SplitConfig)
    annotations: list[Path] = field(default_factory=list)
    labelled: list[Path] = field(default_factory=list)  # hand-labelled paragraphs without reports: train
    gold: Path | None = None  # gold paragraphs to score the rules against (never trained on)
    workers: int = 2


def load_prepare_config(path: Path, overrides: list[str] | None = None) -> PrepareConfig:
    """Load a dataset recipe, apply `key=value` overrides and resolve its paths."""
    data = apply_overrides(read_yaml(path), overrides or [])
    config = from_dict(PrepareConfig, data, source=str(path))
    base = path.parent
    rules = RulesConfig(
        *(recipe_path(base, p) for p in (config.rules.taxonomy, config.rules.role, config.rules.domain))
    )
    return PrepareConfig(
        rules=rules,
        segment=config.segment,
        split=config.split,
        annotations=[recipe_path(base, p) for p in config.annotations],
        labelled=[recipe_path(base, p) for p in config.labelled],
        gold=recipe_path(base, config.gold) if config.gold else None,
        workers=config.workers,
    )


@dataclass
class _ReportResult:
    source: str
    rel: PurePosixPath
    meta: dict
    paragraphs: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    encoding: str | None = None


_WORKER: tuple[Segmenter, SilverLabeler] | None = None


def _init_worker(config: PrepareConfig) -> None:
    global _WORKER
    schema = LabelSchema.load(config.rules.taxonomy)
    _WORKER = (
        Segmenter(config.segment),
        SilverLabeler.from_files(schema, config.rules.role, config.rules.domain),
    )


def _process(source: SourceFile) -> _ReportResult | tuple[str, str]:
    """Read, segment and label one file (`read_document`); `(source, reason)` when it cannot be read."""
    assert _WORKER is not None, "worker not initialised"
    segmenter, labeler = _WORKER
    document = read_document(source, "", segmenter)
    if document.error:
        return source.source, document.error
    meta = report_meta(source.rel, document.title)
    result = _ReportResult(
        source.source,
        source.rel,
        vars(meta),
        warnings=[*document.warnings, *document.segment_warnings],
        encoding=document.encoding,
    )
    if document.segmented:
        labels = labeler.label_report(document.segmented, meta.year)
        result.paragraphs = [_segmented_paragraph(p, s) for p, s in zip(document.paragraphs, labels)]
    else:
        result.paragraphs = [_record_paragraph(p) for p in document.paragraphs]
    if not result.paragraphs:
        return source.source, "no paragraphs found (headings, greetings or signatures only)"
    return result


def _segmented_paragraph(p: DocumentParagraph, silver) -> dict:
    """A paragraph the segmenter found, with its silver (rule) labels and their votes."""
    return {
        "index": p.index,
        "section": p.section,
        "section_path": list(p.section_path),
        "text": p.text,
        "role": silver.role,
        "domain": silver.domain,
        "label_source": "rules" if silver.role or silver.domain else None,
        "line": p.line,
        "mojibake": p.mojibake,
        "votes": silver.votes,
    }


def _record_paragraph(p: DocumentParagraph) -> dict:
    """A JSONL input line: its own text, heading path and labels, kept as given (hand labels)."""
    record = p.record or {}
    has_label = record.get("role") or record.get("domain")
    return {
        "index": p.index,
        "section": p.section,
        "section_path": list(p.section_path),
        "text": p.text,
        "role": record.get("role"),
        "domain": record.get("domain"),
        "domain_alt": record.get("domain_alt"),
        "label_source": "input" if has_label else None,
        "line": p.line,
        "mojibake": p.mojibake,
        "doc_id": record.get("doc_id"),
        "id": record.get("id"),
    }


def _results(config: PrepareConfig, inputs: list[Path]) -> Iterator[_ReportResult | tuple[str, str]]:
    sources = iter_source_files(inputs)
    if config.workers <= 1:
        _init_worker(config)
        yield from map(_process, sources)
        return
    context = multiprocessing.get_context("spawn")  # no fork: torch may be loaded in this process
    with context.Pool(config.workers, initializer=_init_worker, initargs=(config,)) as pool:
        # `imap` alone would read every input ahead into memory: a few files per worker at a time
        for batch in batched_sources(sources, config.workers * 4, 64 * MB):
            yield from pool.imap(_process, batch, chunksize=2)


def prepare(
    inputs: list[Path], out: Path, config: PrepareConfig, gold: Path | None = None, overwrite: bool = False
) -> dict:
    """Run the whole step; returns the statistics written to `out/stats.json`. `out` follows
    the one output rule (`policytag.io.outputs`): a new folder or an earlier dataset, whose files
    are replaced; other files there are refused, or kept beside it with `overwrite`."""
    output = Output(out, "prepare", (*inputs, *([gold] if gold else [])), overwrite)
    with output_folder(output) as staging:
        return _prepare(inputs, staging, config, gold)


def _prepare(inputs: list[Path], staging: Path, config: PrepareConfig, gold: Path | None) -> dict:
    started = time.perf_counter()
    schema = LabelSchema.load(config.rules.taxonomy)
    reports, skipped = _read_reports(inputs, config)
    paragraphs = _assemble(reports)
    annotations = load_annotations(config.annotations, schema)
    overridden = _apply_annotations(paragraphs, annotations)
    metas = {p["doc_id"]: {k: p.get(k) for k in ("level", "region", "year")} for p in paragraphs}
    splits = assign_splits(metas, config.split)
    for p in paragraphs:
        p["split"] = splits[p["doc_id"]]
    extra = _without_reports_read(labelled_paragraphs(config.labelled, schema), paragraphs)
    paragraphs += extra

    gold_path = gold or config.gold
    report = score_rules(paragraphs, gold_path) if gold_path else None
    stats = dataset_stats(reports, skipped, paragraphs, schema, splits, annotations, overridden, started)
    stats["labelled_without_reports"] = {
        "paragraphs": len(extra),
        "reports": len({p["doc_id"] for p in extra}),
    }
    if report is not None:
        stats["rule_report"] = {axis: report[axis]["combined"] for axis in ("role", "domain")}
    write_dataset(staging, paragraphs, stats, schema)
    shutil.copyfile(config.rules.taxonomy, staging / TAXONOMY)  # the taxonomy travels with the data
    if report is not None:
        (staging / "rule_report.json").write_text(
            json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8"
        )
        (staging / "rule_report.md").write_text(render_table(report), encoding="utf-8")
    return stats


def read_paragraphs(inputs: list[Path], config: PrepareConfig) -> tuple[list[dict], list[dict]]:
    """Every paragraph under `inputs` exactly as `prepare` reads it (same ids, sections, report
    metadata and rule labels, before hand annotations), and the files skipped with why."""
    reports, skipped = _read_reports(inputs, config)
    return _assemble(reports), skipped


def _read_reports(inputs: list[Path], config: PrepareConfig) -> tuple[list[_ReportResult], list[dict]]:
    reports: list[_ReportResult] = []
    skipped: list[dict] = []
    for result in tqdm(_results(config, inputs), desc="reading reports", unit=" files"):
        if isinstance(result, tuple):
            skipped.append({"file": result[0], "reason": result[1]})
            tqdm.write(f"skipped {result[0]}: {result[1]}")
        else:
            reports.append(result)
            for warning in result.warnings:
                tqdm.write(f"{result.source}: {warning}")
    if not reports:
        raise FileNotFoundError(f"no readable report under {', '.join(map(str, inputs))}")
    return reports, skipped


def _assemble(reports: list[_ReportResult]) -> list[dict]:
    """Give every paragraph its report id, stable id and report metadata."""
    ids = report_ids([r.rel for r in reports])
    paragraphs = []
    for doc_id, report in zip(ids, reports):
        for p in report.paragraphs:
            own = p.pop("doc_id", None) or doc_id  # a JSONL line may name its own report and id
            paragraph_id = p.pop("id", None) or f"{own}#{p['index']:04d}"
            paragraphs.append(
                {"id": paragraph_id, "doc_id": own, **p, **report.meta, "source": report.source}
            )
    return paragraphs


def _without_reports_read(rows: list[dict], paragraphs: list[dict]) -> list[dict]:
    """Labelled rows whose report was not read as well (that report's own paragraphs and
    split win, so no report is in two splits)."""
    read = {p["doc_id"] for p in paragraphs}
    return [r for r in rows if r["doc_id"] not in read]


def _apply_annotations(paragraphs: list[dict], annotations) -> int:
    for problem in annotations.problems:
        tqdm.write(f"annotation skipped: {problem}")
    count = 0
    for p in paragraphs:
        labels = annotations.lookup(p["id"], p["text"])
        if labels:
            p.update(labels)
            p["label_source"] = "hand"
            count += 1
    return count
