"""All-reduce across the local devices of one kind: one process per device (NCCL/RCCL on GPUs,
gloo on the CPU), timed on rank 0."""

from __future__ import annotations

import multiprocessing as mp
import os
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import torch
import torch.distributed as dist

from fleetmix.perf.profile import AllReduceRow

_BACKENDS = {"cuda": "nccl", "rocm": "nccl", "xpu": "xccl", "cpu": "gloo"}


def _worker(rank: int, world: int, device_type: str, init_file: str, sizes: Sequence[int],
            repeats: int, out_file: str) -> None:
    dist.init_process_group(_BACKENDS[device_type], init_method=f"file://{init_file}",
                            rank=rank, world_size=world)
    try:
        if device_type in ("cuda", "rocm"):
            torch.cuda.set_device(rank)
            dev = torch.device("cuda", rank)
        elif device_type == "xpu":
            torch.xpu.set_device(rank)
            dev = torch.device("xpu", rank)
        else:
            dev = torch.device("cpu")
        lines = []
        for size in sizes:
            x = torch.ones(max(size // 4, 1), device=dev)
            for _ in range(2):  # warm-up: connection set-up, buffers
                dist.all_reduce(x)
            samples = []
            for _ in range(repeats):
                dist.barrier()
                start = time.perf_counter()
                dist.all_reduce(x)
                if dev.type == "cuda":
                    torch.cuda.synchronize(dev)
                elif dev.type == "xpu":
                    torch.xpu.synchronize(dev)
                samples.append(time.perf_counter() - start)
            lines.append(f"{x.numel() * 4} {statistics.median(samples)!r}")
        if rank == 0:
            Path(out_file).write_text("\n".join(lines))
    finally:
        dist.destroy_process_group()


def allreduce_rows(device_type: str, world: int, sizes: Sequence[int], *, repeats: int
                   ) -> list[AllReduceRow]:
    """Median all-reduce time of each message size (bytes per device) over `world` devices."""
    with tempfile.TemporaryDirectory() as tmp:
        init_file, out_file = os.path.join(tmp, "init"), os.path.join(tmp, "out")
        ctx = mp.get_context("spawn")
        procs = [ctx.Process(target=_worker, args=(rank, world, device_type, init_file,
                                                    list(sizes), repeats, out_file))
                 for rank in range(world)]
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.join()
        failed = [p.exitcode for p in procs if p.exitcode != 0]
        if failed:
            raise RuntimeError(f"all-reduce workers exited with {failed}")
        text = Path(out_file).read_text()
    rows = []
    for line in text.splitlines():
        size, time_s = line.split()
        rows.append(AllReduceRow(bytes=int(size), time_s=float(time_s)))
    return rows
