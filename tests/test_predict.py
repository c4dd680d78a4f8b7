"""Export, Predictor, the standalone module, `predict` and `run`."""

import copy
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from conftest import DATA, SEED_SAMPLE
from policytag import Predictor
from policytag.cli import app
from policytag.export.calibration import choose_thresholds, fit_temperature
from policytag.runtime.manifest import BrokenExport
from policytag.runtime.tagging import softmax

runner = CliRunner()
TEXTS = [
    "一、2023年工作回顾。全年地区生产总值增长5.2%，一般公共预算收入完成120亿元。",
    "存在的問(wèn)題(tí)：部分企業經營困難，民生短板依然存在。",
    "二、2024年工作安排。力争规上工业增加值增长8%，新开工产业项目40个。" * 30,  # several windows
]


def test_export_loads_and_predicts_like_the_in_memory_model(tiny_run, tiny_export):
    from policytag.modeling.classifier import TwoHeadClassifier
    from policytag.modeling.windows import WindowEncoder
    from policytag.runtime.ngrams import CharNgrams
    from policytag.runtime.normalize import normalize
    from policytag.runtime.tagging import fuse
    from policytag.runtime.windows import WindowConfig

    predictor = Predictor.load(tiny_export, backend="torch")
    tags = predictor.predict(TEXTS)
    model, tokenizer, settings = TwoHeadClassifier.load(tiny_run / "best")
    encoder = WindowEncoder(tokenizer, settings.prefix, WindowConfig(**vars(settings.windows)))
    with torch.no_grad():
        role_logits, domain_logits = model(**encoder.collate(encoder.encode([normalize(t) for t in TEXTS])))
    calibration = predictor.calibration
    role_p = softmax(role_logits.numpy(), calibration.role_temperature)
    domain_p = softmax(domain_logits.numpy(), calibration.domain_temperature)
    ngrams, texts = CharNgrams.load(tiny_export), [normalize(t) for t in TEXTS]  # mixed in as exported
    fusion = predictor.settings.fusion
    role_p, domain_p = (
        fuse(
            p,
            ngrams.probabilities(texts, axis, labels),
            fusion.get(axis, 0),
            fusion.get(f"{axis}_temperature", 1.0),
        )
        for axis, p, labels in (
            ("role", role_p, model.role_labels),
            ("domain", domain_p, model.domain_labels),
        )
    )
    assert [t.role for t in tags] == [model.role_labels[i] for i in role_p.argmax(1)]
    assert [t.domain for t in tags] == [model.domain_labels[i] for i in domain_p.argmax(1)]
    assert [t["role_score"] for t in tags] == pytest.approx(role_p.max(1), abs=1e-4)
    assert [t.domain_score for t in tags] == pytest.approx(domain_p.max(1), abs=1e-4)
    assert len(tags[0].top_domains) == 3 and tags[0].top_domains[0][0] == tags[0].domain


def test_export_records_calibration_backends_and_checksums(tiny_export):
    settings = json.loads((tiny_export / "policytag.json").read_text(encoding="utf-8"))
    assert set(settings["backends"]) == {"torch", "torch-int8", "onnx-int8"}
    assert settings["backends"]["torch"]["role_agreement_parity"] == 1.0
    assert (
        settings["calibration"]["role_temperature"] > 0
        and 0 <= settings["calibration"]["dev_flagged_share"] <= 1
    )
    manifest = json.loads((tiny_export / "manifest.json").read_text())
    assert {"model.safetensors", "model.int8.onnx", "predictor.py", "README.md", "tokenizer.json"} <= set(
        manifest["files"]
    )
    auto = Predictor.load(tiny_export)
    fastest = max(settings["backends"], key=lambda b: settings["backends"][b]["paragraphs_per_s"])
    assert auto.backend == fastest


def test_onnx_graph_has_fused_int8_attention_in_every_layer(tiny_export):
    import onnx

    settings = json.loads((tiny_export / "policytag.json").read_text(encoding="utf-8"))
    assert settings["onnx"]["fused"]["Attention"] == 2  # the tiny BERT's two layers
    ops = [node.op_type for node in onnx.load(str(tiny_export / "model.int8.onnx")).graph.node]
    assert ops.count("QAttention") == 2 and ops.count("EmbedLayerNormalization") == 1  # embeddings stay fp32


def test_tampered_or_half_written_exports_are_refused(tiny_export, tmp_path):
    tampered = tmp_path / "tampered"
    shutil.copytree(tiny_export, tampered)
    with (tampered / "heads.safetensors").open("r+b") as handle:
        handle.seek(-4, os.SEEK_END)
        handle.write(b"\x00\x00\x80\x7f")
    with pytest.raises(BrokenExport, match="heads.safetensors does not match its checksum"):
        Predictor.load(tampered)
    half = tmp_path / "half"
    shutil.copytree(tiny_export, half)
    (half / "manifest.json").unlink()
    with pytest.raises(BrokenExport, match="incomplete"):
        Predictor.load(half)
    missing = tmp_path / "missing"
    shutil.copytree(tiny_export, missing)
    (missing / "model.int8.onnx").unlink()
    with pytest.raises(BrokenExport, match="model.int8.onnx is missing"):
        Predictor.load(missing)


