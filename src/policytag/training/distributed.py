"""Several processes, one run: data-parallel training under `torchrun` or `accelerate launch`.

Both launchers set WORLD_SIZE, RANK and LOCAL_RANK; without them training runs as a
single process. GPUs use NCCL, CPUs the gloo backend (which is how the tests run two
processes on one machine). Every process takes every `world`-th batch; only the main
process evaluates, saves and logs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class Distributed:
    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world > 1


def setup(device: torch.device) -> tuple[Distributed, torch.device]:
    """Join the process group when launched by torchrun/accelerate; pick this process's device."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return Distributed(), device
    rank, local_rank = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    if device.type == "cuda":
        device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    return Distributed(rank, world, local_rank), device


def wrap(model: torch.nn.Module, group: Distributed, device: torch.device) -> torch.nn.Module:
    """The model to train with: DistributedDataParallel across processes, else the model itself."""
    if not group.enabled:
        return model
    from torch.nn.parallel import DistributedDataParallel

    return DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)


def agree(flag: bool, group: Distributed, device: torch.device) -> bool:
    """The main process's decision (e.g. to stop early), shared with every process."""
    if not group.enabled:
        return flag
    value = torch.tensor([1 if flag else 0], device=device)
    dist.broadcast(value, src=0)
    return bool(value.item())


def barrier(group: Distributed) -> None:
    if group.enabled:
        dist.barrier()


def teardown(group: Distributed) -> None:
    if group.enabled and dist.is_initialized():
        dist.destroy_process_group()
