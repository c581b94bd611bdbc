"""Run replicas over traffic: open loop (trace arrivals, routed) or closed loop (N clients)."""

from __future__ import annotations

import enum
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from fleetmix.perf.deployment import Deployment
from fleetmix.perf.memory import memory_fit
from fleetmix.perf.stepcost import compile_step_cost
from fleetmix.sim.metrics import LatencyStats, SimResult, Slo
from fleetmix.sim.replica import REJECTED, Replica, RequestTable, SchedulerLimits
from fleetmix.workload import Trace

IDLE_POWER_FRACTION = 0.3
"""Power of an idle accelerator as a fraction of TDP (an assumption; HBM and clocks stay up)."""


class Router(enum.Enum):
    """How an arriving request picks a replica."""

    ROUND_ROBIN = "round-robin"
    LEAST_OUTSTANDING = "least-outstanding-tokens"


@dataclass(frozen=True, kw_only=True)
class ReplicaSetup:
    """What every replica of a run shares: deployment, KV capacity, compiled step cost."""

    dep: Deployment
    kv_cache_tokens: int

    @classmethod
    def for_requests(cls, dep: Deployment, mean_request_tokens: float) -> ReplicaSetup:
        fit = memory_fit(dep, max(1, int(mean_request_tokens)))
        return cls(dep=dep, kv_cache_tokens=fit.kv_cache_tokens)


def _replicas(setup: ReplicaSetup, count: int, table: RequestTable,
              on_finish: Callable[[int, float], None] | None = None) -> list[Replica]:
    cost = compile_step_cost(setup.dep)
    limits = SchedulerLimits.for_deployment(setup.dep, setup.kv_cache_tokens)
    return [Replica(i, cost, limits, table, on_finish) for i in range(count)]


def _open_loop_table(trace: Trace) -> tuple[RequestTable, float]:
    """The request table of a trace and its mean request size (tokens, for KV sizing)."""
    sizes = trace.input_tokens + trace.output_tokens
    mean_tokens = float(np.mean(sizes)) if trace.num_requests else 1.0
    return RequestTable(trace.arrival_s.tolist(), trace.input_tokens.tolist(),
                        trace.output_tokens.tolist()), mean_tokens


def simulate_trace(dep: Deployment, trace: Trace, *, replicas: int = 1,
                   router: Router = Router.ROUND_ROBIN, slo: Slo | None = None,
                   time_limit_s: float = math.inf) -> SimResult:
    """Open loop: every request of `trace` arrives at its time and is routed to a replica."""
    start = time.perf_counter()
    table, mean_tokens = _open_loop_table(trace)
    reps = _replicas(ReplicaSetup.for_requests(dep, mean_tokens), replicas, table)
    arrivals = table.arrival_s
    for rid in range(len(table)):
        t = arrivals[rid]
        if t > time_limit_s:
            break
        if router is Router.ROUND_ROBIN or replicas == 1:
            target = reps[rid % replicas]
            target.advance_to(t)
        else:
            for rep in reps:
                rep.advance_to(t)
            target = min(reps, key=lambda r: (r.outstanding_tokens, r.index))
        target.submit(rid)
    for rep in reps:
        rep.drain(time_limit_s)
    return summarize(table, reps, dep, slo, time.perf_counter() - start)


def simulate_clients(dep: Deployment, *, concurrency: int, num_requests: int,
                     input_tokens: Sequence[int], output_tokens: Sequence[int],
                     replicas: int = 1, slo: Slo | None = None,
                     warmup_requests: int = 0) -> SimResult:
    """Closed loop: `concurrency` clients each send a request as soon as their last one ends.

    Request shapes cycle through `input_tokens`/`output_tokens` (one fixed shape, or the
    lengths of a trace). Client i is pinned to replica i mod `replicas`. The first
    `warmup_requests` requests (all clients starting at once) are simulated but not measured,
    as benchmark tools do; `num_requests` counts them.
    """
    if concurrency < 1 or num_requests < 1:
        raise ValueError(f"concurrency ({concurrency}) and num_requests ({num_requests}) >= 1")
    start = time.perf_counter()
    shapes = list(zip(input_tokens, output_tokens, strict=True))
    setup = ReplicaSetup.for_requests(dep, float(np.mean([i + o for i, o in shapes])))
    table = RequestTable([], [], [])
    issued = 0
    client_of: dict[int, int] = {}
    reps: list[Replica] = []

    def issue(client: int, at_s: float) -> None:
        nonlocal issued
        isl, osl = shapes[issued % len(shapes)]
        rid = table.append(at_s, isl, osl)
        issued += 1
        client_of[rid] = client
        reps[client % replicas].submit(rid)

    def on_finish(rid: int, now_s: float) -> None:
        if issued < num_requests:
            issue(client_of[rid], now_s)

    reps.extend(_replicas(setup, replicas, table, on_finish))
    for client in range(min(concurrency, num_requests)):
        issue(client, 0.0)
    for rep in reps:
        rep.drain()
    skip = min(warmup_requests, max(num_requests - 1, 0))
    return summarize(table, reps, dep, slo, time.perf_counter() - start, skip=skip)


GOLDEN_FRACTION = (math.sqrt(5.0) - 1.0) / 2.0


