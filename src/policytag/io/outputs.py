"""The one rule for every output: a command writes only paths it owns.

A command owns a new path, or its own earlier output, recognised by what it recorded when it
wrote it: in a folder, the owner file `OWNER` lists the command and every file it wrote with its
SHA-256; beside a single file, a hidden sidecar `.NAME.policytag.json` does the same. Replacing an
earlier output replaces only the files it lists that are unchanged since. Anything else found
there is refused, naming it; `overwrite` lets a folder output be written beside such files, and
no file the command did not write is ever removed or replaced, with or without it.

An output may never be, or lie inside, one of the command's inputs, an export folder or a
training run folder. One writer per output at a time: a lock beside it is held for the whole
command, and a second writer is refused at once (`OutputInUse`). A folder output is written into
a staging folder and moved into place when complete; a single file through a staging file renamed
into place. A killed run's staging leftovers are removed by the next run on the same output. Python's
`__pycache__` beside a module the command wrote (an export's `predictor.py`, once imported)
counts as part of the output.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from policytag.io.locks import OutputRefused, locked, unique_sibling
from policytag.io.run_folder import RUN_MARKER, is_export, is_run
from policytag.runtime.checksum import sha256
from policytag.runtime.manifest import STAGING_MARKER

OWNER = ".policytag-owner.jsonl"  # in an output folder: a header line, then one line per file written
MAX_NAMED = 5


@dataclass(frozen=True)
class Output:
    """Where a command writes, and what that output may never touch."""

    path: Path
    command: str  # `prepare`, `export`, … : an output is its own only for the same command
    inputs: tuple[Path, ...] = ()
    overwrite: bool = False
    keep: tuple[str, ...] = field(default=())  # names inside the folder the command never replaces

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", Path(self.path))
        object.__setattr__(self, "inputs", tuple(Path(p) for p in self.inputs))


# ---- where an output may go ------------------------------------------------------------------


def check_place(output: Output) -> None:
    """Refuse an output that is, or lies inside, an input, an export or a training run."""
    target = output.path.resolve()
    for folder in [target, *target.parents]:
        if folder == target and output.command in ("train", "run") and is_run(folder):
            continue  # a training command resumes or sets aside its own run
        if is_run(folder):
            raise OutputRefused(
                f"{output.path}: inside the training run {folder}, which is never written over; choose another output"
            )
        if is_export(folder) and not (folder == target and output.command == "export"):
            raise OutputRefused(f"{output.path}: inside the export {folder}; choose another output")
    for given in output.inputs:
        source = given.resolve()
        if target == source or source in target.parents:
            raise OutputRefused(f"{output.path}: is or lies inside the input {given}; choose another output")


# ---- what an output folder holds ---------------------------------------------------------------


def owned_files(folder: Path, command: str) -> dict[str, str]:
    """The files `command` recorded writing in `folder` (relative path → SHA-256); {} when
    `folder` has no owner file or another command's."""
    owner = folder / OWNER
    if not owner.is_file():
        return {}
    lines = [json.loads(line) for line in owner.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not lines or lines[0].get("command") != command:
        return {}
    return {line["file"]: line["sha256"] for line in lines[1:]}


def foreign_files(folder: Path, command: str, keep: Iterable[str] = ()) -> list[str]:
    """Files in `folder` that `command` did not write there, or changed since (relative paths);
    staging leftovers, locks and names in `keep` aside."""
    owned = owned_files(folder, command)
    keep = set(keep)
    found = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_dir() and not path.is_symlink() or rel == OWNER or rel.split("/")[0] in keep:
            continue
        if "__pycache__" in rel.split("/")[:-1]:
            continue  # Python's cache of a module the command wrote (an export's predictor.py)
        if rel in owned and not path.is_symlink() and sha256(path) == owned[rel]:
            continue
        found.append(rel)
    return found


def _named(items: list[str]) -> str:
    more = f" and {len(items) - MAX_NAMED} more" if len(items) > MAX_NAMED else ""
    return ", ".join(items[:MAX_NAMED]) + more


def claim_folder(output: Output) -> list[str]:
    """Check that `output.path` may take a folder output now; returns the foreign files that
    will stay beside it (only with `overwrite`). Raises `OutputRefused` otherwise."""
    check_place(output)
    path = output.path
    if path.is_symlink() or path.exists() and not path.is_dir():
        raise OutputRefused(f"{path}: a file, not a folder; give a folder for the output")
    if not path.exists():
        return []
    held = next(path.rglob(RUN_MARKER), None)
    if held is not None:
        raise OutputRefused(
            f"{path}: holds the training run {held.parent}, which is never written over; choose another output folder"
        )
    foreign = foreign_files(path, output.command, output.keep)
    if foreign and not output.overwrite:
        raise OutputRefused(
            f"{path}: holds files that `policytag {output.command}` did not write there ({_named(foreign)}); "
            "choose another output folder, or give --overwrite to write beside them (they are never removed)"
        )
    return foreign


def claim_empty(output: Output) -> None:
    """Check that `output.path` may become a folder written in place (a training run): new or
    empty, never beside other files."""
    check_place(output)
    path = output.path
    if path.is_symlink() or path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise OutputRefused(f"{path}: exists and is not empty; give a new or empty folder")


def record_owner(folder: Path, command: str, files: Iterable[str], append: bool = False) -> None:
    """Record `files` (relative to `folder`) as written by `command`, with their SHA-256."""
    lines = [] if append else [json.dumps({"command": command})]
    lines += [json.dumps({"file": rel, "sha256": sha256(folder / rel)}, ensure_ascii=False) for rel in files]
    with (folder / OWNER).open("a" if append else "w", encoding="utf-8") as handle:
        handle.write("".join(line + "\n" for line in lines))


def _written(folder: Path) -> list[str]:
    return sorted(
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and p.name not in (OWNER, STAGING_MARKER)
    )


@contextmanager
def output_folder(output: Output) -> Iterator[Path]:
    """A staging folder for `output`, put in place when the block finishes: files of the
    earlier output replaced or removed, files the command did not write left as they are. On an
    error the staging folder is removed and the target left untouched."""
    with locked(output.path, output.command):
        foreign = claim_folder(output)
        staging = unique_sibling(output.path, "partial")
        staging.mkdir(parents=True)
        (staging / STAGING_MARKER).touch()
        try:
            yield staging
            (staging / STAGING_MARKER).unlink()
            _install(staging, output, foreign)
        finally:
            shutil.rmtree(staging, ignore_errors=True)


def _install(staging: Path, output: Output, foreign: list[str]) -> None:
    files = _written(staging)
    clash = sorted(set(files) & set(foreign))
    if clash:
        raise OutputRefused(
            f"{output.path}: would replace {_named(clash)}, which `policytag {output.command}` did not write; "
            "move them away or choose another output folder"
        )
    record_owner(staging, output.command, files)
    target = output.path
    if not foreign and not (target.exists() and any(n in output.keep for n in os.listdir(target))):
        old = unique_sibling(target, "partial")  # an earlier output of ours: swapped whole
        if target.exists():
            target.rename(old)
        staging.rename(target)
        shutil.rmtree(old, ignore_errors=True)
        return
    for rel in owned_files(target, output.command):  # beside other files: ours replaced one by one
        if rel not in files and rel not in foreign:
            (target / rel).unlink(missing_ok=True)
    for rel in [*files, OWNER]:
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging / rel, target / rel)


