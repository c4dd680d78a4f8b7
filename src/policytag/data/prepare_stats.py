"""What `prepare` reports about a dataset: `stats.json`, and the labelling rules scored on gold."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

from policytag.io.jsonl import read_labelled
from policytag.labels.report import ScoredParagraph, rule_report
from policytag.runtime.normalize import normalize


def score_rules(paragraphs: list[dict], gold_path: Path) -> dict:
    """Match gold rows to paragraphs by (report id, normalised text), falling back to text."""
    gold_rows = read_labelled(gold_path)
    by_doc = {(g.get("doc_id"), normalize(g["text"])): g for g in gold_rows}
    by_text = {normalize(g["text"]): g for g in gold_rows}
    rows = []
    for p in paragraphs:
        gold = by_doc.get((p["doc_id"], p["text"])) or by_text.get(p["text"])
        votes = p.get("votes") or {"role": {}, "domain": {}}
        rows.append(ScoredParagraph(votes, {"role": p["role"], "domain": p["domain"]}, gold))
    report = rule_report(rows)
    report["gold_rows"] = len(gold_rows)
    return report


def dataset_stats(reports, skipped, paragraphs, schema, splits, annotations, overridden, started) -> dict:
    """`stats.json`: files read and skipped, encodings, coverage, hand annotations, splits."""

    def counts(axis: str, split: str | None = None) -> dict:
        rows = [p for p in paragraphs if split is None or p["split"] == split]
        table = {label: sum(1 for p in rows if p[axis] == label) for label in schema.labels(axis)}
        table["unlabelled"] = sum(1 for p in rows if not p[axis])
        return table

    split_names = sorted(set(splits.values()))
    n = len(paragraphs)
    return {
        "files_read": len(reports),
        "files_skipped": len(skipped),
        "skipped": skipped,
        "warnings": [f"{r.source}: {w}" for r in reports for w in r.warnings],
        "encodings": dict(Counter(r.encoding or "unknown" for r in reports)),
        "reports": len(splits),
        "paragraphs": n,
        "paragraphs_with_mojibake": sum(1 for p in paragraphs if p["mojibake"]),
        "mojibake_marks": sum(p["mojibake"] for p in paragraphs),
        "coverage": {axis: (n - counts(axis)["unlabelled"]) / n if n else 0.0 for axis in ("role", "domain")},
        "hand_annotations": {
            "loaded": len(annotations),
            "applied": overridden,
            "problems": annotations.problems,
        },
        "splits": {
            s: {
                "reports": sum(1 for v in splits.values() if v == s),
                "paragraphs": sum(1 for p in paragraphs if p["split"] == s),
                "role": counts("role", s),
                "domain": counts("domain", s),
            }
            for s in split_names
        },
        "seconds": round(time.perf_counter() - started, 1),
    }
