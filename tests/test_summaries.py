"""Department, county and township work summaries: their headings, heading paths and roles.

The texts are invented in the style of the user's seed sample (never copied from it);
the seed sample itself is only read through `prepare`, one file per line as a user
holds it, and never labelled for training.
"""

import json
import re

import opencc
import pytest

from conftest import CONFIGS, SEED_SAMPLE
from policytag.data.prepare import prepare
from policytag.labels.silver import SilverLabeler
from policytag.runtime.blocks import Block
from policytag.runtime.normalize import normalize
from policytag.runtime.segment import Segmenter

SECTION_TITLES = [
    "工作完成情况",
    "主要成效",
    "工作开展情况",
    "主要做法",
    "存在问题",
    "问题和不足",
    "短板",
    "困难",
    "存在的不足",
    "下一步工作打算",
    "下步工作安排",
    "下半年工作计划",
    "下季度工作打算",
    "明年工作计划",
    "工作思路",
    "1-6月份工作情况",
]
PROBLEM_TITLES = {"存在问题", "问题和不足", "短板", "困难", "存在的不足"}
PLAN_TITLES = {
    "下一步工作打算",
    "下步工作安排",
    "下半年工作计划",
    "下季度工作打算",
    "明年工作计划",
    "工作思路",
}
ITEM = "（一）全面加强队伍建设。组织业务培训X场次，覆盖干部职工X人次。"
ITEM_TITLE = "（一）全面加强队伍建设"

# The issue's three problem paragraphs, stated in the plain style of a work item.
PROBLEMS = [
    "（一）人才引进渠道偏窄。近年来我局引进高层次人才数量有限，专业技术人员结构老化，引才留才政策吸引力不强。",
    "（二）项目融资压力较大。部分重点项目资金缺口较大，社会资本参与意愿不强，县级财政难以支撑。",
    "一是农村生活污水治理进度偏慢。部分乡镇污水管网建设滞后，已建设施运行维护经费不足。",
]
SUMMARY = "\n".join(
    [
        "XX县发展和改革局2024年上半年工作总结",
        "一、上半年工作完成情况",
        "（一）重点项目加快推进。1-6月份，全县实施重点项目X个，完成投资X亿元，同比增长X%。",
        "二、存在问题",
        *PROBLEMS,
        "三、下半年工作打算",
        "（一）全力抓好项目建设。力争全年完成投资X亿元，新开工项目X个。",
    ]
)


def segment(text: str):
    blocks = [Block(line, i + 1) for i, line in enumerate(text.splitlines()) if line.strip()]
    return Segmenter().segment("summary", blocks)[0]


@pytest.fixture(scope="module")
def labeler(schema):
    rules = CONFIGS / "rules"
    return SilverLabeler.from_files(schema, rules / "role.yaml", rules / "domain.yaml")


def roles(labeler, paragraphs):
    return [label.role for label in labeler.label_report(paragraphs, None)]


@pytest.mark.parametrize("title", SECTION_TITLES)
def test_summary_heading_on_its_own_line_heads_the_paragraphs_below(title):
    paragraphs = segment(f"二、{title}\n{ITEM}\n另外，各股室按季度报送工作进展。")
    assert [p.section_path for p in paragraphs] == [
        (f"二、{title}", ITEM_TITLE),
        (f"二、{title}", ITEM_TITLE),
    ]


@pytest.mark.parametrize("title", SECTION_TITLES)
def test_summary_heading_run_into_a_line_and_into_the_first_sentence(title):
    mid_line = segment(f"全年各项工作稳步推进，群众满意度持续提升。二、{title}{ITEM}")
    assert [p.text for p in mid_line] == ["全年各项工作稳步推进，群众满意度持续提升。", ITEM]
    assert mid_line[1].section_path == (f"二、{title}", ITEM_TITLE)
    first_sentence = segment(f"二、{title}我局坚持目标导向，逐项对照年初任务清单推进落实。\n{ITEM}")
    assert first_sentence[0].text.startswith(f"二、{title}我局坚持")  # the title stays in its paragraph
    assert first_sentence[0].section_path == (f"二、{title}",)  # and is its nearest heading
    assert first_sentence[1].section_path == (f"二、{title}", ITEM_TITLE)


@pytest.mark.parametrize("title", sorted(PROBLEM_TITLES | PLAN_TITLES))
def test_role_rules_read_summary_headings(labeler, title):
    paragraphs = segment(f"一、上半年工作开展情况\n{ITEM}\n二、{title}\n{ITEM.replace('（一）', '（二）')}")
    expected = "problem" if title in PROBLEM_TITLES else "plan"
    assert roles(labeler, paragraphs) == ["achievement", expected]


def test_enumerated_items_head_their_own_paragraph_only(labeler):
    paragraphs = segment(
        "三、下步工作打算\n一是加快项目建设。确保X个项目年内开工。\n二是强化要素保障。争取上级资金X万元。\n"
        "各股室要对照任务清单，倒排工期、挂图作战。"
    )
    assert [p.section_path for p in paragraphs] == [
        ("三、下步工作打算", "一是加快项目建设"),
        ("三、下步工作打算", "二是强化要素保障"),
        ("三、下步工作打算",),
    ]
    assert roles(labeler, paragraphs) == ["plan"] * 3
    # a list inside a paragraph does not split it, and a title running into it keeps it whole
    nested = segment(
        "（四）聚焦安全生产，应急体系实现新提升一是开展隐患排查。排查企业X家。二是强化应急演练。"
    )
    assert len(nested) == 1 and nested[0].section_path == ("（四）聚焦安全生产，应急体系实现新提升",)


