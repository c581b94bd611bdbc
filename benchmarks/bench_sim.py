"""Benchmark (run on demand, not a test): simulator speed.

    .venv/bin/python benchmarks/bench_sim.py

1. Simulated seconds per wall second per replica on the full Azure conversation trace
   (19,366 requests, ~58 minutes), one replica, for two deployments.
2. One million requests: the Azure conversation trace repeated to >= 1,000,000 requests, at
   8x its rate over 8 replicas behind a round-robin router.
"""

from __future__ import annotations

import time

from fleetmix.arch import load_arch
from fleetmix.catalog import load_catalog
from fleetmix.perf import make_deployment
from fleetmix.sim import simulate_trace
from fleetmix.workload import load_trace, repeat, rescale_rate


def main() -> None:
    catalog = load_catalog()
    conv = load_trace("azure-conv")
    cases = [("llama-3.1-70b", "h100-sxm", 8, 1), ("llama-3.1-8b", "h100-sxm", 1, 1),
             ("mixtral-8x7b", "mi300x", 2, 1)]
    for arch, acc, tp, pp in cases:
        dep = make_deployment(load_arch(arch), catalog.accelerator(acc), tp=tp, pp=pp, ep=1,
                              precision="fp8")
        best = None
        for _ in range(3):
            result = simulate_trace(dep, conv)
            best = result if best is None or result.wall_s < best.wall_s else best
        assert best is not None
        print(f"azure-conv ({conv.num_requests:,} requests) on one {arch} {tp * pp}x{acc}: "
              f"{best.simulated_s:,.0f} s simulated in {best.wall_s:.2f} s = "
              f"{best.simulated_s / best.wall_s:,.0f}x real time per replica "
              f"({best.steps:,} engine steps, {conv.num_requests / best.wall_s:,.0f} req/s)")

    dep = make_deployment(load_arch("llama-3.1-70b"), catalog.accelerator("h100-sxm"), tp=8,
                          pp=1, ep=1, precision="fp8")
    times = -(-1_000_000 // conv.num_requests)
    big = rescale_rate(repeat(conv, times), conv.rate_rps * 8)
    start = time.perf_counter()
    result = simulate_trace(dep, big, replicas=8)
    wall = time.perf_counter() - start
    print(f"{big.num_requests:,} requests over 8 replicas: {wall:.1f} s wall "
          f"({big.num_requests / wall:,.0f} simulated requests/s; "
          f"{result.simulated_s:,.0f} s simulated, {result.completed:,} completed)")


if __name__ == "__main__":
    main()
