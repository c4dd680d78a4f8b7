"""Merge the 2026-12-06 round's reading passes into annotation files (run by a test).

    python scripts/merge_label_passes.py [--check]

Reads `data/annotations/passes/`: the second audit slice's two blind passes
(`audit2-NN.pass1.jsonl`, `audit2-NN.pass2.jsonl`) with the adjudication of their
disagreements (`audit2-adjudication.jsonl`), and the training batches (`train-NN.jsonl`, the
top-ups `thin-NN.jsonl` and `arranged-NN.jsonl`; one pass each, `picked_for` from
`PREFIX-picked-for.json`). Writes
`data/annotations/corpus-audit2-heldout.jsonl` and `data/annotations/corpus-round3.jsonl`
(with `--check`: only says whether they are up to date). No label is made here: a row
takes the label both readers gave, or the adjudicator's; `domain_alt` only where both
readers gave the same one.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

PASSES = Path("data/annotations/passes")
OUT = Path("data/annotations")
NATIONAL = None  # national reports have no region, as in corpus.jsonl
LEVELS = {"国务院": "national", "省自治区": "province", "主要城市": "city", "其他地市": "prefecture"}
LABELS = ("role", "domain", "domain_alt", "skip")


def read(path: Path) -> dict[str, dict]:
    return {row["id"]: row for row in map(json.loads, path.read_text(encoding="utf-8").splitlines())}


def describe(row: dict, labels: dict, **extra) -> dict:
    """An annotation row in the form of the other corpus files."""
    parts = row["doc_id"].split("/")
    region, year = (parts[1], parts[2]) if len(parts) == 3 else (NATIONAL, parts[1])
    out = {
        "id": row["id"],
        "doc_id": row["doc_id"],
        "text": row["text"],
        "section": row["section_path"][-1] if row["section_path"] else None,
        "section_path": row["section_path"],
        **{key: labels.get(key) for key in ("role", "domain", "domain_alt")},
        "level": LEVELS[parts[0].split("-", 1)[1]],
        "region": region,
        "year": int(year[:4]),  # a few report files are named YEAR-MONTH
        **extra,
    }
    if labels.get("skip"):
        out["skip"] = labels["skip"]
    return out


def same(a: dict, b: dict) -> bool:
    return bool(a.get("skip")) == bool(b.get("skip")) and (
        bool(a.get("skip")) or (a["role"], a["domain"]) == (b["role"], b["domain"])
    )


def audit_rows() -> list[dict]:
    decided = read(PASSES / "audit2-adjudication.jsonl")
    rows = []
    for first_path in sorted(PASSES.glob("audit2-*.pass1.jsonl")):
        first, second = read(first_path), read(Path(str(first_path).replace(".pass1.", ".pass2.")))
        for key, a in first.items():
            b = second[key]
            if same(a, b):
                labels = {**{k: a.get(k) for k in LABELS}, "domain_alt": a.get("domain_alt")}
                if a.get("domain_alt") != b.get("domain_alt"):
                    labels["domain_alt"] = None
                rows.append(describe(a, labels, selected_by="random", round=3, **{"pass": 2}))
            else:
                rows.append(describe(a, decided[key], selected_by="random", round=3, **{"pass": 3}))
    return rows


BATCHES = ("train", "thin", "arranged")  # the round's training draws, in the order they were made


def train_rows() -> list[dict]:
    picked_for = {}
    for prefix in BATCHES:
        if (PASSES / f"{prefix}-picked-for.json").is_file():
            picked_for |= json.loads((PASSES / f"{prefix}-picked-for.json").read_text(encoding="utf-8"))
    rows = []
    for path in [path for prefix in BATCHES for path in sorted(PASSES.glob(f"{prefix}-[0-9][0-9].jsonl"))]:
        for row in read(path).values():
            extra = {"selected_by": "targeted", "picked_for": picked_for[row["id"]], "round": 3, "pass": 1}
            rows.append(describe(row, row, **extra))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="Only check that the files are up to date.")
    args = parser.parse_args()
    stale = []
    for name, rows in (("corpus-audit2-heldout.jsonl", audit_rows()), ("corpus-round3.jsonl", train_rows())):
        text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
        target = OUT / name
        if args.check:
            if not target.is_file() or target.read_text(encoding="utf-8") != text:
                stale.append(str(target))
            continue
        target.write_text(text, encoding="utf-8")
        print(f"{target}: {len(rows)} rows")
    if stale:
        sys.exit(f"not up to date: {', '.join(stale)}; run python scripts/merge_label_passes.py")


if __name__ == "__main__":
    main()
