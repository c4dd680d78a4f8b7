"""The entry points of the standalone `predictor.py` (appended after the shared modules).

In the package this module is not imported; `standalone.py` appends its text to the
normalisation, segmentation and tagging code it relies on.
"""

from __future__ import annotations

import json
from pathlib import Path

from policytag.checks import checked_paths, checked_texts
from policytag.io.blocks import text_blocks
from policytag.predict.core import Calibration, Tag, TextTagger, file_tokenizer, place
from policytag.predict.manifest import verify
from policytag.predict.onnx_runtime import OnnxWindowLogits
from policytag.text.normalize import normalize
from policytag.text.segment import Segmenter

_HERE = Path(__file__).resolve().parent


class StandalonePredictor:
    """The export's ONNX int8 tagger, without torch or the policytag package."""

    def __init__(self, folder: Path, threads: int | None = None) -> None:
        verify(folder)
        self.settings = json.loads((folder / "policytag.json").read_text(encoding="utf-8"))
        self.tagger = TextTagger(
            file_tokenizer(str(folder / "tokenizer.json")), self.settings["special_ids"], self.settings,
            OnnxWindowLogits(str(folder / "model.int8.onnx"), threads), Calibration.from_dict(self.settings.get("calibration")),
        )
        self.segmenter = Segmenter()

    def predict(self, texts: list[str]) -> list[Tag]:
        """One `Tag` per raw text (normalised first); an empty text gets no labels and `uncertain`."""
        return self.tagger.tag([normalize(t or "") for t in checked_texts(texts)])

    def predict_documents(self, paths: list[str | Path]) -> list[Tag]:
        """Tags for every paragraph of plain-text reports (.txt, .md; UTF-8, UTF-16 or GB18030).
        Word and PDF files need the policytag package (`policytag predict`)."""
        tags = []
        for path in checked_paths(paths):
            blocks = [_markdown_heading(b) for b in text_blocks(_decode(path.read_bytes()))]
            paragraphs, _ = self.segmenter.segment(path.stem, blocks)
            tags += place(self.tagger.tag([p.text for p in paragraphs]), paragraphs)
        return tags


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030", errors="replace")


def _markdown_heading(block):
    stripped = block.text.lstrip("#")
    if stripped != block.text and stripped.startswith(" "):
        return type(block)(stripped.strip(), block.line, heading=True)
    return block


def load(folder: str | Path | None = None, threads: int | None = None) -> StandalonePredictor:
    """The predictor of the export folder (default: the folder this file is in)."""
    return StandalonePredictor(Path(folder) if folder else _HERE, threads)
