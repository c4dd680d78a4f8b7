"""One writer per output file: a staging path unique to the process, a lock, an atomic rename.

Two commands pointed at the same output never share a half-written file: each
writes its own staging file beside the target, the second one to ask for the
target is refused while the first holds the lock, and the target only ever
appears complete (renamed into place) or not at all.
"""

from __future__ import annotations

import fcntl
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class OutputInUse(RuntimeError):
    """Another process (or another writer in this one) is writing the same output."""


@contextmanager
def exclusive_output(path: Path, command: str) -> Iterator[Path]:
    """Hold `path`'s lock and give a staging path unique to this writer; on success the staging
    file replaces `path` atomically, on any error it is removed and `path` is left as it was.
    Raises `OutputInUse` (naming `path` and `command`) while another writer holds the lock."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = path.with_name(path.name + ".lock")
    handle = os.open(lock, os.O_CREAT | os.O_RDWR, 0o644)
    try:
        _acquire(handle, lock, path, command)
        staging = path.with_name(f"{path.name}.{os.getpid()}-{secrets.token_hex(4)}.partial")
        try:
            yield staging
            staging.replace(path)
        finally:
            staging.unlink(missing_ok=True)
            lock.unlink(missing_ok=True)  # still held: a writer waiting on this inode re-checks it
    finally:
        os.close(handle)


def _acquire(handle: int, lock: Path, path: Path, command: str) -> None:
    busy = OutputInUse(
        f"{path}: another `{command}` is writing this file right now (lock {lock}); "
        "wait for it to finish or give another output path"
    )
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise busy from None
    try:  # the lock file may have been removed by the writer that just finished: lock the current one
        current = os.stat(lock).st_ino
    except FileNotFoundError:
        current = None
    if current != os.fstat(handle).st_ino:
        raise busy
