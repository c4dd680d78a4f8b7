"""The provenance of tag parts: which export, backend and taxonomy tagged each Parquet part.

`policytag predict --out DIR/` writes one Parquet part per report, each recording in its schema
metadata the export's manifest hash, the backend and the taxonomy version (`policytag.*` keys).
A folder is one corpus tagged by one model: `--resume` and `summarize` refuse a folder whose
parts disagree, naming the odd ones, so a part copied in from another run is never counted.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq

PROVENANCE = ("manifest_sha256", "backend", "taxonomy_version")
PART_GLOB = "part-*.parquet"
MAX_NAMED = 5


class MixedParts(ValueError):
    """A folder of parts tagged by more than one model, backend or taxonomy."""


def part_provenance(path: Path) -> tuple[str, ...]:
    """A part's (manifest hash, backend, taxonomy version) from its schema metadata ('' when absent)."""
    meta = pq.read_schema(path).metadata or {}
    return tuple(meta.get(f"policytag.{key}".encode(), b"").decode() for key in PROVENANCE)


def check_parts(folder: Path, expected: dict[str, str] | None = None) -> dict[str, str] | None:
    """The provenance every part of `folder` shares (None without parts). Raises `MixedParts`
    naming the parts that differ from `expected` (the run about to add parts), or from the
    provenance most parts share."""
    parts = sorted(Path(folder).glob(PART_GLOB))
    if not parts:
        return None
    found = {part: part_provenance(part) for part in parts}
    if expected is not None:
        wanted = tuple(expected.get(key, "") for key in PROVENANCE)
    else:
        wanted = Counter(found.values()).most_common(1)[0][0]
    odd = [part.name for part, provenance in found.items() if provenance != wanted]
    if odd:
        more = f" and {len(odd) - MAX_NAMED} more" if len(odd) > MAX_NAMED else ""
        said = dict(zip(PROVENANCE, wanted))
        raise MixedParts(
            f"{folder}: {len(odd)} of {len(parts)} parts were not tagged by the same export, backend and "
            f"taxonomy ({', '.join(odd[:MAX_NAMED])}{more}; expected {said}); move them out, or tag "
            "the corpus into a new folder"
        )
    return dict(zip(PROVENANCE, wanted))
