"""Monte Carlo over prices, demand and supply: how the cost of the best fleet is distributed,
and how often each offering is in it.

All runs are drawn up front from the seed (`sample`), then each run is the scenario's MILP
re-solved with its prices, demands and supply caps, on the same candidates: a replica's
capacity depends on neither price nor demand, so nothing is simulated again. Runs go to an
executor in batches; the scenario and candidates are sent once per worker, and every solve
there uses one thread. Each key of the uncertainty section draws from its own stream, seeded
by (seed, key): the same seed gives the same runs whatever the executor or the worker count,
and adding an entry does not change the draws of the others.

The plan at list prices ("nominal") is solved too, in the same batch, for reference.
"""

from __future__ import annotations

import math
import sys
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from statistics import NormalDist
from typing import Any

import numpy as np
from numpy.typing import NDArray

from fleetmix.analyze.executor import Executor, local_processes
from fleetmix.catalog.records import Offering
from fleetmix.plan.candidates import (
    Candidate,
    CandidateSet,
    Mapper,
    allowed_offerings,
    prune,
)
from fleetmix.plan.candidates import Progress as CandidateProgress
from fleetmix.plan.decompose import solve
from fleetmix.plan.explain import missing_workloads
from fleetmix.plan.milp import Problem, Solution
from fleetmix.plan.planner import candidates_for
from fleetmix.plan.result import cost_usd_per_hour
from fleetmix.plan.scenario import (
    DemandUncertaintySpec,
    DistSpec,
    FactorSpec,
    PriceUncertaintySpec,
    Scenario,
    UncertaintySpec,
)
from fleetmix.sim.cache import CapacityCache

DEFAULT_UNCERTAINTY = UncertaintySpec(
    prices=PriceUncertaintySpec(default=FactorSpec(dist="lognormal", sigma=0.1)),
    demand=DemandUncertaintySpec(default=FactorSpec(dist="lognormal", sigma=0.1)))
"""What a scenario without an `uncertainty` section is run with: every offering's price and
every workload's demand each move on their own, lognormal around list with σ = 0.1 (about
±10%, 5% to 95% from ×0.85 to ×1.18); supply as the policy says."""

Progress = Callable[[int, int], None]  # (runs done, runs)


@dataclass(frozen=True, kw_only=True)
class Samples:
    """The inputs of every run, drawn up front."""

    offerings: tuple[str, ...]  # offering ids of the candidates
    price_factor: NDArray[np.float64]  # (runs, offerings) × every tier's list price
    workloads: tuple[str, ...]
    demand_factor: NDArray[np.float64]  # (runs, workloads) × demand in every period
    supply_keys: tuple[str, ...]  # offering or accelerator ids
    supply_cap_chips: NDArray[np.int64]  # (runs, keys); -1: the policy's cap (or none)
    inputs: dict[str, NDArray[np.float64]]  # (runs,) the draw of each key, named by its path

    @property
    def runs(self) -> int:
        return len(self.price_factor)


def uncertainty_of(scenario: Scenario) -> tuple[UncertaintySpec, str]:
    """(the uncertainty to sample, "scenario" or "default")."""
    if scenario.uncertainty is not None:
        return scenario.uncertainty, "scenario"
    return DEFAULT_UNCERTAINTY, "default"


def _rng(seed: int, key: str) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(key.encode())])


def draw(dist: DistSpec, rng: np.random.Generator, n: int, *, positive: bool = False
         ) -> NDArray[np.float64]:
    """`n` draws of `dist`; `positive`: a normal is truncated at 0 (draws <= 0 redrawn)."""
    match dist.dist:
        case "normal":
            assert dist.mean is not None and dist.sd is not None  # DistSpec checks
            x = rng.normal(dist.mean, dist.sd, n)
            while positive and (bad := x <= 0).any():
                x[bad] = rng.normal(dist.mean, dist.sd, int(bad.sum()))
            return x
        case "lognormal":
            assert dist.sigma is not None
            return rng.lognormal(math.log(dist.median or 1.0), dist.sigma, n)
        case "uniform":
            assert dist.low is not None and dist.high is not None
            return rng.uniform(dist.low, dist.high, n)
        case "triangular":
            assert dist.low is not None and dist.mode is not None and dist.high is not None
            return rng.triangular(dist.low, dist.mode, dist.high, n)
    assert dist.value is not None
    return np.full(n, dist.value)


