"""Monte Carlo: draws, runs checked against enumeration, infeasible runs, errors, determinism."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tests.plan.plan_helpers import H100, MI300X, brute_force_cost, write_scenario

from fleetmix.analyze import montecarlo as mc
from fleetmix.analyze.executor import local_processes
from fleetmix.errors import ScenarioError
from fleetmix.plan import Scenario, load_scenario
from fleetmix.plan.candidates import Candidate, prune
from fleetmix.plan.measured import measured_candidates
from fleetmix.plan.scenario import DistSpec, FactorSpec, PriceUncertaintySpec, UncertaintySpec

H100_USD, MI300X_USD = 4.29, 1.71  # $/hour, 1 chip each
H100_P5 = "aws/us-east-1/p5.4xlarge"  # 1x H100 at $6.88: dearer than H100 above


def setup(tmp_path: Path, uncertainty: dict[str, Any] | None, **kw: Any
          ) -> tuple[Scenario, tuple[Candidate, ...]]:
    path = write_scenario(tmp_path, solver={"mip_rel_gap": 0.0}, **kw,
                          **({"uncertainty": uncertainty} if uncertainty else {}))
    sc = load_scenario(path)
    unc, _ = mc.uncertainty_of(sc)
    return sc, mc.candidates_for_runs(sc, unc, tmp_path / "caps.csv").candidates


def run(tmp_path: Path, uncertainty: dict[str, Any] | None, runs: int = 12, workers: int = 1,
        **kw: Any) -> mc.MonteCarloResult:
    sc, cands = setup(tmp_path, uncertainty, **kw)
    return mc.monte_carlo(sc, cands, runs=runs, executor=local_processes(workers))


def test_each_run_is_the_cheapest_fleet_at_its_drawn_prices_and_demand(tmp_path: Path) -> None:
    r = run(tmp_path, {"prices": {"default": {"dist": "uniform", "low": 0.3, "high": 2.0}},
                       "demand": {"all": {"dist": "triangular", "low": 0.5, "mode": 1.0,
                                          "high": 1.4}}})
    s = r.samples
    assert s.offerings == (H100, MI300X) and r.runs.feasible.all()
    for i in range(s.runs):
        prices = [H100_USD * s.price_factor[i, 0], MI300X_USD * s.price_factor[i, 1]]
        oracle = brute_force_cost(prices, [4.0, 1.0], 10.0 * s.demand_factor[i, 0])
        assert r.runs.cost_usd_per_hour[i] == pytest.approx(oracle, rel=1e-6)
    assert r.nominal.cost_usd_per_hour[0] == pytest.approx(brute_force_cost(
        [H100_USD, MI300X_USD], [4.0, 1.0], 10.0))


def test_an_offering_priced_far_above_the_other_is_never_chosen(tmp_path: Path) -> None:
    # H100 serves 4 req/s for $4.29, MI300X 1 req/s for $1.71: at list the H100 is cheaper
    # per request; at 3-4x its price it is never worth it.
    r = run(tmp_path, {"prices": {"offerings": {H100: {"dist": "uniform", "low": 3,
                                                        "high": 4}}}})
    use = {u.offering: u for u in r.offering_use()}
    assert use[MI300X].chosen_fraction == 1.0 and use[MI300X].mean_chip_share == 1.0
    assert use[H100].chosen_fraction == 0.0 and use[H100].nominal_chips > 0
    assert np.allclose(r.runs.cost_usd_per_hour, 10 * MI300X_USD)
    assert [v.vendor for v in r.vendor_use()] == ["amd"]


def test_higher_demand_draws_cost_more(tmp_path: Path) -> None:
    low = run(tmp_path, {"demand": {"workloads": {"chat": {"dist": "fixed", "value": 0.5}}}})
    high = run(tmp_path, {"demand": {"default": {"dist": "lognormal", "median": 2.0,
                                                 "sigma": 0.1}}})
    low_cost, high_cost = low.cost_stats(), high.cost_stats()
    assert low_cost is not None and high_cost is not None
    assert low_cost["p95"] < low.nominal.cost_usd_per_hour[0]
    assert high_cost["p5"] > 1.4 * high.nominal.cost_usd_per_hour[0]
    assert [d.draw for d in high.drivers()] == ["demand.default[chat]"]
    assert high.drivers()[0].spearman > 0.9 and high.drivers()[0].significant


def test_runs_short_of_supply_are_counted_infeasible(tmp_path: Path) -> None:
    # One H100 (4 req/s) is always there; demand of 10 req/s needs the MI300X offering.
    r = run(tmp_path, {"supply": {MI300X: {"availability": 0.5},
                                  "h100-sxm": {"chips": {"dist": "uniform", "low": 1,
                                                         "high": 1.9}}}}, runs=40)
    available = r.samples.inputs[f"supply.{MI300X}.available"] == 1
    assert 0 < available.sum() < 40
    assert (r.runs.feasible == available).all()
    assert r.infeasible_fraction == pytest.approx(1 - available.mean())
    assert set(r.samples.supply_cap_chips[:, 1]) == {1}
    assert r.status_counts()["infeasible"] == (~available).sum()
    assert r.nominal.status == ("optimal",)  # the policy has no cap: list prices are feasible


def test_same_seed_same_runs_on_one_or_two_processes(tmp_path: Path) -> None:
    unc = {"seed": 7, "prices": {"default": {"dist": "lognormal", "sigma": 0.3}},
           "demand": {"all": {"dist": "normal", "mean": 1.0, "sd": 0.2}}}
    one = run(tmp_path, unc, runs=10, workers=1)
    two = run(tmp_path, unc, runs=10, workers=2)
    assert one.runs.status == two.runs.status
    assert np.array_equal(one.runs.cost_usd_per_hour, two.runs.cost_usd_per_hour)
    assert np.array_equal(one.runs.chips, two.runs.chips)
    assert one.to_dict()["per_run"] == two.to_dict()["per_run"]
    sc, cands = setup(tmp_path, unc)
    other = mc.monte_carlo(sc, cands, runs=10, seed=8, executor=local_processes(1))
    assert not np.array_equal(other.samples.price_factor, one.samples.price_factor)


def test_draws_follow_their_distributions() -> None:
    rng = np.random.default_rng(0)
    n = 20_000
    logn = mc.draw(FactorSpec(dist="lognormal", median=1.1, sigma=0.2), rng, n, positive=True)
    assert np.median(logn) == pytest.approx(1.1, rel=0.01)
    assert np.std(np.log(logn)) == pytest.approx(0.2, rel=0.03)
    tri = mc.draw(FactorSpec(dist="triangular", low=0.6, mode=0.85, high=1.05), rng, n)
    assert tri.min() >= 0.6 and tri.max() <= 1.05
    assert tri.mean() == pytest.approx((0.6 + 0.85 + 1.05) / 3, rel=0.01)
    wide = mc.draw(FactorSpec(dist="normal", mean=0.5, sd=1.0), rng, n, positive=True)
    assert wide.min() > 0  # truncated at 0
    chips = mc.draw(DistSpec(dist="normal", mean=2.0, sd=4.0), rng, n)
    assert chips.min() < 0  # supply draws are not truncated; the cap floors them at 0 chips
    assert np.all(mc.draw(FactorSpec(dist="fixed", value=1.3), rng, 5) == 1.3)


def test_a_vendor_factor_moves_its_offerings_together_and_keys_draw_apart(
        tmp_path: Path) -> None:
    caps = {H100: 4.0, H100_P5: 4.0, MI300X: 1.0}
    unc: dict[str, Any] = {"prices": {"vendors": {"nvidia": {"dist": "uniform", "low": 0.5,
                                                             "high": 1.5}}}}
    sc, cands = setup(tmp_path, unc, capacities=caps)
    offerings = list({c.offering.id: c.offering for c in cands}.values())
    s = mc.sample(mc.uncertainty_of(sc)[0], sc, offerings, 50, seed=3)
    col = {o: j for j, o in enumerate(s.offerings)}
    assert np.array_equal(s.price_factor[:, col[H100]], s.price_factor[:, col[H100_P5]])
    assert np.all(s.price_factor[:, col[MI300X]] == 1.0)
    unc["prices"]["default"] = {"dist": "uniform", "low": 0.5, "high": 1.5}
    sc2, _ = setup(tmp_path, unc, capacities=caps)
    s2 = mc.sample(mc.uncertainty_of(sc2)[0], sc2, offerings, 50, seed=3)
    assert np.array_equal(s2.price_factor[:, col[H100]], s.price_factor[:, col[H100]])


def test_offerings_with_their_own_price_draws_are_not_pruned(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The dearer H100 offering is pruned at list prices; with its own price draw it may be
    # the cheaper one in a run, so the candidates keep it.
    path = write_scenario(tmp_path, capacities={H100: 4.0, H100_P5: 4.0})
    sc = load_scenario(path)
    cands = measured_candidates(sc, tmp_path / "caps.csv").candidates
    seen: list[Scenario] = []
    monkeypatch.setattr(mc, "candidates_for", lambda s, *a: seen.append(s))
    own = FactorSpec(dist="uniform", low=0.5, high=1.5)
    for unc, kept in [(UncertaintySpec(prices=PriceUncertaintySpec(default=own)), 2),
                      (UncertaintySpec(prices=PriceUncertaintySpec(vendors={"nvidia": own})), 1)]:
        mc.candidates_for_runs(sc, unc)
        assert len(prune(cands, sc)) == 1 and len(prune(cands, seen[-1])) == kept
        assert seen[-1].policy.supply_caps.keys() >= (set() if kept == 1 else {H100_P5})


def test_each_run_prunes_the_candidates_at_its_own_prices(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # At list prices the $6.88 H100 offering stands aside for the $4.29 one; at half price
    # it is the cheaper, and the other stands aside.
    models: list[list[str]] = []
    real_solve = mc.solve

    def solve(problem: Any, workers: int | None = None) -> Any:
        models.append(sorted({c.offering.id for c in problem.candidates}))
        return real_solve(problem, workers=workers)

    monkeypatch.setattr(mc, "solve", solve)
    r = run(tmp_path, {"prices": {"offerings": {H100_P5: {"dist": "fixed", "value": 0.5}}}},
            runs=3, capacities={H100: 4.0, H100_P5: 4.0, MI300X: 1.0})
    assert models == [sorted([H100, MI300X])] + [sorted([H100_P5, MI300X])] * 3
    use = {u.offering: u.chosen_fraction for u in r.offering_use()}
    assert use[H100_P5] == 1.0 and use[H100] == 0.0
    assert r.runs.cost_usd_per_hour[0] == pytest.approx(
        brute_force_cost([6.88 * 0.5, MI300X_USD], [4.0, 1.0], 10.0))


def test_without_a_section_the_default_is_sampled(tmp_path: Path) -> None:
    r = run(tmp_path, None, runs=5)
    assert r.uncertainty_source == "default" and r.uncertainty == mc.DEFAULT_UNCERTAINTY
    assert set(r.samples.inputs) == {f"prices.default[{H100}]", f"prices.default[{MI300X}]",
                                     "demand.default[chat]"}
    d = r.to_dict()
    assert d["runs"] == 5 and len(d["per_run"]) == 5 and d["uncertainty_source"] == "default"


BAD = """\
name: t
workloads:
  - name: chat
    arch: llama-3.1-8b
    trace: azure-conv
    peak_rps: 10
    slo: {ttft_p99_s: 2}
