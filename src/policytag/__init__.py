"""policytag: tag paragraphs of Chinese work reports by role and policy domain."""

__version__ = "0.1.0"

__all__ = ["Predictor"]


def __getattr__(name: str):
    # `from policytag import Predictor` without importing torch for `policytag --help`
    if name == "Predictor":
        from policytag.predict.predictor import Predictor

        return Predictor
    raise AttributeError(f"module 'policytag' has no attribute {name!r}")
