"""The heading path each gold paragraph is evaluated with: from the whole reports it comes
from (`reports`), from the gold row itself (`gold-section`) or none (`none`).

With reports, each gold paragraph is looked up in the segmented reports by its normalised
text: first exactly, then (for a paragraph the segmenter cut differently) a near match, a
report paragraph that contains it or that it contains, in its own report where that report
is present. Rows found neither way are not scored, and are counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from policytag.data.documents import iter_documents
from policytag.io.jsonl import record_path
from policytag.runtime.normalize import normalize
from policytag.runtime.windows import heading_path

CONTEXTS = ("reports", "gold-section", "none")
NEAR_SHARE = 0.6  # a containing or contained paragraph must hold this share of the longer text


@dataclass
class GoldContext:
    """The rows to score, each one's heading path (None: read without context), and the counts."""

    context: str
    rows: list[dict]
    sections: list[list[str]] | None
    found: dict = field(default_factory=dict)  # exact, near, not_found, not_found_ids (reports only)


def gold_context(
    rows: list[dict], reports: Path | None = None, use_sections: bool = True, nearest: bool = False
) -> GoldContext:
    """The context for `rows`: the reports under `reports` when given (`FileNotFoundError` naming
    the folder when it is missing), else the rows' `section_path`/`section` where any has one and
    `use_sections`, else none. `nearest` keeps only the heading nearest to each paragraph."""
    if reports is not None:
        if not reports.exists():
            raise FileNotFoundError(f"{reports}: no such reports folder (--reports)")
        found = _from_reports(rows, reports)
    elif use_sections and any(record_path(r) for r in rows):
        found = GoldContext("gold-section", rows, [list(record_path(r)) for r in rows])
    else:
        return GoldContext("none", rows, None)
    if nearest:
        found.sections = [
            heading_path(p, normalize(r["text"]))[-1:] for r, p in zip(found.rows, found.sections)
        ]
    return found


def _from_reports(rows: list[dict], reports: Path) -> GoldContext:
    by_text: dict[str, tuple[str, ...]] = {}
    by_doc: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    for document in iter_documents([reports]):
        for p in document.paragraphs:
            by_text.setdefault(p.text, p.section_path)
            by_doc.setdefault(p.doc_id, []).append((p.text, p.section_path))
    everything = [pair for pairs in by_doc.values() for pair in pairs]
    kept, sections, exact, near, missing = [], [], 0, 0, []
    for row in rows:
        text = normalize(row["text"])
        path = by_text.get(text)
        if path is not None:
            exact += 1
        else:
            path = _near(text, by_doc.get(str(row["doc_id"]), everything))
            if path is None:
                missing.append(row["id"])
                continue
            near += 1
        kept.append(row)
        sections.append(list(path))
    counts = {"exact": exact, "near": near, "not_found": len(missing), "not_found_ids": missing}
    return GoldContext("reports", kept, sections, counts)


def _near(text: str, candidates: list[tuple[str, tuple[str, ...]]]) -> tuple[str, ...] | None:
    """The path of the candidate that contains `text` or is contained in it, holding at least
    `NEAR_SHARE` of the longer of the two (the closest in length first)."""
    best, best_share = None, NEAR_SHARE
    for other, path in candidates:
        if other and (text in other or other in text):
            share = min(len(text), len(other)) / max(len(text), len(other))
            if share >= best_share:
                best, best_share = path, share
    return best
