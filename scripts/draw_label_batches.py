"""Draw the 2026-12-06 labelling round from the corpus: a second audit slice and training picks.

    python scripts/draw_label_batches.py CORPUS_DIR --out DIR [--seed 31]

CORPUS_DIR is the unpacked `gov-reports.tar.gz`. Reports already used anywhere (the shipped
sample, every file in `data/annotations/`) are left out; so are paragraphs that nearly repeat
(character 5-gram Jaccard ≥ 0.8) one of the dev gold or of a held-out file.

- `heldout`: 34 further reports, level × decade strata from the 1990s to the 2020s, one report
  per region before any region gets a second; 26 paragraphs per report at random.
- `train`: from other unused reports, candidates where the model is weak, picked by their
  surface only (the readers decide every label): completed work that opens like an arrangement
  (numbered titles with 扎实/持续/加快/… or 一是 items under a review heading), problems stated
  as work items, the thin domains (by heading or text words), and long paragraphs. At most
  ten picks per report.

With `--thin`, a top-up instead: paragraphs that open on work safety and emergencies or on
innovation (by their first 40 characters, or three of the words anywhere), from unused
reports and from the training reports above but never the same paragraph twice, written as
`DIR/thin-*.jsonl`.

Writes `DIR/heldout-*.jsonl` and `DIR/train-*.jsonl` batches (id, doc_id, section_path, text;
no labels of any kind), grouped by report and in report order, and `DIR/draw.json`.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
from collections import defaultdict
from pathlib import Path

from policytag.data.documents import iter_documents
from policytag.review.neardup import NearDuplicates

ANNOTATIONS = Path("data/annotations")
GOLD = Path("data/gold/dev.jsonl")

HELDOUT_QUOTA = {
    ("国务院", 2000): 1, ("国务院", 2010): 1, ("国务院", 2020): 1,
    ("省自治区", 1990): 1, ("省自治区", 2000): 3, ("省自治区", 2010): 3, ("省自治区", 2020): 3,
    ("主要城市", 1990): 1, ("主要城市", 2000): 3, ("主要城市", 2010): 3, ("主要城市", 2020): 3,
    ("其他地市", 2010): 5, ("其他地市", 2020): 6,
}  # fmt: skip
PER_HELDOUT_REPORT = 26

REVIEW = re.compile(r"回顾|过去|以来|成绩|成效|主要工作|总结|一年来|五年来")
AHEAD = re.compile(r"安排|任务|计划|打算|建议|目标|要求|展望|思路|重点工作|主要工作和|今年|明年")
ARRANGED = re.compile(
    r"^(?:[（(][一二三四五六七八九十\d]+[)）]|[一二三四五六七八九十\d]+[、.．])?\s*"
    r"(?:扎实|持续|加快|强化|推进|着力|深入|全面|大力|加大|不断|积极|坚持|突出|狠抓|抓好|做好|统筹)"
)
ITEMS = re.compile(r"一是.{4,}二是")
PROBLEM_HEAD = re.compile(r"问题|不足|困难|短板|挑战|差距")
PROBLEM_TEXT = re.compile(r"问题|不足|短板|困难|差距|薄弱|不够|不高|不强|滞后|偏低|压力")
THIN = {
    "safety": re.compile(r"安全生产|应急|消防|防汛|抗旱|森林防火|地质灾害|食品药品|危化|燃气|防灾|减灾"),
    "innovation": re.compile(r"科技创新|研发|高新技术|人才|专利|实验室|创新平台|科技"),
    "governance": re.compile(r"法治|信访|矛盾纠纷|社会治理|平安|扫黑|诈骗|网格|基层治理|普法|治安"),
    "culture_edu": re.compile(r"教育|学校|文化|旅游|体育|文物|非遗|图书馆"),
    "ecology": re.compile(r"生态|污染|环保|绿化|大气|水质|碳|节能"),
    "rural": re.compile(r"农业|农村|乡村|粮食|脱贫|扶贫|农民"),
}
WANT = {"arranged": 1300, "problem": 700, "safety": 420, "innovation": 260, "governance": 220,
        "culture_edu": 120, "ecology": 70, "rural": 70, "long": 300}  # fmt: skip
PER_TRAIN_REPORT = 10
THIN_OPENING = {
    "safety": re.compile(
        r"安全生产|应急|消防|防汛|抗旱|防灾|减灾|食品安全|药品安全|危化|地质灾害|森林防火|安全隐患"
    ),
    "innovation": re.compile(r"科技创新|创新驱动|研发|高新技术企业|科技成果|专利|实验室|创新平台|人才引进"),
}
WANT_THIN = {"safety": 620, "innovation": 120}


def used_reports() -> set[str]:
    used = {p.relative_to("data/raw").with_suffix("").as_posix() for p in Path("data/raw").rglob("*.md")}
    for path in ANNOTATIONS.rglob("*.jsonl"):
        for line in path.open(encoding="utf-8"):
            row = json.loads(line)
            used.add(row.get("doc_id") or row["id"].split("#")[0])
    return used


def reference_texts() -> NearDuplicates:
    texts = [json.loads(line)["text"] for line in GOLD.open(encoding="utf-8")]
    for path in ANNOTATIONS.glob("*heldout*.jsonl"):
        texts += [json.loads(line)["text"] for line in path.open(encoding="utf-8")]
    return NearDuplicates(texts)


def draw_heldout(index: list[dict], used: set[str], rng: random.Random) -> list[dict]:
    strata = defaultdict(list)
    for row in index:
        if row["path"].removesuffix(".md") not in used:
            strata[(row["level"], int(row["year"]) // 10 * 10)].append(row)
    chosen = []
    for key, quota in HELDOUT_QUOTA.items():
        pool = strata[key][:]
        rng.shuffle(pool)
        seen: set[str] = set()
        first = [r for r in pool if not (r["region"] in seen or seen.add(r["region"]))]
        chosen += (first + [r for r in pool if r not in first])[:quota]
    return chosen


def paragraphs(root: Path, rows: list[dict]) -> dict[str, list[dict]]:
    """Each report's paragraphs as rows (id, doc_id, section_path, text)."""
    out: dict[str, list[dict]] = {}
    for document in iter_documents([root / row["path"] for row in rows]):
        doc_id = Path(document.source).relative_to(root).with_suffix("").as_posix()
        out[doc_id] = [
            {
                "id": f"{doc_id}#{p.index:04d}",
                "doc_id": doc_id,
                "section_path": list(p.section_path),
                "text": p.text,
            }
            for p in document.paragraphs
            if len(p.text) >= 20
        ]
    return out


