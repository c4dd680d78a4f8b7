"""Where tagged rows go: one file (.jsonl, .csv, .parquet) or a folder of Parquet parts.

Both follow the one output rule (`policytag.io.outputs`). A file is written to a staging file
of this writer's own and renamed into place when every row is in. A folder holds one part per report
(`Planned.part`, named from its id and source), each written under a hidden
temporary name and renamed: a report is done exactly when its part exists, so `--resume`
skips those and a killed run leaves no half part behind that a reader would take; the folder's
lock is held for the whole run, and every part is recorded in its owner file.
Parquet files carry `META` in their schema metadata: the export's manifest hash and
taxonomy version, the backend and the package version. What a run skipped or found empty is
recorded with the output: in a folder's `_policytag.json`, in a file's sidecar, and in a single
Parquet file's footer (`policytag.outcome`).
"""

from __future__ import annotations

import csv
import json
import os
from contextlib import ExitStack
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from policytag.corpus.plan import Planned
from policytag.corpus.schema import COLUMNS, SCHEMA
from policytag.io.jsonl import jsonl_line
from policytag.io.outputs import (
    Output,
    OutputRefused,
    check_place,
    foreign_files,
    locked,
    output_file,
    owned_files,
    record_owner,
)
from policytag.io.parts import check_parts

SUFFIXES = (".jsonl", ".csv", ".parquet")
RUN_FILE = "_policytag.json"  # in an output folder: the model the parts were tagged with


def is_folder_output(out: Path) -> bool:
    """A folder of parts: `out` is a folder already, ends in a slash, or has no suffix."""
    return out.is_dir() or str(out).endswith(os.sep) or not out.suffix


def arrow_table(rows: list[dict], meta: dict[str, str]) -> pa.Table:
    """Rows (`COLUMNS`) as an Arrow table of `SCHEMA` with `meta` in its schema metadata."""
    columns = {name: [row[name] for row in rows] for name in COLUMNS}
    columns["top_domains"] = [[{"domain": d, "score": s} for d, s in top] for top in columns["top_domains"]]
    schema = SCHEMA.with_metadata({f"policytag.{k}": str(v) for k, v in meta.items()})
    return pa.table(columns, schema=schema)


class FileSink:
    """One output file, written as rows come and renamed into place on `close()`."""

    def __init__(self, path: Path, meta: dict[str, str], inputs: tuple[Path, ...] = ()) -> None:
        suffix = path.suffix.lower()
        if suffix not in SUFFIXES:
            raise ValueError(f"{path}: output must end in .jsonl, .csv or .parquet, or be a folder")
        self.suffix, self.meta, self.rows, self.notes = suffix, meta, 0, {}
        self.stack = ExitStack()
        staging = self.stack.enter_context(output_file(Output(path, "predict", inputs), self.notes))
        if suffix == ".parquet":
            self.parquet = self.stack.enter_context(pq.ParquetWriter(staging, arrow_table([], meta).schema))
            return
        self.handle = self.stack.enter_context(staging.open("w", encoding="utf-8", newline=""))
        self.csv = csv.DictWriter(self.handle, COLUMNS) if suffix == ".csv" else None
        if self.csv:
            self.csv.writeheader()

    def add(self, planned: Planned | None, rows: list[dict]) -> None:
        """Append a report's rows (`planned` is not needed in a file)."""
        self.rows += len(rows)
        if self.suffix == ".parquet":
            if rows:
                self.parquet.write_table(arrow_table(rows, self.meta))
            return
        for row in rows:
            if self.csv:
                self.csv.writerow(
                    {
                        **row,
                        "top_domains": ";".join(f"{d}:{p}" for d, p in row["top_domains"]),
                        "section_path": " > ".join(row["section_path"] or []),
                    }
                )
            else:
                self.handle.write(jsonl_line(row))

    def close(self, ok: bool, outcome: dict | None = None) -> None:
        """Rename the file into place when `ok`, with `outcome` (what was skipped or empty) in its
        sidecar and Parquet footer; otherwise drop it, the target left as it was."""
        if ok:
            self.notes["outcome"] = outcome or {}
            if self.suffix == ".parquet":
                self.parquet.add_key_value_metadata({"policytag.outcome": json.dumps(outcome or {})})
            self.stack.close()
        else:
            self.stack.__exit__(RuntimeError, RuntimeError("predict failed"), None)


