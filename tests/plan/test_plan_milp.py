"""The MILP against hand-worked and brute-forced optima on measured capacities."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.plan.plan_helpers import H100, TPU, brute_force_cost, write_scenario

from fleetmix.plan import load_scenario, plan
from fleetmix.plan.milp import distinct_periods

H100_USD, MI300X_USD = 4.29, 1.71


def solved(path: Path, **kwargs: object):  # type: ignore[no-untyped-def]
    return plan(load_scenario(path), capacity_csv=path.parent / "caps.csv", verify="none",
                **kwargs)  # type: ignore[arg-type]


def test_cheapest_mix_matches_brute_force(tmp_path: Path) -> None:
    result = solved(write_scenario(tmp_path, demand=10.0))
    expected = brute_force_cost([H100_USD, MI300X_USD], [4.0, 1.0], 10.0)
    assert result.status == "optimal"
    assert result.cost_usd_per_hour == pytest.approx(expected)
    assert sum(r.replicas * r.capacity_rps for r in result.fleet) >= 10.0


def test_headroom_buys_more_replicas(tmp_path: Path) -> None:
    # 10 req/s at 75% of 4 req/s per replica needs 4 H100 replicas (or a mix), not 3
    result = solved(write_scenario(tmp_path, demand=10.0, headroom=0.25))
    expected = brute_force_cost([H100_USD, MI300X_USD], [3.0, 0.75], 10.0)
    assert result.cost_usd_per_hour == pytest.approx(expected)


def test_surviving_a_vendor_loss_needs_each_vendor_to_cover_alone(tmp_path: Path) -> None:
    result = solved(write_scenario(tmp_path, policy={"survive_loss_of": ["vendor"]}))
    # nvidia alone: 3 x 4 req/s; amd alone: 10 x 1 req/s
    assert result.cost_usd_per_hour == pytest.approx(3 * H100_USD + 10 * MI300X_USD)
    half = solved(write_scenario(tmp_path, policy={"survive_loss_of": ["vendor"],
                                                   "surviving_fraction": 0.5}))
    expected = brute_force_cost(
        [H100_USD, MI300X_USD], [4.0, 1.0], 10.0,
        ok=lambda n: n[0] * 4.0 >= 5.0 and n[1] * 1.0 >= 5.0)
    assert half.cost_usd_per_hour == pytest.approx(expected)


def test_vendor_share_of_chips_is_respected(tmp_path: Path) -> None:
    result = solved(write_scenario(tmp_path, policy={"max_vendor_share": 0.5}))
    expected = brute_force_cost(
        [H100_USD, MI300X_USD], [4.0, 1.0], 10.0,
        ok=lambda n: max(n) <= 0.5 * sum(n))
    assert result.cost_usd_per_hour == pytest.approx(expected)
    assert max(result.vendor_share.values()) <= 0.5 + 1e-9


def test_min_vendors_forces_a_second_vendor(tmp_path: Path) -> None:
    result = solved(write_scenario(tmp_path, policy={"min_vendors": 2}))
    assert set(result.vendor_share) == {"nvidia", "amd"}
    expected = brute_force_cost([H100_USD, MI300X_USD], [4.0, 1.0], 10.0,
                                ok=lambda n: min(n) >= 1)
    assert result.cost_usd_per_hour == pytest.approx(expected)


def test_power_budget_and_its_infeasibility_explained(tmp_path: Path) -> None:
    scenario = load_scenario(write_scenario(tmp_path))
    h100_kw = scenario.catalog.accelerators["h100-sxm"].tdp_w / 1e3  # type: ignore[operator]
    # only nvidia, power for two H100s: 8 of 10 req/s
    path = write_scenario(tmp_path, capacities={H100: 4.0},
                          policy={"power_budget_kw": 2 * h100_kw + 0.01})
    result = solved(path)
    assert result.status == "infeasible"
    text = " ".join(result.explanation)
    assert "power budget" in text and "80% of demand" in text, text


def test_supply_cap_conflict_is_named_with_its_share(tmp_path: Path) -> None:
    path = write_scenario(tmp_path, capacities={H100: 4.0},
                          policy={"supply_caps": {"h100-sxm": 1}})
    result = solved(path)
    assert result.status == "infeasible"
    assert any("supply of h100-sxm capped at 1 chips" in line and "40% of demand" in line
               for line in result.explanation), result.explanation


def test_committed_tier_covers_the_base_and_on_demand_the_peak(tmp_path: Path) -> None:
    # one TPU chip serves 1 req/s; demand 1 req/s all day but 3 req/s in one period of four
    path = write_scenario(tmp_path, demand=[1.0, 1.0, 3.0, 1.0], capacities={TPU: 1.0},
                          tiers=["on_demand", "reserved_1y"])
    result = solved(path)
    # reserved at $1.89 all day for the base; the peak's 2 extra chips on demand for 1/4 day
    assert result.cost_usd_per_hour == pytest.approx(1.89 + 2 * 2.70 / 4)
    tiers = {p["tier"]: p["instances_by_period"] for p in result.purchases}
    assert tiers == {"reserved_1y": [1, 1, 1, 1], "on_demand": [0, 0, 2, 0]}


def test_equal_periods_are_merged_without_changing_the_answer(tmp_path: Path) -> None:
    many = solved(write_scenario(tmp_path, demand=[5.0, 10.0, 5.0, 10.0]))
    few = solved(write_scenario(tmp_path, demand=[5.0, 10.0]))
    assert many.cost_usd_per_hour == pytest.approx(few.cost_usd_per_hour)
    assert len({r.period for r in many.fleet}) == 4  # every period gets its rows back
    scenario = load_scenario(write_scenario(tmp_path, demand=[5.0, 10.0, 5.0, 10.0]))
    assert distinct_periods(scenario) == ([0, 1], [2, 2])


def test_baselines_bound_the_plan(tmp_path: Path) -> None:
    result = solved(write_scenario(tmp_path, policy={"survive_loss_of": ["vendor"]}))
    no_policy = result.baselines["no_policy"].cost_usd_per_hour
    single = result.baselines["single_accelerator"].cost_usd_per_hour
    assert no_policy == pytest.approx(brute_force_cost([H100_USD, MI300X_USD], [4.0, 1.0], 10))
    assert single == pytest.approx(3 * H100_USD)  # H100 alone is the cheapest single chip
    assert result.cost_usd_per_hour is not None and result.cost_usd_per_hour > no_policy


def test_replicas_span_instances_only_through_pipeline_stages() -> None:
    from fleetmix.plan.candidates import packs
    assert packs(2, 8) and packs(8, 8) and not packs(3, 8)
    assert packs(16, 8, tp=8) and not packs(16, 8, tp=16)
    assert not packs(4, 1, tp=4) and packs(4, 1, tp=1) and not packs(4, 1, tp=1, ep=2)
