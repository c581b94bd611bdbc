"""The planner: candidates → MILP → fleet, with baselines, verification and explanations."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from fleetmix.plan.candidates import (
    Candidate,
    CandidateSet,
    Mapper,
    Progress,
    simulated_candidates,
)
from fleetmix.plan.decompose import solve
from fleetmix.plan.explain import explain_infeasible, missing_workloads
from fleetmix.plan.measured import measured_candidates
from fleetmix.plan.milp import Problem, Solution
from fleetmix.plan.result import (
    Baseline,
    Plan,
    cost_usd_per_hour,
    fleet_rows,
    power_kw_by_period,
    purchase_dicts,
    vendor_shares,
)
from fleetmix.plan.scenario import Policy, Scenario
from fleetmix.plan.verify import verify_plan
from fleetmix.sim.cache import CapacityCache


def candidates_for(scenario: Scenario, capacity_csv: str | Path | None = None,
                   cache: CapacityCache | None = None, mapper: Mapper | None = None,
                   progress: Progress | None = None) -> CandidateSet:
    """Measured candidates from `capacity_csv`, else simulated ones (cached)."""
    if capacity_csv is not None:
        return measured_candidates(scenario, capacity_csv)
    return simulated_candidates(scenario, cache=cache, mapper=mapper, progress=progress)


def usable(scenario: Scenario, cset: CandidateSet) -> tuple[tuple[Candidate, ...], list[str]]:
    """Candidates the MILP may use, and notes on what was dropped. Power matters with a power
    budget or an energy objective; then chips of unknown TDP cannot be counted."""
    notes = []
    cands = cset.candidates
    if scenario.policy.power_budget_kw is not None or scenario.objective != "cost":
        unknown = sorted({c.accelerator.id for c in cands if c.accelerator.tdp_w is None})
        if unknown:
            cands = tuple(c for c in cands if c.accelerator.tdp_w is not None)
            notes.append(f"left out for lack of a published TDP (power counts in this "
                         f"scenario): {', '.join(unknown)}; add tdp_w with an accelerators "
                         f"file to include them")
    return cands, notes


def solve_for(scenario: Scenario, candidates: tuple[Candidate, ...], policy: Policy | None = None,
              write_lp: Path | None = None) -> Solution:
    """One MILP solve of the scenario (its own policy unless one is given)."""
    return solve(Problem(scenario=scenario, candidates=candidates,
                         policy=scenario.policy if policy is None else policy), write_lp)


def plan(scenario: Scenario, *, capacity_csv: str | Path | None = None,
         cache: CapacityCache | None = None, mapper: Mapper | None = None,
         candidates: CandidateSet | None = None, verify: str = "peak",
         baselines: bool = True, write_lp: Path | None = None,
         progress: Progress | None = None) -> Plan:
    """The cheapest fleet for `scenario` (or the best by its objective), explained."""
    timings: dict[str, float] = {}
    start = time.perf_counter()
    cset = candidates or candidates_for(scenario, capacity_csv, cache, mapper, progress)
    timings["candidates_s"] = time.perf_counter() - start
    cands, notes = usable(scenario, cset)
    notes += _candidate_notes(cset)
    model: dict[str, Any] = {"candidates": len(cands), "periods": scenario.num_periods,
             "capacity_searches_run": cset.simulated, "capacity_searches_cached": cset.cached}
    missing = missing_workloads(scenario, cands, cset.rejected)
    empty = Plan(scenario=scenario.name, status="no_candidates", objective=scenario.objective,
                 objective_value=None, cost_usd_per_hour=None, power_kw=None,
                 energy_kwh_per_day=None, fleet=(), purchases=(), vendor_share={},
                 vendor_share_spend={}, baselines={}, verification=(), explanation=missing,
                 notes=tuple(notes), model=model, solve_s=0.0, timings_s=timings,
                 candidates=cands)
    if missing:
        return empty
    sol = solve_for(scenario, cands, write_lp=write_lp)
    timings["milp_s"] = sol.solve_s
    model |= {"variables": sol.num_vars, "integer_variables": sol.num_int_vars,
              "rows": sol.num_rows, "mip_gap": sol.mip_gap, "solver_status": sol.status,
              "method": sol.method}
    if not sol.feasible:
        t = time.perf_counter()
        if sol.status == "infeasible":
            why = explain_infeasible(scenario, cands, scenario.policy)
        else:
            why = (f"the solver found no fleet within its time limit "
                   f"({scenario.time_limit_s:g} s; status {sol.status}); raise "
                   f"solver.time_limit_s in the scenario or pass --time-limit",)
        timings["explain_s"] = time.perf_counter() - t
        return replace(empty, status=sol.status, explanation=why, model=model,
                       solve_s=sol.solve_s, timings_s=timings)
    t = time.perf_counter()
    base = _baselines(scenario, cands, sol) if baselines else {}
    timings["baselines_s"] = time.perf_counter() - t
    t = time.perf_counter()
    checks = verify_plan(scenario, cands, sol.replicas, verify)
    timings["verify_s"] = time.perf_counter() - t
    timings["total_s"] = time.perf_counter() - start
    power = power_kw_by_period(sol, scenario)
    chips_share, spend_share = vendor_shares(sol, scenario)
    unconfirmed = sorted({pu.offering.id for pu in sol.purchases
                          if not pu.offering.price_confirmed})
    if unconfirmed:
        notes.append(f"the plan relies on unconfirmed prices (price_confirmed: false in the "
                     f"catalog): {', '.join(unconfirmed)}; confirm them or set "
                     f"catalog.confirmed_prices_only")
    if sol.status == "time_limit":
        notes.append(f"the solver stopped at its time limit ({scenario.time_limit_s:g} s) with "
                     f"a gap of {sol.mip_gap:.2%}: the plan is feasible, maybe not optimal")
    if sol.status == "gap_above_target":
        notes.append(f"the plan costs at most {sol.mip_gap:.2%} more than the optimum (solved "
                     f"period by period, searching the counts of the committed tiers; "
                     f"the target was {scenario.mip_rel_gap:.0%})")
    return Plan(scenario=scenario.name, status=sol.status, objective=scenario.objective,
                objective_value=sol.objective, cost_usd_per_hour=cost_usd_per_hour(sol),
                power_kw=float(power.max()), energy_kwh_per_day=float(power.sum()
                                                                     * scenario.period_hours),
                fleet=fleet_rows(cands, sol, scenario.num_periods),
                purchases=purchase_dicts(sol, scenario), vendor_share=chips_share,
                vendor_share_spend=spend_share, baselines=base, verification=checks,
                explanation=(), notes=tuple(notes), model=model, solve_s=sol.solve_s,
                timings_s=timings, candidates=cands)


def _candidate_notes(cset: CandidateSet) -> list[str]:
    notes = []
    if cset.skipped:
        notes.append(f"{cset.skipped} measured rows named offerings the scenario does not "
                     f"allow and were skipped")
    return notes


def _baselines(scenario: Scenario, cands: tuple[Candidate, ...], sol: Solution
               ) -> dict[str, Baseline]:
    """The best single-accelerator fleet and the plan without the policy (no rule at all)."""
    free = Policy()
    if scenario.policy.rules():
        open_sol = solve_for(scenario, cands, free)
        no_policy = _baseline("no_policy", open_sol, "every policy rule switched off")
    else:
        no_policy = _baseline("no_policy", sol, "the scenario has no policy rule")
    best: Baseline | None = None
    workloads = {w.name for w in scenario.workloads}
    for acc in dict.fromkeys(c.accelerator.id for c in cands):
        mine = tuple(c for c in cands if c.accelerator.id == acc)
        if {c.workload for c in mine} != workloads:
            continue
        single = _baseline("single_accelerator", solve_for(scenario, mine, free),
                           f"{acc} only, no policy rule")
        if single.cost_usd_per_hour is not None and (
                best is None or best.cost_usd_per_hour is None
                or single.cost_usd_per_hour < best.cost_usd_per_hour):
            best = single
    if best is None:
        best = Baseline(name="single_accelerator", status="infeasible", cost_usd_per_hour=None,
                        detail="no single accelerator can serve every workload")
    return {"single_accelerator": best, "no_policy": no_policy}


def _baseline(name: str, sol: Solution, detail: str) -> Baseline:
    return Baseline(name=name, status=sol.status,
                    cost_usd_per_hour=cost_usd_per_hour(sol) if sol.feasible else None,
                    detail=detail)
