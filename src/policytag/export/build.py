"""`export`: a run's best model → a self-contained, checked, calibrated predictor folder.

Written into a hidden staging folder beside the target (unique to the process) and
renamed into place only when complete (manifest last), so an interrupted export never
looks finished. The target may be missing, empty or an earlier export; anything else
is refused unless `overwrite`, and a folder holding a training run always is:

    config.json, model.safetensors, heads.safetensors   encoder and heads (fp32)
    tokenizer.json, tokenizer_config.json                the tokenizer
    model.int8.onnx                                      the ONNX Runtime int8 graph
    policytag.json    labels, windows, prefix, calibration, backends and their parity
    taxonomy.yaml     the label schema the run was trained with
    baseline-train.jsonl  the TF-IDF baseline's training rows (so `evaluate` reports it anywhere)
    predictor.py      the standalone module (numpy, tokenizers, onnxruntime, opencc)
    README.md         the model card
    manifest.json     every file's size and SHA-256
"""

from __future__ import annotations

import dataclasses
import json
import random
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from policytag.data.gold import read_gold
from policytag.export.calibration import calibrate
from policytag.export.model_card import model_card
from policytag.export.onnx import build_onnx
from policytag.export.standalone import build_standalone
from policytag.io.jsonl import read_labelled, row_path, write_jsonl
from policytag.io.outputs import Output, output_folder
from policytag.io.run_folder import BEST, RUN_METRICS, load_run_recipe, load_run_record
from policytag.labels.schema import LabelSchema
from policytag.modeling.baseline import TfidfBaseline
from policytag.modeling.classifier import TwoHeadClassifier
from policytag.predict.predictor import BACKENDS, ONNX_FILE, TORCH_FILES, Predictor
from policytag.runtime.checksum import sha256
from policytag.runtime.manifest import verify, write_manifest
from policytag.runtime.ngrams import CharNgrams
from policytag.runtime.normalize import normalize
from policytag.runtime.settings import SETTINGS_FILE, ExportSettings, TrainingRecord
from policytag.runtime.tagging import softmax
from policytag.stats.metrics import axis_metrics
from policytag.version import __version__

BASELINE_ROWS = "baseline-train.jsonl"
WARM_UP = 16  # parity paragraphs each backend tags once, untimed, before its speed is measured


@dataclass(frozen=True)
class ExportConfig:
    dev: Path | None = None  # gold for calibration (default: the run's dev set)
    parity_data: Path | None = None  # corpus paragraphs (default: the run's dataset paragraphs.jsonl)
    parity_paragraphs: int = 2000
    target_accuracy: float = 0.95  # unflagged dev paragraphs reach this on both axes
    seed: int = 0
    fuse_ngrams: bool = True  # mix the n-gram model in where it helps on the selection pool


def export(
    run: Path, out: Path, config: ExportConfig = ExportConfig(), overwrite: bool = False
) -> ExportSettings:
    """Export the best model of `run` into `out`; returns the settings written to policytag.json."""
    best = run / BEST
    record = load_run_record(run)
    if not (best / SETTINGS_FILE).is_file():
        raise FileNotFoundError(
            f"{run}: no best model (best/{SETTINGS_FILE}); train first, or finish the run"
        )
    verify(best, needs=TORCH_FILES)
    recipe = load_run_recipe(run)
    output = Output(out, "export", (run, *([config.dev] if config.dev else [])), overwrite)
    with output_folder(output) as staging, tempfile.TemporaryDirectory() as scratch:
        model, tokenizer, settings = TwoHeadClassifier.load(best)
        model.save(staging, tokenizer, settings)
        del model
        settings = dataclasses.replace(
            settings, onnx={"fused": build_onnx(staging, staging / ONNX_FILE, Path(scratch))}
        )

        dev_rows = _selection_rows(run, record, config, settings)
        parity_texts = _parity_texts(
            config.parity_data or Path(record.dataset) / "paragraphs.jsonl",
            config.parity_paragraphs,
            config.seed,
        )
        fp32 = Predictor(staging, settings, "torch")
        int8, fp32_dev = _int8_settings(fp32, dev_rows, parity_texts)
        settings = dataclasses.replace(settings, int8=int8)
        backends = {
            name: fp32 if name == "torch" else Predictor(staging, settings, name) for name in BACKENDS
        }
        logits = {
            name: _logits(p, dev_rows, parity_texts, fp32_dev if name == "torch" else None)
            for name, p in backends.items()
        }
        baseline_rows = _copy_baseline_rows(record.trained_rows(), staging / BASELINE_ROWS)
        ngrams = _ngram_model(staging, config.seed) if baseline_rows else None
        calibration, fusion = _calibration(settings, dev_rows, logits["torch"]["dev"], ngrams, config)
        labels = {"role": settings.labels.role, "domain": settings.labels.domain}
        settings = dataclasses.replace(
            settings,
            calibration=calibration,
            backends={
                name: _parity(logits[name], logits["torch"], calibration, dev_rows, labels)
                for name in BACKENDS
            },
            parity_paragraphs=len(parity_texts),
            fusion=fusion,
            policytag_version=__version__,
            training=TrainingRecord(
                run=str(run),
                train=record.train,
                recipe=recipe,
                baseline_rows=baseline_rows,
                selection_reports=tuple(sorted({str(r["doc_id"]) for r in dev_rows if r.get("doc_id")})),
            ),
        )
        _write_folder(staging, run, settings, recipe)
    return settings


