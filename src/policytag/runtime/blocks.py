"""A file's text as blocks (lines with their line numbers), before segmentation."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Block:
    """One line or paragraph of a file as read, before segmentation."""

    text: str
    line: int
    heading: bool = False


def text_blocks(text: str) -> list[Block]:
    """One block per non-empty line, stripped, with its 1-based line number."""
    return [
        Block(line.strip(), number) for number, line in enumerate(text.splitlines(), start=1) if line.strip()
    ]
