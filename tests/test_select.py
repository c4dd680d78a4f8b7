"""`policytag select`: what it may never pick, how it spreads picks, and the task files it writes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import CONFIGS, DATA, REPORT_TEXT
from policytag.cli import app
from policytag.text.normalize import normalize

HELD_OUT = ("政府工作报告-主要城市/海口市/2025.md", "政府工作报告-省自治区/辽宁省/2017.md")
LABELLED = ("政府工作报告-主要城市/南京市/2016.md",)
DEV = [json.loads(line) for line in (DATA / "gold" / "dev.jsonl").read_text(encoding="utf-8").splitlines()]
NEW_REPORTS = {  # corpus layout: level folder / region / year
    "政府工作报告-主要城市/测试市/2030.md": REPORT_TEXT,
    "政府工作报告-其他地市/样本市/2031.md": REPORT_TEXT.replace("2023", "2029").replace("32个", "17个")
    + "\n" + DEV[0]["text"][:-2] + "。",  # a near-duplicate of a dev gold paragraph
    "政府工作报告-省自治区/试验省/2010.md": "\n".join(
        f"（{k}）第{k}项工作稳步推进，全年新建学校{k}所，新增就业岗位{k * 1000}个，城乡居民收入稳步增长。"
        for k in range(1, 13)
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
    return root


def _select(reports: Path, out: Path, *args: str) -> list[dict]:
    recipe = ["--recipe", str(CONFIGS / "data" / "default.yaml")]
    result = CliRunner().invoke(app, ["select", str(reports), "--out", str(out), *recipe, *args])
    assert result.exit_code == 0, result.output
    if (out / "tasks.json").exists():
        return json.loads((out / "tasks.json").read_text(encoding="utf-8"))
    return [json.loads(line) for line in (out / "tasks.jsonl").read_text(encoding="utf-8").splitlines()]


def _forbidden_texts() -> set[str]:
    labelled = [json.loads(line) for path in (DATA / "annotations").glob("*.jsonl")
                for line in path.read_text(encoding="utf-8").splitlines()]
    return {normalize(row["text"]) for row in labelled + DEV}


@pytest.mark.parametrize("strategy", ["random", "diverse"])
def test_select_never_returns_excluded_labelled_held_out_or_dev_like_paragraphs(reports, tmp_path, strategy):
    excluded = tmp_path / "round1.jsonl"
    excluded.write_text(json.dumps({"text": "全年地区生产总值增长5.2%，一般公共预算收入完成120亿元，同比增长6%。"},
                                   ensure_ascii=False) + "\n", encoding="utf-8")
    rows = _select(reports, tmp_path / "out", "--n", "500", "--strategy", strategy, "--exclude", str(excluded))
    texts = {row["text"] for row in rows}
    assert not texts & _forbidden_texts()
    assert not any(row["doc_id"].startswith(("政府工作报告-主要城市/海口市", "政府工作报告-省自治区/辽宁省"))
                   or row["region"] in ("海口市", "辽宁省", "南京市") for row in rows)
    assert "全年地区生产总值增长5.2%，一般公共预算收入完成120亿元，同比增长6%。" not in texts
    assert not any(DEV[0]["text"][:30] in text for text in texts)  # the near-duplicate
    # everything else of the three new reports is there, each text once
    assert {row["region"] for row in rows} == {"测试市", "样本市", "试验省"}
    assert len(texts) == len(rows) >= 12 + 4
    assert all(row["selected_by"] == strategy and "role" not in row and "domain" not in row for row in rows)
    assert set(rows[0]) == {"id", "doc_id", "text", "section_path", "section", "level", "region", "year",
                            "source", "selected_by"}


def test_diverse_spreads_over_reports_and_levels_and_keeps_the_per_report_cap(reports, tmp_path):
    rows = _select(reports, tmp_path / "out", "--n", "3", "--strategy", "diverse")
    assert len({row["doc_id"] for row in rows}) == 3
    assert {row["level"] for row in rows} == {"city", "prefecture", "province"}
    capped = _select(reports, tmp_path / "capped", "--n", "50", "--strategy", "diverse", "--per-report", "2")
    assert len(capped) == 6


def test_the_same_seed_picks_the_same_paragraphs(reports, tmp_path):
    first = _select(reports, tmp_path / "a", "--n", "5", "--seed", "3")
    again = _select(reports, tmp_path / "b", "--n", "5", "--seed", "3")
    other = _select(reports, tmp_path / "c", "--n", "5", "--seed", "4")
    assert [r["id"] for r in first] == [r["id"] for r in again] != [r["id"] for r in other]


def test_uncertainty_needs_a_model_and_says_so(reports, tmp_path):
    result = CliRunner().invoke(app, ["select", str(reports), "--out", str(tmp_path), "--n", "3",
                                      "--strategy", "uncertainty"])
    assert result.exit_code == 2
    assert "--strategy uncertainty needs a model" in result.output
    assert "Traceback" not in result.output
