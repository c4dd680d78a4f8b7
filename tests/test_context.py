"""The heading path is read before the paragraph everywhere: the framing, training's choice of
paths, every backend and the standalone `predictor.py`."""

import json
import subprocess
import sys

import numpy as np
import pytest

from policytag import Predictor
from policytag.runtime.windows import ContextConfig, WindowConfig, WindowFraming, heading_path

SPECIALS = {"first": 101, "last": 102, "pad": 0}
TEXTS = [
    "（一）人才引进渠道偏窄。近年来我局引进高层次人才数量有限，结构不够合理。",
    "一是农村生活污水治理进度偏慢，部分设施运行维护经费不足。",
]
SECTIONS = [["三、存在的问题"], "存在问题和不足"]


def framing(budget: int = 6, max_length: int = 24) -> WindowFraming:
    return WindowFraming(
        SPECIALS, (7,), WindowConfig(max_length=max_length, stride=2), ContextConfig(max_path_tokens=budget)
    )


def test_path_is_the_first_segment_of_every_window_nearest_heading_kept_first():
    f = framing()
    windows = f.frame(list(range(200, 240)), [[1, 2, 3], [4, 5], [6, 8, 9]])
    assert len(windows) > 1
    for window in windows:  # [CLS] prefix path [SEP] text [SEP]: the top heading dropped, not the nearest
        assert window[:7] == [101, 7, 4, 5, 6, 8, 9] and window[7] == 102 and window[-1] == 102
        assert len(window) <= 24
    assert f.path_ids([[1, 2, 3, 4, 5, 6, 7, 8]]) == [1, 2, 3, 4, 5, 6]  # a long nearest heading is cut
    assert f.frame([200, 201]) == [[101, 7, 200, 201, 102]]  # no path: the context-free window
    off = WindowFraming(SPECIALS, (7,), WindowConfig(max_length=24, stride=2), ContextConfig(enabled=False))
    assert off.frame([200, 201], [[1, 2]]) == [[101, 7, 200, 201, 102]]


def test_a_budget_that_leaves_no_room_is_refused_naming_the_key():
    with pytest.raises(ValueError, match="max_path_tokens"):
        framing(budget=48, max_length=48)


def test_a_run_in_title_is_not_fed_twice():
    assert heading_path(
        ["一、工作回顾", "（一）项目融资压力较大。"], "（一）项目融资压力较大。县级财政难以支撑。"
    ) == ["一、工作回顾"]
    assert heading_path("存在问题", "一是进度偏慢。") == ["存在问题"] and heading_path(None) == []


def test_training_shares_pick_the_same_paragraphs_every_time():
    context = ContextConfig(drop_share=0.2, nearest_share=0.3)
    path = ["一、回顾", "（二）民生"]
    ids = [f"doc#{i:04d}" for i in range(2000)]
    first = [context.training_path(path, i) for i in ids]
    assert first == [ContextConfig(drop_share=0.2, nearest_share=0.3).training_path(path, i) for i in ids]
    dropped, nearest = sum(p == [] for p in first), sum(p == ["（二）民生"] for p in first)
    assert 300 < dropped < 500 and 500 < nearest < 700 and 2000 - dropped - nearest > 800


@pytest.mark.parametrize("backend", ["torch", "torch-int8", "onnx-int8"])
def test_every_backend_reads_the_path(tiny_export, backend):
    predictor = Predictor.load(tiny_export, backend=backend)
    assert predictor.settings.context is not None and predictor.settings.context.enabled
    texts = [t for t in TEXTS]
    with_path = predictor.tagger.windows(texts, [["三、存在的问题"], ["存在问题和不足"]])
    assert with_path != predictor.tagger.windows(texts)
    plain = predictor.tagger.logits(texts)
    framed = predictor.tagger.logits(texts, [["三、存在的问题"], ["存在问题和不足"]])
    assert not np.allclose(plain[0], framed[0]) and not np.allclose(plain[1], framed[1])
    tags = predictor.predict(texts, SECTIONS)
    assert [t.section_path for t in tags] == [["三、存在的问题"], ["存在问题和不足"]]
    assert [t.role_score for t in tags] != [t.role_score for t in predictor.predict(texts)]


STANDALONE = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
import predictor
texts, sections = json.loads(sys.argv[2])
tagger = predictor.load()
print(json.dumps([[t.to_dict() for t in tagger.predict(texts, s)] for s in (sections, None)], ensure_ascii=False))
"""


def test_standalone_module_reads_the_path_and_tags_as_the_package(tiny_export, tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            "-I",
            "-c",
            STANDALONE,
            str(tiny_export),
            json.dumps([TEXTS, SECTIONS], ensure_ascii=False),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    in_context, alone = json.loads(done.stdout)
    assert [t["role_score"] for t in in_context] != [t["role_score"] for t in alone]
    package = Predictor.load(tiny_export, backend="onnx-int8").predict(TEXTS, SECTIONS)
    for mine, theirs in zip(package, in_context):
        assert (mine.role, mine.domain, mine.section_path) == (
            theirs["role"],
            theirs["domain"],
            theirs["section_path"],
        )
        assert mine.role_score == pytest.approx(theirs["role_score"], abs=1e-4)


def test_evaluate_with_reports_finds_gold_rows_and_reports_those_it_cannot(tiny_export, tmp_path):
    from typer.testing import CliRunner

    from conftest import DATA
    from policytag.cli import app

    gold = tmp_path / "gold.jsonl"
    invented = {
        "id": "invented-1",
        "doc_id": "no-such-report",
        "text": "（二）项目融资压力较大。县级财政难以支撑。",
        "role": "problem",
        "domain": "economy",
    }
    lines = (DATA / "gold" / "dev.jsonl").read_text(encoding="utf-8").splitlines()
    gold.write_text("\n".join([*lines, json.dumps(invented, ensure_ascii=False)]) + "\n", encoding="utf-8")
    out = tmp_path / "eval"
    result = CliRunner().invoke(
        app,
        [
            "evaluate",
            str(tiny_export),
            "--data",
            str(gold),
            "--out",
            str(out),
            "--reports",
            str(DATA / "gold" / "dev-reports"),
            "--no-baseline",
        ],
    )
    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    found = metrics["context_found"]
    assert metrics["context"] == "reports" and found["not_found_ids"][-1] == "invented-1"
    assert found["exact"] + found["near"] + found["not_found"] == len(lines) + 1
    assert found["exact"] > len(lines) // 2 and metrics["n"] == found["exact"] + found["near"]
    assert "gold rows found in the reports" in (out / "report.md").read_text(encoding="utf-8")
    assert "Context: `reports`" in result.output

    alone = tmp_path / "alone"
    result = CliRunner().invoke(
        app,
        [
            "evaluate",
            str(tiny_export),
            "--data",
            str(gold),
            "--out",
            str(alone),
            "--no-context",
            "--no-baseline",
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads((alone / "metrics.json").read_text(encoding="utf-8"))["context"] == "none"
