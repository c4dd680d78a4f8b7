"""`policytag distill` with the tiny recipe: the teacher tags corpus paragraphs (never dev or
held-out ones), a one-layer student learns them, and exports, tags and runs standalone as any run."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from test_standalone_parity import FIELDS, standalone_tags
from typer.testing import CliRunner

from conftest import DATA
from policytag import Predictor
from policytag.cli import app
from policytag.io.jsonl import read_labelled

runner = CliRunner()


def unlabelled_reports(folder: Path, count: int = 6) -> Path:
    """Training reports of the sample, each paragraph reworded a little: reports nobody labelled."""
    labelled = {r["doc_id"] for r in read_labelled(DATA / "annotations" / "sample.jsonl")}
    held_out = {r["doc_id"] for r in read_labelled(DATA / "annotations" / "sample-heldout.jsonl")}
    reports = sorted(
        p
        for p in (DATA / "raw").rglob("*.md")
        if p.relative_to(DATA / "raw").with_suffix("").as_posix() in labelled - held_out
    )
    for report in reports[:count]:
        lines = report.read_text(encoding="utf-8").splitlines()
        copy = folder / report.relative_to(DATA / "raw")
        copy.parent.mkdir(parents=True, exist_ok=True)
        copy.write_text(
            "\n".join(x if x.startswith("#") or not x.strip() else x + "（另见附件）" for x in lines),
            encoding="utf-8",
        )
    return folder


@pytest.fixture(scope="module")
def student(tiny_export, dataset, tmp_path_factory):
    run = tmp_path_factory.mktemp("distill") / "student"
    unlabelled = unlabelled_reports(tmp_path_factory.mktemp("corpus"))
    # the labelled sample, its held-out reports and the dev reports are offered too: all must be refused
    corpus = [unlabelled, DATA / "raw", DATA / "gold" / "dev-reports"]
    args = ["distill", str(tiny_export), *map(str, corpus), "--out", str(run), "--recipe", "tiny"]
    args += ["--labelled", str(dataset), "--paragraphs", "200"]
    for key in ("backbone.layers=1", "data.max_train=200", "optim.max_steps=null", "eval.every_steps=40"):
        args += ["--set", key]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return run


def test_the_teacher_tags_corpus_paragraphs_with_probabilities_of_every_label(student, tiny_export):
    rows = read_labelled(student / "teacher-tags.jsonl")
    labels = Predictor.load(tiny_export).settings.labels
    assert len(rows) == 200  # of more than that allowed
    for row in rows:
        assert list(row["soft_role"]) == list(labels.role) and list(row["soft_domain"]) == list(labels.domain)
        assert (
            abs(sum(row["soft_role"].values()) - 1) < 0.01
            and abs(sum(row["soft_domain"].values()) - 1) < 0.01
        )
        assert "role" not in row and "domain" not in row  # soft labels only, no hand label


def test_no_dev_held_out_or_selection_report_is_distilled_on(student, tiny_export):
    rows = read_labelled(student / "teacher-tags.jsonl")
    dev = read_labelled(DATA / "gold" / "dev.jsonl")
    held_out = [r for p in (DATA / "annotations").glob("*heldout*.jsonl") for r in read_labelled(p)]
    forbidden = {r["doc_id"] for r in dev + held_out if r.get("doc_id")}
    forbidden |= set(Predictor.load(tiny_export).settings.training.selection_reports)
    assert forbidden and not forbidden & {r["doc_id"] for r in rows}
    assert not {r["text"] for r in dev} & {r["text"] for r in rows}
    labelled = {r["text"] for r in read_labelled(DATA / "annotations" / "sample.jsonl")}
    assert not labelled & {r["text"] for r in rows}
    assert all(r["text"].endswith("（另见附件）") for r in rows)  # only the unlabelled reports


def test_the_student_is_a_smaller_run_that_records_what_it_learnt_from(student):
    record = json.loads((student / "run.json").read_text(encoding="utf-8"))
    assert record["soft"] == [str((student / "teacher-tags.jsonl").resolve())]
    config = json.loads((student / "best" / "config.json").read_text(encoding="utf-8"))
    assert config["num_hidden_layers"] == 1  # the tiny backbone has 2
    provenance = json.loads((student / "provenance.json").read_text(encoding="utf-8"))
    assert str((student / "teacher-tags.jsonl").resolve()) in {
        str(Path(p).resolve()) for p in provenance["data"]
    }


@pytest.mark.slow
def test_the_student_exports_and_its_standalone_predictor_tags_as_the_package(student, tmp_path):
    from policytag.export.build import ExportConfig, export

    exported = tmp_path / "export"
    export(student, exported, ExportConfig(parity_paragraphs=40))
    reports = sorted(str(p) for p in (DATA / "gold" / "dev-reports").glob("*.md"))[:3]
    alone = standalone_tags(exported, reports, tmp_path)
    package = Predictor.load(exported, backend="onnx-int8")
    for report in reports:
        mine = [{k: t.to_dict()[k] for k in FIELDS} for t in package.predict_documents([report])]
        assert mine and [{k: r[k] for k in FIELDS} for r in alone[report]] == json.loads(json.dumps(mine))


def test_probabilities_are_what_predict_picks_from(tiny_export):
    predictor = Predictor.load(tiny_export)
    texts = ["全年地区生产总值增长5%。", "力争新开工项目40个。", ""]
    sections = [["一、2024年工作回顾"], ["二、2025年工作安排"], None]
    role, domain = predictor.probabilities(texts, sections)
    tags = predictor.predict(texts, sections)
    labels = predictor.settings.labels
    assert np.allclose(role[:2].sum(1), 1, atol=1e-4) and not role[2].any()
    assert [labels.role[i] for i in role[:2].argmax(1)] == [t.role for t in tags[:2]]
    assert [labels.domain[i] for i in domain[:2].argmax(1)] == [t.domain for t in tags[:2]]


def test_soft_targets_are_learnt_and_a_label_outside_the_taxonomy_is_named():
    from policytag.training.data import encode_rows
    from policytag.training.step import soft_loss

    target = torch.tensor([[0.7, 0.2, 0.1], [0.0, 0.0, 0.0]])
    logits = torch.zeros(2, 3, requires_grad=True)
    soft_loss(logits, target).backward()
    assert logits.grad[0].argmin() == 0 and not logits.grad[1].any()  # pulled towards the target only
    assert soft_loss(torch.zeros(1, 3), torch.zeros(1, 3)).item() == 0.0

    class Windows:
        framing = type("F", (), {"path_budget": 0})()

        def encode(self, texts, paths):
            return [[[1, 2]] for _ in texts]

    with pytest.raises(ValueError, match="row p7: soft_domain"):
        encode_rows([{"id": "p7", "text": "…", "soft_domain": {"nowhere": 1.0}}], Windows(), ["a"], ["x"])
