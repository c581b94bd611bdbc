"""Capacity: the highest request rate one replica sustains on a workload while meeting an SLO.

The workload keeps its shape (lengths and burstiness) and is rescaled in rate; each probe
simulates the first `requests` requests of the rescaled trace. Feasibility is taken as monotone
in rate: the search brackets the answer by doubling, then bisects to a relative tolerance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from fleetmix.perf.deployment import Deployment
from fleetmix.perf.throughput import batch_limit, output_throughput
from fleetmix.sim.cache import CapacityCache, capacity_key
from fleetmix.sim.metrics import SimResult, Slo
from fleetmix.sim.run import simulate_trace
from fleetmix.workload import Trace, head, rescale_rate

SEARCH_VERSION = 1  # bump when the search changes what it returns (invalidates the cache)


@dataclass(frozen=True, kw_only=True)
class CapacityResult:
    """The highest sustainable rate and the latencies measured at it."""

    max_rate_rps: float  # 0.0 when the SLO is missed even at the lowest rate tried
    slo: str
    requests_per_probe: int
    probes: int
    at_max_rate: SimResult | None  # None when max_rate_rps is 0
    cached: bool = False

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "max_rate_rps": self.max_rate_rps, "slo": self.slo,
            "requests_per_probe": self.requests_per_probe, "probes": self.probes,
            "cached": self.cached,
        }
        if self.at_max_rate is not None:
            run = self.at_max_rate.to_dict()
            for name in ("ttft_s", "tpot_s", "e2e_s", "queue_s",
                         "throughput_output_tokens_per_s", "preemptions", "utilisation"):
                out[name] = run[name]
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any], at_max_rate: SimResult | None) -> CapacityResult:
        return cls(max_rate_rps=float(data["max_rate_rps"]), slo=str(data["slo"]),
                   requests_per_probe=int(data["requests_per_probe"]),
                   probes=int(data["probes"]), at_max_rate=at_max_rate, cached=True)


def rate_estimate_rps(dep: Deployment, trace: Trace) -> float:
    """Request rate at the static estimator's max throughput for the trace's mean shape."""
    isl = max(1, int(np.mean(trace.input_tokens)))
    osl = max(1, int(np.mean(trace.output_tokens)))
    limit = batch_limit(dep, isl, osl)
    batch = max(1, limit.max_batch)
    return float(output_throughput(dep, isl, osl, batch)) / osl


def _probe(dep: Deployment, trace: Trace, rate_rps: float, requests: int, slo: Slo
           ) -> SimResult:
    return simulate_trace(dep, head(rescale_rate(trace, rate_rps), requests), slo=slo)


def find_capacity(dep: Deployment, trace: Trace, slo: Slo, *, requests: int = 2000,
                  tolerance: float = 0.02, cache: CapacityCache | None = None
                  ) -> CapacityResult:
    """Highest rate (req/s) at which one replica meets `slo` on `trace` (rescaled)."""
    if slo.empty:
        raise ValueError("capacity needs at least one SLO target")
    requests = min(requests, trace.num_requests)
    key = capacity_key(dep, trace, slo, requests, tolerance, SEARCH_VERSION)
    if cache is not None:
        hit = cache.get(key)
        if hit is not None:
            return CapacityResult.from_dict(hit, None)
    probes = 0

    def ok(rate: float) -> tuple[bool, SimResult]:
        nonlocal probes
        probes += 1
        run = _probe(dep, trace, rate, requests, slo)
        return bool(run.slo_met), run

    estimate = max(rate_estimate_rps(dep, trace), 1e-3)
    lo, lo_run = 0.0, None
    hi = estimate
    feasible, run = ok(hi)
    while feasible:  # bracket from above
        lo, lo_run, hi = hi, run, hi * 2.0
        feasible, run = ok(hi)
    if lo == 0.0:  # bracket from below
        probe = hi / 2.0
        while probe > estimate * 1e-3:
            feasible, run = ok(probe)
            if feasible:
                lo, lo_run = probe, run
                break
            hi, probe = probe, probe / 2.0
    if lo > 0.0:
        while (hi - lo) / lo > tolerance:
            mid = math.sqrt(lo * hi)
            feasible, run = ok(mid)
            if feasible:
                lo, lo_run = mid, run
            else:
                hi = mid
    result = CapacityResult(max_rate_rps=lo, slo=slo.describe(), requests_per_probe=requests,
                            probes=probes, at_max_rate=lo_run)
    if cache is not None:
        cache.put(key, result.to_dict())
    return result
