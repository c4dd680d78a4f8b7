"""The entry points of the standalone `predictor.py` (appended after the runtime modules).

In the package this module is not imported for tagging (`Predictor` is); the export's
`predictor.py` ends with it, and reads, segments and tags with the very runtime
modules the package runs.
"""

from __future__ import annotations

from pathlib import Path

from policytag.runtime.checks import checked_paths, checked_texts
from policytag.runtime.encoding import UnreadableFile
from policytag.runtime.manifest import verify
from policytag.runtime.ngrams import CharNgrams
from policytag.runtime.normalize import normalize
from policytag.runtime.onnx import ONNX_FILE, OnnxWindowLogits
from policytag.runtime.reading import read_text_report
from policytag.runtime.segment import Segmenter
from policytag.runtime.settings import Calibration, load_settings
from policytag.runtime.tagging import Tag, TextTagger, file_tokenizer, paragraph_inputs, place

_HERE = Path(__file__).resolve().parent


class StandalonePredictor:
    """The export's ONNX int8 tagger, without torch or the policytag package."""

    def __init__(self, folder: Path, threads: int | None = None) -> None:
        verify(folder, needs=(ONNX_FILE,))
        self.settings = load_settings(folder)
        self.tagger = TextTagger(
            file_tokenizer(str(folder / "tokenizer.json")),
            self.settings,
            OnnxWindowLogits(str(folder / ONNX_FILE), threads),
            self.settings.calibration or Calibration(),
            CharNgrams.load(folder) if self.settings.fusion else None,
        )
        self.segmenter = Segmenter()

    def predict(self, texts: list[str], sections: list | None = None) -> list[Tag]:
        """One `Tag` per raw text (normalised first); an empty text gets no labels and `uncertain`.
        `TypeError` for a lone string or an item that is not a string (its index named).
        `sections[i]`, when given, is text i's heading path (a list of headings, top first, one
        string or None); the model reads it before the text (`ValueError` on a length mismatch)."""
        return self.tagger.tag_raw(checked_texts(texts), sections, normalize)

    def predict_documents(self, paths: list[str | Path]) -> list[Tag]:
        """Tags for every paragraph of plain-text reports (.txt, .md), read exactly as `policytag
        predict` reads them; a file that cannot be read raises `ValueError` naming it. Word and
        PDF files need the policytag package (`policytag predict`). `TypeError` for a lone path
        or an item that is not a path (its index named)."""
        tags = []
        for path in checked_paths(paths):
            try:
                report = read_text_report(path.suffix, path.read_bytes())
            except (UnreadableFile, OSError) as err:
                raise ValueError(f"{path}: {err}") from err
            paragraphs, _ = self.segmenter.segment(path.stem, report.blocks)
            tags += place(self.tagger.tag(*paragraph_inputs(paragraphs)), paragraphs)
        return tags


def load(folder: str | Path | None = None, threads: int | None = None) -> StandalonePredictor:
    """The predictor of the export folder (default: the folder this file is in)."""
    return StandalonePredictor(Path(folder) if folder else _HERE, threads)