def price_key(unc: UncertaintySpec, o: Offering, vendor: str) -> str | None:
    """The path of the entry that sets `o`'s price factor (None: list price)."""
    p = unc.prices
    if o.id in p.offerings:
        return f"prices.offerings.{o.id}"
    if o.accelerator in p.accelerators:
        return f"prices.accelerators.{o.accelerator}"
    if vendor in p.vendors:
        return f"prices.vendors.{vendor}"
    return f"prices.default[{o.id}]" if p.default is not None else None


def _price_dist(unc: UncertaintySpec, key: str) -> FactorSpec:
    p = unc.prices
    if key.startswith("prices.default["):
        assert p.default is not None
        return p.default
    group, _, name = key.removeprefix("prices.").partition(".")
    by_group: dict[str, dict[str, FactorSpec]] = {
        "offerings": p.offerings, "accelerators": p.accelerators, "vendors": p.vendors}
    return by_group[group][name]


def sample(unc: UncertaintySpec, scenario: Scenario, offerings: Sequence[Offering], runs: int,
           seed: int) -> Samples:
    """Every run's price factors, demand factors and supply caps (vectorized per key)."""
    inputs: dict[str, NDArray[np.float64]] = {}

    def of(key: str, dist: DistSpec, positive: bool) -> NDArray[np.float64]:
        if key not in inputs:
            inputs[key] = draw(dist, _rng(seed, key), runs, positive=positive)
        return inputs[key]

    prices = np.ones((runs, len(offerings)))
    for j, o in enumerate(offerings):
        key = price_key(unc, o, scenario.catalog.accelerators[o.accelerator].vendor)
        if key is not None:
            prices[:, j] = of(key, _price_dist(unc, key), positive=True)
    d = unc.demand
    common = of("demand.all", d.all, True) if d.all is not None else np.ones(runs)
    demand = np.ones((runs, len(scenario.workloads)))
    for j, w in enumerate(scenario.workloads):
        own = d.workloads.get(w.name)
        if own is not None:
            demand[:, j] = of(f"demand.workloads.{w.name}", own, True)
        elif d.default is not None:
            demand[:, j] = of(f"demand.default[{w.name}]", d.default, True)
    caps = np.full((runs, len(unc.supply)), -1, dtype=np.int64)
    for k, (name, s) in enumerate(unc.supply.items()):
        if s.chips is not None:
            caps[:, k] = np.floor(np.maximum(of(f"supply.{name}.chips", s.chips, False), 0))
        if s.availability < 1.0:
            up = (_rng(seed, f"supply.{name}.available").random(runs) < s.availability)
            inputs[f"supply.{name}.available"] = up.astype(np.float64)
            caps[~up, k] = 0
    return Samples(offerings=tuple(o.id for o in offerings), price_factor=prices,
                   workloads=tuple(w.name for w in scenario.workloads),
                   demand_factor=demand * common[:, None], supply_keys=tuple(unc.supply),
                   supply_cap_chips=caps, inputs=inputs)


def candidates_for_runs(scenario: Scenario, unc: UncertaintySpec,
                        capacity_csv: str | Path | None = None,
                        cache: CapacityCache | None = None, mapper: Mapper | None = None,
                        progress: CandidateProgress | None = None) -> CandidateSet:
    """The candidates every run chooses from: a superset, which each run prunes again at its
    own prices and caps (`solve_run`).

    NOTE: candidate generation drops an offering that a cheaper one of the same chip stands in
    for (`plan.candidates.prune`), unless a supply cap names it. Once prices move on their own
    or supply is uncertain, that is no longer true in every run, so every offering whose price
    factor is its own (an `offerings` entry, or `default`) or whose supply is sampled is named
    in the policy's caps for the candidate search only (the cap's value is never used there).
    Offerings that share a factor (one vendor's or accelerator's) keep their order and stay
    pruned."""
    vendor = {a.id: a.vendor for a in scenario.catalog.accelerators.values()}
    own = {o.id for o in allowed_offerings(scenario)
           if (key := price_key(unc, o, vendor[o.accelerator])) is not None
           and not key.startswith(("prices.accelerators.", "prices.vendors."))}
    own |= set(unc.supply)
    caps = {k: sys.maxsize for k in sorted(own)} | scenario.policy.supply_caps
    open_sc = replace(scenario, policy=replace(scenario.policy, supply_caps=caps))
    return candidates_for(open_sc, capacity_csv, cache, mapper, progress)


