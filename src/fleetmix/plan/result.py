"""A solved plan as records: what to buy, what runs where, what it costs, whether it holds."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from fleetmix.plan.candidates import Candidate
from fleetmix.plan.milp import Purchase, Solution
from fleetmix.plan.scenario import COMMITTED_TIERS, Scenario


@dataclass(frozen=True, kw_only=True)
class FleetRow:
    """Replicas of one candidate running in one period on one price tier."""

    offering: str
    vendor: str
    cloud: str
    region: str
    accelerator: str
    tier: str
    chips: int  # per replica
    tp: int
    pp: int
    ep: int
    precision: str
    engine: str | None
    workload: str
    period: int
    replicas: int
    capacity_rps: float  # per replica
    capacity_source: str


@dataclass(frozen=True, kw_only=True)
class Baseline:
    name: str  # single_accelerator, no_policy
    status: str
    cost_usd_per_hour: float | None
    detail: str


@dataclass(frozen=True, kw_only=True)
class Verification:
    """The planned fleet of one workload, simulated at one period's demand."""

    workload: str
    period: int
    rate_rps: float
    replicas: int
    slo: str
    slo_met: bool | None  # None: not simulated (no modelled deployment)
    ttft_p99_s: float | None
    tpot_p99_s: float | None
    ttft_p50_s: float | None = None
    tpot_p50_s: float | None = None
    requests: int = 0
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class Plan:
    """The planner's answer for a scenario."""

    scenario: str
    status: str  # optimal, time_limit, gap_above_target, infeasible, no_candidates
    objective: str  # cost, energy, mix
    objective_value: float | None
    cost_usd_per_hour: float | None  # averaged over the periods
    power_kw: float | None  # provisioned, in the busiest period
    energy_kwh_per_day: float | None
    fleet: tuple[FleetRow, ...]
    purchases: tuple[dict[str, Any], ...]
    vendor_share: dict[str, float]  # vendor -> fraction of chip-hours
    vendor_share_spend: dict[str, float]  # vendor -> fraction of spend
    baselines: dict[str, Baseline]
    verification: tuple[Verification, ...]
    explanation: tuple[str, ...]  # why it is infeasible, in sentences
    notes: tuple[str, ...]
    model: dict[str, Any]  # variables, integers, rows, candidates, gap
    solve_s: float  # the MILP alone
    timings_s: dict[str, float] = field(default_factory=dict)
    candidates: tuple[Candidate, ...] = ()  # what the MILP chose from (not in to_dict)

    @property
    def feasible(self) -> bool:
        return self.status in ("optimal", "time_limit", "gap_above_target")

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario, "status": self.status, "objective": self.objective,
            "objective_value": self.objective_value,
            "cost_usd_per_hour": self.cost_usd_per_hour, "power_kw": self.power_kw,
            "energy_kwh_per_day": self.energy_kwh_per_day,
            "fleet": [asdict(r) for r in self.fleet], "purchases": list(self.purchases),
            "vendor_share": self.vendor_share, "vendor_share_spend": self.vendor_share_spend,
            "baselines": {k: asdict(b) for k, b in self.baselines.items()},
            "verification": verification_dict(self.verification),
            "explanation": list(self.explanation), "notes": list(self.notes),
            "model": self.model, "solve_s": self.solve_s, "timings_s": self.timings_s,
        }


def verification_dict(checks: tuple[Verification, ...]) -> dict[str, Any]:
    """Per workload: its worst period (the first that misses, else the busiest), with
    `slo_met` true only if every simulated period met it, and every period when several."""
    out: dict[str, Any] = {}
    for name in dict.fromkeys(v.workload for v in checks):
        mine = [v for v in checks if v.workload == name]
        worst = next((v for v in mine if v.slo_met is False),
                     max(mine, key=lambda v: v.rate_rps))
        entry = asdict(worst)
        if any(v.slo_met is False for v in mine):
            entry["slo_met"] = False
        if len(mine) > 1:
            entry["periods"] = [asdict(v) for v in mine]
        out[name] = entry
    return out


