"""Bytes → text for report files whose encoding nobody wrote down."""

from __future__ import annotations

import codecs


class UnreadableFile(ValueError):
    """A file that holds no text we can read; the message says why."""


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode report bytes, returning `(text, encoding)`.

    Tries, in order: a byte-order mark; strict UTF-8; UTF-16 without a mark (NUL bytes
    in every other position, or, for text without ASCII, a strict decoding that reads as
    Chinese); strict GB18030 (a superset of GBK and GB2312); and last charset-normalizer's
    best guess. Raises `UnreadableFile` for empty or binary data.
    """
    if not data.strip():
        raise UnreadableFile("empty file")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _strict(data, encoding), encoding
    for encoding in ("utf-8", _utf16_without_bom(data) or _chinese_utf16(data), "gb18030"):
        if encoding is None:
            continue
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if not _looks_binary(text):
            return text, encoding
    if b"\x00" in data[:4096]:
        raise UnreadableFile("binary file (NUL bytes), not text")
    from charset_normalizer import from_bytes  # rare encodings only; the standalone predictor may lack it

    best = from_bytes(data).best()
    if best is None or _looks_binary(str(best)):
        raise UnreadableFile("binary file: no text encoding fits its bytes")
    return str(best), best.encoding


def _looks_binary(text: str) -> bool:
    """True when over 2% of a sample are control or private-use characters."""
    sample = text[:20000]
    odd = sum(1 for ch in sample if (ch < " " and ch not in "\n\r\t\f") or "\ue000" <= ch <= "\uf8ff")
    return odd > 0.02 * len(sample)


def _strict(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as err:
        raise UnreadableFile(
            f"starts with a {encoding} byte-order mark but is not {encoding}: {err}"
        ) from err


def _chinese_utf16(data: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' when the bytes decode strictly to text that is mostly Chinese.

    UTF-16 Chinese without ASCII has no NUL lanes to find. GBK or GB18030 bytes read as
    UTF-16 fall mostly outside the CJK block (Hangul, Yi, private use, broken surrogates),
    so a text of at least 30% CJK ideographs and nothing but CJK, punctuation, ASCII and
    full-width forms is taken as UTF-16."""
    if len(data) % 2:
        return None
    for encoding in ("utf-16-le", "utf-16-be"):
        try:
            sample = data[:8192].decode(encoding)
        except UnicodeDecodeError:
            continue
        if _mostly_chinese(sample):
            return encoding
    return None


def _mostly_chinese(text: str) -> bool:
    chars = [ch for ch in text if not ch.isspace()]
    if not chars:
        return False
    ideographs = sum(1 for ch in chars if "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf")
    plain = sum(
        1
        for ch in chars
        if " " < ch < "\x7f"
        or "\u3000" <= ch <= "\u303f"
        or "\uff00" <= ch <= "\uffef"
        or "\u2000" <= ch <= "\u206f"
    )
    return ideographs >= 0.3 * len(chars) and ideographs + plain >= 0.97 * len(chars)


def _utf16_without_bom(data: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' when NULs sit in one byte lane, as ASCII in UTF-16 does."""
    sample = data[:4096]
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    half = len(sample) // 2 or 1
    if odd / half > 0.2 and even == 0:
        return "utf-16-le"
    if even / half > 0.2 and odd == 0:
        return "utf-16-be"
    return None
