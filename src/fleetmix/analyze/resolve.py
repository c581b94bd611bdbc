"""Re-solving a scenario's MILP on the same candidates, with prices, candidates or the policy
changed: what every analysis here is made of. Capacities do not depend on price or policy, so
nothing is simulated again."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from fleetmix.plan.candidates import Candidate, Mapper, Progress, allowed_offerings, prune
from fleetmix.plan.milp import Solution
from fleetmix.plan.planner import candidates_for, solve_for, usable
from fleetmix.plan.result import cost_usd_per_hour
from fleetmix.plan.scenario import Policy, Scenario
from fleetmix.sim.cache import CapacityCache


@dataclass(frozen=True, kw_only=True)
class Setup:
    """A scenario with the candidates its MILP chooses from, and the plan at list prices.

    NOTE: candidate generation drops an offering that a cheaper or finer one of the same chip
    stands in for (`plan.candidates.prune`). At other prices that no longer holds, so `pool`
    keeps every offering and each re-solve prunes again at its own prices."""

    scenario: Scenario
    candidates: tuple[Candidate, ...]  # pruned at list prices: what `base` chose from
    pool: tuple[Candidate, ...]  # unpruned: what re-solves reprice and prune
    base: Solution

    @property
    def cost_usd_per_hour(self) -> float | None:
        return cost_usd_per_hour(self.base) if self.base.feasible else None


def prepare(scenario: Scenario, *, capacity_csv: str | Path | None = None,
            cache: CapacityCache | None = None, mapper: Mapper | None = None,
            progress: Progress | None = None) -> Setup:
    """Candidates (simulated and cached, or measured) and the base plan's solution."""
    keep_all = {o.id: sys.maxsize for o in allowed_offerings(scenario)}  # a cap is never pruned
    unpruned = replace(scenario, policy=replace(
        scenario.policy, supply_caps=keep_all | scenario.policy.supply_caps))
    pool, _ = usable(scenario, candidates_for(unpruned, capacity_csv, cache, mapper,
                                              progress))
    cands = prune(pool, scenario)
    return Setup(scenario=scenario, candidates=cands, pool=pool,
                 base=solve_for(scenario, cands))


def reprice(candidates: Iterable[Candidate], factor: Callable[[Candidate], float]
            ) -> tuple[Candidate, ...]:
    """The candidates with every tier of their offering's prices multiplied by
    `factor(candidate)` (1 keeps the list price; 0 makes it free)."""
    out = []
    cache: dict[tuple[str, float], Candidate] = {}
    for c in candidates:
        f = factor(c)
        if f == 1.0:
            out.append(c)
            continue
        key = (c.key, f)
        if key not in cache:
            prices = {t: max(p * f, 1e-9) for t, p in c.offering.prices_usd_per_hour.items()}
            cache[key] = replace(c, offering=replace(c.offering, prices_usd_per_hour=prices))
        out.append(cache[key])
    return tuple(out)


def resolve(setup: Setup, *, candidates: tuple[Candidate, ...] | None = None,
            policy: Policy | None = None) -> Solution:
    """The MILP again with other candidates (default: the whole pool) and/or another policy;
    the candidates are pruned at their own prices first."""
    sc = setup.scenario if policy is None else replace(setup.scenario, policy=policy)
    return solve_for(sc, prune(setup.pool if candidates is None else candidates, sc))
