"""The runtime: what tagging needs at run time, and nothing else.

Reading .txt and .md reports, normalisation, segmentation, window framing, the typed
export settings, the manifest check and the tagging arithmetic. Only the standard
library, numpy, tokenizers and OpenCC (onnxruntime and charset-normalizer where a
function needs them). The package runs these modules, and every export's standalone
`predictor.py` is these same modules concatenated (`policytag.export.standalone`).
"""
