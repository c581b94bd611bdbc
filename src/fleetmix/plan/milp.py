"""The fleet MILP, built as arrays and solved with HiGHS. The only importer of highspy.

Sets
    W workloads; P periods (each `h` hours); C candidates (c serves workload w(c) on offering
    o(c) with k_c chips per replica and plans on r_c req/s: its capacity less the scenario's
    capacity_headroom); O offerings (I_o chips per
    instance, tiers T_o each priced π_ot $ per chip-hour, tdp_o W per chip); V vendors.
    Tiers split into committed (reserved_1y, reserved_3y, quoted: one count for the horizon)
    and per-period (on_demand, spot).
Variables (all integer, >= 0)
    x[c,p]  replicas of candidate c running in period p
    n[o,t]  instances of o bought in committed tier t for the whole horizon
    m[o,t,p] instances of o bought in per-period tier t for period p
    y[v]    binary, vendor v serves in every period (only with min_vendors)
Chips held   K[o,p] = I_o (Σ_t n[o,t] + Σ_t m[o,t,p])
Cost rate    S[p] = Σ_o I_o (Σ_t π_ot n[o,t] + Σ_t π_ot m[o,t,p])            $/hour
Power        E[p] = Σ_o tdp_o K[o,p] / 1000                                 kW (provisioned)
Objective    minimise (1/|P|) Σ_p S[p] (cost), or Σ_p E[p]/|P| (energy), or cost + e·energy
Constraints
    demand          Σ_{c∈C_w} r_c x[c,p] >= d_wp                               ∀ w, p
    chips           Σ_{c∈C_o} k_c x[c,p] <= K[o,p]                               ∀ o, p
    survive loss    Σ_{c∈C_w, g(c)≠g} r_c x[c,p] >= f d_wp       ∀ domain value g, w, p
    vendor share    chips: Σ_{o∈v} K[o,p] <= s Σ_o K[o,p] ∀ v, p;  spend: Σ_p S_v[p] <= s Σ_p S[p]
    min vendors     Σ_v y_v >= k;  Σ_{c∈v} x[c,p] >= y_v                          ∀ v, p
    power budget    E[p] <= B                                                    ∀ p
    supply cap      Σ_{o∈key} K[o,p] <= cap                                      ∀ key, p
    hourly budget   S[p] <= budget                                               ∀ p

Demand rows can instead ask for a fraction α of demand, with α a variable to maximise: the
coverage problem `explain` uses to say how far an infeasible scenario is from feasible.
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import highspy
import numpy as np
from numpy.typing import NDArray

from fleetmix.catalog.records import Offering
from fleetmix.plan.candidates import Candidate
from fleetmix.plan.scenario import COMMITTED_TIERS, Policy, Scenario

INF = highspy.kHighsInf


@dataclass(frozen=True, kw_only=True)
class Row:
    """One constraint's identity: its rule group and a sentence naming it."""

    group: str  # demand, chips, survive_loss_of_vendor, max_vendor_share, supply_cap:<key>, ...
    label: str


@dataclass
class _Arrays:
    cost: list[float] = field(default_factory=list)
    lower: list[float] = field(default_factory=list)
    upper: list[float] = field(default_factory=list)
    integer: list[bool] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    row_cols: list[NDArray[np.int64]] = field(default_factory=list)
    row_vals: list[NDArray[np.float64]] = field(default_factory=list)
    row_lower: list[float] = field(default_factory=list)
    row_upper: list[float] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)

    def var(self, name: str, cost: float = 0.0, upper: float = INF, integer: bool = True) -> int:
        self.cost.append(cost)
        self.lower.append(0.0)
        self.upper.append(upper)
        self.integer.append(integer)
        self.names.append(re.sub(r"[^A-Za-z0-9_.]", "_", name))
        return len(self.cost) - 1

    def row(self, cols: Sequence[int], vals: Sequence[float], lower: float, upper: float,
            row: Row) -> None:
        self.row_cols.append(np.asarray(cols, dtype=np.int64))
        self.row_vals.append(np.asarray(vals, dtype=np.float64))
        self.row_lower.append(lower)
        self.row_upper.append(upper)
        self.rows.append(row)


