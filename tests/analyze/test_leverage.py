"""Break-even prices and policy costs against enumeration."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.analyze.analyze_helpers import cheapest, setup_of, true_threshold
from tests.plan.plan_helpers import H100, MI300X, TPU, write_scenario

from fleetmix.analyze.leverage import leverage

PRICES = [4.29, 1.71, 2.70]  # H100, MI300X, TPU v6e (1 chip each, on demand)
CAPS = [4.0, 1.0, 1.0]
DEMAND = 10.0


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    path = write_scenario(tmp_path_factory.mktemp("lev"), demand=DEMAND,
                          capacities=dict(zip((H100, MI300X, TPU), CAPS, strict=True)))
    return leverage(setup_of(path))


def test_offering_thresholds_bracket_the_true_break_even(result) -> None:  # type: ignore[no-untyped-def]
    rows = {o.offering: o for o in result.offerings}
    for i, oid in enumerate((H100, MI300X, TPU)):
        row = rows[oid]
        truth = true_threshold(PRICES, CAPS, DEMAND, i)
        assert row.enter_below_pct_of_list is not None and row.leave_above_pct_of_list is not None
        enter, leave = row.enter_below_pct_of_list / 100, row.leave_above_pct_of_list / 100
        assert enter - 1e-6 <= truth <= leave + 1e-6, (oid, enter, truth, leave)
        assert leave <= enter * 1.03 + 1e-9  # bracketed to the probe step
        assert row.enter_below_usd_per_chip_hour == pytest.approx(enter * PRICES[i])
        assert row.in_plan == (truth > 1.0)


def test_vendor_walk_away_is_its_offerings_break_even(result) -> None:  # type: ignore[no-untyped-def]
    vendors = {v.vendor: v for v in result.vendors}
    amd = vendors["amd"]  # one offering: the vendor and the offering leave together
    assert amd.in_plan and amd.walk_away_pct_of_list is not None
    truth = true_threshold(PRICES, CAPS, DEMAND, 1)
    assert amd.walk_away_pct_of_list / 100 == pytest.approx(truth, rel=0.03)
    google = vendors["google"]  # out of the plan at list: the price cut that wins business
    assert not google.in_plan and google.walk_away_usd_per_chip_hour is None
    assert google.enter_below_pct_of_list is not None and google.enter_below_pct_of_list < 100


def test_policy_costs_match_enumeration(tmp_path: Path) -> None:
    caps = dict(zip((H100, MI300X), CAPS[:2], strict=True))
    path = write_scenario(tmp_path, demand=DEMAND, capacities=caps,
                          policy={"survive_loss_of": ["vendor"], "surviving_fraction": 0.5})
    lev = leverage(setup_of(path))
    free, _ = cheapest(PRICES[:2], CAPS[:2], DEMAND)
    ruled, _ = cheapest(PRICES[:2], CAPS[:2], DEMAND,
                        ok=lambda n: 4.0 * n[0] >= DEMAND / 2 and n[1] >= DEMAND / 2)
    assert lev.cost_usd_per_hour == pytest.approx(ruled)
    [rule] = lev.policy_costs
    assert rule.rule == "survive_loss_of_vendor"
    assert rule.cost_usd_per_hour == pytest.approx(free)
    assert rule.premium_usd_per_hour == pytest.approx(ruled - free)
    assert lev.no_policy_usd_per_hour == pytest.approx(free)
