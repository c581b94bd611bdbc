"""Solving by period against the whole model and against enumeration."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from tests.plan.plan_helpers import H100, MI300X, TPU, brute_force_cost, write_scenario

from fleetmix.plan import Problem, decompose, load_scenario, milp
from fleetmix.plan.measured import measured_candidates

H100_USD, MI300X_USD = 4.29, 1.71
TPU_USD = {"on_demand": 2.70, "reserved_1y": 1.89}


def problem(path: Path, **changes: object) -> Problem:
    scenario = load_scenario(path)
    cands = measured_candidates(scenario, path.parent / "caps.csv").candidates
    return Problem(scenario=replace(scenario, **changes), candidates=cands,
                   policy=scenario.policy)


def test_independent_periods_add_up_to_the_whole_model(tmp_path: Path) -> None:
    demand = [3.0, 7.0, 10.0, 6.0, 2.0]
    pr = problem(write_scenario(tmp_path, demand=demand,
                                policy={"survive_loss_of": ["vendor"],
                                        "surviving_fraction": 0.5}))
    split = decompose.solve(pr)
    whole = milp.solve(pr)
    assert split.method.startswith("by period")
    assert split.status == whole.status == "optimal"

    def period_cost(d: float) -> float:  # without either vendor, half the demand stays
        return brute_force_cost([H100_USD, MI300X_USD], [4.0, 1.0], d,
                                ok=lambda n: 4.0 * n[0] >= d / 2 and 1.0 * n[1] >= d / 2)

    expected = sum(period_cost(d) for d in demand) / len(demand)
    assert split.objective == pytest.approx(expected)
    assert whole.objective == pytest.approx(expected)
    assert split.replicas.shape == whole.replicas.shape == (len(pr.candidates), len(demand))


def test_committed_tier_bounds_hold_against_enumeration(tmp_path: Path) -> None:
    demand = [2.0, 5.0, 9.0, 9.0, 3.0, 6.0]
    caps = {TPU: 1.0, H100: 4.0}
    pr = problem(write_scenario(tmp_path, demand=demand, capacities=caps,
                                tiers=["on_demand", "reserved_1y"]))
    sol = decompose.solve(pr)

    def with_committed(n: int) -> float:  # n TPUs all day, the rest bought per period
        rest = [brute_force_cost([TPU_USD["on_demand"], H100_USD], [1.0, 4.0],
                                 max(d - n, 0.0)) for d in demand]
        return n * TPU_USD["reserved_1y"] + sum(rest) / len(demand)

    optimum = min(with_committed(n) for n in range(10))
    assert sol.feasible and sol.objective is not None and sol.mip_gap is not None
    assert sol.objective >= optimum - 1e-6  # a real fleet never beats the optimum
    assert sol.objective * (1 - sol.mip_gap) <= optimum + 1e-6  # the bound is a bound
    committed = [p for p in sol.purchases if p.tier == "reserved_1y"]
    if committed:
        assert len(set(committed[0].instances.tolist())) == 1  # held in every period


def test_rules_that_tie_periods_solve_the_whole_model(tmp_path: Path) -> None:
    for policy in ({"max_vendor_share": 0.7, "vendor_share_basis": "spend"},
                   {"min_vendors": 2}):
        pr = problem(write_scenario(tmp_path, demand=[4.0, 8.0], policy=policy))
        assert not decompose.decomposable(pr)
        sol = decompose.solve(pr)
        assert sol.method == "whole model" and sol.status == "optimal"


def test_a_period_that_cannot_be_served_makes_the_plan_infeasible(tmp_path: Path) -> None:
    # a supply cap of 2 H100s and 2 MI300Xs serves 10 req/s at most; the peak asks 12
    pr = problem(write_scenario(tmp_path, demand=[4.0, 12.0, 6.0],
                                policy={"supply_caps": {H100: 2, MI300X: 2}}))
    sol = decompose.solve(pr)
    assert sol.status == "infeasible" and not sol.feasible
    assert sol.replicas.shape == (len(pr.candidates), 3) and not sol.replicas.any()


def test_threads_do_not_change_the_answer(tmp_path: Path) -> None:
    pr = problem(write_scenario(tmp_path, demand=[3.0, 7.0, 10.0, 6.0]))
    one, two = decompose.solve(pr, workers=1), decompose.solve(pr, workers=2)
    assert one.objective == pytest.approx(two.objective)
    assert (one.replicas == two.replicas).all()


def _committed_optimum(demand: list[float], limit: int = 14) -> float:
    """n TPUs reserved all day, the rest bought per period, by enumeration over n."""
    def with_committed(n: int) -> float:
        rest = [brute_force_cost([TPU_USD["on_demand"], H100_USD], [1.0, 4.0],
                                 max(d - n, 0.0)) for d in demand]
        return n * TPU_USD["reserved_1y"] + sum(rest) / len(demand)
    return min(with_committed(n) for n in range(limit))


@pytest.mark.parametrize("demand", [[2.0, 5.0, 9.0, 9.0, 3.0, 6.0],
                                    [1.0, 2.0, 8.0, 10.0, 3.0, 1.0, 7.0, 9.0],
                                    [3.0, 11.0, 4.0, 12.0, 2.0]])
@pytest.mark.parametrize("target", [1e-4, 0.05, 0.5])
def test_search_on_committed_counts_bounds_the_optimum(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, demand: list[float],
        target: float) -> None:
    monkeypatch.setattr(decompose, "SMALL_MODEL", 0)  # the search, not the whole model
    pr = problem(write_scenario(tmp_path, demand=demand, capacities={TPU: 1.0, H100: 4.0},
                                tiers=["on_demand", "reserved_1y"]), mip_rel_gap=target)
    reps, _ = milp.distinct_periods(pr.scenario)
    relaxed = [milp.run(replace(pr, periods=(p,), commitment="per_period")) for p in reps]
    relaxation = sum(r.dual_bound or 0.0 for r in relaxed)
    optimum = _committed_optimum(demand)
    assert relaxation < optimum - 0.05  # the plain relaxation leaves a gap here

    sol = decompose.solve(pr)
    assert sol.feasible and sol.objective is not None and sol.mip_gap is not None
    assert "branch and bound" in sol.method
    lower = sol.objective * (1 - sol.mip_gap)
    assert sol.objective >= optimum - 1e-6  # a real fleet never beats the optimum
    assert relaxation - 1e-6 <= lower <= optimum + 1e-6  # never weaker, always a bound
    assert sol.status == "optimal" and sol.mip_gap <= target + 1e-9
    if target < 1e-3:
        assert sol.objective == pytest.approx(optimum)


def test_small_models_are_solved_whole_first(tmp_path: Path) -> None:
    demand = [2.0, 5.0, 9.0, 9.0, 3.0, 6.0]
    pr = problem(write_scenario(tmp_path, demand=demand, capacities={TPU: 1.0, H100: 4.0},
                                tiers=["on_demand", "reserved_1y"]), mip_rel_gap=1e-4)
    sol = decompose.solve(pr)
    assert sol.method.startswith("whole model")
    assert sol.objective == pytest.approx(_committed_optimum(demand))


def test_a_box_holds_each_period_to_its_committed_counts(tmp_path: Path) -> None:
    pr = problem(write_scenario(tmp_path, demand=[2.0, 9.0], capacities={TPU: 1.0, H100: 4.0},
                                tiers=["on_demand", "reserved_1y"]))
    for box in ((3, 3), (0, 1), (6, 12)):
        for p in (0, 1):
            result = milp.run(replace(pr, periods=(p,), commitment="per_period",
                                      committed_bounds={(TPU, "reserved_1y"): box}))
            held = {tier: int(c[0]) for o, tier, c in result.purchases if o.id == TPU}
            assert box[0] <= held["reserved_1y"] <= box[1]


@pytest.mark.parametrize("at_lowest", [False, True])
def test_a_split_cuts_the_box_in_two_non_empty_halves(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, at_lowest: bool) -> None:
    pr = problem(write_scenario(tmp_path, demand=[2.0, 5.0, 9.0, 9.0, 3.0, 6.0],
                                capacities={TPU: 1.0, H100: 4.0},
                                tiers=["on_demand", "reserved_1y"]))
    keys = decompose._committed_keys(pr)
    search = decompose._Search(pr, keys, lambda prs, g: [milp.run(p, mip_rel_gap=g) for p in prs])
    root = search.root()
    counts = root.counts()
    assert counts is not None and not (counts == counts[0]).all()  # periods disagree
    if at_lowest:  # a commitment at the box's least count must still split it
        monkeypatch.setattr(decompose._Search, "_quantile",
                            lambda self, node: {k: lo for k, (lo, _) in node.box.items()})
    (lo, hi), = root.box.values()
    halves = [box[keys[0]] for box in search._split(root, counts)]
    assert len(halves) == 2 and halves[0][0] == lo and halves[1][1] == hi
    assert halves[0][0] <= halves[0][1] and halves[1][0] <= halves[1][1]
    assert halves[0][1] + 1 == halves[1][0]


@pytest.mark.parametrize(("target", "with_halves"), [(1e-4, True), (0.5, False)])
def test_the_first_fleet_is_solved_with_the_root_halves_when_it_cannot_close_the_gap(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: float,
        with_halves: bool) -> None:
    monkeypatch.setattr(decompose, "SMALL_MODEL", 0)  # the search, not the whole model
    demand = [2.0, 5.0, 9.0, 9.0, 3.0, 6.0]
    pr = problem(write_scenario(tmp_path, demand=demand, capacities={TPU: 1.0, H100: 4.0},
                                tiers=["on_demand", "reserved_1y"]), mip_rel_gap=target)
    rounds: list[list[tuple[int, int]]] = []

    def solve_all(problems: list[Problem], mip_rel_gap: float) -> list[milp.Run]:
        rounds.append([p.committed_bounds[(TPU, "reserved_1y")] for p in problems])
        return [milp.run(p, mip_rel_gap=mip_rel_gap) for p in problems]

    sol = decompose._solve(pr, solve_all, deadline=float("inf"), start=0.0)
    assert sol.status == "optimal"
    assert sol.objective == pytest.approx(_committed_optimum(demand), rel=target)
    (lo, hi), = set(rounds[0])  # the root: every period in the whole box
    assert lo == 0
    boxes = set(rounds[1])

    def first_fleet_and_halves(v: int) -> set[tuple[int, int]]:
        # the halves below and from the first fleet's count; one equal to its box is not
        # solved twice
        return {(v, v), (0, v - 1), (v, hi)} if v > 0 else {(0, 0), (1, hi)}

    if with_halves:
        assert any(boxes == first_fleet_and_halves(v) for v in range(hi + 1))
    else:  # a loose target: the first fleet may close the gap alone
        (v, w), = boxes
        assert v == w
    seen = [box for r in rounds[1:] for box in set(r)]
    assert len(seen) == len(set(seen))  # no box solved in two rounds


def test_a_round_solves_the_first_fleet_first_then_the_longest_periods_first(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(decompose, "SMALL_MODEL", 0)
    demand = [2.0, 5.0, 9.0, 9.0, 3.0, 6.0]
    pr = problem(write_scenario(tmp_path, demand=demand, capacities={TPU: 1.0, H100: 4.0},
                                tiers=["on_demand", "reserved_1y"]), mip_rel_gap=1e-4)
    seconds = {0: 0.3, 1: 0.1, 2: 0.5, 4: 0.2, 5: 0.4}  # made-up solve times per period
    rounds: list[list[tuple[int, tuple[int, int]]]] = []

    def solve_all(problems: list[Problem], mip_rel_gap: float) -> list[milp.Run]:
        rounds.append([(p.periods[0] if p.periods else -1,
                        p.committed_bounds[(TPU, "reserved_1y")]) for p in problems])
        return [replace(milp.run(p, mip_rel_gap=mip_rel_gap),
                        solve_s=seconds[p.periods[0] if p.periods else 0]) for p in problems]

    decompose._solve(pr, solve_all, deadline=float("inf"), start=0.0)
    assert len(rounds) >= 3

    def longest_first(solves: list[tuple[int, tuple[int, int]]]) -> bool:
        times = [seconds[period] for period, _ in solves]
        return times == sorted(times, reverse=True)

    (v, w) = rounds[1][0][1]
    assert v == w  # the first fleet's box leads
    first_fleet = [s for s in rounds[1] if s[1] == (v, w)]
    halves = rounds[1][len(first_fleet):]
    assert first_fleet and halves and all(box != (v, w) for _, box in halves)
    assert longest_first(first_fleet) and longest_first(halves)
    assert all(longest_first(later) for later in rounds[2:])
