"""Output folders that replace only their own kind of output, never what a command did not make.

A command claims its target first (`claim`): a missing or empty folder, or one holding
the command's own kind of output, may be replaced; anything else is refused naming it,
unless the user says `--overwrite`; a folder holding a training run is refused even
then. The output is written into a staging folder beside the target whose name is
unique to the process (`staged`), then renamed into place; the earlier output is
removed only after that.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from policytag.runtime.manifest import STAGING_MARKER

RUN_MARKER = "run.json"  # the file that makes a folder a training run (`policytag.predict.run_folder`)


class OutputRefused(ValueError):
    """A target that holds something the command did not make."""


def holds_run(folder: Path) -> bool:
    """True when `folder` is a training run or has one anywhere inside it."""
    return folder.is_dir() and ((folder / RUN_MARKER).is_file() or any(folder.rglob(RUN_MARKER)))


def claim(target: Path, kind: str, is_own: Callable[[Path], bool], overwrite: bool = False) -> None:
    """Raise `OutputRefused` unless `target` may be replaced by a new `kind` (see the module docstring)."""
    if not target.exists() and not target.is_symlink():
        return
    if (target / RUN_MARKER).is_file():
        raise OutputRefused(f"{target}: a training run, which is never removed; choose another output folder")
    if target.is_dir() and not target.is_symlink() and (not any(target.iterdir()) or is_own(target)):
        return
    if holds_run(target):
        raise OutputRefused(
            f"{target}: holds a training run, which is never removed; choose another output folder"
        )
    if not overwrite:
        what = "a folder that is not " + kind if target.is_dir() else "a file"
        raise OutputRefused(
            f"{target}: {what}; not replaced. Choose another output, or give --overwrite to replace it"
        )


def unique_sibling(target: Path, purpose: str) -> Path:
    """A hidden path beside `target`, unique to this process and call."""
    return target.parent / f".{target.name}.{purpose}-{os.getpid()}-{secrets.token_hex(4)}"


@contextmanager
def staged(target: Path) -> Iterator[Path]:
    """A fresh staging folder for `target`, renamed into place when the block finishes
    (removed, and `target` untouched, when it raises)."""
    staging = unique_sibling(target, "partial")
    staging.mkdir(parents=True)
    (staging / STAGING_MARKER).touch()
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    (staging / STAGING_MARKER).unlink()
    _swap_into_place(staging, target)


def _swap_into_place(staging: Path, target: Path) -> None:
    old = unique_sibling(target, "old")
    if target.exists() or target.is_symlink():
        target.rename(old)
    try:
        staging.rename(target)
    except OSError:
        if old.exists() or old.is_symlink():
            old.rename(target)
        raise
    if old.is_dir() and not old.is_symlink():
        shutil.rmtree(old, ignore_errors=True)
    elif old.exists() or old.is_symlink():
        old.unlink()


def set_aside(folder: Path, stamp: str) -> Path:
    """Rename `folder` to a sibling `<name>.<stamp>` (numbered when taken), keeping it whole."""
    stamp = "".join(c if c.isalnum() or c in "-_" else "-" for c in stamp)
    candidate, n = folder.with_name(f"{folder.name}.{stamp}"), 1
    while candidate.exists():
        n += 1
        candidate = folder.with_name(f"{folder.name}.{stamp}-{n}")
    folder.rename(candidate)
    return candidate
