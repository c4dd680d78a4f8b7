"""JSONL, read and written in one place: labelled files (gold and prepared splits, DESIGN.md
contract 3), one object per line; every JSONL file policytag writes goes through `jsonl_line`."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from policytag.runtime.encoding import UnreadableFile, decode_bytes
from policytag.runtime.normalize import normalize
from policytag.runtime.windows import heading_path


def read_text(path: Path) -> str:
    """A text file as UTF-8 (a byte-order mark dropped), or else decoded the way report files
    are (UTF-16, GB18030); `ValueError` naming the file when it is binary, `FileNotFoundError`
    when missing."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")  # the contract's encoding: taken as it is, whatever it holds
    except UnicodeDecodeError:
        pass
    if not data.strip():
        return ""
    try:
        text, _ = decode_bytes(data)
    except UnreadableFile as err:
        raise ValueError(f"{path}: {err}; expected UTF-8 text") from None
    return text.lstrip("\ufeff")


def text_lines(path: Path) -> Iterator[tuple[int, str]]:
    """`(line number, line)` for every non-blank line of `read_text(path)`."""
    for number, line in enumerate(read_text(path).splitlines(), start=1):
        if line.strip():
            yield number, line


def read_labelled(path: Path) -> list[dict]:
    """Rows of a labelled JSONL (contract 3); a broken line is an error naming it."""
    rows = []
    for number, line in text_lines(path):
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            raise ValueError(f"{path}:{number}: not valid JSON ({err.msg})") from err
        if not isinstance(row, dict) or not isinstance(row.get("text"), str):
            raise ValueError(f"{path}:{number}: expected an object with a string `text`")
        rows.append(row)
    return rows


def record_path(row: dict) -> tuple[str, ...]:
    """A JSONL row's normalised heading path: its `section_path` (a list, top level first), else its
    `section` (one heading), as `evaluate` reads gold rows."""
    section = row.get("section_path") or row.get("section")
    headings = [section] if isinstance(section, str) else section if isinstance(section, list) else []
    return tuple(normalize(str(h)) for h in headings if h)


def jsonl_line(row: dict) -> str:
    """One JSON object as a JSONL line (UTF-8 text kept as it is, not escaped)."""
    return json.dumps(row, ensure_ascii=False) + "\n"


def write_jsonl(path: Path, rows: Iterable[dict], append: bool = False) -> int:
    """Write (or append) `rows` to `path`, one per line; returns how many."""
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("a" if append else "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(jsonl_line(row))
            count += 1
    return count


def row_path(row: dict, text: str) -> list[str]:
    """A labelled row's normalised heading path from its `section_path` or else its `section`."""
    return heading_path(list(record_path(row)), text)
