"""Report files → paragraphs to tag, the way `prepare` reads them (every format it reads)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from policytag.data.metadata import report_ids
from policytag.runtime.encoding import UnreadableFile
from policytag.io.readers import read_report
from policytag.io.sources import iter_source_files
from policytag.runtime.normalize import normalize
from policytag.runtime.segment import Segmenter


@dataclass(frozen=True)
class DocumentParagraph:
    doc_id: str
    index: int
    section: str | None
    text: str  # normalised


@dataclass(frozen=True)
class Document:
    """One input file's paragraphs, or why it could not be read."""

    source: str
    paragraphs: list[DocumentParagraph]
    error: str | None = None


def iter_documents(inputs: list[Path], segmenter: Segmenter | None = None) -> Iterator[Document]:
    """Each report file under `inputs` (files, folders, archives; JSONL lines with `text`)."""
    segmenter = segmenter or Segmenter()
    sources = list(iter_source_files(inputs))
    for source, doc_id in zip(sources, report_ids([s.rel for s in sources])):
        if source.error:
            yield Document(source.source, [], source.error)
            continue
        try:
            raw = read_report(source.source, source.rel, source.data or b"")
        except UnreadableFile as err:
            yield Document(source.source, [], str(err))
            continue
        if raw.records is not None:
            paragraphs = [
                DocumentParagraph(str(r.get("doc_id") or doc_id), int(r.get("index", i)),
                                  normalize(r["section"]) if r.get("section") else None, normalize(r["text"]))
                for i, r in enumerate(raw.records)
            ]
        else:
            found, _ = segmenter.segment(doc_id, raw.blocks)
            paragraphs = [DocumentParagraph(doc_id, p.index, p.section, p.text) for p in found]
        yield Document(source.source, paragraphs)