@dataclass(frozen=True, kw_only=True)
class Runs:
    """What some runs found (one row per run)."""

    status: tuple[str, ...]  # the solver's status per run
    feasible: NDArray[np.bool_]  # (runs,)
    cost_usd_per_hour: NDArray[np.float64]  # (runs,) averaged over periods; nan: infeasible
    chips: NDArray[np.float64]  # (runs, offerings) chips held, averaged over periods
    spend_usd_per_hour: NDArray[np.float64]  # (runs, offerings) averaged over periods
    mip_gap: NDArray[np.float64]  # (runs,) certified relative gap; nan: none
    solve_s: NDArray[np.float64]  # (runs,)

    @staticmethod
    def joined(parts: Sequence[Runs]) -> Runs:
        return Runs(status=tuple(s for p in parts for s in p.status),
                    feasible=np.concatenate([p.feasible for p in parts]),
                    cost_usd_per_hour=np.concatenate([p.cost_usd_per_hour for p in parts]),
                    chips=np.concatenate([p.chips for p in parts]),
                    spend_usd_per_hour=np.concatenate([p.spend_usd_per_hour for p in parts]),
                    mip_gap=np.concatenate([p.mip_gap for p in parts]),
                    solve_s=np.concatenate([p.solve_s for p in parts]))

    def __getitem__(self, rows: slice) -> Runs:
        return Runs(status=self.status[rows], feasible=self.feasible[rows],
                    cost_usd_per_hour=self.cost_usd_per_hour[rows], chips=self.chips[rows],
                    spend_usd_per_hour=self.spend_usd_per_hour[rows],
                    mip_gap=self.mip_gap[rows], solve_s=self.solve_s[rows])


@dataclass(frozen=True, kw_only=True)
class Shared:
    """What every worker holds: the scenario, its candidates and the order of the columns."""

    scenario: Scenario
    candidates: tuple[Candidate, ...]
    offerings: tuple[str, ...]
    supply_keys: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class Batch:
    """Rows of `Samples` for one task."""

    price_factor: NDArray[np.float64]  # (n, offerings)
    demand_factor: NDArray[np.float64]  # (n, workloads)
    supply_cap_chips: NDArray[np.int64]  # (n, keys)


def solve_run(shared: Shared, price_factor: NDArray[np.float64],
              demand_factor: NDArray[np.float64], supply_cap_chips: NDArray[np.int64]
              ) -> Solution:
    """The MILP of one run (one thread), on the candidates that survive pruning at the run's
    prices and caps: the model `plan` would build for them."""
    sc = shared.scenario
    scaled = {oid: f for oid, f in zip(shared.offerings, price_factor, strict=True) if f != 1.0}
    offerings: dict[str, Offering] = {}
    cands = []
    for c in shared.candidates:
        f = scaled.get(c.offering.id)
        if f is None:
            cands.append(c)
            continue
        if c.offering.id not in offerings:
            prices = {t: p * float(f) for t, p in c.offering.prices_usd_per_hour.items()}
            offerings[c.offering.id] = replace(c.offering, prices_usd_per_hour=prices)
        cands.append(replace(c, offering=offerings[c.offering.id]))
    workloads = tuple(replace(w, demand_rps=w.demand_rps * float(f))
                      for w, f in zip(sc.workloads, demand_factor, strict=True))
    caps = sc.policy.supply_caps | {k: int(n) for k, n in
                                    zip(shared.supply_keys, supply_cap_chips, strict=True)
                                    if n >= 0}
    policy = replace(sc.policy, supply_caps=caps)
    run_sc = replace(sc, workloads=workloads, policy=policy)
    problem = Problem(scenario=run_sc, candidates=prune(tuple(cands), run_sc), policy=policy)
    return solve(problem, workers=1)