@dataclass(frozen=True, kw_only=True)
class Purchase:
    """Instances bought of one offering in one tier (committed tiers: every period)."""

    offering: Offering
    tier: str
    instances: NDArray[np.int64]  # (periods,)

    @property
    def chips(self) -> NDArray[np.int64]:
        return self.instances * self.offering.chips

    @property
    def usd_per_hour(self) -> NDArray[np.float64]:
        return (self.instances * self.offering.prices_usd_per_hour[self.tier]).astype(np.float64)


@dataclass(frozen=True, kw_only=True)
class Solution:
    """What the solver returned, mapped back to domain objects."""

    # optimal, time_limit (feasible, gap > target), gap_above_target (feasible, the gap of a
    # solve by period, plan.decompose), infeasible, error
    status: str
    feasible: bool
    objective: float | None
    mip_gap: float | None
    solve_s: float
    replicas: NDArray[np.int64]  # (candidates, periods)
    purchases: tuple[Purchase, ...]
    num_vars: int
    num_int_vars: int
    num_rows: int
    coverage: float | None = None  # the coverage problem's α
    method: str = "whole model"  # or how plan.decompose split it


@dataclass(frozen=True, kw_only=True)
class Problem:
    """Everything the model is built from."""

    scenario: Scenario
    candidates: tuple[Candidate, ...]
    policy: Policy
    coverage: bool = False  # maximise the covered fraction of demand instead
    relax: bool = False  # LP relaxation (no integrality)
    # The decomposition by period (plan.decompose) solves sub-models of this one:
    periods: tuple[int, ...] | None = None  # representative periods modelled; None: all
    # committed tiers: "horizon" (one count for every period), "per_period" (a relaxation: a
    # count per period, each priced for its own periods) or "fixed" (counts given, sunk)
    commitment: Literal["horizon", "per_period", "fixed"] = "horizon"
    committed_instances: Mapping[tuple[str, str], int] = field(default_factory=dict)
    # "per_period" only: (least, most) instances each period may hold per (offering, tier),
    # the box of a branch and bound on committed counts; a key left out keeps its bounds
    committed_bounds: Mapping[tuple[str, str], tuple[int, int]] = field(default_factory=dict)


def offerings_of(candidates: Sequence[Candidate]) -> tuple[Offering, ...]:
    seen: dict[str, Offering] = {}
    for c in candidates:
        seen.setdefault(c.offering.id, c.offering)
    return tuple(seen.values())


def tdp_w(o: Offering, scenario: Scenario) -> float:
    """TDP of one chip of the offering; 0 when unknown (such candidates are filtered
    out by the planner whenever power matters)."""
    return scenario.catalog.accelerators[o.accelerator].tdp_w or 0.0


def build(problem: Problem) -> tuple[_Arrays, dict[str, object]]:
    """The model's arrays, and the column indices needed to read a solution back."""
    sc, cands = problem.scenario, problem.candidates
    reps, mult = distinct_periods(sc)
    if problem.periods is not None:
        keep = [reps.index(p) for p in problem.periods]
        reps, mult = [reps[i] for i in keep], [mult[i] for i in keep]
    periods = range(len(reps))
    n_periods = sc.num_periods
    a = _Arrays()
    offerings = offerings_of(cands)
    # x[c,p]
    x = np.array([[a.var(f"x[{c.key}][{p}]") for p in periods] for c in cands],
                 dtype=np.int64).reshape(len(cands), len(reps))
    # n[o,t] and m[o,t,p]; held[o][p] collects (col, instance chips) of what is held in p
    held: dict[str, list[list[tuple[int, str]]]] = {}
    purchase_cols: list[tuple[Offering, str, list[int]]] = []
    for o in offerings:
        held[o.id] = [[] for _ in periods]
        for tier in tiers_of(o, sc, problem.policy):
            if tier in COMMITTED_TIERS and problem.commitment != "per_period":
                col = a.var(f"n[{o.id}][{tier}]")
                cols = [col] * len(reps)
            else:
                cols = [a.var(f"m[{o.id}][{tier}][{p}]") for p in periods]
            for p in periods:
                held[o.id][p].append((cols[p], tier))
            purchase_cols.append((o, tier, cols))
    alpha = a.var("coverage", upper=1.0, integer=False) if problem.coverage else None
    # objective: the average over periods of $/hour (and/or kW)
    for o, tier, cols in purchase_cols:
        weight = objective_per_instance_hour(o, tier, sc)
        if tier in COMMITTED_TIERS and problem.commitment == "fixed":
            pass  # sunk: counted outside this model
        elif tier in COMMITTED_TIERS and problem.commitment == "horizon":
            a.cost[cols[0]] += weight  # held in every period
        else:
            for r, col in enumerate(cols):
                a.cost[col] += weight * mult[r] / n_periods
    if alpha is not None:
        a.cost = [0.0] * len(a.cost)
        a.cost[alpha] = -1.0
    cap = np.array([c.capacity_rps for c in cands]) * (1.0 - sc.capacity_headroom)
    _bound_replicas(a, problem, x, cap, reps)
    _bound_instances(a, problem, x, purchase_cols, reps)
    _demand_rows(a, problem, x, cap, alpha, reps)
    _chips_rows(a, problem, x, held, offerings, reps)
    _survive_rows(a, problem, x, cap, alpha, reps)
    _share_rows(a, problem, held, offerings, purchase_cols, reps, mult)
    _min_vendor_rows(a, problem, x, reps)
    _power_rows(a, problem, held, offerings, reps)
    _supply_rows(a, problem, held, offerings, reps)
    _budget_rows(a, problem, held, offerings, reps)
    if problem.commitment == "fixed":
        for o, tier, pcols in purchase_cols:
            if tier in COMMITTED_TIERS:
                count = float(problem.committed_instances.get((o.id, tier), 0))
                a.lower[pcols[0]] = a.upper[pcols[0]] = count
    if problem.commitment == "per_period":
        for o, tier, pcols in purchase_cols:
            box = problem.committed_bounds.get((o.id, tier))
            if tier in COMMITTED_TIERS and box is not None:
                for col in pcols:
                    a.lower[col], a.upper[col] = float(box[0]), float(box[1])
    return a, {"x": x, "purchases": purchase_cols, "alpha": alpha, "reps": reps}