def _selection_rows(run: Path, record, config: ExportConfig, settings: ExportSettings) -> list[dict]:
    """The labelled rows calibration and fusion are chosen on: `--dev`, else the run's selection pool."""
    pool = [config.dev] if config.dev else record.selection_files()
    if not pool:
        raise FileNotFoundError(f"{run}: trained without dev gold; give one for calibration with --dev")
    return [row for path in pool for row in read_gold(path, LabelSchema.of_model(settings))[0]]


def _ngram_model(staging: Path, seed: int) -> CharNgrams:
    """The n-gram model, fitted once on the copied training rows and saved as typed arrays: fused
    into the encoder's probabilities where it helps, and `evaluate`'s baseline."""
    fitted = TfidfBaseline.fit(read_labelled(staging / BASELINE_ROWS), seed=seed)
    ngrams = fitted.typed(sha256(staging / BASELINE_ROWS))
    ngrams.save(staging)
    return ngrams


def _calibration(settings: ExportSettings, dev_rows: list[dict], dev_logits, ngrams, config: ExportConfig):
    """Temperatures, `uncertain` thresholds and fusion weights chosen on the selection rows."""
    labels = {"role": settings.labels.role, "domain": settings.labels.domain}
    gold = {
        axis: np.array([labels[axis].index(r[axis]) if r.get(axis) else -1 for r in dev_rows])
        for axis in ("role", "domain")
    }
    texts = [normalize(r["text"]) for r in dev_rows]
    ngram_p = {axis: ngrams.probabilities(texts, axis, labels[axis]) for axis in labels} if ngrams else None
    calibration, flagged, fusion = calibrate(
        dev_logits[0],
        gold["role"],
        dev_logits[1],
        gold["domain"],
        config.target_accuracy,
        ngram_p if config.fuse_ngrams else None,
    )
    calibration = dataclasses.replace(
        calibration,
        dev_flagged_share=round(flagged, 4),
        target_accuracy=config.target_accuracy,
        dev_paragraphs=len(dev_rows),
    )
    return calibration, fusion


def _write_folder(staging: Path, run: Path, settings: ExportSettings, recipe: dict) -> None:
    """Settings, taxonomy, the standalone predictor, the model card and the manifest."""
    settings.write(staging)
    if (run / "taxonomy.yaml").is_file():
        shutil.copyfile(run / "taxonomy.yaml", staging / "taxonomy.yaml")
    (staging / "predictor.py").write_text(build_standalone(__version__), encoding="utf-8")
    metrics = run / RUN_METRICS
    run_metrics = json.loads(metrics.read_text(encoding="utf-8")) if metrics.is_file() else {}
    (staging / "README.md").write_text(model_card(settings, recipe, run_metrics), encoding="utf-8")
    write_manifest(staging, {"policytag_version": __version__, "exported_from": str(run)})


def _copy_baseline_rows(train: Path, target: Path) -> str | None:
    """The labelled training rows (text and labels only) the TF-IDF baseline is fitted on."""
    if not train.is_file():
        return None
    rows = (
        {k: row.get(k) for k in ("text", "role", "domain")}
        for row in read_labelled(train)
        if row.get("role") or row.get("domain")
    )
    write_jsonl(target, rows)
    return target.name


