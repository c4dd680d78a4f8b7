"""Walk the inputs a user names (files, folders, .tar.gz/.zip archives) into report files.

Archives are read member by member without unpacking to disk, and every file is
read with a size cap (`limits.py`): nothing is ever held whole before its size is
known to be within the limit. Only regular files are read; links inside archives,
dangling links, FIFOs and devices come back as skipped with the reason. Everything
is yielded in a stable order so that report ids and splits do not depend on the
file system's listing order.
"""

from __future__ import annotations

import os
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO, NamedTuple

from policytag.io.limits import MB, ReadLimits, read_capped
from policytag.io.readers import FORMATS

ARCHIVES = (".tar.gz", ".tgz", ".tar", ".zip")


@dataclass(frozen=True)
class SourceFile:
    """One report file found under an input: where it is, and its bytes (or why not)."""

    source: str  # what to show a user: a path, or `archive.tar.gz:member/path`
    rel: PurePosixPath  # path relative to the input it was found under
    data: bytes | None = None
    error: str | None = None


def iter_source_files(
    inputs: list[Path], limits: ReadLimits | None = None, read: bool = True
) -> Iterator[SourceFile]:
    """Yield every file under `inputs`; unknown types, unreadable paths and files over `limits`
    (default: from the environment) come with an error. With `read=False` the same files come
    in the same order without their bytes (a cheap listing, e.g. to name reports first)."""
    walk = _Walk(limits or ReadLimits.from_env(), read)
    for root in inputs:
        if not root.exists() and not root.is_symlink():
            yield SourceFile(str(root), PurePosixPath(root.name), error="no such file or folder")
        elif root.is_dir():
            for path in sorted(p for p in root.rglob("*") if p.is_symlink() or not p.is_dir()):
                rel = path.relative_to(root)
                if not any(part.startswith(".") for part in rel.parts):
                    yield from walk.path(path, PurePosixPath(rel.as_posix()))
        else:
            yield from walk.path(root, PurePosixPath(root.name))


class _Member(NamedTuple):
    """An archive member as listed: its name, why it is refused (None: a regular file),
    its unpacked size, and how to open it."""

    name: str
    refusal: str | None
    size: int
    open: Callable[[], BinaryIO]


def batched_sources(sources: Iterator[SourceFile], count: int, size: int) -> Iterator[list[SourceFile]]:
    """`sources` in lists of at most `count` files, closed early once they hold `size` bytes
    (a file that big goes alone), so a consumer never holds more than one batch read ahead."""
    batch: list[SourceFile] = []
    held = 0
    for source in sources:
        batch.append(source)
        held += len(source.data or b"")
        if len(batch) >= count or held >= size:
            yield batch
            batch, held = [], 0
    if batch:
        yield batch


def _readable(rel: PurePosixPath) -> bool:
    return rel.suffix.lower() in FORMATS and not rel.name.startswith(".")


@dataclass(frozen=True)
class _Walk:
    limits: ReadLimits
    read: bool

    def path(self, path: Path, rel: PurePosixPath) -> Iterator[SourceFile]:
        problem = _not_regular(path)
        if problem:
            yield SourceFile(str(path), rel, error=problem)
        elif path.name.lower().endswith(ARCHIVES):
            yield from self.archive(path)
        elif rel.suffix.lower() in FORMATS:
            yield self.plain(path, rel)
        else:
            yield SourceFile(str(path), rel, error=f"unsupported file type {path.suffix or '(none)'}")

    def plain(self, path: Path, rel: PurePosixPath) -> SourceFile:
        try:
            problem = self.limits.file_problem(path.stat().st_size)
            if problem or not self.read:
                return SourceFile(str(path), rel, error=problem)
            with path.open("rb") as handle:
                data = read_capped(handle, self.limits.file_mb * MB)
        except OSError as err:
            return SourceFile(str(path), rel, error=f"cannot read: {err.strerror}")
        if data is None:  # grew since it was measured
            return SourceFile(str(path), rel, error=self.limits.file_problem(self.limits.file_mb * MB + 1))
        return SourceFile(str(path), rel, data=data)

    def archive(self, path: Path) -> Iterator[SourceFile]:
        try:
            members = _zip_members(path) if path.name.lower().endswith(".zip") else _tar_members(path)
            yield from self.members(path, members)
        except (
            tarfile.TarError,
            zipfile.BadZipFile,
            OSError,
            EOFError,
            zlib.error,
            NotImplementedError,
        ) as err:
            # NotImplementedError: a zip compression method Python cannot unpack
            yield SourceFile(str(path), PurePosixPath(path.name), error=f"damaged archive: {err}")

    def members(self, path: Path, members: Iterator[_Member]) -> Iterator[SourceFile]:
        """Each report member once: its bytes, or why not (a link, over a limit)."""
        total = 0
        for member in members:
            rel = PurePosixPath(member.name)
            source = f"{path}:{member.name}"
            if any(part.startswith(".") for part in rel.parts):
                continue  # hidden, as in folders
            if not _readable(rel):
                nested = rel.name.lower().endswith(ARCHIVES)
                what = "an archive inside an archive is not opened" if nested else "unsupported file type"
                yield SourceFile(source, rel, error=f"{what} ({rel.suffix or 'no suffix'}); skipped")
                continue
            if member.refusal is not None:
                yield SourceFile(source, rel, error=member.refusal)
                continue
            problem = self.limits.file_problem(member.size)  # sizes from the headers: known unread
            if problem:
                yield SourceFile(source, rel, error=problem)
                continue
            total += member.size
            stop = self.limits.archive_problem(total, member.name)
            if stop:
                yield SourceFile(str(path), PurePosixPath(path.name), error=stop)
                return
            if not self.read:
                yield SourceFile(source, rel)
                continue
            with member.open() as handle:
                data = read_capped(handle, self.limits.file_mb * MB)
            problem = self.limits.file_problem(self.limits.file_mb * MB + 1) if data is None else None
            yield SourceFile(source, rel, data=data, error=problem)


def _not_regular(path: Path) -> str | None:
    """Why `path` is not read (a dangling link, a FIFO, a device, a socket), or None."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return (
            "dangling symbolic link (its target does not exist); skipped"
            if path.is_symlink()
            else "removed while reading"
        )
    except OSError as err:
        return f"cannot read: {err.strerror}"
    if stat.S_ISDIR(mode):
        return "link to a folder, not followed; skipped"
    if not stat.S_ISREG(mode):
        return "not a regular file (a FIFO, device or socket); skipped without reading"
    return None


def _tar_members(path: Path) -> Iterator[_Member]:
    # Streamed in archive order: sorting first would re-decompress a .tar.gz per member.
    with tarfile.open(path, mode="r|*") as archive:
        for member in archive:
            if member.isdir():
                continue
            refusal = None
            if member.issym() or member.islnk():
                refusal = f"link member (to {member.linkname}) in an archive, not followed; skipped"
            elif not member.isfile():
                refusal = "special member (device or FIFO) in an archive; skipped"
            yield _Member(member.name, refusal, member.size, lambda m=member: archive.extractfile(m))


def _zip_members(path: Path) -> Iterator[_Member]:
    with zipfile.ZipFile(path) as archive:
        for info in sorted((i for i in archive.infolist() if not i.is_dir()), key=lambda i: i.filename):
            refusal = None
            if stat.S_ISLNK(info.external_attr >> 16):
                refusal = "link member in an archive, not followed; skipped"
            elif info.flag_bits & 0x1:
                refusal = "encrypted member (needs a password); unpack it yourself and give the file; skipped"
            yield _Member(info.filename, refusal, info.file_size, lambda i=info: archive.open(i))
