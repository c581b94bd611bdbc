"""Negotiating leverage: break-even prices per offering and walk-away prices per vendor, found
by re-solving the MILP; and what each policy rule costs.

The plan's cost C(f), as the prices of a group of offerings (one offering, or all of a
vendor's) are scaled by f, is the least of lines a + f·b over every fleet (b: what the fleet
spends on the group at list prices). So it is concave and the group's spend only falls as its
price rises: there is one threshold below which the group is in the plan and above which it is
out. Each re-solve at a factor f gives a fleet and its line; where that line meets T, the cost
of the best plan without the group, is a factor below which the group is certainly in the plan
(concavity). A re-solve just above it either finds the group gone (the threshold is
bracketed) or gives a flatter line to walk on. Two or three re-solves per group usually do.
Every statement holds within the MILP's gap.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass

from fleetmix.analyze.resolve import Setup, reprice, resolve
from fleetmix.plan.milp import Solution
from fleetmix.plan.result import cost_usd_per_hour

STEP = 0.02  # a probe sits this fraction above the price proven to keep the group in
MAX_PROBES = 5

Progress = Callable[[int, int], None]


@dataclass(frozen=True, kw_only=True)
class Threshold:
    """Where a group of offerings enters or leaves the plan, as factors of list price."""

    in_plan: bool  # at list prices
    enter_below: float | None  # in the plan at any price below this factor (None: never)
    leave_above: float | None  # out of the plan above this factor (None: never leaves)
    solves: int
    note: str = ""
    chosen: Solution | None = None  # the last fleet found with the group in it


@dataclass(frozen=True, kw_only=True)
class OfferingLeverage:
    offering: str
    vendor: str
    accelerator: str
    in_plan: bool
    chips_in_plan: float  # averaged over the periods
    list_usd_per_chip_hour: float  # its cheapest tier the scenario allows
    enter_below_usd_per_chip_hour: float | None
    leave_above_usd_per_chip_hour: float | None
    enter_below_pct_of_list: float | None
    leave_above_pct_of_list: float | None
    solves: int
    note: str


@dataclass(frozen=True, kw_only=True)
class VendorLeverage:
    vendor: str
    in_plan: bool
    spend_usd_per_hour: float
    # what the plan pays per chip-hour on average; out of the plan, what the fleet that takes
    # it in would pay at list prices (its cheapest offering if none does)
    list_usd_per_chip_hour: float
    walk_away_usd_per_chip_hour: float | None  # prices may rise to this before it is dropped
    walk_away_pct_of_list: float | None
    enter_below_usd_per_chip_hour: float | None  # (out of the plan) it wins business below
    enter_below_pct_of_list: float | None
    solves: int
    note: str


@dataclass(frozen=True, kw_only=True)
class PolicyCost:
    rule: str
    description: str
    cost_usd_per_hour: float | None  # the plan without this rule
    premium_usd_per_hour: float | None  # what the rule adds to the plan's cost


@dataclass(frozen=True, kw_only=True)
class Leverage:
    scenario: str
    cost_usd_per_hour: float
    mip_gap: float | None
    offerings: tuple[OfferingLeverage, ...]
    vendors: tuple[VendorLeverage, ...]
    policy_costs: tuple[PolicyCost, ...]
    no_policy_usd_per_hour: float | None
    solves: int
    solve_s: float

    def to_dict(self) -> dict[str, object]:
        return {"scenario": self.scenario, "cost_usd_per_hour": self.cost_usd_per_hour,
                "mip_gap": self.mip_gap, "offerings": [asdict(o) for o in self.offerings],
                "vendors": [asdict(v) for v in self.vendors],
                "policy_costs": [asdict(p) for p in self.policy_costs],
                "no_policy_usd_per_hour": self.no_policy_usd_per_hour,
                "solves": self.solves, "solve_s": self.solve_s}


def list_spend(solution: Solution, group: frozenset[str], list_prices: dict[str, dict[str, float]]
               ) -> float:
    """What the solution's purchases from `group` cost at list prices, $/hour averaged."""
    return sum(float(pu.instances.mean()) * list_prices[pu.offering.id][pu.tier]
               for pu in solution.purchases if pu.offering.id in group)


def threshold(setup: Setup, group: frozenset[str]) -> Threshold:
    """Bracket the price factor at which `group` leaves (or enters) the plan."""
    lists = {c.offering.id: dict(c.offering.prices_usd_per_hour) for c in setup.pool}
    base_cost = cost_usd_per_hour(setup.base)
    spend = list_spend(setup.base, group, lists)
    solves = 0

    def at(f: float) -> Solution:
        nonlocal solves
        solves += 1
        return resolve(setup, candidates=reprice(
            setup.pool, lambda c: f if c.offering.id in group else 1.0))

    in_plan = spend > 1e-9
    if in_plan:
        solves += 1
        without = resolve(setup, candidates=tuple(c for c in setup.pool
                                                  if c.offering.id not in group))
        if not without.feasible:
            return Threshold(in_plan=True, enter_below=None, leave_above=None, solves=solves,
                             note="no plan meets the policy without it: it stays at any price")
        target, f, sol = cost_usd_per_hour(without), 1.0, setup.base
    else:
        target, f, sol = base_cost, 0.0, at(0.0)
        spend = list_spend(sol, group, lists) if sol.feasible else 0.0
        if spend <= 1e-9:
            return Threshold(in_plan=False, enter_below=None, leave_above=0.0, solves=solves,
                             note="not chosen even free")
    known_in, chosen = f, sol
    for _ in range(MAX_PROBES):
        intercept = cost_usd_per_hour(sol) - f * spend
        known_in = max(known_in, (target - intercept) / spend)
        probe = known_in * (1 + STEP) + STEP / 4  # moves on from 0 too
        if not in_plan and probe >= 1.0:
            return Threshold(in_plan=False, enter_below=known_in, leave_above=1.0,
                             solves=solves, chosen=chosen)
        sol, f = at(probe), probe
        spend = list_spend(sol, group, lists) if sol.feasible else 0.0
        if spend <= 1e-9:
            return Threshold(in_plan=in_plan, enter_below=known_in, leave_above=probe,
                             solves=solves, chosen=chosen)
        known_in, chosen = probe, sol
    return Threshold(in_plan=in_plan, enter_below=known_in, leave_above=None, solves=solves,
                     note=f"still chosen at {known_in:.2f}× list after {MAX_PROBES} probes",
                     chosen=chosen)


