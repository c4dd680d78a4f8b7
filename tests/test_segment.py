from conftest import REPORT_TEXT, SEED_SAMPLE
from policytag.runtime.blocks import Block
from policytag.runtime.segment import SegmentConfig, Segmenter


def segment(text: str, **config):
    blocks = [Block(line, i + 1) for i, line in enumerate(text.splitlines()) if line.strip()]
    paragraphs, warnings = Segmenter(SegmentConfig(**config)).segment("doc", blocks)
    return paragraphs, warnings


def test_headings_set_sections_and_are_not_paragraphs():
    paragraphs, _ = segment(REPORT_TEXT)
    texts = [p.text for p in paragraphs]
    assert not any(
        t.startswith(("各位代表", "一、2023年工作回顾", "二、2024年工作安排", "特此报告")) for t in texts
    )
    assert paragraphs[0].section_path == ("一、2023年工作回顾",)
    assert paragraphs[0].text.startswith("全年地区生产总值")
    last = paragraphs[-1]
    # a run-in title stays in its paragraph and is also its nearest heading
    assert last.section_path == ("二、2024年工作安排", "（一）加快建设现代化产业体系")
    assert last.text.startswith("（一）加快建设现代化产业体系。")
    assert last.headings_above == ("二、2024年工作安排",)
    assert [p.index for p in paragraphs] == list(range(len(paragraphs)))
    assert paragraphs[1].id == "doc#0001"


def test_run_in_title_becomes_the_heading_of_following_paragraphs():
    paragraphs, _ = segment(
        "一、2023年工作回顾\n（一）产业发展取得新成效。新引进项目32个。\n园区产值突破千亿元，增长12%。"
    )
    assert paragraphs[1].section_path == ("一、2023年工作回顾", "（一）产业发展取得新成效")


def test_inline_headings_split_lines():
    line = "全年完成目标任务，但存在的困难和问题仍然突出。四、存在的问题2023年，通过全体干部职工的共同努力，工作取得一定成效。"
    paragraphs, _ = segment(line)
    assert len(paragraphs) == 2
    assert paragraphs[1].text.startswith("四、存在的问题2023年")
    plan, _ = segment("三、2024年工作计划(一)突出文化涵养,提升先进文化引领新水平。堅持舉旗幟、聚民心。")
    assert len(plan) == 1
    assert plan[0].section_path == ("三、2024年工作计划", "（一）突出文化涵养，提升先进文化引领新水平")
    assert plan[0].text.startswith("（一）突出文化涵养，提升先进文化引领新水平。坚持举旗帜")


def test_list_numbers_inside_sentences_do_not_split():
    line = "现代服务业占比提高。二、三产比例为46:54，三产占GDP比重首次超过一半，现代服务业占三产比重达78%。"
    paragraphs, _ = segment("一、2016年工作回顾\n" + line)
    assert len(paragraphs) == 1


def test_glossary_signatures_and_dates_are_dropped():
    text = "一、2023年工作回顾\n全年地区生产总值增长5.2%，完成年度目标。\n张三\n2024年1月10日\n名词解释\n三偏四短：产业结构偏重、民营经济偏弱。"
    paragraphs, _ = segment(text)
    assert [p.text for p in paragraphs] == ["全年地区生产总值增长5.2%，完成年度目标。"]


def test_glossary_title_run_on_after_the_last_paragraph_starts_the_glossary():
    text = (
        "一、2018年工作安排\n让我们团结一心，努力奋斗，向建省三十周年献礼！主要名词解释：\n"
        "1.多规合一：指在一级政府一级事权下，强化各类规划的衔接。\n2.五网：路网、光网、电网、气网、水网。"
    )
    paragraphs, _ = segment(text)
    assert [p.text for p in paragraphs] == ["让我们团结一心，努力奋斗，向建省三十周年献礼！"]
    closing, _ = segment(
        text.replace("让我们", "各位代表，让我们")
    )  # an address opens the paragraph, no more
    assert [p.text for p in closing] == ["各位代表，让我们团结一心，努力奋斗，向建省三十周年献礼！"]


def test_greeting_alone_is_dropped_but_a_paragraph_opening_with_it_is_kept():
    text = (
        "各位代表、各位委员：\n一、2017年工作回顾\n全年地区生产总值增长8%。\n"
        "各位代表，在充分肯定成绩的同时，我们也清醒地认识到，发展中还存在诸多困难和问题。\n各位代表！"
    )
    paragraphs, _ = segment(text)
    assert [p.text[:8] for p in paragraphs] == ["全年地区生产总值", "各位代表，在充分"]


def test_a_paragraph_broken_in_mid_sentence_is_joined_again():
    # as in the sample's 临沂市/2018.md: page breaks became blank lines inside paragraphs
    text = (
        "一、2017年工作回顾\n（四）人民群众生活得到新改善。围绕增进民生福祉，集中\n"
        "力量实施十大领域百项惠民工程，全市财政用于民生支出486亿元。\n"
        "（五）政府自身建设出现新气象。认真落实全面从严治党各项要求。\n"
        "全年财政收入增长5%，完成预算\n二、2018年工作安排\n全年地区生产总值增长8%左右，一般公共预算收入增长7%\n2018年主要任务"
    )
    paragraphs, _ = segment(text)
    assert [p.text for p in paragraphs] == [
        "（四）人民群众生活得到新改善。围绕增进民生福祉，集中力量实施十大领域百项惠民工程，全市财政用于民生支出486亿元。",
        "（五）政府自身建设出现新气象。认真落实全面从严治党各项要求。",
        "全年财政收入增长5%，完成预算",  # the next line is a numbered heading
        "全年地区生产总值增长8%左右，一般公共预算收入增长7%",  # the next line reads as a heading
    ]
    assert paragraphs[0].line == 2
    apart, _ = segment(text, rejoin_broken_lines=False)
    assert len(apart) == 5


def test_five_megabyte_line_is_cut_at_sentence_ends():
    sentence = "全年完成固定资产投资一百亿元，同比增长百分之五。"
    paragraphs, warnings = segment(sentence * (5_000_000 // len(sentence)), max_paragraph_chars=5000)
    assert len(paragraphs) > 900
    assert all(len(p.text) <= 5000 and p.text.endswith("。") for p in paragraphs)
    assert warnings and "cut at sentence ends" in warnings[0]


def test_seed_sample_inline_headings_are_split():
    text = SEED_SAMPLE.read_text(encoding="utf-8")
    paragraphs, _ = segment(text)
    lines = text.count("\n") + 1
    assert len(paragraphs) > lines  # several lines hold more than one section
    sections = {s for p in paragraphs for s in p.section_path}
    assert {"四、存在的问题", "三、2024年工作计划", "二、下季度工作计划", "三、下一步工作计划"} <= sections
    assert any(p.text.startswith("四、存在的问题2023年") for p in paragraphs)


def test_a_numbered_paragraph_sits_under_the_parent_not_its_sibling():
    text = (
        "三、存在问题\n（一）项目建设瓶颈制约多。审批耗时长。\n（二）公路建设融资难度大。地方自筹资金不足。"
    )
    paragraphs, _ = segment(text)
    assert [p.section_path for p in paragraphs] == [
        ("三、存在问题", "（一）项目建设瓶颈制约多"),
        ("三、存在问题", "（二）公路建设融资难度大"),
    ]
