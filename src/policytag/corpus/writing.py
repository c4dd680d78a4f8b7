"""Tags from the Python API written as `predict` writes rows: .jsonl, .csv or .parquet (by suffix)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from policytag.corpus.schema import COLUMNS
from policytag.corpus.sinks import FileSink
from policytag.io.locks import OutputInUse
from policytag.runtime.tagging import Tag

__all__ = ["COLUMNS", "OutputInUse", "write_tags"]


def write_tags(path: Path, tags: Iterable[Tag], meta: dict[str, str] | None = None) -> int:
    """Write tags to `path` as they come, atomically; returns the number of rows. The columns
    are `COLUMNS` (`level`, `region`, `year`, `source` empty: a tag does not know its report).

    The rows go to a staging file of this writer's own; `path` is replaced only when all are
    written. A second writer to the same `path` meanwhile gets `OutputInUse`."""
    sink = FileSink(path, meta or {})
    ok = False
    try:
        for tag in tags:
            row = tag.to_dict()
            sink.add(None, [{key: row.get(key) for key in COLUMNS}])
        ok = True
    finally:
        sink.close(ok)
    return sink.rows
