"""`policytag predict` end to end: plan the inputs, tag them with an engine, write the rows.

The same rows come out whatever the engine (`local`, `ray`), the number of workers,
the order reports finish in, or a resume: the plan (ids over all inputs) is made once
here, and each report is tagged by itself. A single output file gets the reports in plan
order; an output folder gets one part per report as each finishes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from policytag.corpus.local_engine import ModelSpec, cpu_count, run_local
from policytag.corpus.plan import Done, Planned, make_plan
from policytag.corpus.ray_engine import EngineUnavailable, ray_session, run_ray
from policytag.corpus.sinks import FileSink, FolderSink, is_folder_output
from policytag.io.run_folder import manifest_hash, model_folder
from policytag.predict.predictor import Predictor, export_backend
from policytag.runtime.checksum import sha256
from policytag.runtime.manifest import MANIFEST
from policytag.version import __version__

__all__ = ["CorpusRun", "Done", "EngineUnavailable", "RunStats", "tag_corpus"]
ENGINES = ("local", "ray")


@dataclass(frozen=True)
class CorpusRun:
    """What `policytag predict` was asked to do."""

    model: Path
    inputs: list[Path]
    out: Path
    backend: str = "auto"
    workers: int = 1
    engine: str = "local"
    ray_address: str | None = None
    resume: bool = False
    gpus_per_worker: float = 0.0
    progress: bool = True


@dataclass
class RunStats:
    """What a run did: reports tagged and skipped (why), rows written, who tagged them."""

    backend: str
    planned: int = 0
    tagged: int = 0
    resumed: int = 0
    rows: int = 0
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    empty: list[str] = field(default_factory=list)  # reports read without a paragraph to tag
    workers: set[str] = field(default_factory=set)  # process ids or Ray actor ids

    def outcome(self) -> dict:
        """What the output's metadata records of this run: counts, and every report skipped
        (with why) or read without a paragraph."""
        return {
            "planned": self.planned,
            "tagged": self.tagged,
            "resumed": self.resumed,
            "skipped": self.skipped,
            "empty": self.empty,
        }


def model_meta(model: Path, backend: str) -> dict[str, str]:
    """The backend `backend` stands for and what Parquet metadata records of the model: its
    manifest's SHA-256 and the taxonomy's (as the manifest lists it). Checks the folder first:
    `BrokenExport` (or `ValueError`) as `Predictor.open` raises them."""
    if (model / MANIFEST).is_file():
        backend = export_backend(model, backend)[1]
    else:
        backend = Predictor.open(model, backend).backend  # a run folder, or refused as one
    folder = model_folder(model)
    taxonomy = sha256(folder / "taxonomy.yaml") if (folder / "taxonomy.yaml").is_file() else "unknown"
    return {
        "manifest_sha256": manifest_hash(model),
        "taxonomy_version": f"sha256:{taxonomy}",
        "backend": backend,
        "policytag_version": __version__,
    }


def tag_corpus(run: CorpusRun) -> RunStats:
    """Tag every report of `run.inputs` into `run.out` (see the module docstring). Raises
    `ValueError` (`OutputRefused`, `BrokenExport`) for a bad output or model, `OutputInUse`,
    and `EngineUnavailable` when `run.engine` cannot run."""
    if run.engine not in ENGINES:
        raise ValueError(f"--engine {run.engine}: choose local or ray")
    if run.workers < 1:
        raise ValueError(f"--workers {run.workers}: give 1 or more")
    if run.engine == "local" and run.workers > cpu_count():
        raise ValueError(
            f"--workers {run.workers}: this machine gives this process {cpu_count()} CPU cores, and each "
            f"worker holds a model; give at most {cpu_count()} (or --engine ray with a cluster)"
        )
    folder = is_folder_output(run.out)
    if run.resume and not folder:
        raise ValueError(f"{run.out}: --resume needs an output folder (a path ending in /)")
    meta = model_meta(run.model, run.backend)
    spec = ModelSpec(str(run.model.absolute()), meta["backend"])  # read from other working folders too
    stats = RunStats(meta["backend"])
    plan = make_plan(run.inputs)
    stats.planned = len(plan)
    with _engine(run, spec) as engine:  # before any output: an engine that cannot start writes nothing
        inputs = (*run.inputs, run.model)
        sink = FolderSink(run.out, meta, run.resume, inputs) if folder else FileSink(run.out, meta, inputs)
        ok = False
        try:
            todo = [p for p in plan if p.part not in sink.done] if folder else plan
            stats.resumed = len(plan) - len(todo)
            _write(engine(todo), todo, sink, stats, run)
            ok = True
        finally:
            sink.close(ok, stats.outcome())
    stats.rows = sink.rows
    return stats


@contextmanager
def _engine(run: CorpusRun, spec: ModelSpec) -> Iterator[Callable[[list[Planned]], Iterator[Done]]]:
    """The engine asked for, started: planned reports in, `Done`s out."""
    if run.engine == "local":
        yield lambda todo: run_local(todo, spec, run.workers)
        return
    with ray_session(run.ray_address, None if run.ray_address else cpu_count()) as ray:
        yield lambda todo: run_ray(todo, spec, run.workers, ray, run.gpus_per_worker)


def _write(done: Iterable[Done], todo: list[Planned], sink, stats: RunStats, run: CorpusRun) -> None:
    by_number = {p.number: p for p in todo}
    ordered = done if isinstance(sink, FolderSink) else in_plan_order(done, [p.number for p in todo])
    progress = Progress(len(todo), run.progress)
    for one in ordered:
        planned = by_number[one.number]
        stats.workers.add(one.worker)
        stats.warnings += [f"{planned.source}: {w}" for w in one.warnings]
        if one.error:
            stats.skipped.append(f"{planned.source}: {one.error}")
        else:
            sink.add(planned, one.rows)  # an empty report's part too: it is done, for --resume
            if one.rows:
                stats.tagged += 1
            else:
                stats.empty.append(f"{planned.source}: no paragraph found (empty, or only headings)")
        progress.update(len(one.rows))
    progress.close()


def in_plan_order(done: Iterable[Done], numbers: list[int]) -> Iterator[Done]:
    """`done` in the order of `numbers`, holding back the ones that finished early."""
    waiting: dict[int, Done] = {}
    position = 0
    for one in done:
        waiting[one.number] = one
        while position < len(numbers) and numbers[position] in waiting:
            yield waiting.pop(numbers[position])
            position += 1


class Progress:
    """Reports done out of the plan, paragraphs and paragraphs per second, time left (tqdm, stderr)."""

    def __init__(self, total: int, show: bool) -> None:
        from tqdm import tqdm

        self.bar = tqdm(total=total, desc="predict", unit="report", disable=not show)
        self.paragraphs, self.start = 0, time.monotonic()

    def update(self, paragraphs: int) -> None:
        self.paragraphs += paragraphs
        rate = self.paragraphs / max(time.monotonic() - self.start, 1e-9)
        self.bar.set_postfix_str(f"{self.paragraphs:,} paragraphs, {rate:,.1f} paragraphs/s", refresh=False)
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()
