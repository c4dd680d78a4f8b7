"""Selection strategies: which candidate paragraphs to label next.

Each strategy takes the candidates (task rows), the `Exclusions`, a seeded random
generator and, where it uses one, `predict` (texts → tags with `role_score` and
`top_domains`, as `Predictor.predict` gives). None returns a paragraph the exclusions
refuse, nor the same normalised text twice, nor more than `per_report` paragraphs of
one report.
"""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator

from policytag.review.exclusions import Exclusions
from policytag.review.neardup import NearDuplicates

Predict = Callable[[list[str]], list]


class _Picks:
    """The growing selection: enforces exclusions, distinct texts and the per-report cap."""

    def __init__(self, exclusions: Exclusions, per_report: int | None) -> None:
        self.exclusions, self.per_report = exclusions, per_report
        self.rows: list[dict] = []
        self.texts: set[str] = set()
        self.per_doc: Counter[str] = Counter()
        self.refused: set[str] = set()  # ids the exclusions refused: asked once each
        self.near = NearDuplicates([])  # the picks themselves: a text repeated across years counts once

    def eligible(self, row: dict) -> bool:
        if row["text"] in self.texts or row["id"] in self.refused:
            return False
        if self.per_report is not None and self.per_doc[row["doc_id"]] >= self.per_report:
            return False
        if not self.exclusions.allows(row) or self.near.match(row["text"]) is not None:
            self.refused.add(row["id"])
            return False
        return True

    def take(self, row: dict) -> None:
        self.rows.append(row)
        self.texts.add(row["text"])
        self.near.add(row["text"])
        self.per_doc[row["doc_id"]] += 1

    def eligible_stream(self, rows: Iterable[dict]) -> Iterator[dict]:
        return (row for row in rows if self.eligible(row))


def pick_random(
    candidates: list[dict], n: int, exclusions: Exclusions, rng: random.Random, per_report: int | None = None
) -> list[dict]:
    """`n` paragraphs drawn uniformly from the eligible candidates."""
    picks = _Picks(exclusions, per_report)
    for row in picks.eligible_stream(rng.sample(candidates, len(candidates))):
        picks.take(row)
        if len(picks.rows) == n:
            break
    return picks.rows


def margin(tag) -> float:
    """How sure the model is of a paragraph: the smaller of the two heads' margins between the
    first and second class (role: `2·p1 − 1`, a lower bound on its margin, as only the top
    role score is reported). Low is uncertain."""
    top = [score for _, score in tag["top_domains"]] + [0.0, 0.0]
    return min(2 * tag["role_score"] - 1, top[0] - top[1])


def pick_uncertain(
    candidates: list[dict],
    n: int,
    exclusions: Exclusions,
    rng: random.Random,
    predict: Predict,
    pool: int,
    per_report: int | None = None,
) -> tuple[list[dict], dict]:
    """The `n` least certain (`margin`) of a random pool of `pool` eligible candidates;
    also the tags of the whole pool by paragraph id."""
    screen = _Picks(exclusions, None)
    sample = []
    for row in screen.eligible_stream(rng.sample(candidates, len(candidates))):
        screen.take(row)
        sample.append(row)
        if len(sample) == pool:
            break
    tags = dict(zip((r["id"] for r in sample), predict([r["text"] for r in sample])))
    picks = _Picks(Exclusions(), per_report)  # the pool has been screened already
    for row in sorted(sample, key=lambda r: margin(tags[r["id"]])):
        if picks.eligible(row):
            picks.take(row)
            if len(picks.rows) == n:
                break
    return picks.rows, tags


def pick_diverse(
    candidates: list[dict],
    n: int,
    exclusions: Exclusions,
    rng: random.Random,
    per_report: int | None = None,
    predict: Predict | None = None,
) -> tuple[list[dict], dict]:
    """`n` paragraphs spread over levels, regions, years and reports (and, with `predict`, over
    predicted domains); also the tags computed on the way, by paragraph id.

    Reports are visited level by level in turn; within a level, the next report is the one
    whose region and year have been picked least so far. Each visit takes up to `per_report`
    paragraphs (default: `n` spread evenly over all reports), choosing with a model the
    paragraph whose predicted domain is rarest in the selection. When a round over all reports
    falls short and no cap was given, another round takes more from each."""
    by_report: dict[str, list[dict]] = defaultdict(list)
    for row in rng.sample(candidates, len(candidates)):
        by_report[row["doc_id"]].append(row)
    cap = per_report or max(1, math.ceil(n / max(len(by_report), 1)))
    picks = _Picks(exclusions, None)
    used: Counter = Counter()
    tags: dict = {}
    while len(picks.rows) < n:
        before = len(picks.rows)
        for doc_id in _report_order(by_report, used, rng):
            taken = _from_report(by_report[doc_id], min(cap, n - len(picks.rows)), picks, used, tags, predict)
            row = by_report[doc_id][0]
            used[("region", row["region"])] += taken
            used[("year", row["year"])] += taken
            if len(picks.rows) == n:
                break
        if per_report is not None or len(picks.rows) == before:
            break
    return picks.rows, tags


def _report_order(by_report: dict[str, list[dict]], used: Counter, rng: random.Random) -> Iterator[str]:
    """Report ids, levels in turn, the least used region and year first within a level."""
    levels: dict[str, list[str]] = defaultdict(list)
    for doc_id, rows in by_report.items():
        levels[str(rows[0]["level"])].append(doc_id)
    order = sorted(levels)
    rng.shuffle(order)
    while any(levels.values()):
        for level in order:
            remaining = levels[level]
            if not remaining:
                continue
            best = min(
                range(len(remaining)),
                key=lambda i: (
                    used[("region", by_report[remaining[i]][0]["region"])]
                    + used[("year", by_report[remaining[i]][0]["year"])]
                ),
            )
            yield remaining.pop(best)


def _from_report(
    rows: list[dict], quota: int, picks: _Picks, used: Counter, tags: dict, predict: Predict | None
) -> int:
    """Take up to `quota` eligible paragraphs of one report (shuffled already); returns how many."""
    fresh = [r for r in rows if r["text"] not in picks.texts]
    if predict is None:
        order: Iterable[dict] = fresh
    else:  # score a few more than needed and take the rarest predicted domains first
        sample = []
        for row in picks.eligible_stream(fresh):
            sample.append(row)
            if len(sample) == 4 * quota:
                break
        missing = [r for r in sample if r["id"] not in tags]
        tags.update(zip((r["id"] for r in missing), predict([r["text"] for r in missing])))
        order = _rarest_domain_first(sample, used, tags)
    taken = 0
    for row in order:
        if taken == quota:
            break
        if picks.eligible(row):  # again for a sample: two of its rows may repeat each other
            picks.take(row)
            taken += 1
            if row["id"] in tags:
                used[("domain", tags[row["id"]]["domain"])] += 1
    return taken


def _rarest_domain_first(sample: list[dict], used: Counter, tags: dict) -> Iterator[dict]:
    """The rows in turn, each time the one whose predicted domain has been picked least so far."""
    sample = list(sample)
    while sample:
        row = min(sample, key=lambda r: used[("domain", tags[r["id"]]["domain"])])
        sample.remove(row)
        yield row
