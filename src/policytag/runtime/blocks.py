"""A file's text as blocks (lines with their line numbers), before segmentation."""

from __future__ import annotations

from collections.abc import Callable, Iterable
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


def rejoin(blocks: Iterable[Block], continues: Callable[[Block, Block], bool]) -> list[Block]:
    """Join each block with the next while `continues(previous, next)` says the line wrapped
    inside a paragraph: the one line rejoiner (PDF pages and broken report lines use it)."""
    joined: list[Block] = []
    for block in blocks:
        if joined and continues(joined[-1], block):
            joined[-1] = Block(joined[-1].text + block.text, joined[-1].line)
        else:
            joined.append(block)
    return joined
