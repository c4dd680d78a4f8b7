"""Report files found by a listing, read again one by one wherever the reading happens.

A listing (`iter_source_files(..., read=False)`) names every report file without its
bytes; `where` turns each entry into a `Where` (a plain file, or a member of an archive)
that any process can read again with a `Picker`. A `Picker` keeps one forward cursor per
archive, so members asked for in archive order cost one pass through a `.tar.gz`; asked
for a member it has already passed, it starts that archive over.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from policytag.io.limits import ReadLimits
from policytag.io.sources import ARCHIVES, SourceFile, _Member, _tar_members, _Walk, _zip_members


@dataclass(frozen=True)
class Where:
    """Where a listed report file lives: `path` (a file, or the archive) and, for an archive
    member, its `member` name; `rel` is its path under the input it was found in."""

    path: str
    member: str | None
    rel: str


def where(source: SourceFile) -> Where:
    """The `Where` of a listed `SourceFile` (its `source` is a path, or `archive:member`), its
    path made absolute so that a process with another working folder finds it too."""
    text = source.source
    for i, char in enumerate(text):
        if char == ":" and text[:i].lower().endswith(ARCHIVES) and Path(text[:i]).is_file():
            return Where(os.path.abspath(text[:i]), text[i + 1 :], source.rel.as_posix())
    return Where(os.path.abspath(text), None, source.rel.as_posix())


class Picker:
    """Reads `Where`s again, within `limits` (see the module docstring)."""

    def __init__(self, limits: ReadLimits | None = None) -> None:
        self.walk = _Walk(limits or ReadLimits.from_env(), True)
        self.cursors: dict[str, _Cursor] = {}

    def read(self, place: Where) -> SourceFile:
        """The file's bytes, or a `SourceFile` with `error` saying why they could not be read."""
        rel = PurePosixPath(place.rel)
        if place.member is None:
            return next(iter(self.walk.path(Path(place.path), rel)))
        cursor = self.cursors.get(place.path)
        if cursor is None:
            cursor = self.cursors[place.path] = _Cursor(Path(place.path))
        try:
            member = cursor.find(place.member)
        except Exception as err:  # a damaged or changed archive: that member is skipped, named
            self.cursors.pop(place.path, None)
            return SourceFile(f"{place.path}:{place.member}", rel, error=f"damaged archive: {err}")
        if member is None:
            return SourceFile(
                f"{place.path}:{place.member}", rel, error="no longer in the archive (changed while tagging)"
            )
        return next(iter(self.walk.members(Path(place.path), iter([member]))))


class _Cursor:
    """A forward walk through one archive's members, restarted when asked for one passed already."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.members: Iterator[_Member] | None = None
        self.passed: set[str] = set()

    def find(self, name: str) -> _Member | None:
        if self.members is None or name in self.passed:
            zipped = self.path.name.lower().endswith(".zip")
            self.members = _zip_members(self.path) if zipped else _tar_members(self.path)
            self.passed = set()
        for member in self.members:
            self.passed.add(member.name)
            if member.name == name:
                return member
        self.members = None
        return None
