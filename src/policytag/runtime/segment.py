"""Segmentation: the blocks of a read report → paragraphs with their heading path.

A paragraph is one block of text as it stands in the report (ANNOTATION.md). A
numbered title at its start (`（一）…。`) stays in its text and is the nearest
heading of that paragraph and of the paragraphs that follow; an `一是…。` item title
heads its own paragraph only. Bare headings, greetings, closing formulas, signatures,
dates and glossary entries are not paragraphs; a paragraph that opens with an
address (`各位代表，在肯定成绩的同时…`) is one. A paragraph broken across blank lines
in mid-sentence, as text converted from PDF pages often is, is joined again.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from policytag.runtime.blocks import Block, rejoin
from policytag.runtime.checks import check_patterns
from policytag.runtime.headings import (
    ENUMERATION_LEVEL,
    Heading,
    Outline,
    bare_heading,
    marker_level,
    opens_numbered_section,
    run_in_title,
    split_inline_headings,
    starts_with_heading_marker,
)
from policytag.runtime.mojibake import count_mojibake
from policytag.runtime.normalize import normalize

# What a paragraph (or a line of one) may end with; anything else stops in mid-sentence.
SENTENCE_ENDS = tuple("。！？：；…”’」』）)】》!?:;")


@dataclass(frozen=True)
class SegmentConfig:
    """How report text is cut into paragraphs."""

    min_chars: int = 10  # shorter non-heading lines are signatures, names, page numbers
    max_heading_chars: int = 40
    max_paragraph_chars: int = 5000  # longer lines are cut at sentence ends
    rejoin_broken_lines: bool = True  # `…，集中` + `力量实施…` is one paragraph
    non_paragraph: list[str] = field(
        default_factory=lambda: [
            r"^各位(代表|委员|同志)[^。？]{0,16}$",  # the greeting alone, not a paragraph opening with it
            r"^(现在，?)?我代表.{0,30}(报告|汇报)",
            r"^(同志们|女士们|先生们)",
            r"^(特此报告|以上报告|谢谢(大家)?)[。！!]?$",
            r"^[—-]{1,2}.{0,40}(会议|大会)上",
            r"^(19|20)\d\d\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日\)?$",
            r"^(附件|附表)[\d一二三四五六七八九十]*[：:]?$",
        ]
    )
    glossary_headings: list[str] = field(
        default_factory=lambda: [
            r"名词(解释|注释|注解|术语|说明)",
            r"(用语|术语|词语|名词)(的)?(说明|释义|解释|注释)",
            r"》(有关内容)?(注释|注解)",
            r"^(注释|注解|附注|备注|附|解释和说明)[：:]?$",
            r"以文中出现先后为序",
        ]
    )

    def __post_init__(self) -> None:
        for name in ("non_paragraph", "glossary_headings"):
            check_patterns(name, getattr(self, name))
        if self.min_chars < 1 or self.max_heading_chars < 2 or self.max_paragraph_chars < 100:
            raise ValueError(
                "min_chars ≥ 1, max_heading_chars ≥ 2 and max_paragraph_chars ≥ 100 are required"
            )


@dataclass(frozen=True)
class Paragraph:
    """One paragraph of a report, normalised, with where it sits."""

    doc_id: str
    index: int
    text: str
    section_path: tuple[str, ...]
    line: int
    mojibake: int = 0

    @property
    def id(self) -> str:
        return f"{self.doc_id}#{self.index:04d}"

    @property
    def section(self) -> str | None:
        return self.section_path[-1] if self.section_path else None

    @property
    def headings_above(self) -> tuple[str, ...]:
        """The heading path without the paragraph's own run-in title (`（一）…。` at its start)."""
        if self.section_path and self.text.startswith(self.section_path[-1]):
            return self.section_path[:-1]
        return self.section_path