def run_batch(shared: Shared, batch: Batch) -> Runs:
    """Solve a batch of runs (the function the executor maps)."""
    column = {oid: j for j, oid in enumerate(shared.offerings)}
    n, m = len(batch.price_factor), len(shared.offerings)
    chips, spend = np.zeros((n, m)), np.zeros((n, m))
    cost, mip_gap, solve_s = np.full(n, np.nan), np.full(n, np.nan), np.zeros(n)
    status, feasible = [], np.zeros(n, dtype=bool)
    for i in range(n):
        sol = solve_run(shared, batch.price_factor[i], batch.demand_factor[i],
                        batch.supply_cap_chips[i])
        status.append(sol.status)
        solve_s[i] = sol.solve_s
        if sol.feasible:
            feasible[i] = True
            cost[i] = cost_usd_per_hour(sol)
            mip_gap[i] = np.nan if sol.mip_gap is None else sol.mip_gap
            for pu in sol.purchases:
                chips[i, column[pu.offering.id]] += float(pu.chips.mean())
                spend[i, column[pu.offering.id]] += float(pu.usd_per_hour.mean())
    return Runs(status=tuple(status), feasible=feasible, cost_usd_per_hour=cost, chips=chips,
                spend_usd_per_hour=spend, mip_gap=mip_gap, solve_s=solve_s)


def batches(samples: Samples, size: int) -> list[Batch]:
    """The nominal run (list prices, the policy's caps) first, then the samples, `size` runs
    per batch."""
    prices = np.vstack([np.ones(len(samples.offerings)), samples.price_factor])
    demand = np.vstack([np.ones(len(samples.workloads)), samples.demand_factor])
    caps = np.vstack([np.full(len(samples.supply_keys), -1, dtype=np.int64),
                      samples.supply_cap_chips])
    return [Batch(price_factor=prices[i:i + size], demand_factor=demand[i:i + size],
                  supply_cap_chips=caps[i:i + size]) for i in range(0, len(prices), size)]


def batch_size(runs: int, workers: int) -> int:
    """About four batches per worker (an even finish), at most 25 runs each (progress)."""
    return max(1, min(25, math.ceil(runs / (4 * workers))))


@dataclass(frozen=True, kw_only=True)
class OfferingUse:
    """How one offering fared across the feasible runs."""

    offering: str
    vendor: str
    accelerator: str
    chosen_fraction: float  # of feasible runs with chips of it in the fleet
    mean_chip_share: float  # its chips / all chips, averaged over feasible runs
    mean_chips: float  # chips held (averaged over periods), averaged over feasible runs
    nominal_chips: float  # in the plan at list prices


@dataclass(frozen=True, kw_only=True)
class VendorUse:
    vendor: str
    chosen_fraction: float  # of feasible runs with chips of the vendor in the fleet
    mean_chip_share: float  # of chip-hours, averaged over feasible runs
    mean_spend_share: float  # of spend, averaged over feasible runs


@dataclass(frozen=True, kw_only=True)
class Driver:
    draw: str  # the key of the uncertainty section it was drawn for, e.g. prices.vendors.amd
    spearman: float  # rank correlation of the cost with the draw, over feasible runs
    significant: bool  # beyond what chance gives (see MonteCarloResult.drivers)


