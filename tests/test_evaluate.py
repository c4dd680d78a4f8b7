"""Evaluation: metrics against hand computation, gold-file problems, pictures, the CLI."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from conftest import DATA, glyph_warnings
from policytag.cli import app
from policytag.data.gold import GoldError, read_gold
from policytag.stats.metrics import (
    axis_metrics,
    bootstrap_intervals,
    expected_calibration_error,
    paired_difference_interval,
)

runner = CliRunner()


def test_axis_metrics_match_hand_computation():
    gold = ["economy", "economy", "rural", "urban"]
    pred = ["economy", "rural", "rural", "economy"]
    alt = [None, "rural", None, None]
    m = axis_metrics(gold, pred, alt)
    assert m["accuracy"] == pytest.approx(2 / 4)
    assert m["lenient_accuracy"] == pytest.approx(3 / 4)  # the second one is right by its domain_alt
    # economy: P 1/2, R 1/2, F1 1/2; rural: P 1/2, R 1, F1 2/3; urban: 0
    assert m["per_class"]["rural"] == {
        "precision": 0.5,
        "recall": 1.0,
        "f1": pytest.approx(2 / 3),
        "support": 1,
    }
    assert m["macro_f1"] == pytest.approx((1 / 2 + 2 / 3 + 0) / 3)
    assert m["weighted_f1"] == pytest.approx((2 * 1 / 2 + 2 / 3 + 0) / 4)


def test_ece_matches_hand_computation():
    # bin (14/15, 1]: confidence 0.95, accuracy 1/2; bin (9/15, 10/15]: confidence 0.65, accuracy 1
    confidence, correct = [0.95, 0.95, 0.65, 0.65], [True, False, True, True]
    assert expected_calibration_error(confidence, correct) == pytest.approx(0.5 * 0.45 + 0.5 * 0.35)
    assert expected_calibration_error([1.0, 1.0], [True, True]) == 0.0
    assert expected_calibration_error([0.0], [False]) == 0.0  # a zero confidence falls in the first bin


def test_bootstrap_resamples_whole_reports():
    # report A: both right; report B: one of two right. Drawing reports gives accuracy 1 (AA),
    # 0.75 (AB) or 0.5 (BB); drawing paragraphs would also give 0.25 and 0.
    groups, gold = ["A", "A", "B", "B"], ["plan"] * 4
    pred = ["plan", "plan", "plan", "problem"]
    intervals = bootstrap_intervals(groups, gold, pred, resamples=1000, seed=0)
    assert intervals["accuracy"] == [0.5, 1.0]
    assert bootstrap_intervals(groups, gold, pred, seed=0) == intervals  # the seed fixes it


def test_resampled_macro_f1_equals_scikit_learn_on_every_draw_of_whole_reports():
    from sklearn.metrics import f1_score

    from policytag.stats.metrics import macro_f1, macro_f1_draws, report_draws

    rng = np.random.default_rng(3)
    groups = [f"r{i // 7}" for i in range(90)]
    gold = rng.choice(["a", "b", "c", "d"], size=90).tolist()
    pred = [g if rng.random() < 0.6 else str(rng.choice(["a", "b", "e"])) for g in gold]
    codes, weights = report_draws(groups, 20, seed=1)
    fast = macro_f1_draws(gold, pred, codes, weights)
    for draw, counts in zip(fast, weights):
        index = np.concatenate([np.tile(np.flatnonzero(codes == r), int(c)) for r, c in enumerate(counts)])
        g, p = [gold[i] for i in index], [pred[i] for i in index]
        assert draw == pytest.approx(f1_score(g, p, labels=sorted(set(g)), average="macro", zero_division=0))
    assert macro_f1(gold, pred) == pytest.approx(
        f1_score(gold, pred, labels=sorted(set(gold)), average="macro", zero_division=0)
    )


def test_paired_difference_scores_both_predictions_on_the_same_reports():
    # a is right everywhere; b is right in report A and swaps both labels in report B:
    # macro-F1 b = 0.5 overall; drawing AA gives a difference of 0, AB 0.5, BB 1.
    groups, gold = ["A", "A", "B", "B"], ["plan", "problem", "plan", "problem"]
    b = ["plan", "problem", "problem", "plan"]
    result = paired_difference_interval(groups, gold, gold, b, resamples=1000, seed=0)
    assert result["difference"] == 0.5
    assert (result["low"], result["high"]) == (0.0, 1.0)
    assert 0.7 < result["a_ahead"] < 0.8  # every draw but AA (a quarter)


def test_bad_gold_lines_are_reported_by_line_number(tmp_path, schema):
    good = {
        "id": "a",
        "doc_id": "r1",
        "text": "全年地区生产总值增长5%。",
        "role": "achievement",
        "domain": "economy",
    }
    lines = [
        json.dumps(good, ensure_ascii=False),
        "{broken",
        json.dumps({**good, "role": "praise"}),
        json.dumps({k: v for k, v in good.items() if k != "doc_id"}),
        "",
        json.dumps({**good, "id": "b"}),
    ]
    path = tmp_path / "gold.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    rows, problems = read_gold(path, schema)
    assert len(rows) == 2
    assert [p.split(": ", 1)[0] for p in problems] == [f"{path}:2", f"{path}:3", f"{path}:4"]
    assert "not valid JSON" in problems[0] and "'praise'" in problems[1] and "'doc_id'" in problems[2]
    with pytest.raises(GoldError, match=":2: not valid JSON"):
        read_gold(path, schema, strict=True)
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n", encoding="utf-8")
    with pytest.raises(GoldError, match="is empty"):
        read_gold(empty, schema)


def test_pictures_render_chinese_with_no_missing_glyph(tmp_path, schema):
    import matplotlib.pyplot as plt

    from policytag.stats import plots

    labels = list(schema.domain)
    confusion = {g: {p: 1 for p in labels[:3]} for g in labels}

    def draw():
        plots.confusion_plot(confusion, labels, schema.names, "领域 domain", tmp_path / "c.png")

    assert glyph_warnings(draw) == []
    assert (tmp_path / "c.png").stat().st_size > 10_000
    # the check can fail: the same picture with matplotlib's default font misses the glyphs
    family = plt.rcParams["font.family"]
    plt.rcParams["font.family"] = ["DejaVu Sans"]
    try:
        assert glyph_warnings(draw)
    finally:
        plt.rcParams["font.family"] = family


def test_evaluate_writes_the_contract_keys_report_and_errors(tiny_run, tmp_path, monkeypatch):
    out = tmp_path / "eval"
    monkeypatch.chdir(tiny_run.parent)  # the model given relative to here is recorded absolute
    result = runner.invoke(
        app, ["evaluate", tiny_run.name, "--data", str(DATA / "gold" / "dev.jsonl"), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["n"] == 144 and metrics["model"] == str(tiny_run.resolve())
    for axis in ("role", "domain"):
        assert {"accuracy", "macro_f1", "weighted_f1", "per_class", "bootstrap_95"} <= set(metrics[axis])
        assert set(next(iter(metrics[axis]["per_class"].values()))) == {
            "precision",
            "recall",
            "f1",
            "support",
        }
    assert "lenient_accuracy" in metrics["domain"]
    assert set(metrics["calibration"]) >= {"role_ece", "domain_ece"}
    assert len(metrics["breakdown"]["doc_id"]) == 20
    assert metrics["baseline"]["domain"]["macro_f1"] > 0.5  # trained on the run's own training split
    paired = metrics["baseline"]["domain"]["model_minus_baseline"]
    assert paired["difference"] == pytest.approx(
        metrics["domain"]["macro_f1"] - metrics["baseline"]["domain"]["macro_f1"]
    )
    assert paired["low"] <= paired["difference"] <= paired["high"]
    for name in (
        "report.md",
        "errors.md",
        "confusion_role.png",
        "confusion_domain.png",
        "reliability.png",
        "f1_domain.png",
        "predictions.jsonl",
    ):
        assert (out / name).is_file(), name
    errors = [json.loads(line) for line in (out / "errors.jsonl").read_text(encoding="utf-8").splitlines()]
    assert errors and [e["confidence"] for e in errors] == sorted(
        (e["confidence"] for e in errors), reverse=True
    )
    assert "| domain | 144 |" in (out / "report.md").read_text(encoding="utf-8")


def test_evaluate_cli_skips_bad_lines_or_stops_with_strict(tiny_run, tmp_path):
    lines = (DATA / "gold" / "dev.jsonl").read_text(encoding="utf-8").splitlines()[:30]
    lines[4] = lines[4].replace('"role": "', '"role": "x')
    data = tmp_path / "gold.jsonl"
    data.write_text("\n".join(lines), encoding="utf-8")
    args = ["evaluate", str(tiny_run), "--data", str(data), "--no-baseline"]
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "e1")])
    assert result.exit_code == 0 and f"{data}:5: unknown role label" in result.output
    assert json.loads((tmp_path / "e1" / "metrics.json").read_text())["n"] == 29
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "e2"), "--strict"])
    assert result.exit_code == 2 and f"{data}:5" in result.output


def test_compare_shows_recipe_differences_and_marks_the_best(tmp_path):
    from policytag.training.compare import compare_table, load_entry

    folders = []
    for name, lr, role_f1, domain_f1 in (("a", 1e-4, 0.9, 0.7), ("b", 3e-5, 0.8, 0.75)):
        run = tmp_path / name
        run.mkdir()
        (run / "config.yaml").write_text(f"optim:\n  lr: {lr}\n  batch_size: 16\nseed: 13\n")
        (run / "metrics.json").write_text(
            json.dumps(
                {
                    "role": {"macro_f1": role_f1, "accuracy": role_f1},
                    "domain": {"macro_f1": domain_f1, "accuracy": domain_f1, "lenient_accuracy": 0.9},
                }
            )
        )
        folders.append(run)
    table = compare_table([load_entry(f) for f in folders])
    header, _, first, second = table.strip().splitlines()
    assert "optim.lr" in header and "optim.batch_size" not in header and "seed" not in header
    assert "**0.900**" in first and "**0.750**" in second and "**0.800**" not in second
    result = runner.invoke(app, ["compare", str(folders[0]), str(tmp_path / "missing")])
    assert result.exit_code == 2 and "no metrics.json" in result.output


def test_evaluate_reuses_the_baseline_an_export_carries_and_refits_on_other_rows(tiny_export, tmp_path):
    from policytag.runtime.ngrams import CharNgrams

    assert CharNgrams.present(tiny_export)  # typed arrays, read with allow_pickle=False
    gold = DATA / "gold" / "dev.jsonl"
    carried = runner.invoke(
        app, ["evaluate", str(tiny_export), "--data", str(gold), "--out", str(tmp_path / "a")]
    )
    assert carried.exit_code == 0, carried.output
    metrics = json.loads((tmp_path / "a" / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["baseline"]["fitted"] == "carried by the export"
    rows = (tiny_export / "baseline-train.jsonl").read_text(encoding="utf-8").splitlines()
    other = tmp_path / "other.jsonl"
    other.write_text("\n".join(rows[: len(rows) // 2]) + "\n", encoding="utf-8")
    args = [
        "evaluate",
        str(tiny_export),
        "--data",
        str(gold),
        "--out",
        str(tmp_path / "b"),
        "--baseline-train",
        str(other),
    ]
    refit = runner.invoke(app, args)
    assert refit.exit_code == 0, refit.output
    metrics = json.loads((tmp_path / "b" / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["baseline"]["fitted"] == "here, on the training rows"
