"""The local engine: planned reports tagged in this process, or in N worker processes.

Each worker process (started with `spawn`, so nothing of the parent's threads or
model is shared) loads the model once, with its share of the CPU threads, or on its
own CUDA device; then it takes one report at a time, reads it and tags it by itself.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

from policytag.corpus.plan import Done, Planned, tag_planned
from policytag.io.picked import Picker
from policytag.runtime.segment import Segmenter


@dataclass(frozen=True)
class ModelSpec:
    """What a worker loads: the model folder, the backend, its CPU threads and its device."""

    model: str
    backend: str
    threads: int | None = None
    device: str = "cpu"

    def open(self):
        from policytag.predict.predictor import Predictor

        return Predictor.open(self.model, self.backend, self.threads, self.device)


class Worker:
    """A loaded model with its reader: `tag(planned)` gives that report's `Done`."""

    def __init__(self, spec: ModelSpec, name: str) -> None:
        self.predictor = spec.open()
        self.picker, self.segmenter, self.name = Picker(), Segmenter(), name

    def tag(self, planned: Planned) -> Done:
        return tag_planned(self.predictor, planned, self.picker, self.segmenter, self.name)


def cpu_count() -> int:
    """The CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def worker_specs(spec: ModelSpec, workers: int) -> list[ModelSpec]:
    """One spec per worker process: on CUDA (the torch backend with a GPU) one per device,
    otherwise `workers`, each with `cores // workers` threads (at least one)."""
    if spec.backend == "torch":
        import torch

        if torch.cuda.is_available():
            return [replace(spec, device=f"cuda:{i}") for i in range(torch.cuda.device_count())]
    return [replace(spec, threads=max(1, cpu_count() // workers)) for _ in range(workers)]


def run_local(planned: Iterable[Planned], spec: ModelSpec, workers: int) -> Iterator[Done]:
    """Each planned report's `Done`, in the order they finish (in plan order with one worker)."""
    specs = worker_specs(spec, workers)
    if len(specs) == 1:
        worker = Worker(specs[0], f"pid-{os.getpid()}")
        yield from (worker.tag(p) for p in planned)
        return
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    for one in specs:
        queue.put(one)
    with context.Pool(len(specs), initializer=_start, initargs=(queue,)) as pool:
        yield from pool.imap_unordered(_tag, planned, chunksize=1)


_WORKER: Worker | Exception | None = None


def _start(queue) -> None:
    """Load the worker's model; a failure is kept and raised by each task (a pool whose
    initializer raises would start replacement processes without end)."""
    global _WORKER
    try:
        _WORKER = Worker(queue.get(), f"pid-{os.getpid()}")
    except Exception as err:
        _WORKER = err


def _tag(planned: Planned) -> Done:
    if isinstance(_WORKER, ValueError):  # BrokenExport and its kind: the user's to fix, said in one line
        raise type(_WORKER)(str(_WORKER))
    if not isinstance(_WORKER, Worker):
        raise RuntimeError(f"the worker process could not load the model: {_WORKER}")
    return _WORKER.tag(planned)