def committed_upper(problem: Problem) -> dict[tuple[str, str], int]:
    """The most instances the whole model may commit to, per committed (offering, tier)."""
    a, cols = build(replace(problem, commitment="horizon", periods=None, coverage=False))
    purchase_cols = cols["purchases"]
    assert isinstance(purchase_cols, list)
    return {(o.id, tier): int(a.upper[pcols[0]]) for o, tier, pcols in purchase_cols
            if tier in COMMITTED_TIERS}


def objective_per_instance_hour(o: Offering, tier: str, scenario: Scenario) -> float:
    """What one instance of `o` held for an hour in `tier` adds to the objective."""
    usd = o.prices_usd_per_hour[tier]
    kw = o.chips * tdp_w(o, scenario) / 1e3
    return {"cost": usd, "energy": kw,
            "mix": usd + (scenario.energy_usd_per_kwh or 0.0) * kw}[scenario.objective]


def tiers_of(o: Offering, scenario: Scenario, policy: Policy) -> list[str]:
    """The scenario's tiers that `o` is priced in. Of its committed tiers only the cheapest is
    kept: each is held for the whole horizon, so a dearer one never helps (exact), except to
    dilute a vendor's share of spend, where all are kept."""
    tiers = [t for t in scenario.tiers if t in o.prices_usd_per_hour]
    committed = [t for t in tiers if t in COMMITTED_TIERS]
    if len(committed) > 1 and not (policy.max_vendor_share is not None
                                   and policy.vendor_share_basis == "spend"):
        cheapest = min(committed, key=lambda t: o.prices_usd_per_hour[t])
        tiers = [t for t in tiers if t not in COMMITTED_TIERS or t == cheapest]
    return tiers


def distinct_periods(scenario: Scenario) -> tuple[list[int], list[int]]:
    """Periods with distinct demand (one representative each) and how many periods each
    stands for. NOTE: periods of equal demand have the same optimal per-period decisions, so
    the model holds one copy with its multiplicity: exact, and often half the size."""
    demand = np.array([w.demand_rps for w in scenario.workloads])  # (workloads, periods)
    _, first, counts = np.unique(demand.T, axis=0, return_index=True, return_counts=True)
    order = np.argsort(first)
    return [int(i) for i in first[order]], [int(n) for n in counts[order]]


def _bound_replicas(a: _Arrays, pr: Problem, x: NDArray[np.int64], cap: NDArray[np.float64],
                    reps: list[int]) -> None:
    """x[c,p] <= ceil(d_wp / r_c): more replicas than cover the whole demand alone never help
    (tight bounds speed up branching)."""
    demand = {w.name: w.demand_rps for w in pr.scenario.workloads}
    for i, c in enumerate(pr.candidates):
        for r, p in enumerate(reps):
            a.upper[x[i, r]] = float(np.ceil(demand[c.workload][p] / cap[i] - 1e-9))


