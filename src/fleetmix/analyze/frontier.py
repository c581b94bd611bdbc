"""Frontier: the plan's cost against one policy parameter, each point a solved plan."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from typing import Literal

import numpy as np

from fleetmix.analyze.resolve import Setup, resolve
from fleetmix.plan.result import cost_usd_per_hour, power_kw_by_period, vendor_shares
from fleetmix.plan.scenario import Policy

Parameter = Literal["max_vendor_share", "surviving_fraction", "power_budget_kw"]
PARAMETERS: tuple[Parameter, ...] = ("max_vendor_share", "surviving_fraction",
                                     "power_budget_kw")


@dataclass(frozen=True, kw_only=True)
class FrontierPoint:
    value: float
    status: str
    cost_usd_per_hour: float | None
    mip_gap: float | None
    power_kw: float | None
    vendor_share: dict[str, float]  # fraction of chip-hours
    is_scenario_setting: bool
    # the fleet solved at a tighter setting was cheaper than the one solved here (it meets
    # this setting too, so it is this point's plan): the solver's gap shows here
    from_tighter: bool = False


@dataclass(frozen=True, kw_only=True)
class Frontier:
    scenario: str
    parameter: Parameter
    points: tuple[FrontierPoint, ...]
    notes: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        return {"scenario": self.scenario, "parameter": self.parameter,
                "points": [asdict(p) for p in self.points], "notes": list(self.notes)}


def default_values(setup: Setup, over: Parameter) -> list[float]:
    """A sweep that brackets the scenario's own setting."""
    policy = setup.scenario.policy
    if over == "max_vendor_share":
        values = [1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4]
        own = policy.max_vendor_share
    elif over == "surviving_fraction":
        values = [0.0, 0.25, 0.5, 0.75, 1.0]
        own = policy.surviving_fraction if policy.survive_loss_of else None
    else:
        free = resolve(setup, policy=replace(policy, power_budget_kw=None))
        peak = float(power_kw_by_period(free, setup.scenario).max()) if free.feasible else 0.0
        values = [round(peak * f, 1) for f in (1.0, 0.9, 0.8, 0.7, 0.6, 0.5)] if peak else []
        own = policy.power_budget_kw
    if own is not None and not any(np.isclose(own, v) for v in values):
        values.append(own)
    return sorted(values, reverse=over != "surviving_fraction")


def policy_at(policy: Policy, over: Parameter, value: float) -> Policy:
    """The policy with `over` set to `value` (0 surviving fraction: the rule is off)."""
    if over == "max_vendor_share":
        return replace(policy, max_vendor_share=None if value >= 1.0 else value)
    if over == "surviving_fraction":
        if value <= 0:
            return replace(policy, survive_loss_of=())
        return replace(policy, survive_loss_of=policy.survive_loss_of or ("vendor",),
                       surviving_fraction=value)
    return replace(policy, power_budget_kw=value)


def frontier(setup: Setup, over: Parameter, values: Sequence[float] | None = None) -> Frontier:
    """Solve the plan at each value of `over`, everything else as in the scenario."""
    sc = setup.scenario
    if over not in PARAMETERS:
        raise ValueError(f"unknown frontier parameter {over!r}; expected one of "
                         f"{', '.join(PARAMETERS)}")
    notes = []
    cands = setup.pool
    if over == "power_budget_kw":
        unknown = sorted({c.accelerator.id for c in cands if c.accelerator.tdp_w is None})
        if unknown:
            cands = tuple(c for c in cands if c.accelerator.tdp_w is not None)
            notes.append(f"left out for lack of a published TDP: {', '.join(unknown)}")
        setup = replace(setup, pool=cands)
    if over == "surviving_fraction" and not sc.policy.survive_loss_of:
        notes.append("the scenario has no survive_loss_of rule; the sweep uses vendor")
    chosen = list(values) if values is not None else default_values(setup, over)
    own = {"max_vendor_share": sc.policy.max_vendor_share,
           "surviving_fraction": sc.policy.surviving_fraction if sc.policy.survive_loss_of
           else None, "power_budget_kw": sc.policy.power_budget_kw}[over]
    solved = [(value, resolve(setup, candidates=cands,
                              policy=policy_at(sc.policy, over, value))) for value in chosen]
    # a fleet that meets a tighter setting meets every looser one: carry the best forward
    tighter_first = sorted(solved, key=lambda vs: vs[0], reverse=over == "surviving_fraction")
    best = {}
    carried = None
    for value, sol in tighter_first:
        own_ok = sol.feasible
        if carried is not None and (not own_ok or cost_usd_per_hour(carried)
                                    < cost_usd_per_hour(sol) - 1e-9):
            best[value] = (carried, True)
        else:
            best[value] = (sol, False)
            carried = sol if own_ok else carried
    points = []
    for value in chosen:
        sol, from_tighter = best[value]
        shares, _ = vendor_shares(sol, sc) if sol.feasible else ({}, {})
        points.append(FrontierPoint(
            value=float(value), status=sol.status,
            cost_usd_per_hour=cost_usd_per_hour(sol) if sol.feasible else None,
            mip_gap=sol.mip_gap if sol.feasible else None,
            power_kw=float(power_kw_by_period(sol, sc).max()) if sol.feasible else None,
            vendor_share=shares, from_tighter=from_tighter,
            is_scenario_setting=own is not None and bool(np.isclose(own, value))))
    return Frontier(scenario=sc.name, parameter=over, points=tuple(points), notes=tuple(notes))
