"""`policytag predict` at corpus scale: the same rows from one process, two worker processes and
a Ray actor pool; Parquet files and folders of parts with the model's hash; --resume after a
killed run; Ray failing clearly, never falling back.

One local Ray (2 CPUs) serves the module; the tiny exported model tags a small archive of the
shipped reports (corpus layout, so level, region and year are filled) and a plain file."""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
import time

import pandas as pd
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from conftest import DATA, ROOT, SEED_SAMPLE
from policytag.cli import app
from policytag.corpus.plan import Done, make_plan
from policytag.corpus.run import CorpusRun, in_plan_order, tag_corpus
from policytag.corpus.schema import COLUMNS
from policytag.io.outputs import OutputRefused
from policytag.predict.predictor import Predictor
from policytag.runtime.checksum import sha256

runner = CliRunner()
BACKEND = "onnx-int8"
KEY = ["doc_id", "index"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """A .tar.gz of 14 shipped reports under their corpus paths, and one plain report file."""
    folder = tmp_path_factory.mktemp("corpus")
    reports = sorted((DATA / "raw").rglob("*.md"))[:14]
    archive = folder / "reports.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for path in reversed(reports):  # not in sorted order: the archive's own order counts
            tar.add(path, arcname=str(path.relative_to(DATA / "raw")))
    return [archive, SEED_SAMPLE]


@pytest.fixture(scope="module")
def local_rows(tiny_export, corpus, tmp_path_factory):
    """The reference: one local worker, one Parquet file."""
    out = tmp_path_factory.mktemp("local") / "tags.parquet"
    stats = tag_corpus(CorpusRun(tiny_export, corpus, out, BACKEND, progress=False))
    assert stats.tagged == 15 and stats.rows > 500 and not stats.skipped
    return _sorted(pd.read_parquet(out))


@pytest.fixture(scope="module")
def ray_local():
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.sort_values(KEY).reset_index(drop=True)
    for column in ("section_path", "top_domains"):  # arrays and structs compare as plain lists
        frame[column] = frame[column].map(lambda v: json.dumps(_plain(v), ensure_ascii=False))
    return frame


def _plain(value):
    if isinstance(value, dict):
        return [value["domain"], value["score"]]
    if value is None or isinstance(value, str):
        return value
    return [_plain(v) for v in value]


def test_rows_have_the_columns_and_equal_the_api_and_the_plan(local_rows, tiny_export, corpus):
    assert tuple(local_rows.columns) == COLUMNS
    assert not local_rows.duplicated(KEY).any()
    api = Predictor.load(tiny_export, backend=BACKEND).predict_documents(corpus)
    assert len(api) == len(local_rows)
    tags = sorted((t.doc_id, t.index, t.role, t.role_score, t.domain, t.domain_score) for t in api)
    assert tags == list(
        local_rows[["doc_id", "index", "role", "role_score", "domain", "domain_score"]].itertuples(
            index=False, name=None
        )
    )
    city = local_rows[local_rows["source"].str.contains("reports.tar.gz:")]
    assert city["level"].notna().all() and city["region"].notna().all() and city["year"].notna().all()
    assert [p.doc_id for p in make_plan(corpus)][-1] == "work-summaries-sample"


def test_two_worker_processes_give_the_same_rows(local_rows, tiny_export, corpus, tmp_path, schema):
    from policytag.findings.tables import read_tags

    out = tmp_path / "parts"
    stats = tag_corpus(CorpusRun(tiny_export, corpus, out, BACKEND, workers=2, progress=False))
    assert len(stats.workers) == 2 and all(w.startswith("pid-") for w in stats.workers)
    assert len(list(out.glob("part-*.parquet"))) == 15
    pd.testing.assert_frame_equal(_sorted(pd.read_parquet(out)), local_rows)
    assert len(read_tags([out], ["year", "level"], schema)) == len(local_rows)  # summarize reads the folder


def test_ray_actors_give_the_same_rows_and_record_the_model(
    ray_local, local_rows, tiny_export, corpus, tmp_path
):
    out = tmp_path / "ray.parquet"
    stats = tag_corpus(CorpusRun(tiny_export, corpus, out, BACKEND, workers=2, engine="ray", progress=False))
    assert len(stats.workers) == 2 and all(w.startswith("actor-") for w in stats.workers)
    assert ray_local.is_initialized()  # a Ray the caller started is left running
    rows = pd.read_parquet(out)
    assert list(dict.fromkeys(rows["doc_id"])) == [p.doc_id for p in make_plan(corpus)]  # a file: plan order
    pd.testing.assert_frame_equal(_sorted(rows), local_rows)
    meta = pq.read_schema(out).metadata
    assert meta[b"policytag.manifest_sha256"].decode() == sha256(tiny_export / "manifest.json")
    assert meta[b"policytag.taxonomy_version"].decode() == "sha256:" + sha256(tiny_export / "taxonomy.yaml")
    assert meta[b"policytag.backend"] == BACKEND.encode()


def test_more_ray_actors_than_cpus_is_refused_before_any_part(ray_local, tiny_export, corpus, tmp_path):
    out = tmp_path / "parts"
    with pytest.raises(ValueError, match="the actors need 3 CPUs and the Ray cluster has 2"):
        tag_corpus(CorpusRun(tiny_export, corpus, out, BACKEND, workers=3, engine="ray", progress=False))
    assert not list(out.glob("part-*"))
    tag_corpus(CorpusRun(tiny_export, [SEED_SAMPLE], out, BACKEND, progress=False))  # not refused as used
    assert len(list(out.glob("part-*.parquet"))) == 1


def test_jsonl_and_csv_carry_the_same_rows(local_rows, tiny_export, corpus, tmp_path):
    tag_corpus(CorpusRun(tiny_export, corpus, tmp_path / "t.jsonl", BACKEND, progress=False))
    tag_corpus(CorpusRun(tiny_export, [SEED_SAMPLE], tmp_path / "t.csv", BACKEND, progress=False))
    lines = [json.loads(line) for line in (tmp_path / "t.jsonl").read_text(encoding="utf-8").splitlines()]
    assert list(lines[0]) == list(COLUMNS) and len(lines) == len(local_rows)
    assert sorted((r["doc_id"], r["index"], r["role_score"]) for r in lines) == list(
        local_rows[["doc_id", "index", "role_score"]].itertuples(index=False, name=None)
    )
    table = pd.read_csv(tmp_path / "t.csv")
    assert tuple(table.columns) == COLUMNS and set(table["doc_id"]) == {"work-summaries-sample"}


def test_resume_after_a_killed_run_leaves_no_duplicate_or_missing_row(
    local_rows, tiny_export, corpus, tmp_path
):
    out = tmp_path / "parts"
    command = [sys.executable, "-m", "policytag.cli", "predict", str(tiny_export), *map(str, corpus)]
    process = subprocess.Popen([*command, "--out", f"{out}/", "--backend", BACKEND], cwd=ROOT)
    deadline = time.monotonic() + 120
    while len(list(out.glob("part-*.parquet"))) < 3 and process.poll() is None:
        assert time.monotonic() < deadline, "no parts written"
        time.sleep(0.05)
    process.kill()
    process.wait()
    (out / ".part-0123.parquet.99999.tmp").write_bytes(b"PAR1 half a part")  # as a kill mid-write leaves
    for part in sorted(out.glob("part-*.parquet"))[:2]:  # and some reports not done yet, whatever the timing
        part.unlink()
    before = len(list(out.glob("part-*.parquet")))
    stats = tag_corpus(CorpusRun(tiny_export, corpus, out, BACKEND, resume=True, progress=False))
    assert stats.resumed == before and stats.tagged == 15 - before
    assert not list(out.glob(".*.tmp"))
    pd.testing.assert_frame_equal(_sorted(pd.read_parquet(out)), local_rows)


def test_a_folder_is_refused_without_resume_and_resume_needs_a_folder(tiny_export, tmp_path):
    out = tmp_path / "parts"
    tag_corpus(CorpusRun(tiny_export, [SEED_SAMPLE], out, BACKEND, progress=False))
    with pytest.raises(OutputRefused, match="give --resume"):
        tag_corpus(CorpusRun(tiny_export, [SEED_SAMPLE], out, BACKEND, progress=False))
    with pytest.raises(OutputRefused, match="not tagged by this model and backend"):
        tag_corpus(CorpusRun(tiny_export, [SEED_SAMPLE], out, "torch", resume=True, progress=False))
    result = runner.invoke(
        app, ["predict", str(tiny_export), str(SEED_SAMPLE), "--out", str(tmp_path / "t.parquet"), "--resume"]
    )
    assert result.exit_code == 2 and "--resume needs an output folder" in result.output


def test_ray_at_an_unreachable_address_fails_clearly_and_writes_nothing(tiny_export, tmp_path):
    out = tmp_path / "tags.parquet"
    args = ["predict", str(tiny_export), str(SEED_SAMPLE), "--out", str(out), "--engine", "ray"]
    result = runner.invoke(app, [*args, "--ray-address", "127.0.0.1:9"])
    assert result.exit_code == 1
    assert "could not start or join Ray at 127.0.0.1:9" in result.output and "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


def test_ray_missing_is_named_with_the_extra_to_install(tiny_export, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError
    out = tmp_path / "tags.jsonl"
    result = runner.invoke(
        app, ["predict", str(tiny_export), str(SEED_SAMPLE), "--out", str(out), "--engine", "ray"]
    )
    assert result.exit_code == 1 and "pip install 'policytag[cluster]'" in result.output
    assert list(tmp_path.iterdir()) == []


def test_reports_finishing_out_of_order_are_written_in_plan_order():
    finished = [Done(n, [], worker="w") for n in (2, 0, 3, 1, 4)]
    assert [d.number for d in in_plan_order(finished, [0, 1, 2, 3, 4])] == [0, 1, 2, 3, 4]


def test_archive_members_read_in_any_order_come_back_whole(corpus):
    from policytag.io.picked import Picker

    listed = [p for p in make_plan(corpus) if p.where.member]
    with tarfile.open(corpus[0]) as tar:
        expected = {m.name: tar.extractfile(m).read() for m in tar if m.isfile()}
    picker = Picker()
    for planned in [*reversed(listed), *listed[:3]]:  # backwards: each asks the archive to start over
        source = picker.read(planned.where)
        assert source.error is None and source.source.endswith(planned.source)
        assert source.data == expected[planned.where.member]
