"""`policytag select`: what it may never pick, how it spreads picks, and the task files it writes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import CONFIGS, DATA, REPORT_TEXT
from policytag.cli import app
from policytag.runtime.normalize import normalize

HELD_OUT = ("政府工作报告-主要城市/海口市/2025.md", "政府工作报告-省自治区/辽宁省/2017.md")
LABELLED = ("政府工作报告-主要城市/南京市/2016.md",)
DEV = [json.loads(line) for line in (DATA / "gold" / "dev.jsonl").read_text(encoding="utf-8").splitlines()]
REPEATED = (
    "坚持把保障和改善民生作为政府工作的出发点和落脚点，全年民生支出占一般公共预算支出的比重保持在八成以上，"
    "新增城镇就业岗位二万个，城乡居民基本养老保险和基本医疗保险参保率稳定在百分之九十五以上，"
    "新建改建中小学和幼儿园十二所，群众的获得感幸福感安全感持续增强。"
)
NEW_REPORTS = {  # corpus layout: level folder / region / year
    "政府工作报告-主要城市/测试市/2030.md": REPORT_TEXT,
    "政府工作报告-其他地市/样本市/2031.md": "\n".join(
        [
            "二〇三〇年，全市新建改建农村公路120公里，完成高标准农田建设5万亩，农民人均可支配收入增长7%。",
            "持续改善生态环境，全年空气质量优良天数比例达到90%，城市污水处理率达到97%。",
            REPEATED,
            DEV[0]["text"][:-2] + "。",  # a near-duplicate of a dev gold paragraph
        ]
    ),
    "政府工作报告-省自治区/试验省/2010.md": "\n".join(
        [
            f"（{k}）第{k}项工作稳步推进，全年新建学校{k}所，新增就业岗位{k * 1000}个，城乡居民收入稳步增长。"
            for k in range(1, 13)
        ]
        + [REPEATED.replace("十二所", "十三所")]  # nearly repeats 样本市's paragraph
    ),
}


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> Path:
    """Two held-out reports, one hand-labelled report and three new ones, in corpus layout."""
    root = tmp_path_factory.mktemp("reports")
    for rel in (*HELD_OUT, *LABELLED):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(DATA / "raw" / rel, root / rel)
    for rel, text in NEW_REPORTS.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    dev_reports = sorted((DATA / "gold" / "dev-reports").iterdir())
    (root / "dev").mkdir()
    shutil.copy(dev_reports[0], root / "dev" / dev_reports[0].name)  # a dev gold report, under its own id
    shutil.copy(dev_reports[1], root / "dev" / "renamed_2020.txt")  # another, renamed: its paragraphs repeat
    return root


def _select(first: Path, out: Path, *args: str) -> list[dict]:
    """Run `policytag select FIRST ARGS… --out OUT`; the tasks it wrote (tasks.json or tasks.jsonl)."""
    recipe = ["--recipe", str(CONFIGS / "data" / "default.yaml")]
    result = CliRunner().invoke(app, ["select", str(first), "--out", str(out), *recipe, *args])
    assert result.exit_code == 0, result.output
    if (out / "tasks.json").exists():
        return json.loads((out / "tasks.json").read_text(encoding="utf-8"))
    return [json.loads(line) for line in (out / "tasks.jsonl").read_text(encoding="utf-8").splitlines()]


def _forbidden_texts() -> set[str]:
    labelled = [
        json.loads(line)
        for path in (DATA / "annotations").glob("*.jsonl")
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    return {normalize(row["text"]) for row in labelled + DEV}


@pytest.mark.parametrize("strategy", ["random", "diverse"])
def test_select_never_returns_excluded_labelled_held_out_or_dev_like_paragraphs(reports, tmp_path, strategy):
    excluded = tmp_path / "round1.jsonl"
    excluded.write_text(
        json.dumps(
            {"text": "全年地区生产总值增长5.2%，一般公共预算收入完成120亿元，同比增长6%。"},
            ensure_ascii=False,
        )
        + "\n",
        encoding="utf-8",
    )
    rows = _select(
        reports, tmp_path / "out", "--n", "500", "--strategy", strategy, "--exclude", str(excluded)
    )
    texts = {row["text"] for row in rows}
    assert not texts & _forbidden_texts()
    assert not any(
        row["doc_id"].startswith(("政府工作报告-主要城市/海口市", "政府工作报告-省自治区/辽宁省"))
        or row["region"] in ("海口市", "辽宁省", "南京市")
        for row in rows
    )
    assert "全年地区生产总值增长5.2%，一般公共预算收入完成120亿元，同比增长6%。" not in texts
    assert not any(DEV[0]["text"][:30] in text for text in texts)  # the near-duplicate
    assert not any(row["source"].startswith(str(reports / "dev")) for row in rows)  # the dev reports
    # everything else of the three new reports is there, each text once, a near repeat once
    assert {row["region"] for row in rows} == {"测试市", "样本市", "试验省"}
    assert len(texts) == len(rows) == 3 + 2 + 12 + 1
    assert sum(text.startswith(REPEATED[:40]) for text in texts) == 1
    assert all(row["selected_by"] == strategy and "role" not in row and "domain" not in row for row in rows)
    assert set(rows[0]) == {
        "id",
        "doc_id",
        "text",
        "section_path",
        "section",
        "level",
        "region",
        "year",
        "source",
        "selected_by",
    }


def test_diverse_spreads_over_reports_and_levels_and_keeps_the_per_report_cap(reports, tmp_path):
    rows = _select(reports, tmp_path / "out", "--n", "3", "--strategy", "diverse")
    assert len({row["doc_id"] for row in rows}) == 3
    assert {row["level"] for row in rows} == {"city", "prefecture", "province"}
    capped = _select(reports, tmp_path / "capped", "--n", "50", "--strategy", "diverse", "--per-report", "2")
    assert len(capped) == 6


def test_a_prepared_dataset_gives_the_same_candidates_as_its_raw_reports(reports, tmp_path, prepare_config):
    from policytag.data.prepare import prepare

    prepare([reports], tmp_path / "prepared", prepare_config)
    from_raw = _select(reports, tmp_path / "raw", "--n", "500")
    from_prepared = _select(tmp_path / "prepared", tmp_path / "out", "--n", "500")
    assert len(from_raw) > 10

    def strip(rows):
        return sorted((r["id"], r["text"], tuple(r["section_path"]), r["level"], r["year"]) for r in rows)

    assert strip(from_prepared) == strip(from_raw)


def test_the_same_seed_picks_the_same_paragraphs(reports, tmp_path):
    first = _select(reports, tmp_path / "a", "--n", "5", "--seed", "3")
    again = _select(reports, tmp_path / "b", "--n", "5", "--seed", "3")
    other = _select(reports, tmp_path / "c", "--n", "5", "--seed", "4")
    assert [r["id"] for r in first] == [r["id"] for r in again] != [r["id"] for r in other]


def test_uncertainty_needs_a_model_and_says_so(reports, tmp_path):
    result = CliRunner().invoke(
        app, ["select", str(reports), "--out", str(tmp_path), "--n", "3", "--strategy", "uncertainty"]
    )
    assert result.exit_code == 2
    assert "--strategy uncertainty needs a model" in result.output
    assert "Traceback" not in result.output


def test_uncertainty_picks_the_lowest_margins_of_its_pool(reports, tmp_path, tiny_run):
    from policytag import Predictor
    from policytag.review.strategies import margin

    eligible = _select(reports, tmp_path / "all", "--n", "500")
    picked = _select(
        reports,
        tmp_path / "unc",
        "--n",
        "5",
        "--strategy",
        "uncertainty",
        "--model",
        str(tiny_run),
        "--pool",
        "500",
    )
    assert all(row["selected_by"] == "uncertainty" for row in picked)
    assert {row["id"] for row in picked} <= {row["id"] for row in eligible}
    predictor = Predictor.open(tiny_run)
    margins = sorted(margin(tag) for tag in predictor.predict([row["text"] for row in eligible]))
    again = sorted(margin(tag) for tag in predictor.predict([row["text"] for row in picked]))
    assert again == pytest.approx(margins[:5], abs=2e-4)  # batches differ: the last digit may move


def test_label_studio_tasks_carry_pre_annotations_and_a_config_for_both_axes(
    reports, tmp_path, tiny_run, schema
):
    out = tmp_path / "ls"
    tasks = _select(
        tiny_run, out, str(reports), "--n", "6", "--strategy", "diverse", "--format", "labelstudio"
    )
    assert [p.name for p in out.glob("*.json")] == ["tasks.json"]
    assert isinstance(tasks, list) and len(tasks) == 6
    for task in tasks:
        assert task["data"]["text"] and isinstance(task["data"]["section_path"], str)
        result = task["predictions"][0]["result"]
        assert sorted(item["from_name"] for item in result) == ["domain", "role"]
        for item in result:
            assert item["to_name"] == "text" and item["type"] == "choices"
            (label,) = item["value"]["choices"]
            assert label in schema.labels(item["from_name"]) and 0 < item["score"] <= 1
    config = (out / "labelstudio.xml").read_text(encoding="utf-8")
    import xml.etree.ElementTree as ElementTree

    view = ElementTree.fromstring(config)
    controls = {c.get("name"): [choice.get("value") for choice in c] for c in view.iter("Choices")}
    assert controls == {
        "role": list(schema.role),
        "domain": list(schema.domain),
        "domain_alt": list(schema.domain),
    }
    assert all(c.get("toName") == "text" for c in view.iter("Choices"))
    assert view.find("Text").get("value") == "$text"


def test_a_label_studio_export_of_the_tasks_comes_back_through_prepare(
    reports, tmp_path, tiny_run, prepare_config
):
    from policytag.data.prepare import prepare

    tasks = _select(tiny_run, tmp_path / "ls", str(reports), "--n", "4", "--format", "labelstudio")
    export = []  # what Label Studio exports once annotators have corrected the pre-annotations
    for k, task in enumerate(tasks):
        chosen = {
            "role": ["achievement", "problem", "plan", "plan"][k],
            "domain": ["welfare", "urban", "reform", "safety"][k],
        }
        result = [
            {"from_name": axis, "to_name": "text", "type": "choices", "value": {"choices": [label]}}
            for axis, label in chosen.items()
        ]
        export.append(
            {
                "id": k + 1,
                "data": task["data"],
                "annotations": [{"id": k + 1, "result": result}],
                "predictions": task["predictions"],
            }
        )
    path = tmp_path / "project-1-at-2026-12-01.json"
    path.write_text(json.dumps(export, ensure_ascii=False), encoding="utf-8")
    import dataclasses

    stats = prepare([reports], tmp_path / "prepared", dataclasses.replace(prepare_config, annotations=[path]))
    assert stats["hand_annotations"]["applied"] == 4 and not stats["hand_annotations"]["problems"]
    rows = {
        json.loads(line)["id"]: json.loads(line)
        for line in (tmp_path / "prepared" / "paragraphs.jsonl").read_text(encoding="utf-8").splitlines()
    }
    for task in export:
        labels = {item["from_name"]: item["value"]["choices"][0] for item in task["annotations"][0]["result"]}
        row = rows[task["data"]["id"]]
        assert (row["role"], row["domain"], row["label_source"]) == (labels["role"], labels["domain"], "hand")


def test_a_held_out_row_whose_report_id_is_a_bare_year_excludes_its_report_not_every_report_of_that_year():
    from policytag.review.exclusions import Exclusions

    exclusions = Exclusions()
    held_out = {
        "id": "2010#0006",
        "doc_id": "2010",
        "text": "宁波的一段。",
        "level": "city",
        "region": "宁波市",
        "year": 2010,
    }
    exclusions.add_rows([held_out], reports=True, near=False)
    other = {
        "id": "2010#0006",
        "doc_id": "2010",
        "text": "另一份报告的一段。",
        "level": "province",
        "region": "试验省",
        "year": 2010,
    }
    same_report = {**other, "level": "city", "region": "宁波市"}
    assert exclusions.reason(other) is None
    assert exclusions.reason(same_report) == "dev or held-out report"
    assert exclusions.reason({**other, "text": "宁波的一段。"}) == "labelled or excluded"


def test_exclusions_read_once_follow_a_labelled_file_that_changes(tmp_path, prepare_config):
    from policytag.review.exclusions import build_exclusions

    (tmp_path / "annotations").mkdir()
    labelled = tmp_path / "annotations" / "mine.jsonl"
    labelled.write_text(
        json.dumps({"id": "a", "text": "全年新增就业岗位一万个。"}, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    first = build_exclusions(tmp_path, [], prepare_config)
    first.allows({"id": "x", "doc_id": "d", "text": "全年新增就业岗位一万个。"})
    assert build_exclusions(tmp_path, [], prepare_config).refused == {}  # each call counts afresh
    row = {"id": "y", "doc_id": "d", "text": "新建改建农村公路三百公里。"}
    assert build_exclusions(tmp_path, [], prepare_config).allows(row)
    with labelled.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps({"id": "b", "text": row["text"]}, ensure_ascii=False) + "\n")
    assert not build_exclusions(tmp_path, [], prepare_config).allows(row)
