"""Seed-averaged paired comparison of two models, and scores per stratum."""

import json
import random

import pytest

from policytag.evaluation.seeds import compare_seeds, strata_scores

LABELS = ["achievement", "problem", "plan"]


def _gold(reports: int = 20, per_report: int = 10) -> list[dict]:
    rng = random.Random(3)
    return [
        {
            "id": f"r{r}#{k}",
            "doc_id": f"r{r}",
            "role": rng.choice(LABELS),
            "level": "city" if r % 2 else "province",
            "year": 2005 + r,
        }
        for r in range(reports)
        for k in range(per_report)
    ]


def _folder(tmp_path, name: str, gold: list[dict], wrong: float, seed: int, drop: set[str] = frozenset()):
    """An evaluation folder whose predictions miss a share `wrong` of the gold roles."""
    rng, folder = random.Random(seed), tmp_path / name
    folder.mkdir()
    with (folder / "predictions.jsonl").open("w", encoding="utf-8") as handle:
        for row in gold:
            pred = (
                row["role"] if rng.random() >= wrong else rng.choice([x for x in LABELS if x != row["role"]])
            )
            if row["id"] in drop:  # a paragraph this evaluation did not score
                continue
            record = {"id": row["id"], "doc_id": row["doc_id"], "role": pred, "gold_role": row["role"]}
            handle.write(json.dumps(record) + "\n")
    return folder


def test_a_better_model_is_ahead_and_the_interval_holds_the_difference(tmp_path):
    gold = _gold()
    good = [_folder(tmp_path, f"good{s}", gold, 0.05, s) for s in range(3)]
    poor = [_folder(tmp_path, f"poor{s}", gold, 0.4, 10 + s) for s in range(3)]
    result = compare_seeds(good, poor, "role", resamples=200)
    assert result.n == 200 and result.reports == 20
    assert len(result.a.per_seed) == 3 and result.a.mean == pytest.approx(sum(result.a.per_seed) / 3)
    assert result.low <= result.difference <= result.high
    assert result.low > 0 and result.a_ahead == 1.0
    assert result.a.low <= result.a.mean <= result.a.high


def test_the_same_predictions_differ_by_nothing_and_only_shared_paragraphs_count(tmp_path):
    gold = _gold()
    a = [_folder(tmp_path, "a", gold, 0.2, 1)]
    b = [_folder(tmp_path, "b", gold, 0.2, 1, drop={"r0#0", "r0#1"})]  # not found in context
    result = compare_seeds(a, b, "role", resamples=100)
    assert result.n == 198
    assert result.difference == 0 and result.low == 0 and result.high == 0


def test_strata_are_scored_and_thin_ones_flagged(tmp_path):
    gold = _gold()
    folders = [_folder(tmp_path, f"s{s}", gold, 0.0, s) for s in range(2)]
    table = strata_scores(folders, gold, lambda r: f"{r['level']} {r['year'] // 10 * 10}s", min_paragraphs=40)
    by = {e["stratum"]: e for e in table}
    assert sum(e["paragraphs"] for e in table) == 200
    assert by["city 2010s"]["role"] == 1.0  # perfect predictions
    assert by["city 2000s"]["paragraphs"] == 20 and by["city 2000s"]["thin"]  # reports 1, 3 (2006, 2008)
    assert by["province 2000s"]["paragraphs"] == 30 and by["province 2000s"]["thin"]  # 3 reports, 30 < 40
    assert not by["province 2010s"]["thin"]