# ---- single files ----------------------------------------------------------------------------------


def sidecar(path: Path) -> Path:
    """The record beside an output file of who wrote it."""
    return path.parent / f".{path.name}.policytag.json"


def owns_file(path: Path, command: str) -> bool:
    record = sidecar(path)
    if not record.is_file() or not path.is_file() or path.is_symlink():
        return False
    written = json.loads(record.read_text(encoding="utf-8"))
    return written.get("command") == command and written.get("sha256") == sha256(path)


def claim_file(output: Output) -> None:
    """Check that `output.path` may take a file now: new, or this command's own unchanged file."""
    check_place(output)
    path = output.path
    if path.is_dir():
        raise OutputRefused(f"{path}: a folder, not a file; give a file name for the output")
    if (path.exists() or path.is_symlink()) and not owns_file(path, output.command):
        raise OutputRefused(
            f"{path}: a file that `policytag {output.command}` did not write (or changed since); "
            "it is never replaced: choose another output file"
        )


@contextmanager
def output_file(output: Output, notes: dict | None = None) -> Iterator[Path]:
    """A staging file for `output`, renamed into place (with its sidecar) when the block finishes;
    removed, and the target untouched, when it raises. `notes` (filled inside the block, e.g. what
    was skipped) go into the sidecar too."""
    with locked(output.path, output.command):
        claim_file(output)
        staging = unique_sibling(output.path, "partial")
        try:
            yield staging
            if not staging.is_file():
                staging.touch()
            record = {"command": output.command, "sha256": sha256(staging), **(notes or {})}
            sidecar(output.path).write_text(json.dumps(record), encoding="utf-8")
            os.replace(staging, output.path)
        finally:
            staging.unlink(missing_ok=True)


def write_text(output: Output, text: str) -> None:
    """A whole text file as one output."""
    with output_file(output) as staging:
        staging.write_text(text, encoding="utf-8")


def set_aside(folder: Path, stamp: str) -> Path:
    """Rename `folder` to a sibling `<name>.<stamp>` (numbered when taken), keeping it whole."""
    stamp = "".join(c if c.isalnum() or c in "-_" else "-" for c in stamp)
    candidate, n = folder.with_name(f"{folder.name}.{stamp}"), 1
    while candidate.exists():
        n += 1
        candidate = folder.with_name(f"{folder.name}.{stamp}-{n}")
    folder.rename(candidate)
    return candidate