uncertainty:
  prices:
    default: {dist: lognormal, sigma: 0.1}
    offerings:
      lambda/us-east-1/gpu_1x_h100_sxm5: {dist: uniform, low: 0.5, high: 1.5}
  demand:
    workloads:
      chat: {dist: normal, mean: 1, sd: 0.1}
  supply:
    mi300x: {availability: 0.5}
"""


@pytest.mark.parametrize(("change", "line", "needles"), [
    (("sigma: 0.1}", "sd: 0.1}"), 10, ["uncertainty.prices.default", "lognormal takes median, "
                                       "sigma; missing sigma; sd is not one of them"]),
    (("{dist: uniform, low: 0.5, high: 1.5}", "{dist: uniform, low: 2, high: 1.5}"), 12,
     ["uncertainty.prices.offerings.lambda/us-east-1/gpu_1x_h100_sxm5", "low (2) <= high"]),
    (("dist: lognormal", "dist: gauss"), 10, ["uncertainty.prices.default.dist", "'normal'"]),
    (("mean: 1,", "mean: 0,"), 15, ["uncertainty.demand.workloads.chat", "must stay above 0",
                                    "mean (0) must be > 0"]),
    (("sd: 0.1}", "sd: -1}"), 15, ["uncertainty.demand.workloads.chat.sd",
                                   "greater than or equal to 0"]),
    (("gpu_1x_h100_sxm5:", "gpu_1x_h100_sxm6:"), 12,
     ["uncertainty.prices.offerings.lambda/us-east-1/gpu_1x_h100_sxm6", "not an offering id",
      "did you mean 'lambda/us-east-1/gpu_1x_h100_sxm5'"]),
    (("      chat:", "      chats:"), 15, ["uncertainty.demand.workloads.chats",
                                            "not a workload of the scenario", "'chat'"]),
    (("mi300x: {availability: 0.5}", "mi300y: {availability: 0.5}"), 17,
     ["uncertainty.supply.mi300y", "'mi300x'"]),
    (("availability: 0.5", "availability: 1.5"), 17,
     ["uncertainty.supply.mi300x.availability", "less than or equal to 1"]),
    (("{availability: 0.5}", "{}"), 17, ["uncertainty.supply.mi300x", "give chips"]),
    (("{availability: 0.5}", "{chips: {dist: triangular, low: 4, mode: 2, high: 8}}"), 17,
     ["uncertainty.supply.mi300x.chips", "low (4) <= mode (2)"]),
    (("    offerings:", "    vendors: {nvidiaa: {dist: fixed, value: 1}}\n    offerings:"), 11,
     ["uncertainty.prices.vendors", "expected one of nvidia"]),
])
def test_bad_uncertainty_names_file_line_and_field(tmp_path: Path, change: tuple[str, str],
                                                   line: int, needles: list[str]) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(BAD.replace(*change))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    message = str(info.value)
    assert message.startswith(f"{path}:{line}: "), message
    for needle in needles:
        assert needle in message, (needle, message)


def test_an_empty_section_samples_nothing_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(BAD.split("uncertainty:")[0] + "uncertainty: {seed: 3}\n")
    with pytest.raises(ScenarioError, match=r"s.yaml:8: uncertainty: .*nothing to sample"):
        load_scenario(path)
