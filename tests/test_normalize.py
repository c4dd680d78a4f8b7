import re

from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import SEED_SAMPLE
from policytag.runtime.mojibake import count_mojibake
from policytag.runtime.normalize import normalize, strip_pinyin, to_simplified

PINYIN = re.compile(r"[(（][a-zü\u00e0-\u01dc]+[)）]")


def test_pinyin_annotations_are_removed_after_characters():
    assert strip_pinyin("理順園區(qū)管理體(tǐ)制") == "理順園區管理體制"
    assert normalize("經(jīng)開區(qū)") == "经开区"


def test_brackets_that_are_not_pinyin_stay():
    assert normalize("各乡镇(街道)完成") == "各乡镇（街道）完成"
    assert normalize("国内生产总值(GDP)增长") == "国内生产总值（GDP）增长"


def test_traditional_becomes_simplified_and_punctuation_full_width():
    assert (
        normalize("強化規範監管服務;嚴格規劃管理,確保質量!") == "强化规范监管服务；严格规划管理，确保质量！"
    )


def test_numbers_keep_ascii_punctuation_and_spaces_next_to_chinese_go():
    assert normalize("投资 1,000 万元，比例 46:54 ，增长 5.2%") == "投资1,000万元，比例46:54，增长5.2%"


def test_redaction_placeholders_survive():
    text = "资助资金X万元，完成排查*栋，签约项目xx个，XXXX年组建"
    assert normalize(text) == text


def test_seed_sample_has_no_pinyin_or_traditional_left():
    raw = SEED_SAMPLE.read_text(encoding="utf-8")
    assert len(PINYIN.findall(raw)) > 1000  # the sample really is annotated
    clean = normalize(raw)
    assert PINYIN.findall(clean) == []
    assert [ch for ch in set(clean) if to_simplified(ch) != ch] == []


def test_mojibake_is_counted_not_crashing():
    raw = SEED_SAMPLE.read_text(encoding="utf-8")
    assert count_mojibake(raw) >= 5
    assert count_mojibake("生活富?!钡目傄螅艳r(nóng)业") >= 1
    assert count_mojibake("这是正常的中文句子，没有乱码。你好吗?") == 0
    assert count_mojibake("锟斤拷\ufffd鈥") >= 2


REPORTISH = st.lists(
    st.sampled_from(
        list("區園體經濟发展一二三（）()：:，,。;；!？? 　\t\nqūàǐdeX*1234.%年") + ["(qū)", "(de)"]
    ),
    max_size=40,
).map("".join)


@settings(max_examples=400, deadline=None)
@given(REPORTISH)
def test_normalize_is_idempotent(text):
    once = normalize(text)
    assert normalize(once) == once


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_normalize_is_idempotent_on_any_unicode(text):
    once = normalize(text)
    assert normalize(once) == once
