"""Candidates: deployments on allowed offerings, each with its capacity for one workload.

Capacity depends on the accelerator, not on where it is bought, so it is found once per
(workload, accelerator, chips, precision) and shared by every offering that sells the chip.
Which configurations get simulated: for each precision the workload allows, a chain of replica
sizes (1, 2, 4, ... chips up to two instances of the largest allowed offering, each with the
lowest-TPOT layout that fits, `perf.fastest_layout`), walked upwards by the capacity search
while requests/s per chip improves. Small sizes let the plan follow demand closely; larger ones
are what meets a tight SLO. Candidates that another one dominates are pruned before the MILP.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fleetmix.catalog.records import Accelerator, Offering
from fleetmix.errors import FleetmixError
from fleetmix.perf.deployment import Deployment
from fleetmix.perf.estimate import fastest_layout, make_deployment
from fleetmix.plan.scenario import Scenario, Workload
from fleetmix.sim.cache import CapacityCache
from fleetmix.sim.capacity import CapacityResult, cached_capacity, find_capacity

MAX_REPLICA_CHIPS = 64


@dataclass(frozen=True, kw_only=True)
class Candidate:
    """A deployment on one offering and its capacity for one workload."""

    workload: str
    offering: Offering
    accelerator: Accelerator
    chips: int  # per replica
    tp: int
    pp: int
    ep: int
    precision: str
    engine: str | None
    capacity_rps: float  # max requests/s one replica sustains within the workload's SLO
    source: str  # "simulated" or where a measured capacity came from
    deployment: Deployment | None  # None for a measured capacity with no modelled layout
    at_capacity: dict[str, object] | None = None  # latencies the simulator saw at capacity

    @property
    def vendor(self) -> str:
        return self.accelerator.vendor

    @property
    def key(self) -> str:
        return (f"{self.workload}|{self.offering.id}|{self.chips}x|tp{self.tp}pp{self.pp}"
                f"ep{self.ep}|{self.precision}")


@dataclass(frozen=True, kw_only=True)
class Rejected:
    """A configuration that did not become a candidate, and why."""

    workload: str
    accelerator: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class CandidateSet:
    candidates: tuple[Candidate, ...]
    rejected: tuple[Rejected, ...]
    simulated: int  # capacity searches run (cache misses)
    cached: int  # capacity searches answered from the cache
    skipped: int = 0  # measured rows for offerings the scenario does not allow


def allowed_offerings(scenario: Scenario) -> tuple[Offering, ...]:
    """Offerings the scenario lets the planner buy: filters and at least one allowed price."""
    out = []
    for o in scenario.catalog.offerings:
        acc = scenario.catalog.accelerators[o.accelerator]
        if scenario.vendors is not None and acc.vendor not in scenario.vendors:
            continue
        if scenario.clouds is not None and o.cloud not in scenario.clouds:
            continue
        if scenario.regions is not None and o.region not in scenario.regions:
            continue
        if scenario.accelerators is not None and acc.id not in scenario.accelerators:
            continue
        if acc.id in scenario.exclude_accelerators:
            continue
        if scenario.confirmed_prices_only and not o.price_confirmed:
            continue
        if any(t in o.prices_usd_per_hour for t in scenario.tiers):
            out.append(o)
    return tuple(out)


def packs(replica_chips: int, instance_chips: int, tp: int = 1, ep: int = 1) -> bool:
    """Whether replicas of this size tile instances exactly (one divides the other), with
    tensor and expert parallelism inside one instance when a replica spans several (only
    pipeline stages cross instances; instances are not one scale-up domain)."""
    if replica_chips <= instance_chips:
        return instance_chips % replica_chips == 0
    return replica_chips % instance_chips == 0 and max(tp, ep) <= instance_chips


@dataclass(frozen=True, kw_only=True)
class Chain:
    """The replica sizes of one (workload, accelerator, precision), smallest first."""

    workload: Workload
    deployments: tuple[Deployment, ...]


@dataclass(frozen=True, kw_only=True)
class ChainResult:
    """Capacities found along a chain; `complete` is False when a cache-only pass stopped
    at a miss."""

    capacities: tuple[tuple[Deployment, CapacityResult], ...]
    complete: bool


def chains_for(w: Workload, acc: Accelerator, max_chips: int) -> tuple[list[Chain], str | None]:
    """One chain per precision: the layouts of 1, 2, 4, ... chips that fit the trace's
    longest request, each the lowest-TPOT layout of its size. The reason when none fits."""
    sizes = w.trace.input_tokens + w.trace.output_tokens
    longest = int(np.argmax(sizes))
    isl, osl = int(w.trace.input_tokens[longest]), max(1, int(w.trace.output_tokens[longest]))
    chains, last_reason = [], None
    for precision in w.precisions:
        deps = []
        chips = 1
        while chips <= max_chips:
            try:
                est = fastest_layout(w.arch, acc, chips=chips, precision=precision, isl=isl,
                                     osl=osl, engine=w.engine)
                deps.append(make_deployment(w.arch, acc, tp=est.tp, pp=est.pp, ep=est.ep,
                                            precision=precision, engine=w.engine))
            except FleetmixError as exc:
                last_reason = f"{chips}x {precision}: {exc}"
            chips *= 2
        if deps:
            chains.append(Chain(workload=w, deployments=tuple(deps)))
    return chains, None if chains else (last_reason or "no configuration")


def walk_chain(chain: Chain, cache: CapacityCache | None, compute: bool = True) -> ChainResult:
    """Capacities up the chain while requests/s per chip improves (or the SLO is still
    missed); stops after the first size that does worse per chip than the best so far.

    NOTE: per-chip capacity rises while more chips first make the SLO reachable, then falls
    as parallelism overheads grow; the walk assumes it is unimodal in chips."""
    w = chain.workload
    found: list[tuple[Deployment, CapacityResult]] = []
    best_per_chip = 0.0
    for dep in chain.deployments:
        result = cached_capacity(dep, w.trace, w.slo, cache) if cache is not None else None
        if result is None:
            if not compute:
                return ChainResult(capacities=tuple(found), complete=False)
            result = find_capacity(dep, w.trace, w.slo, cache=cache)
        found.append((dep, result))
        per_chip = result.max_rate_rps / dep.chips
        if best_per_chip > 0 and per_chip < best_per_chip:
            break
        best_per_chip = max(best_per_chip, per_chip)
    return ChainResult(capacities=tuple(found), complete=True)


def _chain_job(args: tuple[Chain, str | None]) -> ChainResult:
    chain, cache_dir = args
    return walk_chain(chain, None if cache_dir is None else CapacityCache(Path(cache_dir)))


ChainJob = tuple[Chain, str | None]
Mapper = Callable[[Callable[[ChainJob], ChainResult], Sequence[ChainJob]], Iterable[ChainResult]]


def local_processes(workers: int | None = None) -> Mapper:
    """Run chains on local processes (spawned: safe with threads in the parent)."""
    def run(fn: Callable[[ChainJob], ChainResult], jobs: Sequence[ChainJob]
            ) -> Iterator[ChainResult]:
        count = min(workers or os.cpu_count() or 1, len(jobs))
        if count <= 1:
            yield from (fn(j) for j in jobs)
            return
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=count, mp_context=ctx) as pool:
            yield from pool.map(fn, jobs)  # in order, each as soon as it and those before end
    return run


Progress = Callable[[int, int], None]  # (chains done, chains to simulate)


def simulated_candidates(scenario: Scenario, cache: CapacityCache | None = None,
                         mapper: Mapper | None = None, progress: Progress | None = None
                         ) -> CandidateSet:
    """Every allowed offering × the replica sizes worth having, with simulated capacities.

    Chains are first walked in-process against the cache; only those that need a capacity
    search go to `mapper` (local processes by default)."""
    offerings = allowed_offerings(scenario)
    by_acc: dict[str, list[Offering]] = {}
    for o in offerings:
        by_acc.setdefault(o.accelerator, []).append(o)
    chains: list[Chain] = []
    rejected: list[Rejected] = []
    for w in scenario.workloads:
        for acc_id, offs in by_acc.items():
            acc = scenario.catalog.accelerators[acc_id]
            max_chips = min(2 * max(o.chips for o in offs), MAX_REPLICA_CHIPS)
            got, why = chains_for(w, acc, max_chips)
            chains += got
            if why is not None:
                rejected.append(Rejected(workload=w.name, accelerator=acc_id, reason=why))
    results = [None if cache is None else walk_chain(c, cache, compute=False) for c in chains]
    todo = [i for i, r in enumerate(results) if r is None or not r.complete]
    cache_dir = None if cache is None else str(cache.directory.parent)
    if progress is not None and todo:
        progress(0, len(todo))
    for n, (i, done) in enumerate(zip(todo, (mapper or local_processes())(
            _chain_job, [(chains[i], cache_dir) for i in todo]), strict=True), start=1):
        results[i] = done
        if progress is not None:
            progress(n, len(todo))
    candidates: list[Candidate] = []
    searches = cached = 0
    for chain, walked in zip(chains, results, strict=True):
        assert walked is not None and walked.complete
        w = chain.workload
        for dep, result in walked.capacities:
            searches += 1
            cached += result.cached
            if result.max_rate_rps <= 0:
                rejected.append(Rejected(workload=w.name, accelerator=dep.accelerator.id,
                                         reason=f"{dep.chips}x {dep.precision}: misses "
                                                f"{w.slo.describe()} at any rate"))
                continue
            candidates += [_candidate(w, o, dep, result) for o in by_acc[dep.accelerator.id]
                           if packs(dep.chips, o.chips, dep.tp, dep.ep)]
    return CandidateSet(candidates=prune(tuple(candidates), scenario), rejected=tuple(rejected),
                        simulated=searches - cached, cached=cached)


def _candidate(w: Workload, o: Offering, dep: Deployment, result: CapacityResult) -> Candidate:
    return Candidate(workload=w.name, offering=o, accelerator=dep.accelerator, chips=dep.chips,
                     tp=dep.tp, pp=dep.pp, ep=dep.ep, precision=dep.precision,
                     engine=dep.engine.id, capacity_rps=result.max_rate_rps, source="simulated",
                     deployment=dep, at_capacity=result.to_dict())


def prune(candidates: tuple[Candidate, ...], scenario: Scenario) -> tuple[Candidate, ...]:
    """Drop candidates another one dominates under every constraint of the MILP.

    Constraints see an offering's chips, prices and TDP and a candidate's req/s, nothing else.
    1. Same offering and workload: A dominates B when A's chips divide B's and A serves at
       least as many req/s per chip (B's chips hold chips_B/chips_A replicas of A).
    2. Same replica on two offerings of one accelerator: the offering with smaller-or-equal
       instances (dividing the other's) and no higher price in any tier dominates, unless a
       supply cap names either offering. When the policy survives the loss of a cloud or a
       region, only offerings in the same cloud or region compare.
    """
    capped = set(scenario.policy.supply_caps)
    place = [d for d in ("cloud", "region") if d in scenario.policy.survive_loss_of]
    better = {(o1.id, o2.id) for o1 in _offerings(candidates) for o2 in _offerings(candidates)
              if o1.id != o2.id and _cheaper_or_equal(o1, o2, scenario.tiers)
              and all(getattr(o1, d) == getattr(o2, d) for d in place)
              and not {o1.id, o2.id} & capped}
    keep = []
    for b in candidates:
        dominated = False
        for a in candidates:
            if a is b or a.workload != b.workload:
                continue
            if a.offering.id == b.offering.id:
                dominated = (b.chips % a.chips == 0
                             and a.capacity_rps / a.chips >= b.capacity_rps / b.chips
                             and (a.chips, -a.capacity_rps, a.key)
                             < (b.chips, -b.capacity_rps, b.key))
            elif (a.offering.id, b.offering.id) in better:
                dominated = (a.chips, a.tp, a.pp, a.ep, a.precision) == \
                    (b.chips, b.tp, b.pp, b.ep, b.precision) and a.capacity_rps >= b.capacity_rps
            if dominated:
                break
        if not dominated:
            keep.append(b)
    return tuple(keep)


def _offerings(candidates: Sequence[Candidate]) -> list[Offering]:
    return list({c.offering.id: c.offering for c in candidates}.values())


def _cheaper_or_equal(o1: Offering, o2: Offering, tiers: Sequence[str]) -> bool:
    """o1 can stand in for o2: same chip, finer instances, never dearer; ties go to the
    smaller instance, then the id, so that exactly one of two equals survives."""
    if o1.accelerator != o2.accelerator:
        return False
    if o2.chips % o1.chips != 0:
        return False
    for tier in tiers:
        p2 = o2.price_usd_per_chip_hour(tier)
        if p2 is None:
            continue
        p1 = o1.price_usd_per_chip_hour(tier)
        if p1 is None or p1 > p2 + 1e-12:
            return False
    if o1.chips == o2.chips:
        prices_equal = all(o1.price_usd_per_chip_hour(t) == o2.price_usd_per_chip_hour(t)
                           for t in tiers)
        return not prices_equal or o1.id < o2.id
    return True
