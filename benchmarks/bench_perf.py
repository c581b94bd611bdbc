"""Benchmark (run on demand, not a test): speed of the vectorized estimator and of `compare`.

    .venv/bin/python benchmarks/bench_perf.py

Prints operating points evaluated per second by one vectorized call, and the time `compare`
takes over the whole catalog, in-process and as a CLI command (start-up included).
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable

import numpy as np

from fleetmix.arch import load_arch
from fleetmix.catalog import load_catalog
from fleetmix.perf import compare, make_deployment, output_throughput


def best_of(fn: Callable[[], object], repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    catalog = load_catalog()
    rng = np.random.default_rng(0)
    for arch_name, acc_id, tp in (("llama-3.1-70b", "h100-sxm", 4), ("deepseek-v3", "h200", 8)):
        dep = make_deployment(load_arch(arch_name), catalog.accelerator(acc_id), tp=tp, pp=1,
                              ep=1, precision="fp8")
        n = 1_000_000
        isl = rng.integers(64, 8192, n)
        osl = rng.integers(16, 2048, n)
        batch = rng.integers(1, 512, n)
        seconds = best_of(lambda dep=dep, isl=isl, osl=osl, batch=batch:  # type: ignore[misc]
                          output_throughput(dep, isl, osl, batch))
        print(f"{arch_name} on {tp}x {acc_id}: {n:,} operating points in {seconds * 1e3:.0f} ms"
              f" = {n / seconds:,.0f} points/s")

    arch = load_arch("llama-3.1-70b")
    compare(arch, catalog, isl=1000, osl=1000)  # warm caches (catalog parse, engine table)
    seconds = best_of(lambda: compare(arch, catalog, isl=1000, osl=1000))
    print(f"compare llama-3.1-70b over {len(catalog.accelerators)} accelerators (in-process): "
          f"{seconds * 1e3:.0f} ms")
    cli = [sys.executable, "-m", "fleetmix.cli", "compare", "--arch", "llama-3.1-70b",
           "--isl", "1000", "--osl", "1000", "--json"]
    wall = best_of(lambda: subprocess.run(cli, check=True, capture_output=True), repeats=3)
    print(f"`fleetmix compare` as a command, start-up included: {wall * 1e3:.0f} ms")


if __name__ == "__main__":
    main()
