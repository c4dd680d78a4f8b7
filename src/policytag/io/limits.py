"""How much one input may unpack to, so that no file or archive can exhaust memory.

Every report file (a plain file or an archive member) is read with a cap on its
size, and an archive's members together with a cap on their total. Both are in
megabytes and can be raised from the environment for unusual inputs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import BinaryIO

MB = 1 << 20
FILE_ENV = "POLICYTAG_MAX_FILE_MB"
ARCHIVE_ENV = "POLICYTAG_MAX_ARCHIVE_MB"
MAX_ARCHIVE_MB = 1 << 30  # members are streamed, not held: a bound only against absurd values


def available_mb() -> int:
    """Memory free for this process now (MemAvailable), in MB; the physical memory where unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) // 1024
    except OSError:
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // MB


@dataclass(frozen=True)
class ReadLimits:
    """The most one report file (`file_mb`) and one archive's members in total (`archive_mb`) may unpack to."""

    file_mb: int = 64
    archive_mb: int = 4096

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> ReadLimits:
        """The defaults, or `POLICYTAG_MAX_FILE_MB` / `POLICYTAG_MAX_ARCHIVE_MB` where set;
        `ValueError` naming the variable when one is not a positive whole number."""
        values = {}
        for name, key in ((FILE_ENV, "file_mb"), (ARCHIVE_ENV, "archive_mb")):
            raw = environ.get(name, "").strip()
            if raw:
                if not raw.isdigit() or int(raw) < 1:
                    raise ValueError(f"{name}={raw!r}: expected a whole number of megabytes, 1 or more")
                values[key] = int(raw)
        free = available_mb()
        if values.get("file_mb", 0) > free:
            raise ValueError(
                f"{FILE_ENV}={values['file_mb']}: one file is held in memory whole, and this machine has "
                f"{free:,} MB free; give at most that"
            )
        if values.get("archive_mb", 0) > MAX_ARCHIVE_MB:
            raise ValueError(f"{ARCHIVE_ENV}={values['archive_mb']}: give at most {MAX_ARCHIVE_MB:,} (1 PB)")
        return cls(**values)

    def file_problem(self, size: int) -> str | None:
        """Why a file of `size` unpacked bytes is refused, or None when it is within the limit."""
        if size <= self.file_mb * MB:
            return None
        return (
            f"unpacks to {_mb(size)} MB, over the {self.file_mb} MB limit for one file; skipped without "
            f"reading it. If it really is one report, raise the limit: {FILE_ENV}=<MB>"
        )

    def archive_problem(self, total: int, member: str) -> str | None:
        """Why the archive stops at `member` (its members so far unpack to `total` bytes), or None."""
        if total <= self.archive_mb * MB:
            return None
        return (
            f"members unpack to more than the {self.archive_mb} MB limit for one archive at {member}; "
            f"it and the members after it were skipped. Raise the limit: {ARCHIVE_ENV}=<MB>"
        )


def read_capped(handle: BinaryIO, size_limit: int) -> bytes | None:
    """At most `size_limit` bytes from `handle`; None when it holds more (never reads past the cap)."""
    data = handle.read(size_limit + 1)
    return None if len(data) > size_limit else data


def _mb(size: int) -> str:
    return f"{size / MB:,.1f}"
