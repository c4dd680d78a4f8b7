"""Detect (and count, never repair) mojibake in raw report text.

Reports reach researchers after passing through web pages, PDFs and office suites;
text decoded with the wrong code page leaves tell-tale marks. Repair is not
attempted: the lost bytes are usually gone (`燃?xì)獍踩`), and a guessed repair
would put words in a government's mouth. Counting lets `prepare` report how much of
a corpus is damaged and lets a researcher find the paragraphs.
"""

from __future__ import annotations

import re

# Marks counted, each a sign of a wrong decoding:
# - U+FFFD, the replacement character a decoder writes for bytes it cannot read;
# - a `?` inside a run of Chinese characters or pinyin (not one that ends a
#   question), where an encoder dropped a character it could not write;
# - UTF-8 read as GBK: the lead bytes of “ ” 、 。 and full-width punctuation turn
#   into 鈥 銆 锛, which almost never occur in genuine modern text;
# - C1 control characters and private-use code points.
_MARKS = re.compile(
    r"\ufffd"
    r"|(?<=[\u3400-\u9fff\u00e0-\u01dc])\?+(?=[^\s”\"'）)」】])"
    r"|(?<=[a-z])\?+(?=[\u3400-\u9fff])"
    r"|[鈥銆锛]"
    r"|[\x80-\x9f\ue000-\uf8ff]"
)


def count_mojibake(text: str) -> int:
    """Number of mojibake marks in `text` (0 for clean text)."""
    return len(_MARKS.findall(text))