def _bound_instances(a: _Arrays, pr: Problem, x: NDArray[np.int64],
                     purchase_cols: list[tuple[Offering, str, list[int]]], reps: list[int]
                     ) -> None:
    """Instances of an offering <= what hosts, per workload, its largest useful replica count.
    NOTE: this also stops the share rule from being met with idle chips bought only to dilute
    a vendor's share; a scenario that needs that is reported as a share conflict instead."""
    # (candidates, periods) chips of each candidate's most useful replicas
    need = np.asarray(a.upper)[x] * np.array([c.chips for c in pr.candidates], float)[:, None]
    chips_ub: dict[str, NDArray[np.float64]] = {}  # per offering: Σ over workloads of its max
    groups: dict[tuple[str, str], list[int]] = {}
    for i, c in enumerate(pr.candidates):
        groups.setdefault((c.offering.id, c.workload), []).append(i)
    for (oid, _w), idx in groups.items():
        chips_ub[oid] = chips_ub.get(oid, np.zeros(len(reps))) + need[idx].max(axis=0)
    for o, _tier, cols in purchase_cols:
        per_period = np.ceil(chips_ub.get(o.id, np.zeros(len(reps))) / o.chips)
        if len(set(cols)) == 1:  # one count for every period
            a.upper[cols[0]] = float(per_period.max())
        else:
            for r, col in enumerate(cols):
                a.upper[col] = float(per_period[r])


def _demand_rows(a: _Arrays, pr: Problem, x: NDArray[np.int64], cap: NDArray[np.float64],
                 alpha: int | None, reps: list[int]) -> None:
    for w in pr.scenario.workloads:
        idx = [i for i, c in enumerate(pr.candidates) if c.workload == w.name]
        for r, p in enumerate(reps):
            demand = float(w.demand_rps[p])
            row = Row(group="demand", label=f"demand of {w.name} in period {p} "
                                            f"({demand:.3g} req/s)")
            _at_least(a, list(x[idx, r]), list(cap[idx]), demand, alpha, row)


def _at_least(a: _Arrays, cols: list[int], vals: list[float], rhs: float, alpha: int | None,
              row: Row) -> None:
    """Σ vals·cols >= rhs, or >= α·rhs in the coverage problem."""
    if alpha is None:
        a.row(cols, vals, rhs, INF, row)
    else:
        a.row([*cols, alpha], [*vals, -rhs], 0.0, INF, row)


def _held(held: dict[str, list[list[tuple[int, str]]]], offerings: Sequence[Offering],
          p: int, weight: dict[str, float]) -> tuple[list[int], list[float]]:
    """Columns and coefficients of Σ_o weight[o] · instances held of o in period p."""
    cols, vals = [], []
    for o in offerings:
        if weight.get(o.id, 0.0) == 0.0:
            continue
        for col, _tier in held[o.id][p]:
            cols.append(col)
            vals.append(weight[o.id])
    return cols, vals


def _chips_rows(a: _Arrays, pr: Problem, x: NDArray[np.int64],
                held: dict[str, list[list[tuple[int, str]]]],
                offerings: Sequence[Offering], reps: list[int]) -> None:
    for o in offerings:
        idx = [i for i, c in enumerate(pr.candidates) if c.offering.id == o.id]
        chips = [float(pr.candidates[i].chips) for i in idx]
        for r, p in enumerate(reps):
            cols, vals = _held(held, [o], r, {o.id: -float(o.chips)})
            a.row([*x[idx, r], *cols], [*chips, *vals], -INF, 0.0,
                  Row(group="chips", label=f"chips of {o.id} in period {p}"))


def loss_domain(c: Candidate, domain: str) -> str:
    """The vendor, cloud or region a candidate would be lost with."""
    return {"vendor": c.vendor, "cloud": c.offering.cloud, "region": c.offering.region}[domain]