def test_titles_end_at_a_redacted_year_a_period_or_a_colon(labeler):
    paragraphs = segment(
        "（一）有序完成机构改革XXXX年，组建区应急管理局，划入相关职责。\n"
        "（二）1-6月份重点工作推进情况1-6月，全镇共办理群众诉求X件，办结率X%。\n"
        "存在的不足：一是基层力量薄弱，专业人员缺乏。二是经费保障不足。"
    )
    assert [p.section for p in paragraphs] == [
        "（一）有序完成机构改革",
        "（二）1-6月份重点工作推进情况",
        "存在的不足",
    ]
    assert roles(labeler, paragraphs)[2] == "problem"


def test_the_issue_problem_paragraphs_get_problem_from_the_heading(labeler):
    paragraphs = segment(SUMMARY)
    assert [p.section_path[0] for p in paragraphs] == [
        "一、上半年工作完成情况",
        *["二、存在问题"] * 3,
        "三、下半年工作打算",
    ]
    labels = labeler.label_report(paragraphs, None)
    assert [label.role for label in labels] == ["achievement", "problem", "problem", "problem", "plan"]
    for label in labels[1:4]:  # the heading decides: the text alone reads as a work item
        assert label.votes["role"]["problem_opener"] is None
        assert label.votes["role"]["section_heading"] == "problem"
    # the same with the problem heading run into the line before, and as a sub-heading
    run_in = segment(SUMMARY.replace("同比增长X%。\n二、存在问题\n", "同比增长X%。二、存在问题"))
    assert [p.text for p in run_in] == [p.text for p in paragraphs]
    assert roles(labeler, run_in) == ["achievement", "problem", "problem", "problem", "plan"]
    nested = segment(
        SUMMARY.replace("二、存在问题", "（二）存在的主要问题")
        .replace("（一）人才", "1.人才")
        .replace("（二）项目", "2.项目")
    )
    assert nested[1].section_path == ("一、上半年工作完成情况", "（二）存在的主要问题", "1.人才引进渠道偏窄")
    assert roles(labeler, nested)[1:4] == ["problem"] * 3


@pytest.fixture(scope="module")
def seed_documents(tmp_path_factory, prepare_config):
    """The seed sample split into its documents, one file per line, through `prepare`."""
    folder = tmp_path_factory.mktemp("seed")
    lines = SEED_SAMPLE.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines, 1):
        (folder / f"summary-{i:02d}.txt").write_text(line + "\n", encoding="utf-8")
    out = tmp_path_factory.mktemp("seed-prepared") / "out"  # never inside its input
    prepare([folder], out, prepare_config)
    rows = [json.loads(x) for x in (out / "paragraphs.jsonl").read_text(encoding="utf-8").splitlines()]
    return lines, {
        f"summary-{i:02d}": [r for r in rows if r["doc_id"] == f"summary-{i:02d}"]
        for i in range(1, len(lines) + 1)
    }


def test_seed_documents_lose_nothing_and_are_normalised(seed_documents):
    lines, documents = seed_documents
    t2s = opencc.OpenCC("t2s")
    for (doc_id, rows), line in zip(documents.items(), lines):
        assert rows, doc_id
        rest = re.sub(r"\s", "", normalize(line))
        for row in rows:
            text = re.sub(r"\s", "", row["text"])
            assert text in rest, (doc_id, row["index"])
            rest = rest.replace(text, "", 1)
            assert not re.search(r"[（(][a-zü]*[āáǎàēéěèīíǐìōóǒòūúǔù]", text)
            assert t2s.convert(text) == text
        for heading in {h for row in rows for h in row["section_path"]}:
            rest = rest.replace(heading, "", 1)
        assert rest == "", doc_id  # only bare headings are not in a paragraph, and they are in the paths


def test_seed_documents_headings_and_roles(seed_documents):
    _, documents = seed_documents
    all_rows = [r for rows in documents.values() for r in rows]

    def row(start):
        (found,) = [r for r in all_rows if r["text"].startswith(start)]
        return found

    problem = row("四、存在的问题2023年")
    assert problem["section_path"] == ["四、存在的问题"] and problem["role"] == "problem"
    assert row("（一）有序完成应急管理")["section"] == "（一）有序完成应急管理机构改革"
    quarter = [r for r in all_rows if r["section_path"][:1] == ["二、下季度工作计划"]]
    assert len(quarter) == 3 and {r["role"] for r in quarter} == {"plan"}
    half_year = [r for r in all_rows if r["section_path"][:1] == ["三、1-6月份工作中存在问题"]]
    assert len(half_year) == 3 and {r["role"] for r in half_year} == {"problem"}
    plan = row("三、下步工作打算一是优化")  # the title runs into an `一是` list: one paragraph
    assert plan["section_path"] == ["三、下步工作打算"] and plan["role"] == "plan"
    assert row("三、下一步工作计划我镇")["role"] == "plan"