@dataclass(frozen=True, kw_only=True)
class MonteCarloResult:
    """Every run's cost and fleet, and what they add up to."""

    scenario: str
    seed: int
    executor: str
    workers: int
    mip_rel_gap: float
    uncertainty: UncertaintySpec
    uncertainty_source: str  # "scenario", or "default" (DEFAULT_UNCERTAINTY)
    samples: Samples
    accelerators: tuple[str, ...]  # accelerator id of each of samples.offerings
    vendors: tuple[str, ...]  # vendor of each of samples.offerings
    runs: Runs
    nominal: Runs  # one row: the plan at list prices
    elapsed_s: float
    notes: tuple[str, ...] = ()

    @property
    def infeasible_fraction(self) -> float:
        """Runs proven to have no fleet (supply, policy or budget short of demand)."""
        return self.runs.status.count("infeasible") / max(len(self.runs.status), 1)

    @property
    def unsolved_fraction(self) -> float:
        """Runs that found no fleet within the time limit (not proven infeasible)."""
        return float((~self.runs.feasible).mean()) - self.infeasible_fraction

    def status_counts(self) -> dict[str, int]:
        return {s: self.runs.status.count(s) for s in dict.fromkeys(sorted(self.runs.status))}

    def cost_stats(self) -> dict[str, float] | None:
        """Mean, sd and percentiles of $/hour over the feasible runs (None: none feasible)."""
        cost = self.runs.cost_usd_per_hour[self.runs.feasible]
        if not cost.size:
            return None
        p5, p50, p95 = np.percentile(cost, [5, 50, 95])
        return {"mean": float(cost.mean()), "sd": float(cost.std(ddof=1)) if cost.size > 1
                else 0.0, "p5": float(p5), "p50": float(p50), "p95": float(p95),
                "min": float(cost.min()), "max": float(cost.max())}

    def offering_use(self) -> tuple[OfferingUse, ...]:
        """Per offering chosen in any run (or in the nominal plan), most often chosen first."""
        chips = self.runs.chips[self.runs.feasible]  # (feasible runs, offerings)
        share = _shares(chips)
        rows = [OfferingUse(offering=oid, vendor=self.vendors[j],
                            accelerator=self.accelerators[j],
                            chosen_fraction=_mean(chips[:, j] > 0),
                            mean_chip_share=_mean(share[:, j]), mean_chips=_mean(chips[:, j]),
                            nominal_chips=float(self.nominal.chips[0, j]))
                for j, oid in enumerate(self.samples.offerings)
                if chips[:, j].any() or self.nominal.chips[0, j] > 0]
        return tuple(sorted(rows, key=lambda r: (-r.chosen_fraction, -r.mean_chip_share)))

    def vendor_use(self) -> tuple[VendorUse, ...]:
        feasible = self.runs.feasible
        names = sorted(set(self.vendors))
        member = np.array([[v == name for name in names] for v in self.vendors], dtype=float)
        chips = self.runs.chips[feasible] @ member  # (feasible runs, vendors)
        spend = self.runs.spend_usd_per_hour[feasible] @ member
        chip_share, spend_share = _shares(chips), _shares(spend)
        rows = [VendorUse(vendor=v, chosen_fraction=_mean(chips[:, k] > 0),
                          mean_chip_share=_mean(chip_share[:, k]),
                          mean_spend_share=_mean(spend_share[:, k]))
                for k, v in enumerate(names) if chips[:, k].any()]
        return tuple(sorted(rows, key=lambda r: -r.mean_chip_share))

    def drivers(self) -> tuple[Driver, ...]:
        """Spearman rank correlation of cost with each draw that varies, over the feasible
        runs, strongest first: which draws move the cost.

        NOTE: with many draws some correlate by chance (with 40 draws and 60 runs, |ρ| near
        0.38 is expected of pure noise). A draw is `significant` when |ρ| exceeds what chance
        gives at 5%, Bonferroni-corrected over the draws (ρ of independent draws is about
        normal with variance 1/(runs - 1))."""
        feasible = self.runs.feasible
        cost = self.runs.cost_usd_per_hour[feasible]
        if cost.size < 3 or np.ptp(cost) == 0:
            return ()
        rho = {}
        for key, x in self.samples.inputs.items():
            if np.ptp(x[feasible]) > 0:
                rho[key] = float(np.corrcoef(_ranks(x[feasible]), _ranks(cost))[0, 1])
        if not rho:
            return ()
        chance = NormalDist().inv_cdf(1 - 0.025 / len(rho)) / math.sqrt(cost.size - 1)
        rows = [Driver(draw=k, spearman=r, significant=abs(r) > chance) for k, r in rho.items()]
        return tuple(sorted(rows, key=lambda d: -abs(d.spearman)))

    def to_dict(self) -> dict[str, Any]:
        s = self.samples
        return {
            "scenario": self.scenario, "runs": s.runs, "seed": self.seed,
            "executor": self.executor, "workers": self.workers,
            "mip_rel_gap": self.mip_rel_gap, "uncertainty_source": self.uncertainty_source,
            "uncertainty": self.uncertainty.model_dump(exclude_none=True),
            "nominal": {"status": self.nominal.status[0],
                        "cost_usd_per_hour": _num(self.nominal.cost_usd_per_hour[0]),
                        "mip_gap": _num(self.nominal.mip_gap[0]),
                        "chips_by_offering": _nonzero(s.offerings, self.nominal.chips[0])},
            "cost_usd_per_hour": self.cost_stats(), "statuses": self.status_counts(),
            "infeasible_fraction": self.infeasible_fraction,
            "unsolved_fraction": self.unsolved_fraction,
            "offerings": [vars(u) for u in self.offering_use()],
            "vendors": [vars(u) for u in self.vendor_use()],
            "drivers": [vars(d) for d in self.drivers()],
            "per_run": [{"run": i, "status": self.runs.status[i],
                         "cost_usd_per_hour": _num(self.runs.cost_usd_per_hour[i]),
                         "mip_gap": _num(self.runs.mip_gap[i]),
                         "chips_by_offering": _nonzero(s.offerings, self.runs.chips[i])}
                        for i in range(s.runs)],
            "samples": {"offerings": list(s.offerings), "price_factor": s.price_factor.tolist(),
                        "workloads": list(s.workloads),
                        "demand_factor": s.demand_factor.tolist(),
                        "supply_keys": list(s.supply_keys),
                        "supply_cap_chips": s.supply_cap_chips.tolist()},
            "solve_s_total": float(self.runs.solve_s.sum()), "elapsed_s": self.elapsed_s,
            "notes": list(self.notes),
        }


