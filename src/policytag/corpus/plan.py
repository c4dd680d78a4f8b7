"""The work of a corpus run, fixed before any of it starts: one `Planned` report per input file.

Report ids need every file's name (two may share one), so they are given once, over all
inputs, from a listing that reads no bytes; whoever then tags a report (this process,
a worker process, a Ray actor) reads it again by its `Where` and tags it alone, so its
rows never depend on which other reports it travelled with.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath

from policytag.corpus.schema import COLUMNS
from policytag.data.documents import Document, read_document
from policytag.data.metadata import report_ids, report_meta
from policytag.io.limits import ReadLimits
from policytag.io.picked import Picker, Where, where
from policytag.io.sources import iter_source_files
from policytag.runtime.segment import Segmenter
from policytag.runtime.tagging import Tag


@dataclass(frozen=True)
class Planned:
    """One report file to tag: its place in the plan, id, where it is, and why it cannot be
    read when the listing already knows (`error`)."""

    number: int
    doc_id: str
    source: str
    where: Where
    error: str | None = None

    @property
    def part(self) -> str:
        """The name of its part file in an output folder, from its id and source."""
        digest = hashlib.sha256(f"{self.doc_id}\0{self.source}".encode()).hexdigest()[:24]
        return f"part-{digest}.parquet"

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, row: dict) -> Planned:
        return cls(**{**row, "where": Where(**row["where"])})


@dataclass
class Done:
    """A planned report tagged: its rows (`COLUMNS`), or why it was skipped, and who tagged it."""

    number: int
    rows: list[dict]
    error: str | None = None
    warnings: tuple[str, ...] = ()
    worker: str = ""


def make_plan(inputs: list[Path], limits: ReadLimits | None = None) -> list[Planned]:
    """Every report file under `inputs`, in the order `predict` reads them, with its report id."""
    listed = list(iter_source_files(inputs, limits or ReadLimits.from_env(), read=False))
    ids = report_ids([s.rel for s in listed])
    return [
        Planned(number, doc_id, source.source, where(source), source.error)
        for number, (source, doc_id) in enumerate(zip(listed, ids))
    ]


def tag_planned(predictor, planned: Planned, picker: Picker, segmenter: Segmenter, worker: str) -> Done:
    """Read one planned report and tag it by itself (`Predictor.tag_document`)."""
    if planned.error:
        return Done(planned.number, [], planned.error, worker=worker)
    document = read_document(picker.read(planned.where), planned.doc_id, segmenter)
    if document.error:
        return Done(planned.number, [], document.error, tuple(document.warnings), worker)
    tags = predictor.tag_document(document)
    return Done(planned.number, rows(document, planned, tags), None, tuple(document.warnings), worker)


def rows(document: Document, planned: Planned, tags: list[Tag]) -> list[dict]:
    """One output row per tag: the tag, its report's level, region and year (from the report's
    path and title; a JSONL line with its own `doc_id` from that id), and the source."""
    metas = {}
    found = []
    for tag in tags:
        if tag.doc_id not in metas:
            own = tag.doc_id == planned.doc_id and document.rel is not None
            path = PurePosixPath(planned.where.rel) if own else PurePosixPath(str(tag.doc_id))
            metas[tag.doc_id] = report_meta(path, document.title if own else None)
        meta = metas[tag.doc_id]
        row = tag.to_dict()
        row.update(level=meta.level, region=meta.region, year=meta.year, source=planned.source)
        found.append({key: row[key] for key in COLUMNS})
    return found
