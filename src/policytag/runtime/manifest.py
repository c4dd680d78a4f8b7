"""A model folder's manifest: every file with its size and SHA-256, written last.

Exports and a run's `best/` model carry one. A folder without a manifest never
finished; a folder still marked as staging is an interrupted write; a file that is
missing, unlisted or differs from its checksum means the folder was changed
afterwards. Each is refused with the folder and file named.
"""

from __future__ import annotations

import json
from pathlib import Path

from policytag.runtime.checksum import sha256
from policytag.runtime.settings import SETTINGS_FILE

MANIFEST = "manifest.json"
STAGING_MARKER = (
    ".policytag-staging"  # in a folder being written; removed just before it is renamed into place
)
ALWAYS_NEEDED = (SETTINGS_FILE, "tokenizer.json")


class BrokenExport(ValueError):
    """A model folder that is incomplete, unfinished or was changed after it was written."""


def write_manifest(folder: Path, meta: dict) -> None:
    files = {
        p.name: {"bytes": p.stat().st_size, "sha256": sha256(p)}
        for p in sorted(folder.iterdir())
        if p.is_file() and p.name not in (MANIFEST, STAGING_MARKER)
    }
    (folder / MANIFEST).write_text(json.dumps({**meta, "files": files}, indent=2), encoding="utf-8")


def verify(
    folder: Path,
    needs: tuple[str, ...] = (),
    always: tuple[str, ...] = ALWAYS_NEEDED,
    remedy: str = "export it again",
) -> dict:
    """The manifest of a complete, unchanged folder that lists every file of `always` (for a
    model: `policytag.json` and `tokenizer.json`) and of `needs`; raises `BrokenExport` naming
    what is wrong and ending with `remedy`. The one integrity check of every folder policytag builds."""
    if not folder.is_dir():
        raise BrokenExport(f"{folder}: no such model folder")
    if (folder / STAGING_MARKER).exists():
        raise BrokenExport(
            f"{folder}: an unfinished export or model (staging folder, interrupted?); "
            "use the finished folder, or export again"
        )
    path = folder / MANIFEST
    if not path.is_file():
        raise BrokenExport(f"{folder}: no {MANIFEST}; the folder is incomplete (interrupted?): {remedy}")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        files = manifest["files"]
        entries = {name: (int(e["bytes"]), str(e["sha256"])) for name, e in files.items()}
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        raise BrokenExport(f"{path}: not a readable manifest ({err}); {remedy}") from err
    for name in (*always, *needs):
        if name not in entries:
            raise BrokenExport(
                f"{folder}: {MANIFEST} does not list {name}; the folder is incomplete: {remedy}"
            )
    for name, (size, digest) in entries.items():
        file = folder / name
        if not file.is_file():
            raise BrokenExport(f"{folder}: {name} is missing; {remedy}")
        if file.stat().st_size != size or sha256(file) != digest:
            raise BrokenExport(f"{folder}: {name} does not match its checksum in {MANIFEST}; {remedy}")
    return manifest
