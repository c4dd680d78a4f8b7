"""policytag: tag paragraphs of Chinese work reports by role and policy domain."""

__version__ = "0.1.0"