def _survive_rows(a: _Arrays, pr: Problem, x: NDArray[np.int64], cap: NDArray[np.float64],
                  alpha: int | None, reps: list[int]) -> None:
    f = pr.policy.surviving_fraction
    for domain in pr.policy.survive_loss_of:
        values = sorted({loss_domain(c, domain) for c in pr.candidates})
        for lost in values:
            for w in pr.scenario.workloads:
                idx = [i for i, c in enumerate(pr.candidates)
                       if c.workload == w.name and loss_domain(c, domain) != lost]
                for r, p in enumerate(reps):
                    row = Row(group=f"survive_loss_of_{domain}",
                              label=f"{w.name} keeps {f:.0%} of demand in period {p} without "
                                    f"{domain} {lost}")
                    _at_least(a, list(x[idx, r]), list(cap[idx]), f * float(w.demand_rps[p]),
                              alpha, row)


def _share_rows(a: _Arrays, pr: Problem, held: dict[str, list[list[tuple[int, str]]]],
                offerings: Sequence[Offering],
                purchase_cols: list[tuple[Offering, str, list[int]]], reps: list[int],
                mult: list[int]) -> None:
    share = pr.policy.max_vendor_share
    if share is None:
        return
    acc = pr.scenario.catalog.accelerators
    vendors = sorted({acc[o.accelerator].vendor for o in offerings})
    for v in vendors:
        mine = {o.id for o in offerings if acc[o.accelerator].vendor == v}
        if pr.policy.vendor_share_basis == "chips":
            for r, p in enumerate(reps):
                weight = {o.id: float(o.chips) * ((o.id in mine) - share) for o in offerings}
                cols, vals = _held(held, offerings, r, weight)
                a.row(cols, vals, -INF, 0.0,
                      Row(group="max_vendor_share",
                          label=f"{v} share of chips in period {p} <= {share:.0%}"))
        else:
            coef: dict[int, float] = {}
            for o, tier, cols in purchase_cols:
                usd = o.prices_usd_per_hour[tier] * ((o.id in mine) - share)
                for r, col in enumerate(cols):  # a committed column repeats in every period
                    coef[col] = coef.get(col, 0.0) + usd * mult[r]
            a.row(list(coef), list(coef.values()), -INF, 0.0,
                  Row(group="max_vendor_share", label=f"{v} share of spend <= {share:.0%}"))


def _min_vendor_rows(a: _Arrays, pr: Problem, x: NDArray[np.int64], reps: list[int]) -> None:
    k = pr.policy.min_vendors
    if k is None:
        return
    vendors = sorted({c.vendor for c in pr.candidates})
    ys = {v: a.var(f"y[{v}]", upper=1.0, integer=True) for v in vendors}
    a.row(list(ys.values()), [1.0] * len(ys), float(k), INF,
          Row(group="min_vendors", label=f"at least {k} vendors serve"))
    for v, y in ys.items():
        idx = [i for i, c in enumerate(pr.candidates) if c.vendor == v]
        for r, p in enumerate(reps):
            a.row([*x[idx, r], y], [1.0] * len(idx) + [-1.0], 0.0, INF,
                  Row(group="min_vendors", label=f"{v} serves in period {p} if counted"))


def _power_rows(a: _Arrays, pr: Problem, held: dict[str, list[list[tuple[int, str]]]],
                offerings: Sequence[Offering], reps: list[int]) -> None:
    budget = pr.policy.power_budget_kw
    if budget is None:
        return
    weight = {o.id: o.chips * tdp_w(o, pr.scenario) / 1e3 for o in offerings}
    for r, p in enumerate(reps):
        cols, vals = _held(held, offerings, r, weight)
        a.row(cols, vals, -INF, budget,
              Row(group="power_budget_kw", label=f"power in period {p} <= {budget:g} kW"))


def _supply_rows(a: _Arrays, pr: Problem, held: dict[str, list[list[tuple[int, str]]]],
                 offerings: Sequence[Offering], reps: list[int]) -> None:
    for key, cap in pr.policy.supply_caps.items():
        weight = {o.id: float(o.chips) for o in offerings if key in (o.id, o.accelerator)}
        if not weight:
            continue
        for r in range(len(reps)):
            cols, vals = _held(held, offerings, r, weight)
            a.row(cols, vals, -INF, float(cap),
                  Row(group=f"supply_cap:{key}", label=f"supply of {key} <= {cap} chips"))


