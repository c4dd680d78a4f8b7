"""Plain-text reports (.txt, .md) → blocks: the one reader for both, shared by `prepare`,
`predict` and the standalone `predictor.py`.

Markdown keeps what its markup says about structure (`#` headings, whole-line bold
titles) and drops the markup itself, editors' comments, rules and table borders; YAML
front matter is cut off and handed back unparsed (the package reads its title).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from policytag.runtime.blocks import Block, text_blocks
from policytag.runtime.encoding import decode_bytes

TEXT_FORMATS = (".txt", ".md", ".markdown")


@dataclass(frozen=True)
class TextReport:
    """A plain-text report as read: its blocks, its encoding, any Markdown front matter."""

    blocks: list[Block]
    encoding: str
    front_matter: str | None = None


def read_text_report(suffix: str, data: bytes) -> TextReport:
    """Decode a .txt or .md file's bytes into blocks; raises `UnreadableFile` for empty or
    binary data and `ValueError` for another suffix."""
    if suffix.lower() not in TEXT_FORMATS:
        raise ValueError(
            f"not a plain-text report ({suffix or 'no suffix'}); readable: {', '.join(TEXT_FORMATS)}"
        )
    text, encoding = decode_bytes(data)
    if suffix.lower() == ".txt":
        return TextReport(text_blocks(text), encoding)
    blocks, front_matter = markdown_blocks(text)
    return TextReport(blocks, encoding, front_matter)


_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*(?:\n|\Z)", re.S)
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_MD_BOLD_LINE = re.compile(r"^\s*(\*\*|__)(.+?)\1\s*$")
_MD_COMMENT = re.compile(r"<!--.*?-->", re.S)  # editors' notes, never report text
_MD_INLINE = re.compile(r"\*\*|__|(?<!\w)[*_](?=\S)|(?<=\S)[*_](?!\w)|`|!?\[([^\]]*)\]\([^)]*\)")


def markdown_blocks(text: str) -> tuple[list[Block], str | None]:
    """`(blocks, front_matter)` of Markdown text; line numbers are those of the file."""
    match = _FRONT_MATTER.match(text)
    offset, front_matter = 0, None
    if match:
        front_matter = match.group(1)
        offset = text.count("\n", 0, match.end())
        text = text[match.end() :]
    text = _MD_COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), text)  # keeps line numbers
    blocks = []
    for block in text_blocks(text):
        heading = _MD_HEADING.match(block.text) or _MD_BOLD_LINE.match(block.text)
        body = heading.group(heading.re.groups) if heading else block.text
        body = _MD_INLINE.sub(lambda m: m.group(1) or "", body).strip()
        if heading and heading.re is _MD_BOLD_LINE and not _looks_like_heading(body):
            heading = None  # some reports set whole paragraphs in bold
        if body and not re.fullmatch(r"[-*_=\s|:]+", body):  # rules and table borders
            blocks.append(Block(body, block.line + offset, heading=bool(heading)))
    return blocks, front_matter


def _looks_like_heading(text: str) -> bool:
    return len(text) <= 60 and not re.search(r"[。；！？]", text)
