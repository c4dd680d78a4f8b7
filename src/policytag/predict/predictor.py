"""`Predictor`: an exported tagger loaded offline, tagging raw texts or whole report files.

    from policytag import Predictor
    predictor = Predictor.load("runs/main/export")          # backend="auto": the fastest exported
    tags = predictor.predict(["一、2024年工作回顾 …"])        # tags[0].role, tags[0]["domain_score"], …

Texts are normalised exactly as in training (traditional characters, pinyin
annotations, full-width forms), cut into the same windows, batched by length, and
the probabilities are calibrated as fitted on the dev gold at export time. Every
folder is verified before it loads: an export by its manifest, a run by its marker
and its best model's manifest; anything else is refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from policytag.data.documents import Document, iter_documents
from policytag.io.run_folder import BEST, RUN_MARKER, is_run
from policytag.runtime.checks import checked_paths, checked_texts
from policytag.runtime.manifest import MANIFEST, STAGING_MARKER, BrokenExport, verify
from policytag.runtime.ngrams import CharNgrams
from policytag.runtime.normalize import normalize
from policytag.runtime.onnx import ONNX_FILE
from policytag.runtime.settings import SETTINGS_FILE, Calibration, ExportSettings, load_settings
from policytag.runtime.tagging import (
    Tag,
    TextTagger,
    context_paths,
    file_tokenizer,
    paragraph_inputs,
    place,
)

__all__ = ["BACKENDS", "ONNX_FILE", "SETTINGS_FILE", "Predictor", "check_backend"]

BACKENDS = ("torch", "torch-int8", "onnx-int8")
TORCH_FILES = ("config.json", "model.safetensors", "heads.safetensors")
BACKEND_FILES = {"torch": TORCH_FILES, "torch-int8": TORCH_FILES, "onnx-int8": (ONNX_FILE,)}


def check_backend(backend: str) -> None:
    """Raise `ValueError` naming `backend` unless it is `auto` or one of `BACKENDS`."""
    if backend != "auto" and backend not in BACKENDS:
        raise ValueError(f"backend {backend!r}: choose one of auto, {', '.join(BACKENDS)}")


def _window_logits(folder: Path, settings: ExportSettings, backend: str, device: str, threads: int | None):
    if backend == "onnx-int8":
        from policytag.runtime.onnx import OnnxWindowLogits

        return OnnxWindowLogits(str(folder / ONNX_FILE), threads)
    from policytag.modeling.classifier import TorchWindowLogits, TwoHeadClassifier
    from policytag.predict.allocator import keep_freed_memory
    from policytag.predict.torch_backend import quantize_int8

    if device == "cpu":
        keep_freed_memory()
    model = TwoHeadClassifier.load(folder)[0]
    if backend == "torch-int8":
        model = quantize_int8(model, (settings.int8 or {}).get("outlier_channels"))
    return TorchWindowLogits(model, device)


class Predictor:
    """Tags paragraphs with role and domain; see the module docstring."""

    def __init__(
        self,
        folder: Path,
        settings: ExportSettings,
        backend: str,
        device: str = "cpu",
        threads: int | None = None,
    ) -> None:
        check_backend(backend)
        self.folder, self.settings, self.backend = folder, settings, backend
        self.calibration = settings.calibration or Calibration()
        try:
            tokenizer = file_tokenizer(str(folder / "tokenizer.json"))
            logits = _window_logits(folder, settings, backend, device, threads)
            ngrams = CharNgrams.load(folder) if settings.fusion else None
        except Exception as err:  # whatever tokenizers, safetensors, torch or onnxruntime raise
            raise BrokenExport(
                f"{folder}: its model files cannot be loaded for backend {backend} "
                f"({type(err).__name__}: {str(err).strip()[:200]}); the folder is damaged: export it again"
            ) from err
        self.tagger = TextTagger(tokenizer, settings, logits, self.calibration, ngrams)

    @classmethod
    def load(
        cls, folder: str | Path, backend: str = "auto", threads: int | None = None, device: str = "cpu"
    ) -> Predictor:
        """Load an export folder, checking it is complete and unchanged (`manifest.json`)
        and lists the files `backend` needs; `threads` caps torch's and onnxruntime's CPU threads."""
        folder = Path(folder)
        settings, backend = export_backend(folder, backend)
        _threads(threads)
        return cls(folder, settings, backend, device, threads)

    @classmethod
    def from_run(cls, run: str | Path, device: str = "cpu", backend: str = "auto") -> Predictor:
        """The best model of a training run (torch, not calibrated: temperature 1, nothing flagged),
        verified by its manifest."""
        check_backend(backend)
        if backend not in ("auto", "torch"):
            raise ValueError(
                f"backend {backend!r}: a training run has only the torch backend; "
                "export it (`policytag export`) for the others"
            )
        run = Path(run)
        if not is_run(run):
            raise BrokenExport(f"{run}: not a training run (no {RUN_MARKER})")
        best = run / BEST
        verify(best, needs=TORCH_FILES)
        return cls(best, load_settings(best), "torch", device)

    @classmethod
    def open(
        cls, model: str | Path, backend: str = "auto", threads: int | None = None, device: str = "cpu"
    ) -> Predictor:
        """An export folder (by its manifest) or a training run (by its marker); anything else,
        an unfinished staging folder included, is refused with `BrokenExport`."""
        check_backend(backend)
        model = Path(model)
        if (model / MANIFEST).exists() or (model / STAGING_MARKER).exists():
            return cls.load(model, backend, threads, device)
        if is_run(model):
            _threads(threads)
            return cls.from_run(model, device, backend)
        if not model.is_dir():
            raise BrokenExport(f"{model}: no such model folder")
        raise BrokenExport(
            f"{model}: neither an export (no {MANIFEST}) nor a training run (no {RUN_MARKER}); "
            "give a folder that `policytag export` or `policytag train` wrote"
        )

    def predict(self, texts: list[str], sections: list | None = None) -> list[Tag]:
        """One `Tag` per raw text, in order; an empty text gets no labels and `uncertain`.
        `TypeError` for a lone string or an item that is not a string (its index named).
        `sections[i]`, when given, is text i's heading path (a list of headings, top first, one
        string or None); the model reads it before the text (`ValueError` on a length mismatch)."""
        return self.tagger.tag_raw(checked_texts(texts), sections, normalize)

    def probabilities(self, texts: list[str], sections: list | None = None):
        """`(role, domain)`: per raw text, the calibrated probability of every label (numpy arrays,
        columns in the order of `settings.labels`), as `predict` computes them before its top picks."""
        normalised = [normalize(t or "") for t in checked_texts(texts)]
        return self.tagger.probabilities(normalised, context_paths(sections, normalised, normalize))

    def predict_batched(
        self, texts: list[str], sections: list | None = None, desc: str = "tagging", batch: int = 256
    ) -> list[Tag]:
        """`predict` in batches of `batch`, with a progress bar (stderr) when there is more than
        one: the one batched predict of `evaluate` and `select`."""
        from tqdm import tqdm

        starts = range(0, len(texts), batch)
        tags: list[Tag] = []
        for start in tqdm(starts, desc=desc, unit="batch", leave=False, disable=len(starts) <= 1):
            part = sections[start : start + batch] if sections else None
            tags += self.predict(texts[start : start + batch], part)
        return tags

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
            yield document, self.tag_document(document)

    def tag_document(self, document: Document) -> list[Tag]:
        """A read document's tags, its paragraphs batched among themselves only, so that they
        never depend on which other documents are tagged (int8 scales included)."""
        return place(self.tagger.tag(*paragraph_inputs(document.paragraphs)), document.paragraphs)


def export_backend(folder: Path, backend: str) -> tuple[ExportSettings, str]:
    """An export's settings and the backend `backend` stands for (`auto`: the fastest exported),
    after checking the folder against its manifest; `BrokenExport` when it lacks that backend's files."""
    check_backend(backend)
    manifest = verify(folder)
    settings = load_settings(folder)
    if backend == "auto":
        exported = settings.backends
        backend = max(exported, key=lambda b: exported[b]["paragraphs_per_s"]) if exported else "torch"
    missing = [name for name in BACKEND_FILES[backend] if name not in manifest["files"]]
    if missing:
        raise BrokenExport(
            f"{folder}: no {missing[0]} in this export's {MANIFEST}, which backend "
            f"{backend!r} needs; choose another backend or export again"
        )
    return settings, backend


def _threads(threads: int | None) -> None:
    if threads:
        import torch

        torch.set_num_threads(threads)