def _shares(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """Each row divided by its sum (rows of zeros stay zero)."""
    total = values.sum(axis=1, keepdims=True)
    out = np.zeros_like(values)
    np.divide(values, total, out=out, where=total > 0)
    return out


def _mean(values: NDArray[Any]) -> float:
    return float(values.mean()) if values.size else 0.0


def _ranks(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """Ranks with ties averaged (supply caps and availabilities tie often)."""
    _, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    return ((ends - (counts - 1) / 2.0)[inverse]).astype(np.float64)


def _num(value: float) -> float | None:
    return None if np.isnan(value) else float(value)


def _nonzero(names: Sequence[str], values: NDArray[np.float64]) -> dict[str, float]:
    return {n: float(v) for n, v in zip(names, values, strict=True) if v > 0}


def monte_carlo(scenario: Scenario, candidates: Sequence[Candidate], *, runs: int | None = None,
                seed: int | None = None, executor: Executor | None = None,
                progress: Progress | None = None) -> MonteCarloResult:
    """Re-solve the scenario `runs` times (default: the uncertainty section's) with prices,
    demand and supply drawn from its uncertainty section (or DEFAULT_UNCERTAINTY). Candidates
    should come from `candidates_for_runs`. Runs on `executor` (default: local processes)."""
    start = time.perf_counter()
    unc, source = uncertainty_of(scenario)
    runs = unc.runs if runs is None else runs
    seed = unc.seed if seed is None else seed
    offerings = list({c.offering.id: c.offering for c in candidates}.values())
    samples = sample(unc, scenario, offerings, runs, seed)
    shared = Shared(scenario=scenario, candidates=tuple(candidates), offerings=samples.offerings,
                    supply_keys=samples.supply_keys)
    ex = executor or local_processes()
    work = batches(samples, batch_size(runs + 1, ex.workers))
    parts: list[Runs] = []
    for part in ex.map(run_batch, shared, work):
        parts.append(part)
        if progress is not None:
            progress(sum(len(p.status) for p in parts) - 1, runs)
    done = Runs.joined(parts)
    accs = tuple(o.accelerator for o in offerings)
    return MonteCarloResult(
        scenario=scenario.name, seed=seed, executor=ex.name, workers=ex.workers,
        mip_rel_gap=scenario.mip_rel_gap, uncertainty=unc, uncertainty_source=source,
        samples=samples, accelerators=accs,
        vendors=tuple(scenario.catalog.accelerators[a].vendor for a in accs),
        runs=done[1:], nominal=done[:1], elapsed_s=time.perf_counter() - start,
        notes=_notes(unc, scenario, candidates, samples, done[1:]))


def _notes(unc: UncertaintySpec, scenario: Scenario, candidates: Sequence[Candidate],
           samples: Samples, runs: Runs) -> tuple[str, ...]:
    notes = [f"{line}: every run is infeasible"
             for line in missing_workloads(scenario, candidates, ())]
    unused = sorted(set(unc.prices.offerings) - set(samples.offerings))
    if unused:
        notes.append(f"price entries for offerings no candidate uses (the scenario's catalog "
                     f"filters leave them out, or no replica fits): {', '.join(unused)}")
    limited = runs.status.count("time_limit")
    if limited:
        unsolved = int((~runs.feasible).sum()) - runs.status.count("infeasible")
        notes.append(f"{limited} runs stopped at the solver's time limit "
                     f"({scenario.time_limit_s:g} s, one thread each; {unsolved} of them "
                     f"without any fleet): their cost may be above the optimum, and timings "
                     f"decide them, so they may differ between machines; raise --time-limit "
                     f"or loosen --gap")
    above = runs.status.count("gap_above_target")
    if above:
        notes.append(f"{above} runs were solved period by period, searching the counts of "
                     f"the committed tiers, with a certified gap above the target "
                     f"({scenario.mip_rel_gap:.0%}; see `fleetmix plan`)")
    return tuple(notes)
