"""An export's manifest: every file with its size and SHA-256, written last.

A folder without a manifest is an export that never finished; a file that is
missing or differs from its checksum means the folder was changed afterwards.
Either way the folder is refused with the file named.
"""

from __future__ import annotations

import json
from pathlib import Path

from policytag.io.checksum import sha256

MANIFEST = "manifest.json"


class BrokenExport(ValueError):
    """An export folder that is incomplete or was changed after export."""


def write_manifest(folder: Path, meta: dict) -> None:
    files = {p.name: {"bytes": p.stat().st_size, "sha256": sha256(p)}
             for p in sorted(folder.iterdir()) if p.is_file() and p.name != MANIFEST}
    (folder / MANIFEST).write_text(json.dumps({**meta, "files": files}, indent=2), encoding="utf-8")


def verify(folder: Path) -> dict:
    """The manifest of a complete, unchanged export; raises `BrokenExport` naming what is wrong."""
    if not folder.is_dir():
        raise BrokenExport(f"{folder}: no such export folder")
    path = folder / MANIFEST
    if not path.is_file():
        raise BrokenExport(f"{folder}: no {MANIFEST}; the export is incomplete (interrupted?): export it again")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    for name, entry in manifest["files"].items():
        file = folder / name
        if not file.is_file():
            raise BrokenExport(f"{folder}: {name} is missing; export it again")
        if file.stat().st_size != entry["bytes"] or sha256(file) != entry["sha256"]:
            raise BrokenExport(f"{folder}: {name} does not match its checksum in {MANIFEST}; export it again")
    return manifest