def fleet_rows(candidates: tuple[Candidate, ...], solution: Solution, num_periods: int
               ) -> tuple[FleetRow, ...]:
    """Replicas per candidate and period, each placed on a tier of what was bought for its
    offering: committed chips fill first, then per-period tiers, largest replicas first."""
    rows: list[FleetRow] = []
    for p in range(num_periods):
        for offering_id in dict.fromkeys(c.offering.id for c in candidates):
            free = {pu.tier: int(pu.chips[p]) for pu in _ordered(solution.purchases)
                    if pu.offering.id == offering_id and pu.chips[p] > 0}
            idx = [i for i, c in enumerate(candidates)
                   if c.offering.id == offering_id and solution.replicas[i, p] > 0]
            for i in sorted(idx, key=lambda i: -candidates[i].chips):
                c = candidates[i]
                by_tier: dict[str, int] = {}
                for _ in range(int(solution.replicas[i, p])):
                    tier = next((t for t, chips in free.items() if chips >= c.chips),
                                next(reversed(free), "?"))
                    if tier in free:
                        free[tier] = max(free[tier] - c.chips, 0)
                    by_tier[tier] = by_tier.get(tier, 0) + 1
                for tier, count in by_tier.items():
                    rows.append(_row(c, tier, p, count))
    return tuple(rows)


def _ordered(purchases: tuple[Purchase, ...]) -> list[Purchase]:
    return sorted(purchases, key=lambda pu: (pu.tier not in COMMITTED_TIERS, pu.tier))


def _row(c: Candidate, tier: str, period: int, replicas: int) -> FleetRow:
    return FleetRow(offering=c.offering.id, vendor=c.vendor, cloud=c.offering.cloud,
                    region=c.offering.region, accelerator=c.accelerator.id, tier=tier,
                    chips=c.chips, tp=c.tp, pp=c.pp, ep=c.ep, precision=c.precision,
                    engine=c.engine, workload=c.workload, period=period, replicas=replicas,
                    capacity_rps=c.capacity_rps, capacity_source=c.source)


def purchase_dicts(solution: Solution, scenario: Scenario) -> tuple[dict[str, Any], ...]:
    out = []
    for pu in solution.purchases:
        acc = scenario.catalog.accelerators[pu.offering.accelerator]
        out.append({
            "offering": pu.offering.id, "vendor": acc.vendor, "accelerator": acc.id,
            "tier": pu.tier, "committed": pu.tier in COMMITTED_TIERS,
            "instances_by_period": pu.instances.tolist(),
            "chips_peak": int(pu.chips.max()),
            "usd_per_hour_avg": float(pu.usd_per_hour.mean()),
            "price_usd_per_chip_hour": pu.offering.prices_usd_per_hour[pu.tier] / pu.offering.chips,
        })
    return tuple(out)


def cost_usd_per_hour(solution: Solution) -> float:
    """Spend averaged over the periods."""
    return float(sum(pu.usd_per_hour.mean() for pu in solution.purchases))


def power_kw_by_period(solution: Solution, scenario: Scenario) -> np.ndarray:
    total = np.zeros(scenario.num_periods)
    for pu in solution.purchases:
        tdp = scenario.catalog.accelerators[pu.offering.accelerator].tdp_w or 0.0
        total = total + pu.chips * tdp / 1e3
    return total


def vendor_shares(solution: Solution, scenario: Scenario
                  ) -> tuple[dict[str, float], dict[str, float]]:
    """(vendor -> fraction of chip-hours, vendor -> fraction of spend)."""
    chips: dict[str, float] = {}
    spend: dict[str, float] = {}
    for pu in solution.purchases:
        vendor = scenario.catalog.accelerators[pu.offering.accelerator].vendor
        chips[vendor] = chips.get(vendor, 0.0) + float(pu.chips.sum())
        spend[vendor] = spend.get(vendor, 0.0) + float(pu.usd_per_hour.sum())
    return _fractions(chips), _fractions(spend)


def _fractions(totals: dict[str, float]) -> dict[str, float]:
    whole = sum(totals.values())
    return {k: v / whole for k, v in sorted(totals.items(), key=lambda kv: -kv[1])} if whole \
        else {}
