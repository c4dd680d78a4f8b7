"""Shared fixtures: repository paths, the real configs, and Chinese report files built in-process."""

from __future__ import annotations

import io
import json
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"
DATA = ROOT / "data"
SEED_SAMPLE = DATA / "seed" / "work-summaries-sample.txt"

REPORT_TEXT = """各位代表：
一、2023年工作回顾
全年地区生产总值增长5.2%，一般公共预算收入完成120亿元，同比增长6%。
（一）产业发展取得新成效。新引进产业项目32个，园区工业总产值突破千亿元。
我们也清醒看到，发展中还存在一些问题和不足，产业结构还不够优化，民生短板依然存在。
二、2024年工作安排
（一）加快建设现代化产业体系。力争规上工业增加值增长8%，新开工产业项目40个。
特此报告。"""


@pytest.fixture(scope="session")
def schema():
    from policytag.labels.schema import LabelSchema

    return LabelSchema.load(CONFIGS / "taxonomy.yaml")


@pytest.fixture(scope="session")
def prepare_config():
    """The real default dataset recipe, clamped to one worker so tests stay light."""
    from policytag.data.prepare import load_prepare_config

    return load_prepare_config(CONFIGS / "data" / "default.yaml", ["workers=1"])


def glyph_warnings(draw) -> list[str]:
    """matplotlib's warnings about glyphs missing from the font while `draw()` runs."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        draw()
    return [str(w.message) for w in caught if "missing from font" in str(w.message)]


def make_docx(path: Path, lines: list[tuple[str, str | None]]) -> Path:
    """A Word file with (text, style) paragraphs; style 'Heading 1' marks headings."""
    import docx

    document = docx.Document()
    for text, style in lines:
        document.add_paragraph(text, style=style)
    document.save(str(path))
    return path


def make_pdf(path: Path, lines: list[str]) -> Path:
    """A PDF with a real Chinese text layer (Adobe's built-in STSong CID font)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.setFont("STSong-Light", 11)
    y = 800
    for line in lines:
        page.drawString(40, y, line)
        y -= 18
    page.save()
    path.write_bytes(buffer.getvalue())
    return path


def tiny_args(dataset: Path, *extra: str) -> list[str]:
    """`policytag train tiny` on a prepared dataset, validated on the dev gold."""
    return [
        "train",
        "tiny",
        "--set",
        f"data.dataset={dataset}",
        "--set",
        f"data.dev={DATA / 'gold' / 'dev.jsonl'}",
        *extra,
    ]


@pytest.fixture(scope="session")
def dataset(tmp_path_factory):
    """The shipped sample, prepared once per test session."""
    from policytag.data.prepare import load_prepare_config, prepare

    out = tmp_path_factory.mktemp("prepared")
    corpus = json.dumps([str(DATA / "annotations" / "corpus.jsonl")])  # the first of main_job.LABELLED
    prepare(
        [DATA / "raw"],
        out,
        load_prepare_config(CONFIGS / "data" / "default.yaml", ["workers=1", f"labelled={corpus}"]),
    )
    return out


@pytest.fixture(scope="session")
def tiny_run(dataset, tmp_path_factory):
    """A finished run of the tiny recipe (a few seconds of training)."""
    from typer.testing import CliRunner

    from policytag.cli import app

    run = tmp_path_factory.mktemp("tiny-run") / "run"
    result = CliRunner().invoke(app, [*tiny_args(dataset), "--out", str(run)])
    assert result.exit_code == 0, result.output
    return run


@pytest.fixture(scope="session")
def tiny_export(tiny_run, tmp_path_factory):
    """The tiny run exported (a small parity check keeps it quick)."""
    from policytag.export.build import ExportConfig, export

    out = tmp_path_factory.mktemp("tiny-export") / "export"
    export(tiny_run, out, ExportConfig(parity_paragraphs=60))
    return out
