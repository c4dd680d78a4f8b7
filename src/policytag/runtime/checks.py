"""Checks at the door: rule names and regular expressions in the typed configs, and the
arguments of the predictors' entry points (shared with the standalone predictor)."""

from __future__ import annotations

import re
from pathlib import Path


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


def checked_texts(texts: object) -> list:
    """`texts` as a list, when it is a list (or other iterable) of strings or None; `TypeError`
    naming the first item of another type (a lone string is refused: wrap it in a list)."""
    if isinstance(texts, (str, bytes)):
        raise TypeError(
            "predict takes a list of texts, not one string; wrap a single text in a list: predict([text])"
        )
    return _items(texts, "texts", (str, type(None)), "a string", "predict")


def checked_paths(paths: object) -> list:
    """`paths` as a list of `Path`s, when it is a list (or other iterable) of str or Path;
    `TypeError` naming the first item of another type (a lone path is refused: wrap it in a list)."""
    if isinstance(paths, (str, bytes, Path)):
        raise TypeError(
            "predict_documents takes a list of paths, not one path; "
            "wrap it in a list: predict_documents([path])"
        )
    return [
        Path(p)
        for p in _items(paths, "paths", (str, Path), "a path (str or pathlib.Path)", "predict_documents")
    ]


def _items(items: object, name: str, allowed: tuple[type, ...], expected: str, call: str) -> list:
    try:
        listed = list(items)  # type: ignore[call-overload]
    except TypeError:
        raise TypeError(f"{call} takes a list of {name}, got {type(items).__name__}") from None
    for i, item in enumerate(listed):
        if not isinstance(item, allowed):
            raise TypeError(
                f"{name}[{i}] is {type(item).__name__}; {call} expects {expected} at every position"
            )
    return listed
