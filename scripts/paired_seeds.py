"""Compare two models trained with several seeds, on the same labelled paragraphs.

    python scripts/paired_seeds.py --a context EVAL_13 EVAL_14 EVAL_15 --b context-free EVAL_13 ...
    python scripts/paired_seeds.py --strata data/annotations/corpus-audit-heldout.jsonl EVAL_13 ...

Each EVAL is a `policytag evaluate` output folder of one seed. The first form prints, per
axis, each model's macro-F1 per seed, the seed mean with its 95% report-bootstrap interval,
and the paired difference of the means; the second, macro-F1 per level × decade (seed mean),
flagging strata too thin to say anything.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from policytag.evaluation.seeds import AXES, compare_seeds, strata_scores


def _paired(a_name: str, a: list[Path], b_name: str, b: list[Path], resamples: int) -> dict:
    print(
        f"| axis | n (reports) | {a_name} per seed | {a_name} mean [95%] | {b_name} per seed "
        f"| {b_name} mean [95%] | difference [paired 95%] | {a_name} ahead |"
    )
    print("|---|---:|---|---:|---|---:|---:|---:|")
    result = {}
    for axis in AXES:
        r = compare_seeds(a, b, axis, resamples)
        seeds = lambda s: " / ".join(f"{x:.3f}" for x in s.per_seed)  # noqa: E731
        print(
            f"| {axis} | {r.n} ({r.reports}) | {seeds(r.a)} | {r.a.mean:.3f} [{r.a.low:.3f}–{r.a.high:.3f}] "
            f"| {seeds(r.b)} | {r.b.mean:.3f} [{r.b.low:.3f}–{r.b.high:.3f}] "
            f"| {r.difference:+.3f} [{r.low:+.3f}, {r.high:+.3f}] | {r.a_ahead:.0%} |"
        )
        result[axis] = r.__dict__ | {"a": r.a.__dict__, "b": r.b.__dict__}
    return result


def _decade(row: dict) -> str:
    return f"{row.get('level')} × {str(row['year'])[:3]}0s" if row.get("year") else f"{row.get('level')} × ?"


def _strata(gold: Path, folders: list[Path]) -> list[dict]:
    rows = [json.loads(line) for line in gold.read_text(encoding="utf-8").splitlines() if line.strip()]
    table = strata_scores(folders, rows, _decade)
    print("| level × decade | paragraphs | reports | role macro-F1 | domain macro-F1 | |")
    print("|---|---:|---:|---:|---:|---|")
    for e in table:
        cells = [f"{e[a]:.3f}" if e[a] is not None else "–" for a in AXES]
        flag = "too thin to say" if e["thin"] else ""
        print(f"| {e['stratum']} | {e['paragraphs']} | {e['reports']} | {cells[0]} | {cells[1]} | {flag} |")
    return table


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--a", nargs="+", metavar=("NAME", "EVAL"), help="model a: a name, then its folders")
    parser.add_argument("--b", nargs="+", metavar=("NAME", "EVAL"), help="model b: a name, then its folders")
    parser.add_argument("--strata", type=Path, help="gold JSONL with level and year: scores per stratum")
    parser.add_argument("folders", nargs="*", type=Path, help="with --strata: the seeds' folders")
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    if args.strata:
        result = _strata(args.strata, args.folders)
    else:
        if not args.a or not args.b or len(args.a) < 2 or len(args.b) < 2:
            parser.error("give --a NAME EVAL... and --b NAME EVAL...")
        result = _paired(
            args.a[0], [Path(p) for p in args.a[1:]], args.b[0], [Path(p) for p in args.b[1:]], args.resamples
        )
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
