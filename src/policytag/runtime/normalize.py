"""The one normalisation of report text, shared by `prepare`, training and the predictor.

Order matters and every step is idempotent, so `normalize(normalize(x)) == normalize(x)`:
1. Unicode NFKC: full-width letters, digits and ASCII punctuation become half-width.
2. Pinyin annotations after characters are dropped (`區(qū)` → `區`).
3. Traditional → simplified characters (OpenCC `t2s`).
4. Whitespace: removed next to Chinese characters and punctuation, collapsed elsewhere.
5. Chinese punctuation is made full-width again (`,` → `，`, `(` → `（`), while
   `1,000` and `10:30` keep their ASCII form.

Redaction placeholders (`X万元`, `xx个`, `*栋`) pass through untouched: they carry
meaning (a figure was there) and the model should see them as the annotators did.
"""

from __future__ import annotations

import functools
import re
import unicodedata

_TONE_VOWELS = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ"
_PINYIN_LETTERS = f"a-zü{_TONE_VOWELS}"
# A toned syllable in brackets is pinyin wherever it stands; the few toneless
# (neutral-tone) syllables only count straight after a Chinese character.
_PINYIN_TONED = re.compile(rf"\s*\((?=[{_PINYIN_LETTERS}]*[{_TONE_VOWELS}])[{_PINYIN_LETTERS}]{{1,7}}\)")
_PINYIN_NEUTRAL = re.compile(r"(?<=[\u3400-\u9fff])(?:\s*\((?:de|le|me|men|ne|ma|ba|zi|ge|tou|li)\))+")

_CJK = r"\u3400-\u9fff\uf900-\ufaff"
_CJK_PUNCT = r"\u3000-\u303f\uff01-\uff0f\uff1a-\uff20\u2014\u2026\u2018\u2019\u201c\u201d《》"
# ASCII punctuation that Chinese text writes full-width. Comma and colon keep their
# ASCII form between two digits (1,000 and 10:30); the others never appear there.
_FULLWIDTH = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！", "(": "（", ")": "）"}
_PUNCT_TO_FULLWIDTH = re.compile(r"(?<!\d)[,:]|[,:](?!\d)|[;?!()]")
# ASCII punctuation that step 5 widens counts as Chinese punctuation here, so that
# `46:54 ，` and `46:54，` end the same (and English loses the space after a comma).
_SPACE_NEAR_CJK = re.compile(rf"\s+(?=[{_CJK}{_CJK_PUNCT},;:?!()])|(?<=[{_CJK}{_CJK_PUNCT},;:?!()])\s+")
_SPACES = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2060\ufeff]")


@functools.cache
def _t2s():
    import opencc  # here, not at the top: code that only imports this module (benchmarks) needs no OpenCC

    return opencc.OpenCC("t2s")


def strip_pinyin(text: str) -> str:
    """Remove bracketed pinyin after characters: `區(qū)域` → `區域`."""
    return _PINYIN_NEUTRAL.sub("", _PINYIN_TONED.sub("", text))


def to_simplified(text: str) -> str:
    """Traditional → simplified characters with OpenCC (simplified text is unchanged)."""
    return _t2s().convert(text)


def unify_punctuation(text: str) -> str:
    """Write Chinese punctuation full-width, keeping ASCII inside numbers."""
    return _PUNCT_TO_FULLWIDTH.sub(lambda m: _FULLWIDTH[m.group()], text)


def normalize(text: str, keep_spaces: bool = False) -> str:
    """Return the canonical form of raw report text.

    With `keep_spaces`, runs of whitespace are collapsed to one space but kept, so the
    segmenter can still see a space that separates a run-in heading from its body.
    """
    text = _CONTROL.sub("", unicodedata.normalize("NFKC", text))
    text = to_simplified(strip_pinyin(text))
    # Spaces go before punctuation is widened: NFKC narrows it again on a second
    # pass, so the space rule must see the same characters both times.
    if not keep_spaces:
        text = _SPACE_NEAR_CJK.sub("", text)
    text = _SPACES.sub(" ", text).strip()
    return unify_punctuation(text)
