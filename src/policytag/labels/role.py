"""Role labelling rules: achievement / problem / plan from the structure of a report.

Each named rule looks at one kind of evidence and says a role or nothing:
- `problem_opener`: a problem statement near the paragraph's start (`我们也清醒看到…`);
- `subsection`: a deeper heading with an explicit cue (`存在问题`, `下一步工作计划`);
- `section_heading`: the top-level section's heading words (`工作回顾`, `工作安排`);
- `section_year`: the year in the top-level heading, read against the report's review
  year (in a 2024 report `2023年…` is review, `2024年…` is plan);
- `section_order`: a section with no cue carries the role of the section before it
  (`三、加强政府自身建设` after the plan);
- `text_cues`: wording (`力争`, `同比增长`);
- `report_default`: achievement for any paragraph under a heading other than its own
  run-in title, as reports and summaries report work done unless their structure
  says otherwise.
The combined role is the first rule in `precedence` that fires.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from policytag.runtime.checks import check_choices, check_patterns
from policytag.runtime.segment import Paragraph

ROLE_RULES = (
    "problem_opener",
    "subsection",
    "section_heading",
    "section_year",
    "section_order",
    "text_cues",
    "report_default",
)
_YEAR = re.compile(r"((?:19|20)\d\d)\s*年")


@dataclass(frozen=True)
class SectionCues:
    problem: list[str] = field(default_factory=list)
    review: list[str] = field(default_factory=list)
    plan: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TextCues:
    plan: list[str] = field(default_factory=list)
    achievement: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RoleRules:
    """Typed form of `configs/rules/role.yaml`."""

    section: SectionCues
    subsection: SectionCues
    problem_openers: list[str]
    text_cues: TextCues
    problem_opener_window: int = 80
    text_cue_margin: int = 2
    precedence: list[str] = field(default_factory=lambda: list(ROLE_RULES))

    def __post_init__(self) -> None:
        check_choices("precedence", self.precedence, ROLE_RULES)
        check_patterns("role rules", _all_patterns(self))


def _all_patterns(rules: RoleRules) -> list[str]:
    cues = (rules.section, rules.subsection)
    return [
        *(p for c in cues for p in (*c.problem, *c.review, *c.plan)),
        *rules.problem_openers,
        *rules.text_cues.plan,
        *rules.text_cues.achievement,
    ]


def _any(patterns: Sequence[str]) -> re.Pattern[str] | None:
    return re.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None


def _hit(pattern: re.Pattern[str] | None, text: str) -> bool:
    return bool(pattern and pattern.search(text))


class RoleLabeler:
    """Applies `RoleRules` to the paragraphs of one report at a time."""

    def __init__(self, rules: RoleRules) -> None:
        self.rules = rules
        self._section = {k: _any(getattr(rules.section, k)) for k in ("problem", "review", "plan")}
        self._subsection = {k: _any(getattr(rules.subsection, k)) for k in ("problem", "plan")}
        self._opener = _any(rules.problem_openers)
        self._text = {
            k: [re.compile(p) for p in getattr(rules.text_cues, k)] for k in ("plan", "achievement")
        }

    def label_report(self, paragraphs: Sequence[Paragraph], year: int | None) -> list[dict[str, str | None]]:
        """Per paragraph, each rule's vote (None where it abstains)."""
        sections = self._classify_sections(paragraphs, year)
        votes = []
        for p in paragraphs:
            by_words, by_year, by_order = sections.get(_top(p), (None, None, None))
            votes.append(
                {
                    "problem_opener": self.problem_opener(p),
                    "subsection": self.subsection(p),
                    "section_heading": by_words,
                    "section_year": by_year,
                    "section_order": by_order,
                    "text_cues": self.text_cues(p),
                    "report_default": "achievement" if p.headings_above else None,
                }
            )
        return votes

    def combine(self, votes: dict[str, str | None]) -> str | None:
        """The first vote in precedence order, or None."""
        return next((votes[r] for r in self.rules.precedence if votes.get(r)), None)

    def problem_opener(self, paragraph: Paragraph) -> str | None:
        head = paragraph.text[: self.rules.problem_opener_window]
        return "problem" if _hit(self._opener, head) else None

    def subsection(self, paragraph: Paragraph) -> str | None:
        for heading in reversed(paragraph.section_path[1:]):
            for role in ("problem", "plan"):
                if _hit(self._subsection[role], heading):
                    return role
        return None

    def text_cues(self, paragraph: Paragraph) -> str | None:
        score = {role: sum(len(p.findall(paragraph.text)) for p in pats) for role, pats in self._text.items()}
        plan, done = score["plan"], score["achievement"]
        if plan - done >= self.rules.text_cue_margin:
            return "plan"
        if done - plan >= self.rules.text_cue_margin:
            return "achievement"
        return None

    def _classify_sections(
        self, paragraphs: Sequence[Paragraph], year: int | None
    ) -> dict[str, tuple[str | None, str | None, str | None]]:
        """Top-level heading → role by its words, by its year, and carried from the one before."""
        tops = list(dict.fromkeys(t for t in map(_top, paragraphs) if t))
        by_words = {t: self._section_words(t) for t in tops}
        review_years = [y for t in tops if by_words[t] == "achievement" for y in _years(t)]
        anchor = max(review_years) if review_years else (year - 1 if year else None)
        result: dict[str, tuple[str | None, str | None, str | None]] = {}
        previous: str | None = None
        for top in tops:
            by_year = _role_by_year(top, anchor)
            by_order = previous if by_words[top] is None and by_year is None else None
            result[top] = (by_words[top], by_year, by_order)
            previous = by_words[top] or by_year or previous
            if previous == "problem":  # a problem section does not carry over to the next one
                previous = None
        return result

    def _section_words(self, heading: str) -> str | None:
        if _hit(self._section["problem"], heading):
            return "problem"
        if _hit(self._section["review"], heading):
            return "achievement"
        if _hit(self._section["plan"], heading):
            return "plan"
        return None


def _top(paragraph: Paragraph) -> str | None:
    return paragraph.section_path[0] if paragraph.section_path else None


def _years(text: str) -> list[int]:
    return [int(y) for y in _YEAR.findall(text)]


def _role_by_year(heading: str, review_year: int | None) -> str | None:
    years = _years(heading)
    if not years or review_year is None:
        return None
    return "plan" if max(years) > review_year else "achievement"