def _budget_rows(a: _Arrays, pr: Problem, held: dict[str, list[list[tuple[int, str]]]],
                 offerings: Sequence[Offering], reps: list[int]) -> None:
    budget = pr.policy.budget_usd_per_hour
    if budget is None:
        return
    for r, p in enumerate(reps):
        cols, vals = [], []
        for o in offerings:
            for col, tier in held[o.id][r]:
                cols.append(col)
                vals.append(o.prices_usd_per_hour[tier])
        a.row(cols, vals, -INF, budget,
              Row(group="budget_usd_per_hour",
                  label=f"spend in period {p} <= ${budget:,.0f}/hour"))


def _lp(a: _Arrays, relax: bool) -> highspy.HighsLp:
    lp = highspy.HighsLp()
    lp.num_col_ = len(a.cost)
    lp.num_row_ = len(a.rows)
    lp.col_cost_ = np.asarray(a.cost)
    lp.col_lower_ = np.asarray(a.lower)
    lp.col_upper_ = np.asarray(a.upper)
    lp.row_lower_ = np.asarray(a.row_lower)
    lp.row_upper_ = np.asarray(a.row_upper)
    lengths = np.array([len(c) for c in a.row_cols], dtype=np.int64)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.num_col_ = lp.num_col_
    lp.a_matrix_.num_row_ = lp.num_row_
    lp.a_matrix_.start_ = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
    lp.a_matrix_.index_ = (np.concatenate(a.row_cols) if a.row_cols
                           else np.zeros(0, np.int64)).astype(np.int32)
    lp.a_matrix_.value_ = (np.concatenate(a.row_vals) if a.row_vals else np.zeros(0))
    if not relax:
        lp.integrality_ = [highspy.HighsVarType.kInteger if i else
                           highspy.HighsVarType.kContinuous for i in a.integer]
    lp.col_names_ = a.names
    lp.row_names_ = [f"r{i}_{re.sub(r'[^A-Za-z0-9_]', '_', r.group)}"
                     for i, r in enumerate(a.rows)]
    return lp


def _quiet_highs() -> highspy.Highs:
    """A Highs instance with logging off. HiGHS prints its banner to the process's stdout
    when the first instance is made, before any option can be set: hide that one line."""
    global _BANNER_SHOWN
    if _BANNER_SHOWN:
        h = highspy.Highs()  # type: ignore[no-untyped-call]
    else:
        sys.stdout.flush()
        saved = os.dup(1)
        try:
            with open(os.devnull, "w") as devnull:
                os.dup2(devnull.fileno(), 1)
                h = highspy.Highs()  # type: ignore[no-untyped-call]
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        _BANNER_SHOWN = True
    h.setOptionValue("output_flag", False)
    return h


_BANNER_SHOWN = False


def _representative(scenario: Scenario, reps: list[int]) -> NDArray[np.int64]:
    """For each period, the index of its representative among the modelled periods."""
    demand = np.array([w.demand_rps for w in scenario.workloads]).T  # (periods, workloads)
    keys = {demand[p].tobytes(): r for r, p in enumerate(reps)}
    return np.array([keys[demand[p].tobytes()] for p in range(scenario.num_periods)])


@dataclass(frozen=True, kw_only=True)
class Run:
    """One HiGHS run on the modelled (representative) periods, before expansion."""

    status: str  # optimal, time_limit, infeasible, error
    feasible: bool
    objective: float | None
    dual_bound: float | None
    reps: list[int]  # the representative periods modelled
    replicas: NDArray[np.int64]  # (candidates, modelled periods)
    purchases: tuple[tuple[Offering, str, NDArray[np.int64]], ...]  # instances per period
    alpha: float | None
    num_vars: int
    num_int_vars: int
    num_rows: int
    solve_s: float = 0.0  # HiGHS's own time


STATUS_NAMES = {highspy.HighsModelStatus.kOptimal: "optimal",
                highspy.HighsModelStatus.kTimeLimit: "time_limit",
                highspy.HighsModelStatus.kInfeasible: "infeasible",
                highspy.HighsModelStatus.kUnboundedOrInfeasible: "infeasible"}


