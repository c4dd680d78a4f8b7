"""What a report's path and title say about it: report id, level, region, year."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

# The corpus lays reports out as `政府工作报告-<level>/<region>/<year>.md`.
LEVELS = {"国务院": "national", "省自治区": "province", "主要城市": "city", "其他地市": "prefecture"}
_LEVEL_FOLDER = re.compile(r"^政府工作报告-(.+)$")
_YEAR_SUFFIX = re.compile(r"_((?:19|20)\d\d)$")
_ANY_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")


@dataclass(frozen=True)
class ReportMeta:
    level: str | None
    region: str | None
    year: int | None


def report_meta(rel: PurePosixPath, title: str | None) -> ReportMeta:
    """Level, region and year from the path (corpus layout, `name_2019` files) or the title.
    National reports sit directly in their level folder (`政府工作报告-国务院/2024.md`): no region."""
    level = region = None
    parts = rel.parts
    if len(parts) >= 3 and _LEVEL_FOLDER.match(parts[-3]):
        level, region = _LEVEL_FOLDER.match(parts[-3]).group(1), parts[-2]
    elif len(parts) >= 2 and _LEVEL_FOLDER.match(parts[-2]):
        level = _LEVEL_FOLDER.match(parts[-2]).group(1)
    return ReportMeta(LEVELS.get(level, level) if level else None, region, _year(rel.stem, title))


def _year(stem: str, title: str | None) -> int | None:
    for pattern, text in ((_YEAR_SUFFIX, stem), (_ANY_YEAR, stem), (_ANY_YEAR, title or "")):
        match = pattern.search(text)
        if match:
            return int(match.group(1))
    return None


def report_ids(rels: Sequence[PurePosixPath]) -> list[str]:
    """Report ids: the file name without extension, or, where two files share a name
    (`上海市/2003.md`, `北京市/2003.md`), the path without extension, so ids stay unique."""
    stems = Counter(rel.stem for rel in rels)
    ids = [rel.stem if stems[rel.stem] == 1 else str(rel.with_suffix("")) for rel in rels]
    duplicates = [i for i, n in Counter(ids).items() if n > 1]
    if duplicates:  # the same path under two inputs: number them in input order
        seen: Counter[str] = Counter()
        for k, doc_id in enumerate(ids):
            if doc_id in duplicates:
                seen[doc_id] += 1
                ids[k] = f"{doc_id}~{seen[doc_id]}"
    return ids
