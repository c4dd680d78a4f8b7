"""`policytag summarize`: shares with report-bootstrap intervals, the confusion adjustment,
coverage flags, the options, and what lands on disk."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import glyph_warnings
from policytag.cli import app
from policytag.findings.adjust import Confusion, adjusted_prevalence, confusion_matrix
from policytag.findings.coverage import Coverage
from policytag.findings.results import share_table
from policytag.findings.tables import read_tags

LEVEL_FOLDERS = {"province": "政府工作报告-省自治区", "city": "政府工作报告-主要城市"}
REGIONS = {"province": ["河南省", "江苏省", "四川省"], "city": ["杭州市", "成都市"]}


def synthetic_tags(schema, seed: int = 3) -> list[dict]:
    """Tag rows for reports named like corpus paths (level, region, year readable from doc_id):
    two levels, years 2015–2018, 12–30 paragraphs per report, some labels never drawn."""
    rng = np.random.default_rng(seed)
    domains = list(schema.domain[:-2])  # the last two domains never occur
    rows = []
    for level, regions in REGIONS.items():
        for region in regions:
            for year in range(2015, 2019):
                doc_id = f"{LEVEL_FOLDERS[level]}/{region}/{year}"
                for index in range(int(rng.integers(12, 31))):
                    rows.append(
                        {
                            "doc_id": doc_id,
                            "index": index,
                            "section": None,
                            "text": "字" * int(rng.integers(10, 300)),
                            "role": str(rng.choice(schema.role, p=[0.3, 0.1, 0.6])),
                            "domain": str(rng.choice(domains)),
                            "uncertain": bool(rng.random() < 0.2),
                        }
                    )
    return rows


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def tags(tmp_path, schema):
    return write_jsonl(tmp_path / "tags.jsonl", synthetic_tags(schema))


@pytest.fixture
def evaluation(tmp_path, schema):
    """An evaluation folder as `policytag evaluate` leaves it, on provincial reports of 2015–2016."""
    rng = np.random.default_rng(5)
    folder = tmp_path / "eval"
    folder.mkdir()
    rows = []
    for k in range(400):
        gold_role, gold_domain = str(rng.choice(schema.role)), str(rng.choice(schema.domain))
        right = rng.random() < 0.8
        rows.append(
            {
                "id": f"p{k}",
                "doc_id": f"政府工作报告-省自治区/河北省/{2015 + k % 2}-{k % 20}",
                "text": "字",
                "gold_role": gold_role,
                "gold_domain": gold_domain,
                "uncertain": False,
                "role": gold_role if right else str(rng.choice(schema.role)),
                "domain": gold_domain if right else str(rng.choice(schema.domain)),
            }
        )
    write_jsonl(folder / "predictions.jsonl", rows)
    (folder / "metrics.json").write_text(
        json.dumps({"model": "exports/a", "data": "gone.jsonl"}), encoding="utf-8"
    )
    return folder


def test_shares_sum_to_one_per_group_and_axis_and_every_interval_holds_its_estimate(tags, schema):
    table = read_tags([tags], ["level", "year"], schema)
    shares = share_table(table, ["level", "year"], schema, "paragraphs", 300, np.random.default_rng(0))
    sums = shares.groupby(["level", "year", "axis"])["share"].sum()
    assert len(sums) == 2 * 4 * 2
    assert np.allclose(sums, 1.0)
    assert (shares["share_low"] <= shares["share"]).all() and (shares["share"] <= shares["share_high"]).all()
    assert (shares["share_low"] < shares["share_high"]).any()  # real intervals, not points
    # every label of the taxonomy, 0 where absent
    assert (
        shares.groupby(["level", "year", "axis"]).size()
        == shares["axis"]
        .map({"role": len(schema.role), "domain": len(schema.domain)})
        .groupby([shares["level"], shares["year"], shares["axis"]])
        .first()
    ).all()
    absent = shares[shares["label"] == schema.domain[-1]]
    assert (absent["share"] == 0).all() and (absent["paragraphs"] == 0).all()
    assert (shares.loc[shares["level"] == "province", "reports"] == 3).all()


def test_the_adjustment_recovers_known_shares_from_a_synthetic_confusion_matrix():
    rng = np.random.default_rng(11)
    k = 5
    true_shares = np.array([0.45, 0.25, 0.15, 0.1, 0.05])
    # A known confusion: mostly right, class 0 often read as 1, class 3 as 4.
    known = np.full((k, k), 0.03) + np.diag(np.full(k, 0.85))
    known[0, 1], known[3, 4] = 0.2, 0.25
    known /= known.sum(1, keepdims=True)

    def corrupt(true_labels):
        cumulative = known.cumsum(1)[true_labels]
        return (rng.random(len(true_labels))[:, None] > cumulative).sum(1)

    truth = rng.choice(k, size=60_000, p=true_shares)
    observed = np.bincount(corrupt(truth), minlength=k) / len(truth)
    assert np.abs(observed - true_shares).max() > 0.05  # the raw shares are visibly off

    # C estimated on a labelled set as `evaluate` writes it, one row per paragraph.
    gold = rng.choice(k, size=20_000)
    labels = [f"c{i}" for i in range(k)]
    rows = [
        {"doc_id": f"r{i % 200}", "source": "eval", "gold_domain": labels[g], "domain": labels[p]}
        for i, (g, p) in enumerate(zip(gold, corrupt(gold)))
    ]
    confusion = Confusion.from_rows(rows, "domain", labels)
    assert np.abs(confusion.matrix() - known).max() < 0.03
    adjusted = adjusted_prevalence(observed, confusion.matrix())
    assert np.abs(adjusted - true_shares).max() < 0.02
    assert adjusted.sum() == pytest.approx(1.0) and (adjusted >= 0).all()
    # replicates of C, and the adjustment batched over them, stay near the truth
    replicates = adjusted_prevalence(np.tile(observed, (50, 1)), confusion.replicates(50, rng))
    assert replicates.shape == (50, k) and np.abs(replicates.mean(0) - true_shares).max() < 0.02


def test_adjustment_clips_at_zero_and_keeps_unseen_classes_as_read_right():
    matrix = confusion_matrix(np.array([[8.0, 2.0, 0.0], [1.0, 9.0, 0.0], [0.0, 0.0, 0.0]]))
    assert np.allclose(matrix[2], [0, 0, 1])
    adjusted = adjusted_prevalence(np.array([0.05, 0.9, 0.05]), matrix)
    assert adjusted.min() >= 0 and adjusted.sum() == pytest.approx(1.0)
    assert adjusted[0] == 0  # the solution's negative share is clipped


def test_cli_writes_shares_tables_pictures_and_summary_and_flags_uncovered_groups(
    tmp_path, tags, evaluation, schema
):
    out = tmp_path / "summary"
    other = tmp_path / "eval-other-model"  # the same rows, said to score another model
    shutil.copytree(evaluation, other)
    (other / "metrics.json").write_text(json.dumps({"model": "exports/b"}), encoding="utf-8")
    args = [
        "summarize",
        str(tags),
        "--by",
        "year,level",
        "--out",
        str(out),
        "--adjust",
        str(evaluation),
        "--adjust",
        str(other),
        "--bootstrap",
        "200",
    ]
    results = []
    assert glyph_warnings(lambda: results.append(CliRunner().invoke(app, args))) == []  # Chinese names drawn
    result = results[0]
    assert result.exit_code == 0, result.output
    shares = pd.read_csv(out / "shares.csv")
    assert list(shares.columns[:10]) == [
        "year",
        "level",
        "axis",
        "label",
        "paragraphs",
        "share",
        "share_low",
        "share_high",
        "reports",
        "characters",
    ]
    assert pd.read_parquet(out / "shares.parquet")["share"].tolist() == pytest.approx(
        shares["share"].tolist()
    )
    assert (shares["adjusted_low"] <= shares["adjusted"]).all() and (
        shares["adjusted"] <= shares["adjusted_high"]
    ).all()
    assert np.allclose(shares.groupby(["year", "level", "axis"])["adjusted"].sum(), 1.0)
    # the labelled data covers provincial reports of 2015–2016 only
    covered = shares.drop_duplicates(["year", "level"]).set_index(["level", "year"])["covered"]
    assert covered[("province", 2015)] and covered[("province", 2016)]
    assert not covered[("province", 2017)] and not covered[("city", 2015)]
    assert covered.sum() == 2

    roles = pd.read_csv(out / "role_by_domain.csv")
    assert list(roles["domain"]) == list(schema.domain)
    assert (
        roles[list(schema.role)].to_numpy().sum()
        == roles["paragraphs"].sum()
        == shares.query("axis == 'role'")["paragraphs"].sum()
    )
    assert (roles["problem_share_low"] <= roles["problem_share"]).all()
    for picture in ("domain_shares_by_year.png", "problem_by_domain.png", "domain_shares_by_region.png"):
        assert (out / picture).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    summary = (out / "summary.md").read_text(encoding="utf-8")
    assert "生态环境与绿色低碳" in summary and "问题不足" in summary
    assert "6 group(s) lie outside it" in summary and "⚠" in summary
    assert "400 held-out labelled paragraphs" in summary  # a paragraph in two folders counts once
    assert "2 different model paths" in summary
    assert "![domain_shares_by_year.png](domain_shares_by_year.png)" in summary


def test_exclude_uncertain_and_character_weights_change_the_counts_as_they_should(tags, schema):
    rows = [json.loads(line) for line in tags.read_text(encoding="utf-8").splitlines()]

    def shares(weight: str, exclude_uncertain: bool) -> pd.DataFrame:
        table = read_tags([tags], ["level"], schema, exclude_uncertain)
        return share_table(table, ["level"], schema, weight, 50, np.random.default_rng(0))

    every, certain, chars = (
        shares("paragraphs", False),
        shares("paragraphs", True),
        shares("characters", False),
    )
    role = "axis == 'role'"
    assert every.query(role)["paragraphs"].sum() == len(rows)
    assert certain.query(role)["paragraphs"].sum() == sum(not r["uncertain"] for r in rows) < len(rows)
    # characters: paragraph counts stay, shares follow the characters
    assert chars["paragraphs"].tolist() == every["paragraphs"].tolist()
    city = [r for r in rows if "主要城市" in r["doc_id"]]
    plan_chars = sum(len(r["text"]) for r in city if r["role"] == "plan") / sum(len(r["text"]) for r in city)
    pick = "level == 'city' and axis == 'role' and label == 'plan'"
    assert chars.query(pick)["share"].item() == pytest.approx(plan_chars)
    assert every.query(pick)["share"].item() == pytest.approx(
        sum(r["role"] == "plan" for r in city) / len(city)
    )
    assert chars.query(pick)["share"].item() != pytest.approx(every.query(pick)["share"].item())


def test_csv_and_parquet_tag_files_give_the_same_shares_as_jsonl(tmp_path, tags, schema):
    frame = pd.read_json(tags, lines=True)
    frame.to_csv(tmp_path / "tags.csv", index=False)
    frame.to_parquet(tmp_path / "tags.parquet", index=False)
    results = []
    for path in (tags, tmp_path / "tags.csv", tmp_path / "tags.parquet"):
        table = read_tags([path], ["year"], schema)
        results.append(share_table(table, ["year"], schema, "paragraphs", 20, np.random.default_rng(1)))
    for other in results[1:]:
        pd.testing.assert_frame_equal(results[0], other)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda rows: [r.pop("domain") for r in rows], "missing column(s) domain"),
        (lambda rows: rows[2].update(role="boast"), "row 3: unknown role label 'boast'"),
    ],
)
def test_broken_tag_files_fail_with_the_file_and_what_is_wrong(tmp_path, schema, change, message):
    rows = synthetic_tags(schema)[:5]
    change(rows)
    path = write_jsonl(tmp_path / "bad.jsonl", rows)
    result = CliRunner().invoke(app, ["summarize", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert str(path) in result.output and message in result.output
    assert "Traceback" not in result.output


def test_a_group_field_the_tags_do_not_carry_is_named(tmp_path, tags):
    result = CliRunner().invoke(
        app, ["summarize", str(tags), "--by", "county", "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 2 and "--by county" in result.output


def test_coverage_flags_reports_of_an_unknown_level_or_a_year_outside_the_labelled_span():
    coverage = Coverage.from_rows(
        [{"doc_id": "政府工作报告-省自治区/河南省/2016"}, {"doc_id": "x", "level": "city", "year": 2019}]
    )
    assert coverage.levels == {"province", "city"} and coverage.years == (2016, 2019)
    table = pd.DataFrame({"level": ["province", "city", None, "national"], "year": [2016, 2020, 2017, 2018]})
    assert coverage.covered(table).tolist() == [True, False, False, False]
    # a field the tags do not carry is not checked
    assert coverage.covered(table[["year"]]).tolist() == [True, False, True, True]


def test_without_groups_levels_or_regions_one_group_and_no_region_picture(tmp_path, schema):
    rows = [
        {**r, "doc_id": f"report-{r['doc_id'][-4:]}"} for r in synthetic_tags(schema)
    ]  # ids say a year, no level or region
    rows = [{k: v for k, v in r.items() if k != "uncertain"} for r in rows]  # and no uncertain column
    tags = write_jsonl(tmp_path / "plain.jsonl", rows)
    table = read_tags([tags], [], schema)
    assert table["level"].isna().all() and table["region"].isna().all() and not table["uncertain"].any()
    result = CliRunner().invoke(
        app, ["summarize", str(tags), "--out", str(tmp_path / "out"), "--bootstrap", "20"]
    )
    assert result.exit_code == 0, result.output
    shares = pd.read_csv(tmp_path / "out" / "shares.csv")
    assert len(shares) == len(schema.role) + len(schema.domain)
    assert np.allclose(shares.groupby("axis")["share"].sum(), 1.0)
    assert sorted(p.name for p in (tmp_path / "out").glob("*.png")) == [
        "domain_shares_by_year.png",
        "problem_by_domain.png",
        "problem_share_by_year.png",
    ]
    refused = CliRunner().invoke(
        app, ["summarize", str(tags), "--out", str(tmp_path / "x"), "--exclude-uncertain"]
    )
    assert refused.exit_code == 2 and "no `uncertain` column" in refused.output


def test_summarize_help_works_without_a_model():
    result = CliRunner().invoke(app, ["summarize", "--help"])
    assert result.exit_code == 0 and "--adjust" in result.output and "--weight" in result.output


def _contrast_tags(schema, seed: int = 11) -> list[dict]:
    """Provincial reports admit problems in 10% of paragraphs, city reports in 2%; 40 reports each."""
    rng = np.random.default_rng(seed)
    rows = []
    for level, problem in (("province", 0.10), ("city", 0.02)):
        for k in range(40):
            doc_id = f"{LEVEL_FOLDERS[level]}/地区{k}/{2005 + k % 15}"
            for index in range(50):
                role = "problem" if rng.random() < problem else str(rng.choice(["achievement", "plan"]))
                rows.append({"doc_id": doc_id, "index": index, "text": "字" * 50, "role": role,
                             "domain": str(rng.choice(schema.domain)), "uncertain": False})  # fmt: skip
    return rows


def test_contrasts_recover_a_known_difference_with_an_interval_that_holds_it(tmp_path, schema):
    tags = write_jsonl(tmp_path / "tags.jsonl", _contrast_tags(schema))
    out = tmp_path / "summary"
    args = [
        "summarize",
        str(tags),
        "--by",
        "year,level",
        "--period",
        "5",
        "--contrast",
        "level=province,city",
    ]
    result = CliRunner().invoke(app, [*args, "--out", str(out), "--bootstrap", "300"])
    assert result.exit_code == 0, result.output
    contrasts = pd.read_csv(out / "contrasts.csv")
    assert list(contrasts.columns[:9]) == [
        "key",
        "axis",
        "label",
        "a",
        "b",
        "share_a",
        "share_b",
        "difference",
        "low",
    ]
    problem = contrasts[(contrasts["axis"] == "role") & (contrasts["label"] == "problem")].iloc[0]
    assert problem["difference"] == pytest.approx(problem["share_b"] - problem["share_a"])
    assert problem["low"] <= -0.08 <= problem["high"] and problem["high"] < 0  # city − province: −8 points
    shares = pd.read_csv(out / "shares.csv")
    assert sorted(shares["year"].unique()) == [2005, 2010, 2015]  # five-year periods
    for picture in ("contrasts", "domain_shares_by_year", "problem_share_by_year"):
        assert (out / f"{picture}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and (
            out / f"{picture}.svg"
        ).is_file()
    summary = (out / "summary.md").read_text(encoding="utf-8")
    assert (
        "level = city (40 reports) against province (40 reports)" in summary and "问题不足 problem" in summary
    )


@pytest.mark.parametrize(
    "option, message",
    [
        (["--contrast", "planet=mars,venus"], "--contrast planet: not a column"),
        (["--contrast", "level=province,moon"], "--contrast level=moon: no report has that value"),
        (["--contrast", "level=province"], "give KEY=A,B"),
        (["--period", "0"], "--period 0"),
    ],
)
def test_bad_contrasts_and_periods_are_refused_naming_them(tmp_path, tags, option, message):
    result = CliRunner().invoke(
        app, ["summarize", str(tags), "--by", "level", "--out", str(tmp_path / "s"), *option]
    )
    assert result.exit_code == 2 and message in result.output