def run(problem: Problem, *, time_limit_s: float | None = None,
        start: tuple[NDArray[np.int64], dict[tuple[str, str], NDArray[np.int64]]] | None = None,
        write_lp: Path | None = None, mip_rel_gap: float | None = None,
        options: Mapping[str, bool | int | float | str] | None = None) -> Run:
    """Build and run HiGHS once. `start`: replicas (candidates, modelled periods) and instances
    per (offering, tier) and modelled period, handed to HiGHS as a first incumbent.
    `mip_rel_gap`: instead of the scenario's; `options`: further HiGHS options."""
    a, cols = build(problem)
    x, purchase_cols, reps = cols["x"], cols["purchases"], cols["reps"]
    assert isinstance(x, np.ndarray) and isinstance(purchase_cols, list)
    assert isinstance(reps, list)
    h = _quiet_highs()
    limit = problem.scenario.time_limit_s if time_limit_s is None else time_limit_s
    h.setOptionValue("time_limit", max(float(limit), 0.01))
    h.setOptionValue("mip_rel_gap", float(problem.scenario.mip_rel_gap if mip_rel_gap is None
                                          else mip_rel_gap))
    h.setOptionValue("threads", 1)
    for name, setting in (options or {}).items():
        h.setOptionValue(name, setting)
    h.passModel(_lp(a, problem.relax))
    if write_lp is not None:
        h.writeModel(str(write_lp))
    if start is not None:
        value = np.zeros(len(a.cost))
        value[x] = start[0]
        for o, tier, pcols in purchase_cols:
            counts = start[1].get((o.id, tier))
            if counts is not None:
                value[pcols] = counts[: len(pcols)] if len(set(pcols)) > 1 else counts.max()
        sol = highspy.HighsSolution()
        sol.col_value = list(value)
        sol.value_valid = True
        h.setSolution(sol)
    started = time.perf_counter()
    h.run()
    solve_s = time.perf_counter() - started
    info = h.getInfo()
    has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
    replicas = np.zeros(x.shape, dtype=np.int64)
    purchases: list[tuple[Offering, str, NDArray[np.int64]]] = []
    objective = bound = alpha = None
    if has_solution:
        value = np.asarray(h.getSolution().col_value)
        if x.size:
            replicas = np.rint(value[x]).astype(np.int64)
        for o, tier, pcols in purchase_cols:
            purchases.append((o, tier, np.rint(value[pcols]).astype(np.int64)))
        objective = float(info.objective_function_value)
        bound = objective if problem.relax else float(info.mip_dual_bound)
        if isinstance(cols["alpha"], int):
            alpha = float(value[cols["alpha"]])
    return Run(status=STATUS_NAMES.get(h.getModelStatus(), "error"), feasible=has_solution,
               objective=objective, dual_bound=bound, reps=reps, replicas=replicas,
               purchases=tuple(purchases), alpha=alpha, num_vars=len(a.cost),
               num_int_vars=sum(a.integer), num_rows=len(a.rows), solve_s=solve_s)


def gap(objective: float, bound: float) -> float:
    """HiGHS's relative gap: |primal - dual| / |primal|."""
    return abs(objective - bound) / max(abs(objective), 1e-9) if objective else 0.0


def expand(scenario: Scenario, result: Run, *, status: str | None = None,
           objective: float | None = None, mip_gap: float | None = None,
           solve_s: float = 0.0, method: str = "whole model") -> Solution:
    """The run's representative periods spread back over every period of the scenario."""
    rep_of = _representative(scenario, result.reps) if result.feasible else \
        np.zeros(scenario.num_periods, dtype=np.int64)
    purchases = tuple(Purchase(offering=o, tier=tier, instances=counts[rep_of])
                      for o, tier, counts in result.purchases if counts.any())
    if objective is None and result.feasible:
        objective = result.objective
    if mip_gap is None and result.feasible:
        assert result.objective is not None and result.dual_bound is not None
        mip_gap = gap(result.objective, result.dual_bound)
    replicas = result.replicas[:, rep_of] if result.feasible else \
        np.zeros((result.replicas.shape[0], scenario.num_periods), dtype=np.int64)
    return Solution(status=status or result.status, feasible=result.feasible,
                    objective=objective, mip_gap=mip_gap, solve_s=solve_s, replicas=replicas,
                    purchases=purchases, num_vars=result.num_vars,
                    num_int_vars=result.num_int_vars, num_rows=result.num_rows,
                    coverage=result.alpha, method=method)


def solve(problem: Problem, write_lp: Path | None = None) -> Solution:
    """Build and solve the whole model at once; never raises on an infeasible model (that is
    a status). `plan.decompose.solve` is the entry point that splits it by period first."""
    start = time.perf_counter()
    result = run(problem, write_lp=write_lp)
    return expand(problem.scenario, result, solve_s=time.perf_counter() - start)
