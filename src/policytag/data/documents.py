"""Report files → paragraphs: the one document reader of `prepare`, `predict`, `select` and
`evaluate --reports` (files, folders, archives, JSONL lines with `text`)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from policytag.data.metadata import report_ids
from policytag.io.jsonl import record_path
from policytag.io.limits import ReadLimits
from policytag.io.readers import read_report
from policytag.io.sources import SourceFile, iter_source_files
from policytag.runtime.encoding import UnreadableFile
from policytag.runtime.mojibake import count_mojibake
from policytag.runtime.normalize import normalize
from policytag.runtime.segment import Paragraph, Segmenter


@dataclass(frozen=True)
class DocumentParagraph:
    doc_id: str
    index: int
    section: str | None
    text: str  # normalised
    section_path: tuple[str, ...] = ()  # normalised headings, top level first
    line: int | None = None  # where it starts in its file (a JSONL line's number)
    mojibake: int = 0  # mojibake marks in it
    record: dict | None = field(default=None, compare=False)  # a JSONL line as given (its labels)


@dataclass(frozen=True)
class Document:
    """One input file's paragraphs, or why it could not be read; `warnings` name the parts
    skipped inside it (JSONL lines, with their numbers)."""

    source: str
    paragraphs: list[DocumentParagraph]
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    rel: PurePosixPath | None = None  # the path under its input (its level, region and year)
    title: str | None = None
    encoding: str | None = None
    segmented: list[Paragraph] = field(default_factory=list)  # the segmenter's paragraphs (for rules)
    segment_warnings: list[str] = field(default_factory=list)  # what the segmenter noticed


def _report_ids(inputs: list[Path], limits: ReadLimits) -> dict[str, list[str]]:
    """Report ids by source, in input order. Ids need every file's name first (two may share
    one); this listing reads no bytes. Keyed by source, not by position: an archive that turns
    out damaged while read yields fewer entries than its listing."""
    listed = list(iter_source_files(inputs, limits, read=False))
    ids: dict[str, list[str]] = {}
    for source, doc_id in zip(listed, report_ids([s.rel for s in listed])):
        ids.setdefault(source.source, []).append(doc_id)
    return ids


def iter_documents(
    inputs: list[Path], segmenter: Segmenter | None = None, limits: ReadLimits | None = None
) -> Iterator[Document]:
    """Each report file under `inputs` (files, folders, archives; JSONL lines with `text`),
    read one at a time: only the current file's bytes are held."""
    segmenter = segmenter or Segmenter()
    limits = limits or ReadLimits.from_env()
    ids = _report_ids(inputs, limits)
    for source in iter_source_files(inputs, limits):
        doc_id = ids[source.source].pop(0) if ids.get(source.source) else source.rel.stem
        yield read_document(source, doc_id, segmenter)


def read_document(source: SourceFile, doc_id: str, segmenter: Segmenter) -> Document:
    """One read source file as a `Document` named `doc_id` (JSONL lines keep their own `doc_id`);
    `error` set, and no paragraphs, when it could not be read."""
    if source.error:
        return Document(source.source, [], source.error, rel=source.rel)
    try:
        raw = read_report(source.source, source.rel, source.data or b"")
    except UnreadableFile as err:
        return Document(source.source, [], str(err), rel=source.rel)
    if raw.records is not None:
        paragraphs = [
            DocumentParagraph(
                str(r.get("doc_id") or doc_id),
                i if r.get("index") is None else r["index"],
                normalize(r["section"]) if r.get("section") else None,
                normalize(r["text"]),
                record_path(r),
                r.get("_line"),
                count_mojibake(r["text"]),
                r,
            )
            for i, r in enumerate(raw.records)
        ]
        found, noticed = [], []
    else:
        found, noticed = segmenter.segment(doc_id, raw.blocks)
        paragraphs = [
            DocumentParagraph(doc_id, p.index, p.section, p.text, p.section_path, p.line, p.mojibake)
            for p in found
        ]
    return Document(
        source.source,
        paragraphs,
        warnings=list(raw.warnings),
        rel=source.rel,
        title=raw.title,
        encoding=raw.encoding,
        segmented=found,
        segment_warnings=noticed,
    )
