"""Draw a stratified set of corpus reports to label, and copy them out of the archive.

    python scripts/draw_label_reports.py ../shared/corpus --out DIR [--seed 17]

Strata are level × decade (2003–2024); within a stratum reports are drawn at random,
one per region before any region gets a second. Reports already shipped in `data/raw`
are left out. A tenth of each stratum (at least one report where the stratum has five
or more) is marked as the audit slice, which is never trained on. Writes the reports
under `DIR/train/` and `DIR/audit/` with their archive paths, and `DIR/draw.csv`.
"""

from __future__ import annotations

import argparse
import csv
import random
import tarfile
from collections import defaultdict
from pathlib import Path

# reports per (level folder, decade): national reports are few, prefectures start in 2012
QUOTA = {
    ("国务院", 2000): 3,
    ("国务院", 2010): 4,
    ("国务院", 2020): 3,
    ("省自治区", 2000): 15,
    ("省自治区", 2010): 18,
    ("省自治区", 2020): 15,
    ("主要城市", 2000): 14,
    ("主要城市", 2010): 20,
    ("主要城市", 2020): 16,
    ("其他地市", 2010): 28,
    ("其他地市", 2020): 40,
}


def draw(index: list[dict], shipped: set[str], seed: int) -> list[dict]:
    rng = random.Random(seed)
    strata = defaultdict(list)
    for row in index:
        year = int(row["year"])
        if 2003 <= year <= 2024 and row["path"] not in shipped:
            strata[(row["level"], year // 10 * 10)].append(row)
    chosen = []
    for key, quota in QUOTA.items():
        pool = strata[key][:]
        rng.shuffle(pool)
        seen: set[str] = set()
        first = [r for r in pool if not (r["region"] in seen or seen.add(r["region"]))]
        picked = (first + [r for r in pool if r not in first])[:quota]
        audit = max(1, round(quota / 10)) if quota >= 5 else 0
        for i, row in enumerate(picked):
            chosen.append({**row, "decade": key[1], "part": "audit" if i < audit else "train"})
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=17)
    args = parser.parse_args()
    index = list(csv.DictReader((args.corpus / "index.csv").open(encoding="utf-8")))
    shipped = {p.relative_to("data/raw").as_posix() for p in Path("data/raw").rglob("*.md")}
    chosen = draw(index, shipped, args.seed)
    wanted = {row["path"]: row for row in chosen}
    with tarfile.open(args.corpus / "gov-reports.tar.gz", "r|gz") as archive:
        for member in archive:
            row = wanted.get(member.name.removeprefix("./"))
            if row and member.isfile():
                target = args.out / row["part"] / row["path"]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(archive.extractfile(member).read())
    with (args.out / "draw.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["part", "level", "decade", "region", "year", "path"])
        writer.writeheader()
        writer.writerows({k: row[k] for k in writer.fieldnames} for row in chosen)
    print(f"{len(chosen)} reports ({sum(r['part'] == 'audit' for r in chosen)} audit) → {args.out}")


if __name__ == "__main__":
    main()
