"""Random bytes, random Unicode and random JSON lines through the readers, the segmenter and
the gold and annotation readers: never a crash, and every line either kept or named as skipped."""

import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policytag.data.gold import GoldError, read_gold
from policytag.io.readers import FORMATS, read_report
from policytag.labels.annotations import load_annotations
from policytag.runtime.blocks import text_blocks
from policytag.runtime.encoding import UnreadableFile, decode_bytes
from policytag.runtime.segment import Segmenter

QUICK = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CHINESE = st.characters(min_codepoint=0x4E00, max_codepoint=0x4FFF)
TEXT = st.text(
    st.one_of(st.characters(exclude_categories=["Cs"]), CHINESE, st.sampled_from("。；，、：\n#*一二三（）")),
    max_size=300,
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=10,
)
LABELS = st.sampled_from(
    ["achievement", "plan", "problem", "economy", "education", "praise", "", None, 3, ["plan"]]
)
ROWS = st.fixed_dictionaries(
    {},
    optional={
        "id": st.one_of(st.text(max_size=4), st.integers()),
        "doc_id": st.text(max_size=4),
        "text": TEXT,
        "role": LABELS,
        "domain": LABELS,
        "domain_alt": LABELS,
        "label": st.one_of(st.lists(LABELS), LABELS),
    },
)
LINES = st.lists(
    st.one_of(
        ROWS.map(lambda r: json.dumps(r, ensure_ascii=False)),
        JSON_VALUES.map(json.dumps),
        st.text(max_size=40).filter(lambda s: "\n" not in s and "\r" not in s),
    ),
    max_size=12,
)


@contextmanager
def _written(lines: list[str], name: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="policytag-fuzz-") as folder:
        path = Path(folder) / name
        path.write_text("\n".join(lines), encoding="utf-8")
        yield path


def _counted_lines(path: Path) -> int:
    return sum(1 for line in path.read_text(encoding="utf-8").splitlines() if line.strip())


@QUICK
@given(st.binary(max_size=2000))
def test_decoding_random_bytes_gives_text_or_says_why(data):
    try:
        text, encoding = decode_bytes(data)
    except UnreadableFile as err:
        assert str(err)
    else:
        assert isinstance(text, str) and encoding


@QUICK
@given(st.binary(max_size=2000), st.sampled_from(FORMATS))
def test_every_reader_reads_random_bytes_or_says_why(data, suffix):
    try:
        report = read_report("x", PurePosixPath("x" + suffix), data)
    except UnreadableFile as err:
        assert str(err)
    else:
        assert report.blocks or report.records


@QUICK
@given(TEXT)
def test_random_unicode_is_read_and_segmented(text):
    for suffix in (".txt", ".md", ".jsonl"):
        try:
            report = read_report("x", PurePosixPath("x" + suffix), text.encode("utf-8"))
        except UnreadableFile:
            continue
        paragraphs, _ = Segmenter().segment("x", report.blocks)
        assert [p.index for p in paragraphs] == list(range(len(paragraphs)))
        assert all(p.text.strip() for p in paragraphs)
    paragraphs, _ = Segmenter().segment("x", text_blocks(text))
    assert all(isinstance(p.text, str) for p in paragraphs)


@QUICK
@given(LINES)
def test_jsonl_input_keeps_or_names_every_line(lines):
    data = "\n".join(lines).encode("utf-8")
    try:
        report = read_report("x", PurePosixPath("x.jsonl"), data)
    except UnreadableFile:
        return
    total = sum(1 for line in data.decode("utf-8").splitlines() if line.strip())
    assert len(report.records) + len(report.warnings) == total


@QUICK
@given(LINES)
def test_gold_reader_keeps_or_names_every_line(schema, lines):
    with _written(lines, "gold.jsonl") as path:
        try:
            rows, problems = read_gold(path, schema)
        except GoldError as err:
            assert str(path) in str(err)
            return
        assert len(rows) + len(problems) == _counted_lines(path)
    assert len({r["id"] for r in rows}) == len(rows)


@QUICK
@given(LINES, st.sampled_from([".jsonl", ".json"]))
def test_annotation_reader_keeps_or_names_every_line(schema, lines, suffix):
    with _written(lines, "hand" + suffix) as path:
        annotations = load_annotations([path], schema)
        if suffix == ".jsonl":
            assert annotations.rows + len(annotations.problems) == _counted_lines(path)
    assert all(str(path) in problem for problem in annotations.problems)
