"""`policytag predict` at corpus scale, measured side by side in one run.

    python scripts/bench_corpus.py EXPORT CORPUS_ARCHIVE --reports 300 --seed 13 --out DIR

1. Draws a stratified slice of the corpus archive: `--reports` reports, by level x decade
   (every stratum present: at least one report each, the rest in proportion), and unpacks
   it to DIR/slice/ under the corpus paths.
2. Tags the slice with the local engine, 1 worker: wall time, paragraphs/s, peak memory,
   and the whole corpus (`--corpus-paragraphs`) extrapolated from that rate.
3. Takes reports of the slice (seeded order) until they hold `--subset` paragraphs, copies
   them to DIR/subset/, and tags that with local 1 worker, local 2 workers and Ray
   (2 actors): throughput of each, the rows compared (identical, sorted by doc_id and
   index), peak memory per worker process / actor.

Each configuration runs `policytag predict` in its own process, writing a folder of Parquet
parts; its process tree is sampled with psutil (total and per-process peak RSS). paragraphs/s
counts the whole command (model loading and, for Ray, its start); `steady` counts only the
span between the first and the last part written (none when that is under 5 s); the whole
corpus is extrapolated from the slice's steady rate where there is one. Prints a Markdown table; DIR/bench.json.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tarfile
import time
from collections import defaultdict
from pathlib import Path, PurePosixPath

import pandas as pd
import pyarrow.parquet as pq

from policytag.data.metadata import report_meta

CORPUS_PARAGRAPHS = 194_293  # the 3,004-report corpus, segmented as `predict` does


def strata(archive: Path) -> dict[tuple[str, int], list[str]]:
    """Report members of the archive by (level, decade); members whose level or year is unknown
    are left out."""
    found = defaultdict(list)
    with tarfile.open(archive, "r|*") as tar:
        for member in tar:
            rel = PurePosixPath(member.name)
            if not member.isfile() or rel.suffix != ".md":
                continue
            meta = report_meta(rel, None)
            if meta.level and meta.year:
                found[(meta.level, meta.year // 10 * 10)].append(member.name)
    return dict(found)


def draw(groups: dict[tuple[str, int], list[str]], reports: int, seed: int) -> list[str]:
    """`reports` members: one per stratum, the rest in proportion to the strata's sizes
    (largest remainders), each stratum's drawn at random with `seed`."""
    total = sum(len(v) for v in groups.values())
    if reports < len(groups):
        raise SystemExit(f"--reports {reports}: fewer than the {len(groups)} strata; give at least that many")
    extra = reports - len(groups)
    quota = {k: (len(v) - 1) * extra / (total - len(groups)) for k, v in groups.items()}
    counts = {k: 1 + int(q) for k, q in quota.items()}
    for k in sorted(quota, key=lambda k: quota[k] - int(quota[k]), reverse=True)[
        : reports - sum(counts.values())
    ]:
        counts[k] += 1
    rng = random.Random(seed)
    return sorted(
        m for k in sorted(groups) for m in rng.sample(sorted(groups[k]), min(counts[k], len(groups[k])))
    )


def extract(archive: Path, members: list[str], out: Path) -> None:
    wanted = set(members)
    with tarfile.open(archive, "r|*") as tar:
        for member in tar:
            if member.name in wanted:
                target = out / member.name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(tar.extractfile(member).read())


def measure(name: str, export: Path, inputs: Path, out: Path, backend: str, extra: list[str]) -> dict:
    """Run one `policytag predict` in its own process tree; wall time, peaks, rows."""
    import psutil

    command = [sys.executable, "-m", "policytag.cli", "predict", str(export), str(inputs)]
    command += ["--out", f"{out}/", "--backend", backend, *extra]
    start = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    root, total_peak, per_process = psutil.Process(process.pid), 0, {}
    while process.poll() is None:
        try:
            tree = [root, *root.children(recursive=True)]
            sizes = {p.pid: (p.name(), " ".join(p.cmdline()), p.memory_info().rss) for p in tree}
        except psutil.Error:
            continue
        total_peak = max(total_peak, sum(s[2] for s in sizes.values()))
        for pid, (pname, cmd, rss) in sizes.items():
            old = per_process.get(pid, (pname, cmd, 0))
            per_process[pid] = (pname, cmd, max(old[2], rss))
        time.sleep(0.25)
    wall = time.monotonic() - start
    summary = process.stdout.read().strip().splitlines()[-1:] if process.stdout else []
    if process.returncode:
        raise SystemExit(f"{name}: policytag predict failed ({process.returncode}): {summary}")
    rows = pd.read_parquet(out)
    parts = sorted(out.glob("part-*.parquet"), key=lambda p: p.stat().st_mtime)
    span = parts[-1].stat().st_mtime - parts[0].stat().st_mtime if len(parts) > 1 else 0.0
    # after the first part, when the parts span long enough for file times to measure it
    steady = (len(rows) - pq.read_metadata(parts[0]).num_rows) / span if span >= 5 else None
    workers = sorted(
        [rss for _, cmd, rss in per_process.values() if "_Tagger" in cmd]  # Ray actors
        or [rss for _, cmd, rss in per_process.values() if "spawn_main" in cmd]  # worker processes
        or [per_process[root.pid][2]]
    )
    return {
        "name": name,
        "reports": int(rows["doc_id"].nunique()),
        "paragraphs": len(rows),
        "wall_s": round(wall, 1),
        "paragraphs_per_s": round(len(rows) / wall, 1),
        "steady_paragraphs_per_s": round(steady, 1) if steady else None,
        "peak_rss_total_mb": round(total_peak / 2**20),
        "peak_rss_per_worker_mb": [round(r / 2**20) for r in workers],
        "summary": summary[0] if summary else "",
    }


