"""Walk the inputs a user names (files, folders, .tar.gz/.zip archives) into report files.

Archives are read member by member without unpacking to disk. Everything is
yielded in a stable order so that report ids and splits do not depend on the
file system's listing order.
"""

from __future__ import annotations

import tarfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from policytag.io.readers import FORMATS

ARCHIVES = (".tar.gz", ".tgz", ".tar", ".zip")


@dataclass(frozen=True)
class SourceFile:
    """One report file found under an input: where it is, and its bytes (or why not)."""

    source: str  # what to show a user: a path, or `archive.tar.gz:member/path`
    rel: PurePosixPath  # path relative to the input it was found under
    data: bytes | None = None
    error: str | None = None


def iter_source_files(inputs: list[Path]) -> Iterator[SourceFile]:
    """Yield every file under `inputs`; unknown types and unreadable paths come with an error."""
    for root in inputs:
        if not root.exists():
            yield SourceFile(str(root), PurePosixPath(root.name), error="no such file or folder")
        elif root.is_dir():
            for path in sorted(p for p in root.rglob("*") if p.is_file()):
                if not any(part.startswith(".") for part in path.relative_to(root).parts):
                    yield from _from_file(path, PurePosixPath(path.relative_to(root).as_posix()))
        else:
            yield from _from_file(root, PurePosixPath(root.name))


def _from_file(path: Path, rel: PurePosixPath) -> Iterator[SourceFile]:
    name = path.name.lower()
    if name.endswith(ARCHIVES):
        yield from _from_archive(path)
    elif rel.suffix.lower() in FORMATS:
        try:
            yield SourceFile(str(path), rel, data=path.read_bytes())
        except OSError as err:
            yield SourceFile(str(path), rel, error=f"cannot read: {err.strerror}")
    else:
        yield SourceFile(str(path), rel, error=f"unsupported file type {path.suffix or '(none)'}")


def _from_archive(path: Path) -> Iterator[SourceFile]:
    try:
        if path.name.lower().endswith(".zip"):
            yield from _from_zip(path)
        else:
            yield from _from_tar(path)
    except (tarfile.TarError, zipfile.BadZipFile, OSError, EOFError) as err:
        yield SourceFile(str(path), PurePosixPath(path.name), error=f"damaged archive: {err}")


def _from_tar(path: Path) -> Iterator[SourceFile]:
    # Streamed in archive order: sorting first would re-decompress a .tar.gz per member.
    with tarfile.open(path, mode="r|*") as archive:
        for member in archive:
            rel = PurePosixPath(member.name)
            if member.isfile() and rel.suffix.lower() in FORMATS and not rel.name.startswith("."):
                handle = archive.extractfile(member)
                yield SourceFile(f"{path}:{member.name}", rel, data=handle.read() if handle else b"")


def _from_zip(path: Path) -> Iterator[SourceFile]:
    with zipfile.ZipFile(path) as archive:
        for name in sorted(n for n in archive.namelist() if not n.endswith("/")):
            rel = PurePosixPath(name)
            if rel.suffix.lower() in FORMATS and not rel.name.startswith("."):
                yield SourceFile(f"{path}:{name}", rel, data=archive.read(name))
