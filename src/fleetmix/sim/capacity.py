"""Capacity: the highest request rate one replica sustains on a workload while meeting an SLO.

The workload keeps its shape (lengths and burstiness) and is rescaled in rate. Each probe
simulates at least `requests` requests and at least `min_duration_s` of arrivals (the trace is
repeated when it is too short). A rate is sustained when the SLO percentiles hold, every request
completes, and the p99 scheduling delay (arrival to admission) stays under `max_queue_p99_s`
(5 s by default, the stability criterion of Vidur, Agrawal et al., MLSys 2024): an overloaded
replica's queue grows without bound, which a TPOT-only SLO would not see. Feasibility is taken
as monotone in rate: the search brackets the answer by doubling, then bisects (geometrically) to
a relative tolerance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from fleetmix.errors import FleetmixError
from fleetmix.perf.deployment import Deployment
from fleetmix.perf.throughput import batch_limit, output_throughput
from fleetmix.sim.cache import CapacityCache, capacity_key
from fleetmix.sim.metrics import SimResult, Slo
from fleetmix.sim.run import simulate_trace
from fleetmix.workload import Trace, head, repeat, rescale_rate

SEARCH_VERSION = 2  # bump when the search changes what it returns (invalidates the cache)
MAX_QUEUE_P99_S = 5.0
MAX_REQUESTS_PER_PROBE = 50_000
MAX_BRACKET_FACTOR = 1024.0  # a sustained rate above estimate × this is a modelling error


@dataclass(frozen=True, kw_only=True)
class CapacityResult:
    """The highest sustainable rate and what the simulation measured at it."""

    max_rate_rps: float  # 0.0 when the SLO is missed even at the lowest rate tried
    slo: str
    requests_per_probe: int  # at least; faster probes simulate more to cover min_duration_s
    probes: int
    at_max_rate: dict[str, Any] | None  # SimResult.to_dict() at max_rate_rps; None if 0
    cached: bool = False

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "max_rate_rps": self.max_rate_rps, "slo": self.slo,
            "requests_per_probe": self.requests_per_probe, "probes": self.probes,
            "cached": self.cached,
        }
        if self.at_max_rate is not None:
            for name in ("ttft_s", "tpot_s", "e2e_s", "queue_s",
                         "throughput_output_tokens_per_s", "preemptions", "utilisation"):
                out[name] = self.at_max_rate[name]
        return out


def rate_estimate_rps(dep: Deployment, trace: Trace) -> float:
    """Request rate at the static estimator's max throughput for the trace's mean shape."""
    isl, osl = trace.mean_shape_tokens
    batch = max(1, batch_limit(dep, isl, osl).max_batch)
    return float(output_throughput(dep, isl, osl, batch)) / osl


def sustained(run: SimResult, max_queue_p99_s: float = MAX_QUEUE_P99_S) -> bool:
    """SLO met, every request finished, and the p99 scheduling delay bounded."""
    return bool(run.slo_met) and run.queue_s.p99 <= max_queue_p99_s


def probe_trace(trace: Trace, rate_rps: float, requests: int, min_duration_s: float) -> Trace:
    """The workload at `rate_rps`: enough requests for `requests` and `min_duration_s`."""
    wanted = min(max(requests, math.ceil(rate_rps * min_duration_s)), MAX_REQUESTS_PER_PROBE)
    if trace.num_requests < wanted:
        trace = repeat(trace, math.ceil(wanted / trace.num_requests))
    return head(rescale_rate(trace, rate_rps), wanted)


def _key(dep: Deployment, trace: Trace, slo: Slo, requests: int, min_duration_s: float,
         tolerance: float, max_queue_p99_s: float) -> str:
    return capacity_key(dep, trace, slo, requests, tolerance, SEARCH_VERSION,
                        extra={"min_duration_s": min_duration_s,
                               "max_queue_p99_s": max_queue_p99_s})


def _lookup(cache: CapacityCache, key: str) -> CapacityResult | None:
    hit = cache.get(key)
    if hit is None:
        return None
    try:
        return CapacityResult(**{**hit, "cached": True})
    except TypeError:
        return None  # an entry from another schema: recompute and overwrite


def cached_capacity(dep: Deployment, trace: Trace, slo: Slo, cache: CapacityCache, *,
                    requests: int = 2000, min_duration_s: float = 120.0,
                    tolerance: float = 0.02, max_queue_p99_s: float = MAX_QUEUE_P99_S
                    ) -> CapacityResult | None:
    """What `find_capacity` with the same arguments would return from `cache`, or None."""
    return _lookup(cache, _key(dep, trace, slo, requests, min_duration_s, tolerance,
                               max_queue_p99_s))


def find_capacity(dep: Deployment, trace: Trace, slo: Slo, *, requests: int = 2000,
                  min_duration_s: float = 120.0, tolerance: float = 0.02,
                  max_queue_p99_s: float = MAX_QUEUE_P99_S,
                  cache: CapacityCache | None = None) -> CapacityResult:
    """Highest rate (req/s) at which one replica sustains `trace` (rescaled) within `slo`."""
    if slo.empty:
        raise ValueError("capacity needs at least one SLO target")
    key = _key(dep, trace, slo, requests, min_duration_s, tolerance, max_queue_p99_s)
    if cache is not None:
        hit = _lookup(cache, key)
        if hit is not None:
            return hit
    probes = 0

    def ok(rate: float) -> tuple[bool, SimResult]:
        nonlocal probes
        probes += 1
        run = simulate_trace(dep, probe_trace(trace, rate, requests, min_duration_s), slo=slo)
        return sustained(run, max_queue_p99_s), run

    estimate = max(rate_estimate_rps(dep, trace), 1e-3)
    lo, lo_run, hi = 0.0, None, estimate
    feasible, run = ok(hi)
    while feasible:  # bracket from above
        lo, lo_run, hi = hi, run, hi * 2.0
        if hi > estimate * MAX_BRACKET_FACTOR:
            raise FleetmixError(f"capacity search found no limit up to {hi:.3g} req/s; the SLO "
                                f"({slo.describe()}) does not bound this workload")
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
                            probes=probes,
                            at_max_rate=None if lo_run is None else lo_run.to_dict())
    if cache is not None:
        cache.put(key, {k: v for k, v in vars(result).items() if k != "cached"})
    return result
