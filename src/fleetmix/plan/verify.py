"""Verification: simulate the planned fleet of each workload at a period's demand.

The workload's trace is rescaled to the period's rate and routed across the period's replicas
in proportion to each replica's capacity (`sim.simulate_fleet`). The SLO holds when its
percentiles hold over all requests, every request completes and the queue stays stable (the
capacity search's criterion).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from fleetmix.perf.deployment import Deployment
from fleetmix.plan.candidates import Candidate
from fleetmix.plan.result import Verification
from fleetmix.plan.scenario import Scenario, Workload
from fleetmix.sim.capacity import probe_trace, sustained
from fleetmix.sim.run import simulate_fleet

VERIFY_REQUESTS = 2000
VERIFY_MIN_DURATION_S = 120.0


def verify_workload(w: Workload, period: int, candidates: Sequence[Candidate],
                    replicas: NDArray[np.int64]) -> Verification:
    """Simulate workload `w`'s replicas of `period` at that period's demand."""
    rate = float(w.demand_rps[period])
    chosen = [(c, int(replicas[i, period])) for i, c in enumerate(candidates)
              if c.workload == w.name and replicas[i, period] > 0]
    count = sum(n for _, n in chosen)
    base: dict[str, Any] = {"workload": w.name, "period": period, "rate_rps": rate,
                            "replicas": count, "slo": w.slo.describe()}
    if rate <= 0 or not chosen:
        return Verification(**base, slo_met=None, ttft_p99_s=None, tpot_p99_s=None,
                            note="no demand in this period")
    unmodelled = [c.offering.id for c, _ in chosen if c.deployment is None]
    if unmodelled:
        return Verification(**base, slo_met=None, ttft_p99_s=None, tpot_p99_s=None,
                            note=f"not simulated: measured capacities with no modelled "
                                 f"layout on {', '.join(sorted(set(unmodelled)))}")
    groups: list[tuple[Deployment, int, float]] = []
    for c, n in chosen:
        assert c.deployment is not None
        groups.append((c.deployment, n, c.capacity_rps))
    trace = probe_trace(w.trace, rate, VERIFY_REQUESTS, VERIFY_MIN_DURATION_S)
    run = simulate_fleet(groups, trace, slo=w.slo)
    met = sustained(run)
    note = "" if met else "SLO percentiles missed" if not run.slo_met else \
        "queue unstable (p99 scheduling delay above the capacity search's bound)"
    return Verification(**base, slo_met=met, ttft_p99_s=run.ttft_s.p99,
                        tpot_p99_s=run.tpot_s.p99, ttft_p50_s=run.ttft_s.p50,
                        tpot_p50_s=run.tpot_s.p50, requests=run.requests, note=note)


def verify_plan(scenario: Scenario, candidates: Sequence[Candidate],
                replicas: NDArray[np.int64], periods: str = "peak") -> tuple[Verification, ...]:
    """`periods`: "peak" (each workload's busiest period), "all", or "none"."""
    if periods == "none":
        return ()
    out = []
    for w in scenario.workloads:
        chosen = [w.peak_period] if periods == "peak" else \
            [p for p in range(scenario.num_periods) if w.demand_rps[p] > 0]
        out += [verify_workload(w, p, candidates, replicas) for p in chosen]
    return tuple(out)
