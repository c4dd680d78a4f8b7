"""Training for real, on the tiny BERT: what lands on disk, resuming, masked axes, recipes."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from conftest import CONFIGS, DATA, tiny_args
from policytag.cli import app
from policytag.training.config import load_train_config
from policytag.training.data import IGNORE, class_weights, length_batches

runner = CliRunner()


def tiny(dataset, *extra):
    return tiny_args(dataset, *extra)


def test_tiny_model_trains_and_the_run_folder_holds_what_it_should(dataset, tmp_path):
    run = tmp_path / "run"
    result = runner.invoke(app, [*tiny(dataset), "--out", str(run)])
    assert result.exit_code == 0, result.output
    for name in ("config.yaml", "command.txt", "provenance.json", "log.jsonl", "metrics.json"):
        assert (run / name).is_file(), name
    for name in ("config.json", "model.safetensors", "heads.safetensors", "tokenizer.json", "policytag.json"):
        assert (run / "best" / name).is_file(), name
    assert (run / "checkpoint" / "state.pt").is_file()
    provenance = json.loads((run / "provenance.json").read_text())
    assert provenance["versions"]["torch"] and len(provenance["git"]["revision"] or "x" * 40) == 40
    assert any(k.endswith("train.jsonl") for k in provenance["data"])
    log = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    assert [e["step"] for e in log if e["event"] == "eval"] == [6, 12]
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["n"] == 144 + 553  # the selection pool: the dev gold and the sample's held-out reports
    assert any(k.endswith("sample-heldout.jsonl") for k in provenance["data"])
    for axis in ("role", "domain"):
        low, high = metrics[axis]["bootstrap_95"]["macro_f1"]
        assert 0 <= low <= metrics[axis]["macro_f1"] <= high <= 1
    assert "lenient_accuracy" in metrics["domain"]
    settings = json.loads((run / "best" / "policytag.json").read_text())
    assert (
        settings["labels"]["role"] == ["achievement", "problem", "plan"]
        and len(settings["labels"]["domain"]) == 13
    )


def test_training_lowers_the_loss(dataset, tmp_path):
    # 32 paragraphs seen 20 times: a model that cannot fit them is broken (e.g. a
    # tokenizer that maps every character to [UNK]); single-batch losses, logged every 10 steps
    run = tmp_path / "run"
    args = [
        "optim.max_steps=80",
        "optim.epochs=20",
        "data.max_train=32",
        "eval.every_steps=1000",
        "eval.patience=100",
    ]
    result = runner.invoke(app, [*tiny(dataset, *[x for a in args for x in ("--set", a)]), "--out", str(run)])
    assert result.exit_code == 0, result.output
    losses = [
        e["loss"]
        for e in map(json.loads, (run / "log.jsonl").read_text().splitlines())
        if e["event"] == "train"
    ]
    assert len(losses) == 8 and sum(losses[-2:]) < 0.9 * sum(losses[:2]), losses


def test_tiny_tokenizer_reads_report_characters():
    from policytag.modeling.tiny import tiny_backbone

    _, tokenizer = tiny_backbone()
    pieces = tokenizer.tokenize("全年完成投资增长5%。")
    assert pieces == list("全年完成投资增长5%。")


@pytest.mark.slow
def test_resume_after_kill_matches_an_uninterrupted_run(dataset, tmp_path):
    args = tiny(
        dataset,
        "--set",
        "optim.max_steps=40",
        "--set",
        "checkpoint_every=5",
        "--set",
        "eval.every_steps=10",
        "--set",
        "threads=1",
    )
    command = [sys.executable, "-m", "policytag.cli", *args]
    straight, broken = tmp_path / "straight", tmp_path / "broken"
    subprocess.run([*command, "--out", str(straight)], check=True, capture_output=True)

    process = subprocess.Popen(
        [*command, "--out", str(broken)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    state = broken / "checkpoint" / "state.pt"
    deadline = time.time() + 120
    while time.time() < deadline and process.poll() is None:
        if state.is_file():
            try:
                if torch.load(state, weights_only=True)["state"]["step"] >= 15:
                    break
            except Exception:  # caught mid-rename: look again
                pass
        time.sleep(0.02)
    assert process.poll() is None, "the run finished before it could be interrupted"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert not (broken / "metrics.json").exists()
    subprocess.run(
        [sys.executable, "-m", "policytag.cli", "train", "--resume", str(broken)],
        check=True,
        capture_output=True,
    )

    a = json.loads((straight / "metrics.json").read_text())
    b = json.loads((broken / "metrics.json").read_text())
    for axis in ("role", "domain"):
        assert a[axis]["macro_f1"] == pytest.approx(b[axis]["macro_f1"], abs=1e-9)
        assert a[axis]["accuracy"] == pytest.approx(b[axis]["accuracy"], abs=1e-9)
    events = [json.loads(line)["event"] for line in (broken / "log.jsonl").read_text().splitlines()]
    assert "resume" in events


def test_every_training_recipe_loads():
    recipes = sorted((CONFIGS / "train").glob("*.yaml"))
    assert {p.stem for p in recipes} >= {"tiny", "default", "bert-base-chinese", "chinese-roberta-wwm-ext"}
    for path in recipes:
        config = load_train_config(path)
        assert config.windows.max_length <= config.predict_windows.max_length
    assert (
        load_train_config(CONFIGS / "train" / "chinese-roberta-wwm-ext.yaml").backbone.name
        == "hfl/chinese-roberta-wwm-ext"
    )


def test_bad_training_config_names_the_key(tmp_path):
    result = runner.invoke(
        app, ["train", "tiny", "--set", "optim.learning_rate=1e-3", "--out", str(tmp_path / "r")]
    )
    assert result.exit_code == 2
    assert "unknown key optim.learning_rate" in result.output
    result = runner.invoke(app, ["train", "nonesuch"])
    assert result.exit_code == 2 and "configs/train/ has: " in result.output


def test_unlabelled_axis_is_masked_and_rare_classes_weigh_more():
    weights = class_weights([0, 0, 0, 0, 1, IGNORE, IGNORE], 3, "balanced", max_weight=10.0)
    assert weights[1] > weights[0] and weights[2] == 1.0  # absent class: neutral weight
    from policytag.training.step import _masked

    logits = torch.randn(2, 3, requires_grad=True)
    loss = _masked(torch.nn.CrossEntropyLoss(ignore_index=IGNORE), logits, torch.tensor([IGNORE, IGNORE]))
    loss.backward()
    assert loss.item() == 0.0 and torch.all(logits.grad == 0)


def test_length_batches_are_seeded_per_epoch_and_cover_everything():
    lengths = [((i * 37) % 100) + 1 for i in range(200)]
    a = length_batches(lengths, 8, seed=1, epoch=0)
    assert sorted(i for b in a for i in b) == list(range(200))
    assert a == length_batches(lengths, 8, seed=1, epoch=0) and a != length_batches(
        lengths, 8, seed=1, epoch=1
    )
    spread = sum(max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in a) / len(a)
    assert spread < 20  # batches hold paragraphs of similar length


@pytest.mark.slow
def test_two_cpu_processes_train_together_with_gloo(dataset, tmp_path):
    run = tmp_path / "ddp"
    args = tiny(
        dataset, "--set", "optim.max_steps=null", "--set", "data.max_train=160", "--set", "eval.every_steps=5"
    )
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node",
        "2",
        "--master_port",
        "29517",
        "-m",
        "policytag.cli",
        *args,
        "--out",
        str(run),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    log = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    start = next(e for e in log if e["event"] == "start")
    assert start["processes"] == 2
    assert start["total_steps"] == 160 // 8 // 2  # each process takes every other batch
    assert (run / "metrics.json").is_file() and (run / "best" / "model.safetensors").is_file()
    assert sum(1 for e in log if e["event"] == "end") == 1  # only the main process writes


def test_speed_features_leave_the_results_unchanged(dataset, tmp_path):
    """Length buckets and the frozen-layer cache change the arithmetic's order and skip the
    frozen layers' dropout; trained with and without them (fixed seed), the models fit the
    dev gold equally well: mean negative log-likelihood within 10% on each axis. (Dev
    accuracy after 24 tiny steps is near chance and too coarse to compare.)"""
    fit = {}
    for speed in ("true", "false"):
        run = tmp_path / speed
        args = [
            *tiny(dataset),
            "--out",
            str(run),
            "--set",
            "optim.freeze_layers=1",
            "--set",
            "optim.max_steps=24",
            "--set",
            f"speed.length_buckets={speed}",
            "--set",
            f"speed.cache_frozen={speed}",
        ]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        fit[speed] = _dev_nll(run)
    for axis in ("role", "domain"):
        assert abs(fit["true"][axis] - fit["false"][axis]) <= 0.1 * fit["false"][axis], (axis, fit)


def _dev_nll(run) -> dict[str, float]:
    from policytag import Predictor
    from policytag.runtime.normalize import normalize

    rows = [
        json.loads(line) for line in (DATA / "gold" / "dev.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    tagger = Predictor.from_run(run).tagger
    nll = {}
    for axis, logits in zip(("role", "domain"), tagger.logits([normalize(r["text"]) for r in rows])):
        shifted = logits - logits.max(1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(1, keepdims=True))
        gold = [tagger.labels[axis].index(r[axis]) for r in rows]
        nll[axis] = float(-log_p[np.arange(len(rows)), gold].mean())
    return nll


def test_frozen_layer_cache_feeds_the_upper_layers_what_the_full_model_computes(dataset):
    from policytag.modeling.backbone import BackboneConfig, load_backbone
    from policytag.modeling.classifier import TwoHeadClassifier
    from policytag.modeling.windows import WindowEncoder
    from policytag.runtime.windows import WindowConfig
    from policytag.training.data import encode_rows
    from policytag.training.frozen import FrozenStates
    from policytag.training.step import make_batch

    torch.manual_seed(0)
    encoder, tokenizer = load_backbone(BackboneConfig(kind="tiny"))
    model = TwoHeadClassifier(encoder, ["a", "b", "c"], ["x", "y"]).eval()
    windows = WindowEncoder(tokenizer, "", WindowConfig(max_length=32, stride=8, max_windows=3))
    rows = [
        {"text": t, "role": None, "domain": None}
        for t in ["全年地区生产总值增长5%。", "存在的问题：部分企业经营困难。" * 6, "力争新开工项目40个。"]
    ]
    encoded = encode_rows(rows, windows, ["a", "b", "c"], ["x", "y"])
    frozen = FrozenStates.compute(model, encoded, windows, 1, torch.device("cpu"))
    cached = make_batch(encoded, [1, 0, 2], windows, frozen)
    plain = make_batch(encoded, [1, 0, 2], windows, None)
    with torch.no_grad():
        expected = model(plain["input_ids"], plain["attention_mask"], plain["paragraph_of"])
        got = model(None, cached["attention_mask"], cached["paragraph_of"], cached["lower"], 1)
    for a, b in zip(expected, got):
        assert torch.allclose(a, b, atol=1e-5)


def test_a_run_draws_its_training_curves_and_writes_tensorboard_events_on_request(dataset, tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    run = tmp_path / "run"
    result = runner.invoke(app, [*tiny_args(dataset), "--out", str(run), "--report-to", "tensorboard"])
    assert result.exit_code == 0, result.output
    assert (run / "curves.png").stat().st_size > 10_000 and (run / "curves.svg").is_file()
    events = EventAccumulator(str(run / "tensorboard"))
    events.Reload()
    assert {"train/loss", "dev/domain_macro_f1"} <= set(events.Tags()["scalars"])
    assert len(events.Scalars("dev/domain_macro_f1")) == 2  # the tiny recipe evaluates at steps 6 and 12


def test_tensorboard_without_its_package_is_refused_with_the_install_command(dataset, tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "tensorboard", None)  # as if the extra were not installed
    run = tmp_path / "run"
    result = runner.invoke(app, [*tiny_args(dataset), "--out", str(run), "--report-to", "tensorboard"])
    assert result.exit_code == 2 and "pip install 'policytag[tensorboard]'" in result.output
    assert not run.exists()


def test_a_second_domain_takes_its_share_of_the_target_and_rows_without_one_stay_one_hot():
    from policytag.training.config import LossConfig
    from policytag.training.data import IGNORE
    from policytag.training.step import AlternativeLoss

    logits = torch.tensor([[2.0, 0.5, -1.0], [0.1, 0.2, 0.3], [1.0, 1.0, 1.0]])
    labels, alt = torch.tensor([0, 2, IGNORE]), torch.tensor([1, IGNORE, 0])
    log_p = torch.log_softmax(logits, dim=-1)
    expected = -(0.7 * log_p[0, 0] + 0.3 * log_p[0, 1] + log_p[1, 2]) / 2  # the unlabelled row is left out
    assert AlternativeLoss(None, 0.3)(logits, labels, alt) == pytest.approx(expected.item())
    plain = torch.nn.CrossEntropyLoss(ignore_index=IGNORE)(logits, labels)
    assert AlternativeLoss(None, 0.3)(logits, labels, torch.full((3,), IGNORE)) == pytest.approx(plain.item())
    with pytest.raises(ValueError, match="alt_share"):
        LossConfig(alt_share=0.5)


def test_a_budget_shorter_than_an_epoch_caches_only_the_paragraphs_its_batches_read():
    from policytag.training.step import epoch_batches, reached_rows

    lengths = [(i * 37) % 50 + 1 for i in range(100)]
    first = epoch_batches(lengths, 8, 13, 0, True)
    reached = reached_rows(lengths, 8, 13, True, 5)
    assert reached == sorted(i for batch in first[:5] for i in batch) and len(reached) == 40
    assert reached_rows(lengths, 8, 13, True, len(first)) is None  # a whole epoch: every paragraph


def test_the_frozen_cache_of_some_paragraphs_equals_theirs_in_the_whole_cache(dataset):
    from policytag.modeling.backbone import BackboneConfig, load_backbone
    from policytag.modeling.classifier import TwoHeadClassifier
    from policytag.modeling.windows import WindowEncoder
    from policytag.runtime.windows import WindowConfig
    from policytag.training.data import encode_rows
    from policytag.training.frozen import FrozenStates

    torch.manual_seed(0)
    encoder, tokenizer = load_backbone(BackboneConfig(kind="tiny"))
    model = TwoHeadClassifier(encoder, ["a"], ["x"]).eval()
    windows = WindowEncoder(tokenizer, "", WindowConfig(max_length=32, stride=8, max_windows=3))
    texts = [
        "全年地区生产总值增长5%。",
        "存在的问题：部分企业经营困难。" * 6,
        "力争新开工项目40个。",
        "加快建设。",
    ]
    encoded = encode_rows([{"text": t} for t in texts], windows, ["a"], ["x"])
    whole = FrozenStates.compute(model, encoded, windows, 1, torch.device("cpu"))
    some = FrozenStates.compute(model, encoded, windows, 1, torch.device("cpu"), only=[1, 3])
    assert some.states[0] is None and some.states[2] is None
    for i in (1, 3):
        assert all(torch.allclose(a, b, atol=1e-5) for a, b in zip(whole.states[i], some.states[i]))
