"""Tiny scenarios on measured capacities: solved in milliseconds, checkable by hand."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

H100 = "lambda/us-east-1/gpu_1x_h100_sxm5"  # 1 chip, $4.29/hour, 700 W
MI300X = "tensorwave/unspecified/mi300x-1gpu"  # 1 chip, $1.71/hour, 750 W
TPU = "gcp/us-central1/tpu-v6e-1"  # 1 chip, on-demand $2.70, reserved_1y $1.89, 3y $1.22


def write_scenario(folder: Path, *, demand: list[float] | float = 10.0,
                   capacities: dict[str, float] | None = None, policy: dict[str, Any] | None
                   = None, tiers: Iterable[str] = ("on_demand",), headroom: float = 0.0,
                   **extra: Any) -> Path:
    """A one-workload scenario plus its capacity CSV; returns the scenario's path."""
    caps = capacities or {H100: 4.0, MI300X: 1.0}
    (folder / "caps.csv").write_text(
        "offering,workload,max_rps,source\n"
        + "".join(f"{o},chat,{rate},test\n" for o, rate in caps.items()))
    rates = demand if isinstance(demand, list) else [demand]
    doc = {"name": "tiny", "capacity_headroom": headroom,
           "workloads": [{"name": "chat", "arch": "llama-3.1-8b", "trace": "azure-conv",
                          "rates_rps": rates, "slo": {"ttft_p99_s": 2}, "precisions": ["fp8"]}],
           "catalog": {"tiers": list(tiers)}, "policy": policy or {}, **extra}
    path = folder / "scenario.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def brute_force_cost(prices: list[float], caps: list[float], demand: float,
                     ok: Any = lambda counts: True, limit: int = 16) -> float:
    """Cheapest integer replica counts covering `demand`, by enumeration (the oracle)."""
    best = float("inf")
    for counts in itertools.product(range(limit), repeat=len(prices)):
        if sum(n * c for n, c in zip(counts, caps, strict=True)) + 1e-9 < demand:
            continue
        if ok(counts):
            best = min(best, sum(n * p for n, p in zip(counts, prices, strict=True)))
    return best
