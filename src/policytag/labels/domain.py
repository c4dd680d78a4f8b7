"""Domain labelling rules: lexicons and heading cues for the 13 domains, by weighted vote.

Rules (each also scored alone in the rule report):
- `lexicon`: term hits in the paragraph text; votes the domain with most hits;
- `heading`: term hits in the headings above the paragraph, nearest weighing most;
- `general`: overall-summary cues, or hits spread over many domains with none dominant.
The combined label is the top weighted score when it is strong and clear enough;
otherwise none, because an unlabelled axis is better than a wrong label.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from policytag.runtime.checks import check_choices
from policytag.runtime.segment import Paragraph

DOMAIN_RULES = ("lexicon", "heading", "general")


@dataclass(frozen=True)
class DomainRules:
    """Typed form of `configs/rules/domain.yaml`."""

    lexicon: dict[str, list[str]]
    general_cues: list[str] = field(default_factory=list)
    heading_weight: float = 0.6
    general_cue_weight: float = 0.5
    spread_domains: int = 4
    spread_max_share: float = 0.35
    min_hits: int = 2
    min_score: float = 0.4
    min_margin: float = 0.15
    precedence: list[str] = field(default_factory=lambda: list(DOMAIN_RULES))

    def __post_init__(self) -> None:
        check_choices("precedence", self.precedence, DOMAIN_RULES)
        empty = [d for d, terms in self.lexicon.items() if not terms]
        if empty:
            raise ValueError(f"lexicon.{empty[0]}: no terms")


@dataclass(frozen=True)
class DomainEvidence:
    """What the rules saw in one paragraph, and the combined decision."""

    votes: dict[str, str | None]
    scores: dict[str, float]
    label: str | None


class DomainLabeler:
    """Applies `DomainRules` to paragraphs; `domains` are the taxonomy's ids."""

    def __init__(self, rules: DomainRules, domains: Sequence[str]) -> None:
        unknown = sorted(set(rules.lexicon) - set(domains))
        if unknown:
            raise ValueError(f"lexicon.{unknown[0]}: not a domain of the taxonomy ({', '.join(domains)})")
        self.rules = rules
        self.domains = tuple(domains)
        self._term_domains: dict[str, list[str]] = {}
        for domain, terms in rules.lexicon.items():
            for term in terms:
                self._term_domains.setdefault(term, []).append(domain)
        # Longest terms first: at each position the longest term wins, so `安全生产`
        # is one hit for safety rather than also a hit for the bare `安全`.
        ordered = sorted(self._term_domains, key=len, reverse=True)
        self._terms = re.compile("|".join(map(re.escape, ordered)))
        self._general = (
            re.compile("|".join(map(re.escape, rules.general_cues))) if rules.general_cues else None
        )

    def hits(self, text: str) -> Counter[str]:
        """Term hits per domain in `text`."""
        counts: Counter[str] = Counter()
        for term in self._terms.findall(text):
            counts.update(self._term_domains[term])
        return counts

    def label(self, paragraph: Paragraph) -> DomainEvidence:
        r = self.rules
        text_hits = self.hits(paragraph.text)
        heading_hits: Counter[str] = Counter()
        for distance, heading in enumerate(reversed(paragraph.headings_above)):
            for domain, n in self.hits(heading).items():
                heading_hits[domain] += n / (distance + 1)
        lexicon_share = _shares(text_hits)
        heading_share = _shares(heading_hits)
        general = self._general_vote(paragraph.text, text_hits, lexicon_share)

        scores = {
            d: lexicon_share.get(d, 0.0) + r.heading_weight * heading_share.get(d, 0.0) for d in self.domains
        }
        if general:
            scores["general"] = scores.get("general", 0.0) + r.general_cue_weight + r.min_margin
        votes = {
            "lexicon": _top(lexicon_share) if sum(text_hits.values()) >= r.min_hits else None,
            "heading": _top(heading_share),
            "general": general,
        }
        enough = sum(text_hits.values()) + sum(heading_hits.values()) >= r.min_hits or general
        return DomainEvidence(votes, scores, self._decide(scores) if enough else None)

    def _general_vote(self, text: str, hits: Counter[str], shares: dict[str, float]) -> str | None:
        r = self.rules
        if self._general and self._general.search(text[:60]):
            return "general"
        spread = sum(1 for n in hits.values() if n > 0) >= r.spread_domains
        if spread and max(shares.values(), default=0.0) <= r.spread_max_share:
            return "general"
        return None

    def _decide(self, scores: dict[str, float]) -> str | None:
        ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
        (best, top), runner_up = ranked[0], (ranked[1][1] if len(ranked) > 1 else 0.0)
        if top >= self.rules.min_score and top - runner_up >= self.rules.min_margin:
            return best
        return None


def _shares(counts: Counter[str]) -> dict[str, float]:
    total = sum(counts.values())
    return {d: n / total for d, n in counts.items()} if total else {}


def _top(shares: dict[str, float]) -> str | None:
    return max(shares, key=shares.__getitem__) if shares else None