def leverage(setup: Setup, *, progress: Progress | None = None) -> Leverage:
    """Break-even prices for every offering and vendor the plan could use, and the cost of
    each policy rule. Needs a feasible base plan."""
    if not setup.base.feasible:
        raise ValueError("leverage needs a feasible plan; the scenario has none")
    start = time.perf_counter()
    sc = setup.scenario
    offerings = {c.offering.id: c for c in setup.pool}
    vendors = sorted({c.vendor for c in setup.pool})
    rules = sc.policy.rules()
    total = len(offerings) + len(vendors) + len(rules) + (1 if rules else 0)
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    lists = {c.offering.id: dict(c.offering.prices_usd_per_hour) for c in setup.pool}
    held = {pu.offering.id: 0.0 for pu in setup.base.purchases}
    for pu in setup.base.purchases:
        held[pu.offering.id] += float(pu.chips.mean())
    solves = 0
    off_rows = []
    for oid, c in sorted(offerings.items()):
        t = threshold(setup, frozenset({oid}))
        solves += t.solves
        price = _cheapest_per_chip(c.offering.prices_usd_per_hour, c.offering.chips, sc.tiers)
        off_rows.append(OfferingLeverage(
            offering=oid, vendor=c.vendor, accelerator=c.accelerator.id, in_plan=t.in_plan,
            chips_in_plan=held.get(oid, 0.0), list_usd_per_chip_hour=price,
            enter_below_usd_per_chip_hour=_times(t.enter_below, price),
            leave_above_usd_per_chip_hour=_times(t.leave_above, price),
            enter_below_pct_of_list=_times(t.enter_below, 100.0),
            leave_above_pct_of_list=_times(t.leave_above, 100.0), solves=t.solves,
            note=t.note))
        tick()
    vendor_rows = []
    for v in vendors:
        group = frozenset(oid for oid, c in offerings.items() if c.vendor == v)
        t = threshold(setup, group)
        solves += t.solves
        spend = sum(float(pu.usd_per_hour.mean()) for pu in setup.base.purchases
                    if pu.offering.id in group)
        paid = _per_chip_at_list(t.chosen or setup.base, group, lists)
        price = paid if paid is not None else min(  # never chosen: its cheapest offering
            _cheapest_per_chip(offerings[oid].offering.prices_usd_per_hour,
                               offerings[oid].offering.chips, sc.tiers) for oid in group)
        walk = t.enter_below if t.in_plan else None
        win = None if t.in_plan else t.enter_below
        vendor_rows.append(VendorLeverage(
            vendor=v, in_plan=t.in_plan, spend_usd_per_hour=spend, list_usd_per_chip_hour=price,
            walk_away_usd_per_chip_hour=_times(walk, price),
            walk_away_pct_of_list=_times(walk, 100.0),
            enter_below_usd_per_chip_hour=_times(win, price),
            enter_below_pct_of_list=_times(win, 100.0), solves=t.solves, note=t.note))
        tick()
    costs, no_policy = _policy_costs(setup, tick)
    solves += len(rules) + (1 if rules else 0)
    return Leverage(scenario=sc.name, cost_usd_per_hour=cost_usd_per_hour(setup.base),
                    mip_gap=setup.base.mip_gap, offerings=tuple(off_rows),
                    vendors=tuple(vendor_rows), policy_costs=costs,
                    no_policy_usd_per_hour=no_policy, solves=solves,
                    solve_s=time.perf_counter() - start)


def _policy_costs(setup: Setup, tick: Callable[[], None]
                  ) -> tuple[tuple[PolicyCost, ...], float | None]:
    """The plan re-solved without each rule in turn, and without all of them."""
    policy = setup.scenario.policy
    base = cost_usd_per_hour(setup.base)
    out = []
    for rule in policy.rules():
        sol = resolve(setup, policy=policy.without(rule))
        cost = cost_usd_per_hour(sol) if sol.feasible else None
        out.append(PolicyCost(rule=rule, description=policy.describe(rule),
                              cost_usd_per_hour=cost,
                              premium_usd_per_hour=None if cost is None else base - cost))
        tick()
    no_policy = None
    if policy.rules():
        sol = resolve(setup, policy=policy.without(*policy.rules()))
        no_policy = cost_usd_per_hour(sol) if sol.feasible else None
        tick()
    return tuple(out), no_policy


def _per_chip_at_list(solution: Solution, group: frozenset[str],
                      lists: dict[str, dict[str, float]]) -> float | None:
    """What the solution pays per chip-hour of `group`, at list prices (None: none held)."""
    chips = sum(float(pu.chips.mean()) for pu in solution.purchases if pu.offering.id in group)
    return list_spend(solution, group, lists) / chips if chips else None


def _cheapest_per_chip(prices: Mapping[str, float], chips: int, tiers: tuple[str, ...]
                       ) -> float:
    """$/chip-hour of the cheapest tier the scenario allows (the list price factors scale)."""
    return min(p for t, p in prices.items() if t in tiers) / chips


def _times(factor: float | None, scale: float) -> float | None:
    return None if factor is None else factor * scale
