"""Readers: one function per file format, each turning bytes into a `RawReport`.

A reader keeps what the format itself says about structure (Markdown `#` and
bold headings, Word heading styles) and leaves everything else to the segmenter.
Plain text and Markdown are read by `policytag.runtime.reading`, the reader the
standalone predictor runs too.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import yaml

from policytag.io.limits import ReadLimits
from policytag.runtime.blocks import Block, rejoin, text_blocks
from policytag.runtime.encoding import UnreadableFile, decode_bytes
from policytag.runtime.headings import starts_with_heading_marker
from policytag.runtime.reading import read_text_report
from policytag.runtime.segment import SENTENCE_ENDS


@dataclass
class RawReport:
    """A report file as read: its blocks, plus what the file says about itself."""

    source: str
    rel: PurePosixPath
    blocks: list[Block] = field(default_factory=list)
    title: str | None = None
    encoding: str | None = None
    records: list[dict] | None = None  # JSONL input: one record per paragraph
    warnings: list[str] = field(default_factory=list)  # parts skipped, with where and why


FORMATS = (".txt", ".md", ".markdown", ".docx", ".pdf", ".jsonl")


def read_report(source: str, rel: PurePosixPath, data: bytes) -> RawReport:
    """Read one file's bytes by its extension; raises `UnreadableFile` with the reason."""
    suffix = rel.suffix.lower()
    reader = _READERS.get(suffix)
    if reader is None:
        raise UnreadableFile(f"unsupported file type {suffix or '(none)'}; readable: {', '.join(FORMATS)}")
    report = RawReport(source=source, rel=rel)
    reader(report, data)
    if not report.blocks and not report.records:
        if report.warnings:  # a JSONL file whose every line was skipped: say why, not just "no text"
            raise UnreadableFile(
                f"no usable line ({len(report.warnings)} skipped; first: {report.warnings[0]})"
            )
        raise UnreadableFile("no text in file")
    return report


def _read_plain_text(report: RawReport, data: bytes) -> None:
    text = read_text_report(report.rel.suffix, data)
    report.blocks, report.encoding = text.blocks, text.encoding
    if text.front_matter is not None:
        report.title = _front_matter_title(text.front_matter)


def _front_matter_title(raw: str) -> str | None:
    try:
        meta = yaml.safe_load(raw)
    except yaml.YAMLError:
        return None
    title = meta.get("title") if isinstance(meta, dict) else None
    return str(title) if title else None


def _read_docx(report: RawReport, data: bytes) -> None:
    import docx  # python-docx: imported here, only readers of Word files pay for it

    _check_docx_size(data)
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as err:  # python-docx raises several unrelated types for bad zips
        raise UnreadableFile(f"not a readable Word file: {err}") from err
    report.encoding = "docx"
    title = document.core_properties.title
    report.title = title or None
    report.blocks = [
        Block(p.text.strip(), i + 1, heading=_is_heading_style(p.style.name if p.style else ""))
        for i, p in enumerate(document.paragraphs)
        if p.text.strip()
    ]


def _check_docx_size(data: bytes) -> None:
    """A Word file is a zip: refuse one whose parts unpack past the one-file limit (sizes from
    its directory, nothing unpacked), as python-docx would hold them whole."""
    limits = ReadLimits.from_env()
    try:
        size = sum(info.file_size for info in zipfile.ZipFile(io.BytesIO(data)).infolist())
    except (zipfile.BadZipFile, ValueError) as err:
        raise UnreadableFile(f"not a readable Word file: {err}") from err
    problem = limits.file_problem(size)
    if problem:
        raise UnreadableFile(f"Word file, all its parts together: {problem}")


def _is_heading_style(name: str) -> bool:
    return name.lower().startswith(("heading", "title")) or name.startswith("标题")


def _read_pdf(report: RawReport, data: bytes) -> None:
    import pypdf

    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):  # AES needs `cryptography` (a dependency)
            raise UnreadableFile(
                "PDF is protected by a password; save a copy without it (e.g. "
                "`qpdf --decrypt --password=… in.pdf out.pdf`) and read that"
            )
        pages = [page.extract_text() or "" for page in reader.pages]
    except UnreadableFile:
        raise
    except pypdf.errors.DependencyError as err:
        raise UnreadableFile(f"encrypted PDF, and {err}: pip install cryptography") from err
    except Exception as err:  # pypdf raises many types for damaged files
        raise UnreadableFile(f"not a readable PDF: {err}") from err
    report.encoding = "pdf"
    text = "\n".join(pages)
    if not text.strip():
        raise UnreadableFile("PDF has no text layer (scanned pages need OCR first)")
    report.blocks = rejoin(text_blocks(text), _wrapped)


def _wrapped(previous: Block, block: Block) -> bool:
    """A PDF line that does not end a sentence continues on the next, unless the next one
    starts with a heading number."""
    return (
        not previous.text.endswith(SENTENCE_ENDS)
        and not starts_with_heading_marker(block.text)
        and len(previous.text) > 20
    )


def _read_jsonl(report: RawReport, data: bytes) -> None:
    text, report.encoding = decode_bytes(data)
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            report.warnings.append(f"line {number}: not valid JSON ({err.msg}); skipped")
            continue
        problem = _record_problem(record)
        if problem:
            report.warnings.append(f"line {number}: {problem}; skipped")
            continue
        records.append({**record, "_line": number})
    report.records = records


def _record_problem(record: object) -> str | None:
    """Why a JSONL input line cannot be a paragraph (wrong shape or field types), or None."""
    if not isinstance(record, dict) or not isinstance(record.get("text"), str):
        return "expected an object with a string `text`"
    index = record.get("index")
    if index is not None and (isinstance(index, bool) or not isinstance(index, int)):
        return f"`index` must be a whole number, got {index!r}"
    for key, types in (("doc_id", (str, int)), ("id", (str, int)), ("section", (str,))):
        value = record.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, types)):
            return f"`{key}` must be a string, got {value!r}"
    return None


_READERS: dict[str, Callable[[RawReport, bytes], None]] = {
    ".txt": _read_plain_text,
    ".md": _read_plain_text,
    ".markdown": _read_plain_text,
    ".docx": _read_docx,
    ".pdf": _read_pdf,
    ".jsonl": _read_jsonl,
}
