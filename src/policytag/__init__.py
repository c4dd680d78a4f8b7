"""policytag: tag paragraphs of Chinese work reports by role and policy domain."""

from policytag.version import __version__

__all__ = ["Predictor", "__version__"]


def __getattr__(name: str):
    # `from policytag import Predictor` without importing torch for `policytag --help`
    if name == "Predictor":
        from policytag.predict.predictor import Predictor

        return Predictor
    raise AttributeError(f"module 'policytag' has no attribute {name!r}")