def test_an_interrupted_export_leaves_no_folder_that_looks_complete(tiny_run, tmp_path, monkeypatch):
    from policytag.export import build as export_module

    def interrupted(folder, meta):
        raise KeyboardInterrupt

    monkeypatch.setattr(export_module, "write_manifest", interrupted)
    out = tmp_path / "export"
    with pytest.raises(KeyboardInterrupt):
        export_module.export(tiny_run, out, export_module.ExportConfig(parity_paragraphs=10))
    assert not out.exists()
    assert not list(tmp_path.glob(".export.partial*"))  # the staging folder is removed too


def test_empty_and_whitespace_texts_get_a_clear_result(tiny_export):
    predictor = Predictor.load(tiny_export, backend="torch")
    tags = predictor.predict(["", "   \n\t", TEXTS[0], None])
    assert [t.role for t in tags] == [None, None, tags[2].role, None] and tags[2].role is not None
    assert tags[0].uncertain and tags[1].domain is None and tags[0].top_domains == []
    assert predictor.predict([]) == []
    with pytest.raises(TypeError, match="list of texts"):
        predictor.predict(TEXTS[0])


def test_int8_backends_agree_with_fp32_on_real_paragraphs(tiny_export):
    texts = [
        json.loads(line)["text"]
        for line in (DATA / "gold" / "dev.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    reference = Predictor.load(tiny_export, backend="torch").predict(texts)
    for backend in ("torch-int8", "onnx-int8"):
        tags = Predictor.load(tiny_export, backend=backend).predict(texts)
        agreement = np.mean([a.role == b.role and a.domain == b.domain for a, b in zip(reference, tags)])
        assert agreement >= 0.95, backend


def test_outlier_channels_in_fp32_keep_an_int8_down_projection_close_to_fp32():
    """One input channel 40× the rest (as after GELU in e5): one int8 scale for the whole
    input loses the small channels; multiplying that channel in fp32 keeps them."""
    from policytag.predict.torch_backend import OutlierSplitLinear, _int8, outlier_channels

    torch.manual_seed(0)
    linear = torch.nn.Linear(64, 16)
    x = torch.randn(256, 64)
    x[:, 7] *= 40.0
    model = torch.nn.Sequential()
    model.add_module("output", torch.nn.Module())
    model.output.add_module("dense", linear)
    found = outlier_channels(model, lambda: model.output.dense(x))
    assert found == {"output.dense": [7]}
    with torch.inference_mode():
        reference = linear(x)
        plain = _int8(copy.deepcopy(linear))(x)
        split = OutlierSplitLinear(linear, found["output.dense"])(x.clone())
    plain_error = (plain - reference).abs().mean().item()
    split_error = (split - reference).abs().mean().item()
    assert split_error < plain_error / 4, (split_error, plain_error)


def test_export_records_the_int8_outlier_channels_the_backend_uses(tiny_export):
    from policytag.predict.torch_backend import OutlierSplitLinear

    settings = json.loads((tiny_export / "policytag.json").read_text(encoding="utf-8"))
    channels = settings["int8"]["outlier_channels"]
    assert channels and all(isinstance(c, int) for layer in channels.values() for c in layer)
    model = Predictor.load(tiny_export, backend="torch-int8").tagger.run.model
    splits = {
        name: m.channels.tolist() for name, m in model.named_modules() if isinstance(m, OutlierSplitLinear)
    }
    assert splits == channels


FREED_BLOCK = """
import ctypes, sys
from policytag.predict.allocator import keep_freed_memory
if sys.argv[1] == "keep":
    assert keep_freed_memory()
class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost".split()]
libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype, libc.free.argtypes, libc.mallinfo2.restype = ctypes.c_void_p, [ctypes.c_void_p], MallInfo2
libc.free(libc.malloc(24 << 20))
print(libc.mallinfo2().fordblks >> 20)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_cpu_backends_keep_freed_memory_for_the_next_batch(tiny_export):
    from policytag.predict import allocator

    Predictor.load(tiny_export, backend="torch")
    assert allocator._applied is True
    kept = {
        mode: int(
            subprocess.run(
                [sys.executable, "-c", FREED_BLOCK, mode], capture_output=True, text=True, check=True
            ).stdout
        )
        for mode in ("default", "keep")
    }
    assert kept["default"] < 24 <= kept["keep"]  # MB of freed memory the process holds for reuse


def test_predict_cli_tags_files_and_skips_a_bad_one(tiny_export, tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    shutil.copy(SEED_SAMPLE, folder / "sample.txt")
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 not really")
    (folder / "lines.jsonl").write_text(
        json.dumps({"doc_id": "x", "text": TEXTS[1]}, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    out = tmp_path / "tags.csv"
    result = runner.invoke(
        app, ["predict", str(tiny_export), str(folder), "--out", str(out), "--backend", "torch"]
    )
    assert result.exit_code == 0, result.output
    assert "skipped" in result.output and "broken.pdf" in result.output
    import csv

    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert {r["doc_id"] for r in rows} == {"sample", "x"} and len(rows) == 32
    assert all(r["role"] and r["domain"] and r["index"] for r in rows)


def test_seed_sample_tags_agree_across_cli_api_and_standalone(tiny_export, tmp_path):
    """CLI and API give identical tags on the same backend; the standalone module (onnx-int8,
    run in-process here) equals the API's onnx-int8 backend."""
    out = tmp_path / "seed.jsonl"
    assert (
        runner.invoke(
            app, ["predict", str(tiny_export), str(SEED_SAMPLE), "--out", str(out), "--backend", "onnx-int8"]
        ).exit_code
        == 0
    )
    cli = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    api = [
        t.to_dict() for t in Predictor.load(tiny_export, backend="onnx-int8").predict_documents([SEED_SAMPLE])
    ]
    assert [(r["role"], r["domain"], r["role_score"]) for r in cli] == [
        (r["role"], r["domain"], r["role_score"]) for r in api
    ]
    sys.path.insert(0, str(tiny_export))
    try:
        import predictor as standalone
    finally:
        sys.path.remove(str(tiny_export))
    alone = [t.to_dict() for t in standalone.load().predict_documents([SEED_SAMPLE])]
    with pytest.raises(TypeError, match=r"wrap it in a list"):  # the package's argument checks travel along
        standalone.load().predict_documents(str(SEED_SAMPLE))
    with pytest.raises(TypeError, match=r"texts\[1\] is int"):
        standalone.load().predict(["一段。", 3])
    assert [(r["index"], r["text"], r["role"], r["domain"], r["role_score"]) for r in alone] == [
        (r["index"], r["text"], r["role"], r["domain"], r["role_score"]) for r in api
    ]


@pytest.mark.slow
def test_standalone_predictor_runs_without_torch_in_its_own_environment(tiny_export, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    versions = {
        name: __import__(module).__version__
        for name, module in (("numpy", "numpy"), ("tokenizers", "tokenizers"), ("onnxruntime", "onnxruntime"))
    }
    from importlib.metadata import version

    versions["opencc"] = version("opencc")
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", *(f"{k}=={v}" for k, v in versions.items())], check=True
    )
    script = (
        "import json, sys; sys.path.insert(0, sys.argv[1]); import predictor\n"
        "try:\n    import torch\nexcept ImportError:\n    pass\nelse:\n    raise SystemExit('torch is installed')\n"
        "try:\n    import policytag\nexcept ImportError:\n    pass\nelse:\n    raise SystemExit('policytag is installed')\n"
        "tags = predictor.load().predict(json.loads(sys.argv[2]))\n"
        "print(json.dumps([t.to_dict() for t in tags], ensure_ascii=False))"
    )
    done = subprocess.run(
        [python, "-c", script, str(tiny_export), json.dumps(TEXTS, ensure_ascii=False)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    alone = json.loads(done.stdout)
    api = [t.to_dict() for t in Predictor.load(tiny_export, backend="onnx-int8").predict(TEXTS)]
    assert [(r["role"], r["domain"], r["role_score"], r["domain_score"]) for r in alone] == [
        (r["role"], r["domain"], r["role_score"], r["domain_score"]) for r in api
    ]


def test_temperature_fit_recovers_a_known_temperature():
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 3, size=(4000, 5))
    true_t = 2.0
    probs = softmax(logits, true_t)
    gold = np.array([rng.choice(5, p=p / p.sum()) for p in probs.astype(np.float64)])
    assert fit_temperature(logits, gold) == pytest.approx(true_t, rel=0.1)


def test_thresholds_flag_the_fewest_paragraphs_that_reach_the_target():
    # role always right; domain wrong on the two least confident of ten
    role_p = np.tile([0.9, 0.05, 0.05], (10, 1))
    role_gold = np.zeros(10, dtype=int)
    scores = np.linspace(0.4, 0.95, 10)
    domain_p = np.stack([scores, (1 - scores) / 2, (1 - scores) / 2], axis=1)  # class 0 always on top
    domain_gold = np.array([1, 1] + [0] * 8)
    role_t, domain_t, flagged = choose_thresholds(role_p, role_gold, domain_p, domain_gold, target=0.95)
    assert role_t == 0.0 and domain_t == pytest.approx(scores[2]) and flagged == pytest.approx(0.2)


def test_the_export_fuses_its_ngram_model_with_weights_chosen_on_the_selection_pool(tiny_export):
    from policytag.export.fusion import GRID

    settings = json.loads((tiny_export / "policytag.json").read_text(encoding="utf-8"))
    fusion = settings["fusion"]
    assert {"role", "domain"} <= set(fusion) and fusion["role"] in GRID and fusion["domain"] in GRID
    assert all(fusion[f"{axis}_temperature"] > 0 for axis in ("role", "domain"))
    manifest = json.loads((tiny_export / "manifest.json").read_text(encoding="utf-8"))["files"]
    assert {"ngrams.json", "ngrams.npz"} <= set(manifest)
    card = (tiny_export / "README.md").read_text(encoding="utf-8")
    assert "n-gram" in card and "selection pool" in card