def kinds(row: dict) -> list[str]:
    """The training kinds a paragraph is a candidate for, by its surface alone."""
    path, text = " ".join(row["section_path"]), row["text"]
    review = bool(REVIEW.search(path)) and not AHEAD.search(path)
    found = []
    if review and (ARRANGED.match(text) or ITEMS.search(text[:200])):
        found.append("arranged")
    if PROBLEM_HEAD.search(path) or (
        review and PROBLEM_TEXT.search(text[:60]) and not text.startswith("我们也")
    ):
        found.append("problem")
    found += [name for name, words in THIN.items() if words.search(path) or len(words.findall(text)) >= 2]
    if len(text) >= 500:
        found.append("long")
    return found


def draw_train(by_report: dict[str, list[dict]], rng: random.Random, near: NearDuplicates) -> list[dict]:
    pools: dict[str, list[dict]] = defaultdict(list)
    for rows in by_report.values():
        for row in rows:
            for kind in kinds(row):
                pools[kind].append(row)
    picked: dict[str, dict] = {}
    per_report: dict[str, int] = defaultdict(int)
    for kind, want in WANT.items():
        pool = pools[kind][:]
        rng.shuffle(pool)
        taken = 0
        for row in pool:
            if taken >= want:
                break
            if (
                row["id"] in picked
                or per_report[row["doc_id"]] >= PER_TRAIN_REPORT
                or near.match(row["text"])
            ):
                continue
            picked[row["id"]] = {**row, "picked_for": kind}
            per_report[row["doc_id"]] += 1
            taken += 1
    return list(picked.values())


def draw_thin(
    by_report: dict[str, list[dict]],
    rng: random.Random,
    near: NearDuplicates,
    taken: set[str],
    want: dict[str, int],
) -> list[dict]:
    picked: list[dict] = []
    per_report: dict[str, int] = defaultdict(int)
    rows = [row for rows in by_report.values() for row in rows if row["id"] not in taken]
    rng.shuffle(rows)
    for kind, count_wanted in want.items():
        if kind == "arranged":
            pool = [r for r in rows if "arranged" in kinds(r)]
        else:
            words = THIN_OPENING[kind]
            pool = [r for r in rows if words.search(r["text"][:40]) or len(words.findall(r["text"])) >= 3]
        count = 0
        for row in pool:
            if count >= count_wanted:
                break
            if row["id"] in taken or per_report[row["doc_id"]] >= 4 or near.match(row["text"]):
                continue
            picked.append({**row, "picked_for": kind})
            taken.add(row["id"])
            per_report[row["doc_id"]] += 1
            count += 1
    return picked