def weighted_assignment(weights: Sequence[float], num_requests: int) -> NDArray[np.int64]:
    """Replica index per request, each replica's share proportional to its weight, spread
    evenly over time (a golden-ratio low-discrepancy sequence, deterministic)."""
    w = np.asarray(weights, dtype=np.float64)
    if w.size == 0 or not (w > 0).all():
        raise ValueError(f"weights must be positive, got {w.tolist()}")
    edges = np.cumsum(w) / w.sum()
    u = (np.arange(num_requests) * GOLDEN_FRACTION) % 1.0
    return np.minimum(np.searchsorted(edges, u, side="right"), w.size - 1).astype(np.int64)


def simulate_fleet(groups: Sequence[tuple[Deployment, int, float]], trace: Trace, *,
                   slo: Slo | None = None) -> SimResult:
    """Open loop over a mixed fleet. `groups` holds (deployment, replicas, weight per
    replica); a request goes to a replica with probability proportional to its weight (use
    each replica's capacity, so every replica runs at the same fraction of what it sustains).
    """
    start = time.perf_counter()
    if not groups:
        raise ValueError("a fleet needs at least one replica group")
    table, mean_tokens = _open_loop_table(trace)
    reps: list[Replica] = []
    deps: list[Deployment] = []
    weights: list[float] = []
    for dep, count, weight in groups:
        for rep in _replicas(ReplicaSetup.for_requests(dep, mean_tokens), count, table):
            rep.index = len(reps)
            reps.append(rep)
            deps.append(dep)
            weights.append(weight)
    targets = weighted_assignment(weights, len(table)).tolist()
    for rid, t in enumerate(table.arrival_s):
        rep = reps[targets[rid]]
        rep.advance_to(t)
        rep.submit(rid)
    for rep in reps:
        rep.drain(math.inf)
    return summarize(table, reps, deps[0], slo, time.perf_counter() - start, replica_deps=deps)


def summarize(table: RequestTable, reps: list[Replica], dep: Deployment, slo: Slo | None,
              wall_s: float, skip: int = 0,
              replica_deps: Sequence[Deployment] | None = None) -> SimResult:
    """Latency percentiles and totals of a finished run, leaving out the first `skip`
    requests (a closed-loop benchmark's warm-up). `replica_deps` gives each replica's
    deployment when they differ (a mixed fleet); `dep` then sets the per-request overhead."""
    # Server time outside engine steps (HTTP, tokenization) delays what the client sees.
    overhead = dep.efficiency.request_overhead_s
    arrival = table.column("arrival_s")[skip:]
    first = table.column("first_token_s")[skip:] + overhead
    finish = table.column("finish_s")[skip:] + overhead
    outputs = table.column("output_tokens")[skip:]
    done = np.isfinite(finish)
    ttft = (first - arrival)[done]
    e2e = (finish - arrival)[done]
    with np.errstate(invalid="ignore", divide="ignore"):
        tpot = np.where(outputs[done] > 1, (finish - first)[done] / (outputs[done] - 1), np.nan)
    queue = (table.column("scheduled_s")[skip:] - arrival)[done]
    span = float(finish[done].max() - arrival.min()) if done.any() else 0.0
    ttft_stats, tpot_stats = LatencyStats.of(ttft), LatencyStats.of(tpot)
    # Utilisation and energy cover the whole run (warm-up included): busy time is per run.
    all_finish = table.column("finish_s") + overhead
    whole_span = (float(np.nanmax(all_finish) - min(table.arrival_s))
                  if np.isfinite(all_finish).any() else 0.0)
    busy = sum(r.busy_s for r in reps)
    energy: float | None = 0.0
    for rep, rep_dep in zip(reps, replica_deps or [dep] * len(reps), strict=True):
        tdp = rep_dep.accelerator.tdp_w
        if tdp is None or energy is None:
            energy = None
            continue
        idle = max(whole_span - rep.busy_s, 0.0)
        energy += rep_dep.chips * tdp * (rep.busy_s + IDLE_POWER_FRACTION * idle)
    goodput, met = None, None
    if slo is not None and not slo.empty:
        ok = slo.request_ok(ttft, tpot)
        goodput = float(ok.sum()) / span if span > 0 else 0.0
        met = slo.met_by(ttft_stats, tpot_stats) and bool(done.all())
    rejected = sum(1 for s in table.state[skip:] if s == REJECTED)
    return SimResult(
        requests=len(table) - skip, completed=int(done.sum()), rejected=rejected,
        replicas=len(reps),
        ttft_s=ttft_stats, tpot_s=tpot_stats, e2e_s=LatencyStats.of(e2e),
        queue_s=LatencyStats.of(queue),
        throughput_output_tokens_per_s=float(outputs[done].sum()) / span if span > 0 else 0.0,
        throughput_requests_per_s=float(done.sum()) / span if span > 0 else 0.0,
        goodput_requests_per_s=goodput, slo="none" if slo is None else slo.describe(),
        slo_met=met, simulated_s=span, wall_s=wall_s,
        preemptions=sum(r.preemptions for r in reps),
        utilisation=busy / (whole_span * len(reps)) if whole_span > 0 else 0.0,
        energy_j=energy,
        drain_s=float(finish[done].max() - arrival.max()) if done.any() else 0.0,
        max_service_s=float(np.max(finish[done] - table.column("scheduled_s")[skip:][done]))
        if done.any() else 0.0,
        steps=sum(r.engine_steps for r in reps),
    )
