"""Rebuild `data/raw/`: a small, seeded sample of the government work report corpus.

The sample lets the README's main job run on a fresh clone. It takes reports with
both a review and a plan section (so roles can be read from structure), spread over
the four levels and recent years.

    python scripts/make_sample.py ../shared/corpus/gov-reports.tar.gz --out data/raw --per-level 12
"""

from __future__ import annotations

import argparse
import random
import re
import tarfile
from collections import defaultdict
from pathlib import Path

REVIEW = re.compile(r"回顾")
PLAN = re.compile(r"(安排|任务|重点|计划)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("archive", type=Path)
    parser.add_argument("--out", type=Path, default=Path("data/raw"))
    parser.add_argument("--per-level", type=int, default=12)
    parser.add_argument("--min-year", type=int, default=2012)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()

    candidates: dict[str, list[tuple[str, bytes]]] = defaultdict(list)
    with tarfile.open(args.archive, mode="r|*") as archive:
        for member in archive:
            parts = Path(member.name).parts
            if not member.isfile() or len(parts) != 3 or not parts[2][:4].isdigit():
                continue
            data = archive.extractfile(member).read()
            text = data.decode("utf-8")
            headings = [line for line in text.splitlines() if line.startswith(("**", "#"))]
            structured = any(REVIEW.search(h) for h in headings) and any(PLAN.search(h) for h in headings)
            if int(parts[2][:4]) >= args.min_year and structured and len(text) < 60000:
                candidates[parts[0]].append((member.name, data))

    rng = random.Random(args.seed)
    for level in sorted(candidates):
        pool = sorted(candidates[level])
        for name, data in rng.sample(pool, min(args.per_level, len(pool))):
            target = args.out / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    total = sum(f.stat().st_size for f in args.out.rglob("*.md"))
    print(f"wrote {len(list(args.out.rglob('*.md')))} reports, {total / 1e6:.1f} MB, under {args.out}")


if __name__ == "__main__":
    main()
