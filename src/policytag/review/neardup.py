"""Near-duplicate lookup by character shingles: which reference paragraph a text nearly repeats.

Reports repeat themselves from year to year, so a paragraph can reach a labelling set
through another report while its near twin sits in an evaluation set. Texts are compared
as sets of character 5-grams (after normalisation, without spaces and punctuation) by
Jaccard similarity; an inverted index over the reference shingles keeps a lookup cheap.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict

from policytag.runtime.normalize import normalize

_NOT_WORD = re.compile(r"[\W_]+")


def shingles(text: str, k: int = 5) -> set[str]:
    """The character k-grams of a normalised text stripped of spaces and punctuation."""
    bare = _NOT_WORD.sub("", normalize(text))
    if len(bare) <= k:
        return {bare} if bare else set()
    return {bare[i : i + k] for i in range(len(bare) - k + 1)}


class NearDuplicates:
    """Reference texts, indexed by shingle; `match` finds one that a text nearly repeats."""

    def __init__(self, texts: list[str], threshold: float = 0.8, k: int = 5) -> None:
        self.threshold, self.k = threshold, k
        self.texts: list[str] = []
        self.sizes: list[int] = []
        self.index: dict[str, list[int]] = defaultdict(list)
        for text in texts:
            self.add(text)

    def add(self, text: str) -> None:
        grams = shingles(text, self.k)
        if not grams:
            return
        number = len(self.texts)
        self.texts.append(text)
        self.sizes.append(len(grams))
        for gram in grams:
            self.index[gram].append(number)

    def __len__(self) -> int:
        return len(self.texts)

    def copy(self) -> NearDuplicates:
        """An independent index with the same texts (adding to it leaves this one as it is)."""
        twin = NearDuplicates([], self.threshold, self.k)
        twin.texts, twin.sizes = list(self.texts), list(self.sizes)
        twin.index.update((gram, list(numbers)) for gram, numbers in self.index.items())
        return twin

    def match(self, text: str) -> str | None:
        """The first reference text whose Jaccard similarity with `text` reaches the threshold."""
        grams = shingles(text, self.k)
        shared: Counter[int] = Counter()
        for gram in grams:
            shared.update(self.index.get(gram, ()))
        for number, common in shared.most_common():
            if common / (len(grams) + self.sizes[number] - common) >= self.threshold:
                return self.texts[number]
            if common < self.threshold * len(grams):  # fewer shared grams can no longer reach it
                break
        return None
