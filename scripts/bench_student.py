"""A teacher export against its distilled student, side by side in one process, on the same paragraphs.

    python scripts/bench_student.py TEACHER STUDENT --data paragraphs.jsonl [--paragraphs 1000]

Both are loaded with backend `auto` (each export's fastest), warmed up on 32 paragraphs, then
tag the same seeded sample of paragraphs, each with its heading path, twice in alternation;
the better time of each counts. Prints one JSON line: paragraphs per second of each, the
student's speed-up, and how often the two agree on role and on domain.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

from policytag import Predictor
from policytag.io.jsonl import read_labelled


def timed(predictor: Predictor, texts: list[str], sections: list) -> tuple[float, list]:
    started = time.perf_counter()
    tags = predictor.predict(texts, sections)
    return time.perf_counter() - started, tags


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("teacher", type=Path)
    parser.add_argument("student", type=Path)
    parser.add_argument("--data", type=Path, required=True, help="paragraphs.jsonl of a prepared corpus")
    parser.add_argument("--paragraphs", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()

    rows = read_labelled(args.data)
    rows = random.Random(args.seed).sample(rows, min(args.paragraphs, len(rows)))
    texts = [r["text"] for r in rows]
    sections = [r.get("section_path") or [] for r in rows]
    models = {"teacher": Predictor.load(args.teacher), "student": Predictor.load(args.student)}
    for predictor in models.values():
        predictor.predict(texts[:32], sections[:32])
    best: dict[str, float] = {}
    tags: dict[str, list] = {}
    for _ in range(2):
        for name, predictor in models.items():
            seconds, tags[name] = timed(predictor, texts, sections)
            best[name] = min(best.get(name, seconds), seconds)
    speed = {name: len(texts) / s for name, s in best.items()}
    teacher, student = tags["teacher"], tags["student"]
    print(
        json.dumps(
            {
                "paragraphs": len(texts),
                "backends": {name: p.backend for name, p in models.items()},
                "paragraphs_per_s": {name: round(v, 1) for name, v in speed.items()},
                "speed_up": round(speed["student"] / speed["teacher"], 2),
                "role_agreement": round(
                    sum(a.role == b.role for a, b in zip(teacher, student)) / len(texts), 4
                ),
                "domain_agreement": round(
                    sum(a.domain == b.domain for a, b in zip(teacher, student)) / len(texts), 4
                ),
            }
        )
    )


if __name__ == "__main__":
    main()
