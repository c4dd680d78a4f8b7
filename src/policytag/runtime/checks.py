"""Checks shared by the typed configs' `__post_init__`: rule names and regular expressions."""

from __future__ import annotations

import re


def check_choices(key: str, values: list[str], known: tuple[str, ...]) -> None:
    """Raise naming `key` when a value is not one of `known` (for use in `__post_init__`)."""
    unknown = [v for v in values if v not in known]
    if unknown:
        raise ValueError(f"{key}: unknown rule {unknown[0]!r}; rules are {', '.join(known)}")


def check_patterns(key: str, patterns: list[str]) -> None:
    """Raise naming `key` and the pattern when a regular expression does not compile."""
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as err:
            raise ValueError(f"{key}: bad regular expression {pattern!r}: {err}") from err
