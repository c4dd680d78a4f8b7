"""Headings of Chinese work reports: numbering markers, levels and run-in titles.

Reports number their sections `一、` (level 1), `（一）` (level 2), `1.`/`1、` (level 3)
and `（1）` (level 4); department and township summaries also open items with `一是`,
`二是` (below every number and every `…以下工作：` lead-in). Titles are often run the title into the body on one line
(`（一）强化规范监管服务。一是…`) or several sections into one line
(`…仍然突出。四、存在的问题2023年，…`). All functions expect normalised text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from policytag.runtime.normalize import normalize

_CN_NUM = "一二三四五六七八九十"
LEAD_IN_LEVEL = 9  # `过去一年，我们主要做了以下工作：` sits below every numbered level
ENUMERATION_LEVEL = 10  # `一是…二是…` items sit below every number and lead-in
_MARKERS = (
    (1, re.compile(rf"第[{_CN_NUM}]{{1,3}}(?:部分|章|篇)[、．.：\s]?")),
    (1, re.compile(rf"[{_CN_NUM}]{{1,3}}[、．]")),
    (2, re.compile(rf"[（(][{_CN_NUM}]{{1,3}}[）)]")),
    (3, re.compile(r"\d{1,2}(?:[、．]|\.(?!\d))")),
    (4, re.compile(r"[（(]\d{1,2}[）)]")),
    (ENUMERATION_LEVEL, re.compile(rf"[{_CN_NUM}]{{1,2}}是(?![的否非])")),
)
# Mid-line, only the two upper levels open a new paragraph; `1.` items stay inside.
# Half-width stops count too: this also runs on raw text, before normalisation.
_INLINE_SPLIT = re.compile(rf"(?<=[。；;！!？?”」])\s*(?=[{_CN_NUM}]{{1,3}}、|[（(][{_CN_NUM}]{{1,3}}[）)])")
# A run-in title ends at sentence punctuation, a space, the next marker, an `一是`
# list, a colon, or a year or period that opens the body (`四、存在的问题2023年，…`,
# `…机构改革XXXX年，…` with the year redacted, `…工作情况1-6月份，…`).
_TITLE_END = re.compile(
    rf"[。！？：]|\s|[（(][{_CN_NUM}]{{1,3}}[）)]|[{_CN_NUM}]是"
    r"|(?<=[^\d\s]{2})(?:(?:19|20)\d\d|20[Xx*]{2}|[Xx*]{4})年|(?<=[^\d\s]{2})\d{1,2}-\d{1,2}月"
)
# Top-level titles also end after the words that close section names
# (`二、存在问题和下步工作打算近年来，…`); sub-titles run to their full stop.
_TOP_TITLE_END = re.compile(
    r"(?<=打算|计划|安排|思路|回顾|问题|不足|困难|短板|成效|情况|做法|目标)(?![，、和及与])"
)
# `二、三产业…` and `一、二等奖` list numbers, not sections; titles hold no clause
# breaks or figures (`二、三产业比例调整为18.06:81.94；…`).
_NOT_A_TITLE_START = re.compile(rf"[{_CN_NUM}][、产等]")
_NOT_A_TITLE = re.compile(r"[；;%]|\d[.:]\d")
# Summaries also open a section with an unnumbered title and a colon at a line's
# start (`存在的不足：一是…`, `下半年工作打算：…`).
_SUMMARY_TITLE = re.compile(
    r"[^，。：；\s]{0,8}?(?:工作完成情况|主要成效|工作开展情况|主要做法|存在的?(?:主要)?(?:问题|不足|困难)"
    r"|问题(?:和|与)不足|困难和问题|下一?步工作(?:打算|计划|安排|思路)|下(?:半年|季度)工作(?:打算|计划|安排|思路)"
    r"|明年工作(?:计划|打算)|工作思路)(?=：)"
)
_SENTENCE_PUNCT = re.compile(r"[。；！？]")


@dataclass(frozen=True)
class Heading:
    """A heading as found: its text and its level (1 is top)."""

    text: str
    level: int


def marker_level(text: str) -> tuple[int, int] | None:
    """`(level, marker_length)` when `text` starts with a section number or an `一是` item, else None."""
    for level, pattern in _MARKERS:
        match = pattern.match(text)
        if match:
            return level, match.end()
    return None


def starts_with_heading_marker(text: str) -> bool:
    """True when `text` opens with a section number such as `一、` or `（二）`, or an `一是` item."""
    return marker_level(text) is not None


def opens_numbered_section(text: str) -> bool:
    """True when `text` opens with a section number (`（一）`, `1.`), not an `一是` item."""
    found = marker_level(text)
    return found is not None and found[0] < ENUMERATION_LEVEL


@dataclass
class Outline:
    """The open headings while a report is read top to bottom."""

    headings: list[Heading] = field(default_factory=list)
    in_glossary: bool = False

    def close_to(self, level: int) -> None:
        """Close the open headings at `level` and below (a new sibling is coming)."""
        while self.headings and self.headings[-1].level >= level:
            self.headings.pop()

    def open(self, heading: Heading, glossary: bool) -> None:
        self.close_to(heading.level)
        self.headings.append(heading)
        if heading.level == 1 or glossary:
            self.in_glossary = glossary

    def path(self) -> tuple[str, ...]:
        return tuple(h.text for h in self.headings)


def split_inline_headings(line: str, max_title_chars: int) -> list[str]:
    """Split a line where a level-1 or level-2 section title follows a sentence end.

    A number alone is not enough (`…。二、三产比例为46:54，…` is a sentence): the text
    after it must read as a title of at most `max_title_chars`. Works on raw text as
    well as normalised text, so each piece can be traced to its raw form (for counting
    mojibake) before it is normalised.
    """
    cuts = [0]
    for match in _INLINE_SPLIT.finditer(line):
        head = normalize(line[match.end() : match.end() + 4 * max_title_chars], keep_spaces=True)
        if run_in_title(head, max_title_chars) is not None:
            cuts.append(match.end())
    cuts.append(len(line))
    return [line[a:b].strip() for a, b in zip(cuts, cuts[1:]) if line[a:b].strip()]


def run_in_title(text: str, max_chars: int) -> tuple[Heading, str] | None:
    """Split a numbered title (or a summary's `存在的不足：`) off the start of `text`:
    `(heading, rest)`, or None.

    `rest` is what follows the title, from the character that ended it (empty when the
    whole line is a bare heading). A title longer than `max_chars`, or one that reads
    as a sentence (a `；`, a figure), is not a heading but a numbered paragraph.
    """
    found = marker_level(text)
    if found is None:
        summary = _SUMMARY_TITLE.match(text)
        return (Heading(summary.group(), 1), text[summary.end() :]) if summary else None
    if _NOT_A_TITLE_START.match(text, found[1]):
        return None
    level, start = found
    # Searching from one past the marker lets a title open with a year (`一、2019年工作回顾`).
    end = _TITLE_END.search(text, start + 1)
    stop = end.start() if end else len(text)
    if level == 1:
        top_end = _TOP_TITLE_END.search(text, start + 1, stop)
        stop = top_end.start() if top_end else stop
    title = text[:stop].strip()
    if len(title) <= start or len(title) > max_chars or _NOT_A_TITLE.search(title):
        return None
    return Heading(title, level), text[stop:]


def bare_heading(text: str, max_chars: int) -> Heading | None:
    """A whole line that is a heading: numbered or not, short, with no sentence in it.

    A top-level section number allows twice the length (`二、聚焦“湾区枢纽、万象罗湖”
    新定位，立足新起点，…奋力推进罗湖全面振兴发展`), as plan sections title long.
    """
    found = marker_level(text)
    top = found is not None and found[0] == 1 and not text.endswith("：")
    if len(text) > max_chars * (2 if top else 1) or _SENTENCE_PUNCT.search(text):
        return None
    if text.endswith("："):
        return Heading(text, LEAD_IN_LEVEL)
    if "，" in text and found is None:
        return None
    return Heading(text, found[0] if found else 1)
