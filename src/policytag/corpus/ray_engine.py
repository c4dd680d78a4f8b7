"""The Ray engine: Ray Data `map_batches` over a fixed pool of tagging actors.

The plan goes in as one item per report (`ray.data.from_items`); each actor loads the
model once (`ModelSpec`, so the model folder must be readable at the same path on
every node), reads its reports itself (files, archive members) and returns one row per
report holding that report's rows, so a report's rows always arrive together and a
report that yields none still reports back. Ray is joined at `address`, or a local Ray
is started and shut down again when the run ends, errors included; when Ray is missing
or cannot start, `EngineUnavailable` says so: there is no fallback to the local engine.
"""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace

from policytag.corpus.local_engine import ModelSpec, Worker
from policytag.corpus.plan import Done, Planned

INSTALL = "--engine ray needs `pip install 'policytag[cluster]'` (Ray Data)"


class EngineUnavailable(RuntimeError):
    """The engine asked for cannot run here; the message says why and what to do."""


@contextmanager
def ray_session(address: str | None, cpus: int | None = None) -> Iterator[object]:
    """The `ray` module, connected to `address` or to a local Ray started here (with `cpus`
    CPUs; shut down on leaving). A Ray this process had already joined is used as it is
    (after checking that something answers at `address`, when one is given)."""
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError as err:
        raise EngineUnavailable(f"{INSTALL}; {err}") from None
    unreachable = address and _unreachable(address)
    if unreachable:
        raise EngineUnavailable(f"could not start or join Ray at {address}: {unreachable}")
    if ray.is_initialized():
        yield ray
        return
    where = address or "a new local Ray"
    try:
        ray.init(
            address=address,
            num_cpus=None if address else cpus,
            include_dashboard=False,
            logging_level=logging.WARNING,
            log_to_driver=False,
            configure_logging=False,
        )
    except Exception as err:  # ConnectionError, RuntimeError, ValueError: whatever Ray raises
        ray.shutdown()
        raise EngineUnavailable(f"could not start or join Ray at {where}: {err}") from None
    try:
        yield ray
    finally:
        ray.shutdown()


def _unreachable(address: str, timeout: float = 5.0) -> str | None:
    """Why nothing answers at a `host:port` (or `ray://host:port`) address, or None when
    something does; `auto` and addresses without a port are left to Ray. (Ray itself keeps
    retrying an unreachable head for minutes.)"""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        return None
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as err:
        return f"nothing answers there within {timeout:g} s ({err.strerror or err}); start it with `ray start --head`"
    return None


class _Tagger:
    """A Ray Data actor: one model, tagging the reports of each batch one by one."""

    def __init__(self, spec: ModelSpec) -> None:
        import ray

        self.worker = Worker(spec, f"actor-{ray.get_runtime_context().get_actor_id()}")

    def __call__(self, batch):
        import pandas as pd

        done = [self.worker.tag(Planned.from_dict(json.loads(item))) for item in batch["item"]]
        return pd.DataFrame(
            {
                "number": [d.number for d in done],
                "rows": [json.dumps(d.rows, ensure_ascii=False) for d in done],
                "error": [d.error or "" for d in done],
                "warnings": [json.dumps(list(d.warnings), ensure_ascii=False) for d in done],
                "worker": [d.worker for d in done],
            }
        )


def run_ray(
    planned: Iterable[Planned], spec: ModelSpec, actors: int, ray, gpus_per_actor: float = 0.0
) -> Iterator[Done]:
    """Each planned report's `Done`, in the order they finish, from `actors` actors of `ray`
    (a connected session), each with an equal share of the cluster's CPUs (at least one) and
    `gpus_per_actor` GPUs (then on CUDA with the torch backend)."""
    items = [{"item": json.dumps(p.to_dict(), ensure_ascii=False)} for p in planned]
    if not items:
        return
    resources = ray.cluster_resources()
    have = {"CPU": resources.get("CPU", 0), "GPU": resources.get("GPU", 0)}
    for kind, need in (("CPU", actors), ("GPU", actors * gpus_per_actor)):
        if need > have[kind]:  # a fixed pool larger than the cluster would wait for ever
            raise ValueError(
                f"--workers {actors}: the actors need {need:g} {kind}s and the Ray cluster has "
                f"{have[kind]:g}; give fewer workers (or fewer GPUs per worker), or add nodes"
            )
    cpus = max(1, int(have["CPU"] // actors))
    spec = replace(spec, threads=cpus, device="cuda" if gpus_per_actor else spec.device)
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    context.print_on_execution_start = False
    logging.getLogger("ray.data").setLevel(logging.WARNING)  # the command's own progress bar says it
    context.execution_options.preserve_order = False
    tagged = ray.data.from_items(items).map_batches(
        _Tagger,
        fn_constructor_kwargs={"spec": spec},
        batch_size=1,  # the work unit is one report: its batches are formed within it
        batch_format="pandas",
        compute=ray.data.ActorPoolStrategy(size=actors),
        num_cpus=cpus,
        num_gpus=gpus_per_actor or None,
    )
    for row in tagged.iter_rows():
        yield Done(
            int(row["number"]),
            json.loads(row["rows"]),
            row["error"] or None,
            tuple(json.loads(row["warnings"])),
            row["worker"],
        )
