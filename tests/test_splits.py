from pathlib import PurePosixPath

import pytest

from policytag.data.metadata import report_ids, report_meta
from policytag.data.splits import SplitConfig, assign_splits


def reports(n):
    return {
        f"r{i:03d}": {"level": ["city", "province"][i % 2], "region": f"R{i % 5}", "year": 2010 + i % 10}
        for i in range(n)
    }


def test_split_sizes_follow_fractions_within_each_stratum():
    assignment = assign_splits(reports(100), SplitConfig(seed=1))
    counts = {s: sum(1 for v in assignment.values() if v == s) for s in ("train", "validation", "test")}
    assert counts == {"train": 80, "validation": 10, "test": 10}
    for level in ("city", "province"):
        ids = [k for k, m in reports(100).items() if m["level"] == level]
        assert sum(1 for k in ids if assignment[k] == "test") == 5


def test_seed_decides_and_repeats():
    assert assign_splits(reports(50), SplitConfig(seed=3)) == assign_splits(reports(50), SplitConfig(seed=3))
    assert assign_splits(reports(50), SplitConfig(seed=3)) != assign_splits(reports(50), SplitConfig(seed=4))


def test_holdout_by_year():
    from policytag.data.splits import HoldoutConfig

    assignment = assign_splits(reports(40), SplitConfig(holdout=HoldoutConfig("year", ["2019"], "future")))
    held = {k for k, v in assignment.items() if v == "future"}
    assert held == {k for k, m in reports(40).items() if m["year"] == 2019}


def test_bad_fractions_fail():
    with pytest.raises(ValueError, match="sum to 1"):
        SplitConfig(fractions={"train": 0.9, "test": 0.2})


def test_report_ids_stay_unique_and_metadata_comes_from_the_path():
    rels = [
        PurePosixPath(p)
        for p in (
            "政府工作报告-主要城市/上海市/2003.md",
            "政府工作报告-省自治区/广东省/2003.md",
            "福田区_2019.txt",
        )
    ]
    assert report_ids(rels) == [
        "政府工作报告-主要城市/上海市/2003",
        "政府工作报告-省自治区/广东省/2003",
        "福田区_2019",
    ]
    meta = report_meta(rels[0], None)
    assert (meta.level, meta.region, meta.year) == ("city", "上海市", 2003)
    assert report_meta(rels[2], None).year == 2019
    national = report_meta(PurePosixPath("政府工作报告-国务院/2024.md"), None)
    assert (national.level, national.region, national.year) == ("national", None, 2024)
    assert report_meta(PurePosixPath("a/b.txt"), "2021年政府工作报告").year == 2021
