"""`Predictor`: an exported tagger loaded offline, tagging raw texts or whole report files.

    from policytag import Predictor
    predictor = Predictor.load("runs/main/export")          # backend="auto": the fastest exported
    tags = predictor.predict(["一、2024年工作回顾 …"])        # tags[0].role, tags[0]["domain_score"], …

Texts are normalised exactly as in training (traditional characters, pinyin
annotations, full-width forms), cut into the same windows, batched by length, and
the probabilities are calibrated as fitted on the dev gold at export time.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from policytag.checks import checked_paths, checked_texts
from policytag.predict.core import Calibration, Tag, TextTagger, file_tokenizer, place
from policytag.predict.documents import Document, iter_documents
from policytag.predict.manifest import MANIFEST, verify
from policytag.text.normalize import normalize

BACKENDS = ("torch", "torch-int8", "onnx-int8")
ONNX_FILE = "model.int8.onnx"
SETTINGS_FILE = "policytag.json"


def _window_logits(folder: Path, settings: dict, backend: str, device: str):
    if backend == "onnx-int8":
        from policytag.predict.onnx_runtime import OnnxWindowLogits

        return OnnxWindowLogits(str(folder / ONNX_FILE))
    from policytag.modeling.classifier import TwoHeadClassifier
    from policytag.predict.allocator import keep_freed_memory
    from policytag.predict.torch_backend import TorchWindowLogits, quantize_int8

    if device == "cpu":
        keep_freed_memory()
    model = TwoHeadClassifier.load(folder)[0]
    if backend == "torch-int8":
        model = quantize_int8(model, settings.get("int8", {}).get("outlier_channels"))
    return TorchWindowLogits(model, device)


class Predictor:
    """Tags paragraphs with role and domain; see the module docstring."""

    def __init__(self, folder: Path, settings: dict, backend: str, device: str = "cpu") -> None:
        self.folder, self.settings, self.backend = folder, settings, backend
        self.calibration = Calibration.from_dict(settings.get("calibration"))
        self.tagger = TextTagger(file_tokenizer(str(folder / "tokenizer.json")), settings["special_ids"], settings,
                                 _window_logits(folder, settings, backend, device), self.calibration)

    @classmethod
    def load(cls, folder: str | Path, backend: str = "auto", threads: int | None = None) -> Predictor:
        """Load an export folder, checking it is complete and unchanged (`manifest.json`)."""
        folder = Path(folder)
        verify(folder)
        settings = json.loads((folder / SETTINGS_FILE).read_text(encoding="utf-8"))
        exported = settings.get("backends", {})
        if backend == "auto":
            backend = max(exported, key=lambda b: exported[b]["paragraphs_per_s"]) if exported else "torch"
        if backend not in BACKENDS:
            raise ValueError(f"backend {backend!r}: choose one of auto, {', '.join(BACKENDS)}")
        if backend == "onnx-int8" and not (folder / ONNX_FILE).is_file():
            raise ValueError(f"{folder}: no {ONNX_FILE} in this export; use backend='torch'")
        _threads(threads)
        return cls(folder, settings, backend)

    @classmethod
    def from_run(cls, run: str | Path, device: str = "cpu") -> Predictor:
        """The best model of a training run (torch, not calibrated: temperature 1, nothing flagged)."""
        run = Path(run)
        folder = run / "best" if (run / "best" / SETTINGS_FILE).is_file() else run
        if not (folder / SETTINGS_FILE).is_file():
            raise FileNotFoundError(f"{run}: neither an export nor a run folder with a best model")
        settings = json.loads((folder / SETTINGS_FILE).read_text(encoding="utf-8"))
        if "special_ids" not in settings:  # runs saved before the ids were recorded
            from transformers import AutoTokenizer

            from policytag.modeling.windows import special_ids

            settings["special_ids"] = special_ids(AutoTokenizer.from_pretrained(folder))
        return cls(folder, settings, "torch", device)

    @classmethod
    def open(cls, model: str | Path, backend: str = "auto") -> Predictor:
        """An export folder (with a manifest) or a run folder."""
        model = Path(model)
        return cls.load(model, backend) if (model / MANIFEST).exists() else cls.from_run(model)

    def predict(self, texts: list[str]) -> list[Tag]:
        """One `Tag` per raw text, in order; an empty text gets no labels and `uncertain`.
        `TypeError` for a lone string or an item that is not a string (its index named)."""
        return self.tagger.tag([normalize(t or "") for t in checked_texts(texts)])

    def predict_documents(self, paths: list[str | Path]) -> list[Tag]:
        """Tags for every paragraph of the report files under `paths` (with `doc_id`, `index`,
        `section`); a file that cannot be read raises `ValueError` naming it. `TypeError` for a
        lone path or an item that is not a path (its index named)."""
        tags = []
        for document, found in self.tag_documents(paths):
            if document.error:
                raise ValueError(f"{document.source}: {document.error}")
            tags += found
        return tags

    def tag_documents(self, paths: list[Path]) -> Iterator[tuple[Document, list[Tag]]]:
        """Per input file, its paragraphs' tags (none, and `error` set, when it cannot be read),
        each file read and tagged only when the previous one has been consumed."""
        for document in iter_documents(checked_paths(paths)):
            yield document, place(self.tagger.tag([p.text for p in document.paragraphs]), document.paragraphs)


def _threads(threads: int | None) -> None:
    if threads:
        import torch

        torch.set_num_threads(threads)
