"""Outage drills and frontiers against enumeration."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from tests.analyze.analyze_helpers import cheapest, setup_of
from tests.plan.plan_helpers import H100, MI300X, write_scenario

from fleetmix.analyze.drill import drill
from fleetmix.analyze.frontier import frontier
from fleetmix.errors import UnknownNameError

PRICES, CAPS = [4.29, 1.71], [4.0, 1.0]
CAPACITIES = {H100: 4.0, MI300X: 1.0}


def test_losing_a_vendor_leaves_its_share_unserved_and_recovers_on_the_rest(tmp_path: Path
                                                                            ) -> None:
    path = write_scenario(tmp_path, demand=[6.0, 10.0], capacities=CAPACITIES,
                          policy={"survive_loss_of": ["vendor"], "surviving_fraction": 0.5})
    setup = setup_of(path)
    result = drill(setup, "vendor", "nvidia")
    [w] = result.workloads
    cands = setup.candidates
    left = sum(c.capacity_rps * setup.base.replicas[i, 1] for i, c in enumerate(cands)
               if c.vendor != "nvidia")
    assert w.period == 1 and w.demand_rps == 10.0
    assert w.capacity_left_rps == pytest.approx(left)
    assert w.capacity_left_rps >= 5.0 - 1e-9  # the rule kept half of demand
    assert w.unserved_rps == pytest.approx(max(10.0 - left, 0.0))
    assert w.slo_met is None  # measured capacities have no modelled layout to simulate
    nvidia_peak = max(int(pu.chips.max()) for pu in setup.base.purchases
                      if pu.offering.id == H100)
    assert result.lost_chips_peak == nvidia_peak
    # the recovery keeps no survive rule (the outage is under way) and uses AMD alone
    expected = np.mean([cheapest([PRICES[1]], [CAPS[1]], d)[0] for d in (6.0, 10.0)])
    assert result.recovery_cost_usd_per_hour == pytest.approx(expected)
    assert {p.vendor for p in result.recovery} == {"amd"}


def test_an_unknown_loss_is_named_with_suggestions(tmp_path: Path) -> None:
    setup = setup_of(write_scenario(tmp_path, capacities=CAPACITIES))
    with pytest.raises(UnknownNameError, match="nvidia"):
        drill(setup, "vendor", "nvida")


def test_frontier_points_are_solved_plans_at_each_share(tmp_path: Path) -> None:
    setup = setup_of(write_scenario(tmp_path, demand=10.0, capacities=CAPACITIES))
    result = frontier(setup, "max_vendor_share", [1.0, 0.8, 0.6, 0.5])
    costs = [p.cost_usd_per_hour for p in result.points]
    for p in result.points:
        share = p.value

        def ok(n: tuple[int, ...], share: float = share) -> bool:
            return share >= 1.0 or max(n) <= share * sum(n)  # one chip per replica

        expected, _ = cheapest(PRICES, CAPS, 10.0, ok=ok)
        assert p.cost_usd_per_hour == pytest.approx(expected), p
        assert max(p.vendor_share.values()) <= max(share, 0.0) + 1e-9 or share >= 1.0
    assert costs == sorted(costs)  # a tighter cap never costs less


def test_power_frontier_sweeps_below_the_unconstrained_plan(tmp_path: Path) -> None:
    setup = setup_of(write_scenario(tmp_path, demand=10.0, capacities=CAPACITIES))
    result = frontier(setup, "power_budget_kw")
    budgets = [p.value for p in result.points]
    assert budgets == sorted(budgets, reverse=True) and len(budgets) >= 4
    for p in result.points:
        if p.power_kw is not None:
            assert p.power_kw <= p.value + 1e-6
    assert result.points[0].status == "optimal"
