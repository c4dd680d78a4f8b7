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
    in every other position); strict GB18030 (a superset of GBK and GB2312); and last
    charset-normalizer's best guess. Raises `UnreadableFile` for empty or binary data.
    """
    if not data.strip():
        raise UnreadableFile("empty file")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _strict(data, encoding), encoding
    for encoding in ("utf-8", _utf16_without_bom(data), "gb18030"):
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
        raise UnreadableFile(f"starts with a {encoding} byte-order mark but is not {encoding}: {err}") from err


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