class FolderSink:
    """An output folder of Parquet parts, one per report (see the module docstring)."""

    def __init__(
        self, folder: Path, meta: dict[str, str], resume: bool, inputs: tuple[Path, ...] = ()
    ) -> None:
        self.folder, self.meta, self.rows = folder, meta, 0
        check_place(Output(folder, "predict", inputs))
        if folder.exists() and not folder.is_dir():
            raise OutputRefused(
                f"{folder}: a file, not a folder; give a folder (ending in /) or a file suffix"
            )
        self.stack = ExitStack()
        self.stack.enter_context(locked(folder, "predict"))
        try:
            self._claim(resume)
        except BaseException:
            self.stack.close()
            raise
        self.done = {p.name for p in folder.glob("part-*.parquet")}

    def _claim(self, resume: bool) -> None:
        folder, run = self.folder, {k: self.meta[k] for k in ("manifest_sha256", "backend")}
        marker = folder / RUN_FILE
        for leftover in folder.glob(".part-*.tmp"):  # a killed run's unfinished part (we hold the lock)
            leftover.unlink(missing_ok=True)
        if folder.exists():
            foreign = foreign_files(folder, "predict")
            if foreign:
                raise OutputRefused(
                    f"{folder}: holds files that `policytag predict` did not write there "
                    f"({', '.join(foreign[:5])}); choose another output folder"
                )
            if set(owned_files(folder, "predict")) - {RUN_FILE} and not resume:
                raise OutputRefused(
                    f"{folder}: not empty; give --resume to add the reports still missing, "
                    "or choose an empty folder"
                )
            if resume and marker.is_file() and _model_of(marker) != run:
                raise OutputRefused(
                    f"{folder}: its parts were not tagged by this model and backend ({marker}); "
                    "resume with the same model and --backend, or choose an empty folder"
                )
            check_parts(folder, self.meta)  # every part there, by its own metadata
        folder.mkdir(parents=True, exist_ok=True)
        fresh = not owned_files(folder, "predict")
        marker.write_text(json.dumps(run), encoding="utf-8")
        record_owner(folder, "predict", [RUN_FILE], append=not fresh)

    def add(self, planned: Planned, rows: list[dict]) -> None:
        temporary = self.folder / f".{planned.part}.{os.getpid()}.tmp"
        pq.write_table(arrow_table(rows, self.meta), temporary)
        temporary.replace(self.folder / planned.part)
        record_owner(self.folder, "predict", [planned.part], append=True)
        self.rows += len(rows)

    def close(self, ok: bool, outcome: dict | None = None) -> None:
        """Parts are final as written; `outcome` goes into `_policytag.json` (reports found empty
        accumulate over resumes, skipped ones are this run's: they are tried again); the lock is
        let go."""
        try:
            marker = self.folder / RUN_FILE
            record = json.loads(marker.read_text(encoding="utf-8"))
            outcome = dict(outcome or {})
            outcome["empty"] = sorted(
                {*record.get("outcome", {}).get("empty", []), *outcome.get("empty", [])}
            )
            record["outcome"] = outcome
            marker.write_text(json.dumps(record, ensure_ascii=False, indent=1), encoding="utf-8")
            record_owner(self.folder, "predict", [RUN_FILE], append=True)
        finally:
            self.stack.close()


def _model_of(marker: Path) -> dict[str, str]:
    """The model and backend a folder's parts were tagged with, from its `_policytag.json`."""
    record = json.loads(marker.read_text(encoding="utf-8"))
    return {k: record.get(k) for k in ("manifest_sha256", "backend")}