class Segmenter:
    """Cuts reports into `Paragraph`s following a `SegmentConfig`."""

    def __init__(self, config: SegmentConfig | None = None) -> None:
        self.config = config or SegmentConfig()
        self._skip = [re.compile(p) for p in self.config.non_paragraph]
        self._glossary = [re.compile(p) for p in self.config.glossary_headings]

    def segment(self, doc_id: str, blocks: Iterable[Block]) -> tuple[list[Paragraph], list[str]]:
        """All paragraphs of one report, in order and indexed from 0, and warnings."""
        outline = Outline()
        found: list[tuple[str, tuple[str, ...], int, int]] = []
        if self.config.rejoin_broken_lines:
            blocks = rejoin(blocks, self._continues)  # `…，集中` + `力量实施…` is one paragraph
        for block in blocks:
            if block.heading:
                text = normalize(block.text)
                if self._skipped(text):
                    continue
                level = marker_level(text)
                self._open(outline, Heading(text, level[0] if level else 1))
                continue
            for raw in split_inline_headings(block.text, self.config.max_heading_chars):
                for text, path in self._pieces(outline, normalize(raw, keep_spaces=True)):
                    found.append((text, path, block.line, count_mojibake(raw)))
        warnings = [
            f"line {line}: {len(text):,} characters in one paragraph; cut at sentence ends"
            for text, _, line, _ in found
            if len(text) > self.config.max_paragraph_chars
        ]
        paragraphs = [
            Paragraph(doc_id, index, text, path, line, mojibake)
            for index, (text, path, line, mojibake) in enumerate(self._cut_long(found))
        ]
        return paragraphs, warnings

    def _continues(self, previous: Block, block: Block) -> bool:
        if previous.heading or block.heading:
            return False
        before, after = normalize(previous.text), normalize(block.text)
        prose = "。" in before or (
            "，" in before
            and len(before) > self.config.max_heading_chars
            and not starts_with_heading_marker(before)
        )
        return (
            prose
            and not before.endswith(SENTENCE_ENDS)
            and not starts_with_heading_marker(after)
            and bare_heading(after, self.config.max_heading_chars) is None
            and not self._skipped(after)
        )

    def _pieces(self, outline: Outline, spaced: str) -> Iterator[tuple[str, tuple[str, ...]]]:
        """Paragraphs in one piece of a line, opening the headings met on the way."""
        text = normalize(spaced)
        if not text:
            return
        if self._skipped(text):  # `各位代表，…献礼！主要名词解释：` still opens the glossary
            glossary = self._trailing_glossary(text)[1]
            if glossary is not None:
                self._open(outline, glossary)
            return
        heading = bare_heading(text, self.config.max_heading_chars)
        if heading is not None:
            self._open(outline, heading)
            return
        run_in = run_in_title(spaced, self.config.max_heading_chars)
        if run_in is not None:
            title, rest = run_in
            title = Heading(normalize(title.text), title.level)
            # `三、2024年工作计划（一）突出…`: a title running straight into the next
            # number is a heading of its own; `（七）…。（1）…` is a paragraph's title,
            # and so is `（四）…新提升一是提升…`, whose `一是` list is the paragraph's body.
            if not rest.strip() or (opens_numbered_section(rest.lstrip()) and not rest.startswith("。")):
                self._open(outline, title)
                yield from self._pieces(outline, rest.lstrip())
                return
        if outline.in_glossary or len(text) < self.config.min_chars:
            return
        text, glossary = self._trailing_glossary(text)
        if run_in is not None:  # `（三）…` closes `（二）` and is its own nearest heading
            self._open(outline, title)
        elif (
            marker := marker_level(text)
        ) is not None:  # a numbered paragraph with no title still closes `（二）`
            outline.close_to(marker[0])
        if len(text) >= self.config.min_chars:
            yield text, outline.path()
        if run_in is not None and title.level == ENUMERATION_LEVEL:
            # `一是…。` heads its own paragraph only: the plain paragraph after the last
            # item (`在看到成绩的同时，…`) usually speaks for the whole section.
            outline.close_to(ENUMERATION_LEVEL)
        if glossary is not None:
            self._open(outline, glossary)

    def _trailing_glossary(self, text: str) -> tuple[str, Heading | None]:
        """`…献礼！主要名词解释：` – a glossary title run on after a paragraph's last sentence."""
        end = max(text.rfind(stop) for stop in "。！？!?")
        tail = text[end + 1 :].strip()
        if end < 0 or not tail or len(tail) > self.config.max_heading_chars:
            return text, None
        if not self._is_glossary(tail):
            return text, None
        return text[: end + 1], Heading(tail, 1)

    def _skipped(self, text: str) -> bool:
        """A greeting, a formula, a signature or a date: no paragraph."""
        return any(p.search(text) for p in self._skip)

    def _is_glossary(self, title: str) -> bool:
        return any(p.search(title) for p in self._glossary)

    def _open(self, outline: Outline, heading: Heading) -> None:
        outline.open(heading, glossary=self._is_glossary(heading.text))

    def _cut_long(
        self, found: list[tuple[str, tuple[str, ...], int, int]]
    ) -> Iterator[tuple[str, tuple[str, ...], int, int]]:
        limit = self.config.max_paragraph_chars
        for text, path, line, mojibake in found:
            if len(text) <= limit:
                yield text, path, line, mojibake
                continue
            for i, chunk in enumerate(_chunks(text, limit)):
                yield chunk, path, line, mojibake if i == 0 else 0


def _chunks(text: str, limit: int) -> Iterator[str]:
    """Cut `text` into pieces of at most `limit` characters, at sentence ends where possible."""
    start = 0
    while start < len(text):
        end = min(start + limit, len(text))
        if end < len(text):
            cut = max(text.rfind(stop, start, end) for stop in "。；！？")
            end = cut + 1 if cut > start else end
        yield text[start:end]
        start = end
