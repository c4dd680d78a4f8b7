"""One writer per output: a lock beside the output held for the whole command, and staging
names unique to the writer; a killed writer's staging leftovers are removed by the next one."""

from __future__ import annotations

import fcntl
import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class OutputRefused(ValueError):
    """A target the command may not write: not its own, an input, or inside a run or an export."""


class OutputInUse(OutputRefused):
    """Another writer holds the output's lock."""


def unique_sibling(target: Path, purpose: str) -> Path:
    """A hidden path beside `target`, unique to this process and call."""
    return target.parent / f".{target.name}.{purpose}-{os.getpid()}-{secrets.token_hex(4)}"


def _remove_leftovers(target: Path) -> None:
    """Staging files and folders of a killed earlier writer of `target` (we hold its lock)."""
    for leftover in target.parent.glob(f".{target.name}.partial-*"):
        if leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)


@contextmanager
def locked(target: Path, command: str) -> Iterator[None]:
    """Hold `target`'s lock (`.NAME.lock` beside it) for the block; `OutputInUse` at once when
    another writer holds it. Leftovers of a killed writer are removed once the lock is held."""
    target.parent.mkdir(parents=True, exist_ok=True)
    lock = target.parent / f".{target.name}.lock"
    handle = os.open(lock, os.O_CREAT | os.O_RDWR, 0o644)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OutputInUse(
                f"{target}: another `policytag` command is writing this output right now (lock {lock}); "
                "wait for it to finish or give another output"
            ) from None
        _remove_leftovers(target)
        yield
    finally:
        lock.unlink(missing_ok=True)
        os.close(handle)