def labelled_ids() -> set[str]:
    ids = set()
    for path in ANNOTATIONS.rglob("*.jsonl"):
        ids |= {json.loads(line)["id"] for line in path.open(encoding="utf-8")}
    return ids


def write_batches(rows: list[dict], out: Path, prefix: str, size: int) -> list[str]:
    """Rows grouped by report, reports shuffled, cut into batches of about `size` at report bounds."""
    by_doc: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_doc[row["doc_id"]].append(row)
    batches, current = [], []
    for doc_id in by_doc:
        current += sorted(by_doc[doc_id], key=lambda r: r["id"])
        if len(current) >= size:
            batches.append(current)
            current = []
    if current:
        batches.append(current)
    names = []
    for number, batch in enumerate(batches, 1):
        name = f"{prefix}-{number:02d}.jsonl"
        with (out / name).open("w", encoding="utf-8") as handle:
            for row in batch:
                keep = {k: row[k] for k in ("id", "doc_id", "section_path", "text")}
                handle.write(json.dumps(keep, ensure_ascii=False) + "\n")
        names.append(name)
    return names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=31)
    parser.add_argument("--train-reports", type=int, default=700)
    parser.add_argument("--thin", action="store_true", help="Draw the thin-domain top-up instead.")
    parser.add_argument(
        "--want", action="append", default=[], help="With --thin: KIND=N instead of the defaults."
    )
    parser.add_argument("--prefix", default="thin", help="With --thin: the batch files' prefix.")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    index = list(csv.DictReader((args.corpus / "index.csv").open(encoding="utf-8")))
    if args.thin:
        return main_thin(args, index, rng)
    used = used_reports()
    near = reference_texts()
    heldout = draw_heldout(index, used, rng)
    held_rows = []
    for rows in paragraphs(args.corpus, heldout).values():
        rows = [r for r in rows if not near.match(r["text"])]
        held_rows += sorted(rng.sample(rows, min(PER_HELDOUT_REPORT, len(rows))), key=lambda r: r["id"])
    used |= {row["path"].removesuffix(".md") for row in heldout}
    rest = [row for row in index if row["path"].removesuffix(".md") not in used]
    near_all = reference_texts()
    for row in held_rows:
        near_all.add(row["text"])
    train_reports = rng.sample(rest, min(args.train_reports, len(rest)))
    train_rows = draw_train(paragraphs(args.corpus, train_reports), rng, near_all)
    args.out.mkdir(parents=True, exist_ok=True)
    draw = {
        "seed": args.seed,
        "heldout_reports": [row["path"] for row in heldout],
        "heldout_batches": write_batches(held_rows, args.out, "heldout", 300),
        "train_batches": write_batches(train_rows, args.out, "train", 300),
        "train_picked_for": {row["id"]: row["picked_for"] for row in train_rows},
    }
    (args.out / "draw.json").write_text(json.dumps(draw, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"heldout: {len(held_rows)} paragraphs, {len(heldout)} reports; train: {len(train_rows)} picks")


def main_thin(args: argparse.Namespace, index: list[dict], rng: random.Random) -> None:
    """The thin-domain top-up: reports not held out anywhere, paragraphs not labelled yet."""
    heldout = set()
    for path in [*ANNOTATIONS.glob("*heldout*.jsonl"), GOLD]:
        heldout |= {json.loads(line).get("doc_id") for line in path.open(encoding="utf-8")}
    near = reference_texts()
    for path in ANNOTATIONS.glob("*heldout*.jsonl"):
        for line in path.open(encoding="utf-8"):
            near.add(json.loads(line)["text"])
    pool = [row for row in index if row["path"].removesuffix(".md") not in heldout]
    reports = rng.sample(pool, min(args.train_reports, len(pool)))
    want = {k: int(v) for k, v in (item.split("=") for item in args.want)} or WANT_THIN
    rows = draw_thin(paragraphs(args.corpus, reports), rng, near, labelled_ids(), want)
    args.out.mkdir(parents=True, exist_ok=True)
    draw = {"seed": args.seed, "batches": write_batches(rows, args.out, args.prefix, 360),
            "picked_for": {row["id"]: row["picked_for"] for row in rows}}  # fmt: skip
    (args.out / f"draw-{args.prefix}.json").write_text(
        json.dumps(draw, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    print(f"thin-domain top-up: {len(rows)} picks")


if __name__ == "__main__":
    main()