def subset(slice_rows: pd.DataFrame, slice_dir: Path, out: Path, paragraphs: int, seed: int) -> None:
    """Copy reports of the slice, in a seeded order, until they hold `paragraphs` paragraphs."""
    sizes = slice_rows.groupby("source").size()
    order = sorted(sizes.index)
    random.Random(seed).shuffle(order)
    held = 0
    for source in order:
        rel = Path(source).relative_to(slice_dir)
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, out / rel)
        held += int(sizes[source])
        if held >= paragraphs:
            return
    raise SystemExit(f"the slice holds only {held} paragraphs; fewer than --subset {paragraphs}")


def identical(folders: list[Path]) -> bool:
    frames = []
    for folder in folders:
        frame = pd.read_parquet(folder).sort_values(["doc_id", "index"]).reset_index(drop=True)
        frame["top_domains"] = frame["top_domains"].map(lambda v: json.dumps([list(d.values()) for d in v]))
        frame["section_path"] = frame["section_path"].map(lambda v: json.dumps(list(v)))
        frames.append(frame.drop(columns=["source"]))  # paths differ only by the folder tagged
    return all(frames[0].equals(f) for f in frames[1:])


def table(runs: list[dict]) -> str:
    lines = [
        "| run | reports | paragraphs | wall s | paragraphs/s | steady paragraphs/s | peak RSS MB "
        "(total) | peak RSS MB per worker |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        lines.append(
            f"| {r['name']} | {r['reports']} | {r['paragraphs']:,} | {r['wall_s']} | {r['paragraphs_per_s']} "
            f"| {r['steady_paragraphs_per_s']} | {r['peak_rss_total_mb']} | {r['peak_rss_per_worker_mb']} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("export", type=Path)
    parser.add_argument("archive", type=Path)
    parser.add_argument("--reports", type=int, default=300)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--subset", type=int, default=2000, help="paragraphs of the engine comparison")
    parser.add_argument("--backend", default="auto")
    parser.add_argument("--corpus-paragraphs", type=int, default=CORPUS_PARAGRAPHS)
    args = parser.parse_args()
    if args.out.exists() and any(args.out.iterdir()):
        raise SystemExit(f"{args.out}: not empty; give a new folder")
    groups = strata(args.archive)
    members = draw(groups, args.reports, args.seed)
    extract(args.archive, members, args.out / "slice")
    runs_dir = args.out / "runs"
    whole = measure(
        "slice, local, 1 worker", args.export, args.out / "slice", runs_dir / "slice", args.backend, []
    )
    subset(
        pd.read_parquet(runs_dir / "slice"), args.out / "slice", args.out / "subset", args.subset, args.seed
    )
    engines = [("local, 1 worker", []), ("local, 2 workers", ["--workers", "2"])]
    engines.append(("ray, 2 actors", ["--engine", "ray", "--workers", "2"]))
    compared = [
        measure(
            f"subset, {name}", args.export, args.out / "subset", runs_dir / f"subset-{i}", args.backend, extra
        )
        for i, (name, extra) in enumerate(engines)
    ]
    rate = whole["steady_paragraphs_per_s"] or whole["paragraphs_per_s"]
    result = {
        "strata": {f"{level} {decade}s": len(v) for (level, decade), v in sorted(groups.items())},
        "slice": members,
        "runs": [whole, *compared],
        "identical_rows": identical([runs_dir / f"subset-{i}" for i in range(len(engines))]),
        "workers_2_over_1": round(compared[1]["paragraphs_per_s"] / compared[0]["paragraphs_per_s"], 2),
        "ray_over_local_1": round(compared[2]["paragraphs_per_s"] / compared[0]["paragraphs_per_s"], 2),
        "corpus_hours_extrapolated": round(args.corpus_paragraphs / rate / 3600, 2),
    }
    (args.out / "bench.json").write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    print(table(result["runs"]))
    print(
        f"\nidentical rows (subset, 3 runs): {result['identical_rows']}; --workers 2 / 1: "
        f"{result['workers_2_over_1']}; ray / local 1: {result['ray_over_local_1']}; whole corpus "
        f"({args.corpus_paragraphs:,} paragraphs) at {rate} paragraphs/s: "
        f"{result['corpus_hours_extrapolated']} h"
    )


if __name__ == "__main__":
    main()
