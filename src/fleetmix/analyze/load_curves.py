"""Latency against load for each deployment a plan uses (the report draws it).

For every (workload, deployment) in the plan's fleet, one replica is simulated on the workload's
trace rescaled to a few fractions of the capacity the planner credited it with, a little beyond
it too, and the latency percentiles its SLO names are read back. The same deployment bought on
several offerings is one curve. These are a handful of short runs (a thousand requests each),
not a capacity search: a curve is a picture of where the SLO starts to bite, with the sampling
noise of short runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fleetmix.perf.deployment import Deployment
from fleetmix.plan.candidates import Candidate
from fleetmix.plan.result import FleetRow, Plan
from fleetmix.plan.scenario import Scenario, Workload
from fleetmix.sim.capacity import probe_trace, sustained
from fleetmix.sim.run import simulate_trace

LOAD_FRACTIONS = (0.25, 0.5, 0.75, 0.9, 1.0, 1.1, 1.25, 1.5)  # of the capacity per replica
# NOTE: a p99 needs some hundreds of requests to mean anything, and a queue that grows past
# capacity needs a minute or so of arrivals to show: with fewer, every curve looks sustained
# well beyond its capacity. A point of a 70B deployment at these sizes simulates in ~30 ms.
CURVE_REQUESTS = 1000  # per point, at least
CURVE_MIN_DURATION_S = 60.0  # per point, simulated seconds of arrivals, at least
MAX_CURVES = 8  # each workload's most used deployment, then the most used (chip-periods)


@dataclass(frozen=True, kw_only=True)
class LoadPoint:
    """One replica simulated at one request rate."""

    load_fraction: float  # rate / planned capacity
    rate_rps: float
    ttft_s: float  # at the curve's TTFT percentile; NaN when no request completed
    tpot_s: float  # at the curve's TPOT percentile
    sustained: bool  # SLO met, every request done, queue bounded (the capacity criterion)
    requests: int


@dataclass(frozen=True, kw_only=True)
class LatencyCurve:
    """Latency of one deployment serving one workload, against its request rate."""

    workload: str
    deployment: str  # e.g. "mi300x 1x tp1 fp8 vllm"
    offerings: tuple[str, ...]  # where the plan buys it
    capacity_rps: float  # per replica: the capacity search's answer
    chip_periods: int  # chips x periods it runs in the plan (how much the plan relies on it)
    ttft_percentile: int  # the SLO's TTFT percentile (99 when the SLO has none)
    tpot_percentile: int
    ttft_target_s: float | None  # None: the SLO sets no TTFT target
    tpot_target_s: float | None
    points: tuple[LoadPoint, ...]


@dataclass(frozen=True, kw_only=True)
class LoadCurves:
    curves: tuple[LatencyCurve, ...]
    omitted: tuple[str, ...]  # "workload: deployment" of the ones past `max_curves`
    requests_per_point: int  # at least
    planned_load_fraction: float  # the plan loads replicas to (1 - capacity_headroom)


def deployment_label(dep: Deployment) -> str:
    layout = f"tp{dep.tp}" + (f" pp{dep.pp}" if dep.pp > 1 else "") + (
        f" ep{dep.ep}" if dep.ep > 1 else "")
    return f"{dep.accelerator.id} {dep.chips}x {layout} {dep.precision} {dep.engine.id}"


def _target(targets: dict[int, float]) -> tuple[int, float | None]:
    """The tightest percentile the SLO names and its target (p99, None without one)."""
    if not targets:
        return 99, None
    pct = max(targets)
    return pct, targets[pct]


def _fleet_key(r: FleetRow) -> str:
    """The `Candidate.key` of the candidate a fleet row runs."""
    return f"{r.workload}|{r.offering}|{r.chips}x|tp{r.tp}pp{r.pp}ep{r.ep}|{r.precision}"


def _used(plan: Plan) -> list[tuple[Candidate, int, tuple[str, ...]]]:
    """(candidate, chip-periods, offerings) for every modelled deployment the fleet runs, per
    workload (the same deployment on several offerings once), most relied on first."""
    by_key = {c.key: c for c in plan.candidates}
    groups: dict[tuple[str, str], tuple[Candidate, int, dict[str, None]]] = {}
    for r in plan.fleet:
        c = by_key.get(_fleet_key(r))
        if c is None or c.deployment is None:
            continue
        gkey = (c.workload, deployment_label(c.deployment))
        first, weight, offerings = groups.get(gkey, (c, 0, {}))
        offerings[c.offering.id] = None
        groups[gkey] = (first, weight + r.replicas * r.chips, offerings)
    ranked = sorted(groups.values(), key=lambda g: -g[1])
    return [(c, weight, tuple(offerings)) for c, weight, offerings in ranked]


def latency_curve(w: Workload, dep: Deployment, capacity_rps: float, *,
                  fractions: Sequence[float] = LOAD_FRACTIONS,
                  requests: int = CURVE_REQUESTS,
                  min_duration_s: float = CURVE_MIN_DURATION_S) -> tuple[LoadPoint, ...]:
    """One replica of `dep` on workload `w` at each fraction of `capacity_rps`."""
    ttft_pct, _ = _target(w.slo.ttft_s)
    tpot_pct, _ = _target(w.slo.tpot_s)
    points = []
    for f in fractions:
        rate = f * capacity_rps
        run = simulate_trace(dep, probe_trace(w.trace, rate, requests, min_duration_s),
                             slo=w.slo)
        points.append(LoadPoint(load_fraction=f, rate_rps=rate,
                                ttft_s=run.ttft_s.at(f"p{ttft_pct}"),
                                tpot_s=run.tpot_s.at(f"p{tpot_pct}"),
                                sustained=sustained(run), requests=run.requests))
    return tuple(points)


def load_curves(scenario: Scenario, plan: Plan, *, max_curves: int = MAX_CURVES,
                fractions: Sequence[float] = LOAD_FRACTIONS, requests: int = CURVE_REQUESTS,
                min_duration_s: float = CURVE_MIN_DURATION_S) -> LoadCurves:
    """Curves for the deployments `plan` uses (measured capacities without a modelled layout
    have none): `max_curves` of them, each workload's most used one first, then the most used
    (chips × periods in the fleet) of the rest."""
    workloads = {w.name: w for w in scenario.workloads}
    used = _used(plan)
    firsts: dict[str, int] = {}  # workload -> its most used deployment (`used` is ranked)
    for i, (c, _, _) in enumerate(used):
        firsts.setdefault(c.workload, i)
    keep = set(list(firsts.values())[:max_curves])
    keep.update([i for i in range(len(used)) if i not in keep][:max_curves - len(keep)])
    curves = []
    for c, weight, offerings in (used[i] for i in sorted(keep)):
        assert c.deployment is not None  # _used keeps modelled candidates only
        w = workloads[c.workload]
        label = deployment_label(c.deployment)
        ttft_pct, ttft_target = _target(w.slo.ttft_s)
        tpot_pct, tpot_target = _target(w.slo.tpot_s)
        curves.append(LatencyCurve(
            workload=w.name, deployment=label, offerings=offerings,
            capacity_rps=c.capacity_rps, chip_periods=weight, ttft_percentile=ttft_pct,
            tpot_percentile=tpot_pct, ttft_target_s=ttft_target, tpot_target_s=tpot_target,
            points=latency_curve(w, c.deployment, c.capacity_rps, fractions=fractions,
                                 requests=requests, min_duration_s=min_duration_s)))
    omitted = tuple(f"{c.workload}: {deployment_label(c.deployment)}"
                    for i, (c, _, _) in enumerate(used) if i not in keep
                    and c.deployment is not None)
    return LoadCurves(curves=tuple(curves), omitted=omitted, requests_per_point=requests,
                      planned_load_fraction=1.0 - scenario.capacity_headroom)