def _int8_settings(fp32: Predictor, dev_rows: list[dict], parity_texts: ParityTexts) -> tuple[dict, tuple]:
    """The down-projection input channels that the int8 backend keeps fp32, found by running
    the fp32 model over the dev rows (each with its heading path) and the first 256 parity
    paragraphs; and the fp32 dev logits of that same pass."""
    from policytag.predict.torch_backend import OUTLIER_FACTOR, full_range_activations, outlier_channels

    texts, paths = _dev_inputs(dev_rows)
    seen = {}

    def feed() -> None:
        seen["dev"] = fp32.tagger.logits(texts, paths)
        fp32.tagger.logits(parity_texts.texts[:256], parity_texts.paths[:256])

    found = outlier_channels(fp32.tagger.run.model, feed)
    settings = {
        "outlier_channels": found,
        "outlier_factor": OUTLIER_FACTOR,
        "calibration_paragraphs": len(texts) + min(256, len(parity_texts)),
        "full_range_activations_at_export": full_range_activations(),
    }
    return settings, seen["dev"]


def _dev_inputs(dev_rows: list[dict]) -> tuple[list[str], list[list[str]]]:
    """The selection rows' normalised texts and heading paths, as `evaluate` reads gold."""
    texts = [normalize(r["text"]) for r in dev_rows]
    return texts, [row_path(r, t) for r, t in zip(dev_rows, texts)]


@dataclass(frozen=True)
class ParityTexts:
    """The parity paragraphs, normalised, each with its heading path (as the dataset records it)."""

    texts: list[str]
    paths: list[list[str]]

    def __len__(self) -> int:
        return len(self.texts)


def _parity_texts(path: Path, n: int, seed: int) -> ParityTexts:
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no corpus paragraphs for the parity check; give --parity-data")
    rows = read_labelled(path)
    rows = random.Random(seed).sample(rows, min(n, len(rows)))
    texts = [normalize(r["text"]) for r in rows]
    return ParityTexts(texts, [row_path(r, t) for r, t in zip(rows, texts)])


def _logits(
    predictor: Predictor, dev_rows: list[dict], parity: ParityTexts, dev: tuple | None = None
) -> dict:
    """Per-paragraph logits on the dev gold (each row read with its own heading path, as `evaluate`
    reads gold; `dev` when already computed) and the parity paragraphs (each with its dataset
    heading path), and the speed on the latter, after a warm-up on a few of them (a backend's
    first call pays one-time costs that would otherwise decide `auto` on a short parity set)."""
    if dev is None:
        dev = predictor.tagger.logits(*_dev_inputs(dev_rows))
    predictor.tagger.logits(parity.texts[:WARM_UP], parity.paths[:WARM_UP])
    started, role, domain = time.perf_counter(), [], []
    for start in tqdm(range(0, len(parity), 256), desc=f"parity {predictor.backend}", leave=False):
        r, d = predictor.tagger.logits(parity.texts[start : start + 256], parity.paths[start : start + 256])
        role.append(r)
        domain.append(d)
    seconds = time.perf_counter() - started
    return {
        "dev": dev,
        "parity": (np.concatenate(role), np.concatenate(domain)),
        "paragraphs_per_s": len(parity) / seconds,
    }


def _parity(
    mine: dict, reference: dict, calibration, dev_rows: list[dict], labels: dict[str, list[str]]
) -> dict:
    """Label agreement with fp32 on the parity paragraphs and the dev gold, the largest probability
    difference, dev macro-F1, and the speed measured on the parity paragraphs."""
    result = {"paragraphs_per_s": round(mine["paragraphs_per_s"], 2)}
    temperature = {"role": calibration.role_temperature, "domain": calibration.domain_temperature}
    for k, axis in enumerate(("role", "domain")):
        for part in ("parity", "dev"):
            a, b = mine[part][k], reference[part][k]
            result[f"{axis}_agreement_{part}"] = round(float(np.mean(a.argmax(1) == b.argmax(1))), 4)
            difference = np.abs(softmax(a, temperature[axis]) - softmax(b, temperature[axis])).max()
            result[f"{axis}_max_probability_difference_{part}"] = round(float(difference), 4)
        keep = [i for i, r in enumerate(dev_rows) if r.get(axis)]
        pred = [labels[axis][int(mine["dev"][k][i].argmax())] for i in keep]
        alt = [dev_rows[i].get("domain_alt") for i in keep] if axis == "domain" else None
        result[f"dev_{axis}_macro_f1"] = round(
            axis_metrics([dev_rows[i][axis] for i in keep], pred, alt)["macro_f1"], 4
        )
    return result
