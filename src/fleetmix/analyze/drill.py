"""Outage drill: a vendor, cloud or region goes away. What is left of the planned fleet, how
much demand it cannot serve, whether what is left still meets the SLO (simulated), and the
cheapest fleet that recovers with what remains."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from fleetmix.analyze.resolve import Setup, resolve
from fleetmix.errors import UnknownNameError
from fleetmix.plan.milp import loss_domain
from fleetmix.plan.result import cost_usd_per_hour
from fleetmix.plan.scenario import LossDomain
from fleetmix.plan.verify import verify_workload


@dataclass(frozen=True, kw_only=True)
class WorkloadAfterLoss:
    """One workload after the loss, at its peak period (and its worst period)."""

    workload: str
    period: int  # the peak
    demand_rps: float
    capacity_left_rps: float  # what the surviving replicas sustain within the SLO
    unserved_rps: float
    unserved_fraction: float
    worst_period: int
    worst_unserved_fraction: float
    replicas_left: int
    replicas_lost: int
    slo_met: bool | None  # the survivors simulated at the full peak demand
    ttft_p99_s: float | None
    tpot_p99_s: float | None
    note: str


@dataclass(frozen=True, kw_only=True)
class RecoveryPurchase:
    offering: str
    vendor: str
    tier: str
    chips_peak: int
    chips_peak_before: int  # in the plan before the loss


@dataclass(frozen=True, kw_only=True)
class Drill:
    scenario: str
    domain: LossDomain
    lost: str
    plan_cost_usd_per_hour: float
    lost_chips_peak: int
    lost_spend_usd_per_hour: float  # what the plan spent there (it may still be billed)
    workloads: tuple[WorkloadAfterLoss, ...]
    recovery_status: str
    recovery_policy: str  # the rules the recovery keeps
    recovery_cost_usd_per_hour: float | None
    recovery_extra_usd_per_hour: float | None  # recovery minus the plan
    recovery: tuple[RecoveryPurchase, ...]
    notes: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        d = asdict(self)
        d["workloads"] = [asdict(w) for w in self.workloads]
        d["recovery"] = [asdict(r) for r in self.recovery]
        return d


def domain_values(setup: Setup, domain: LossDomain) -> list[str]:
    return sorted({loss_domain(c, domain) for c in setup.pool})


def drill(setup: Setup, domain: LossDomain, lost: str, *, simulate: bool = True) -> Drill:
    """Lose every candidate in `domain` == `lost` from the plan."""
    known = domain_values(setup, domain)
    if lost not in known:
        raise UnknownNameError(domain, lost, known)
    if not setup.base.feasible:
        raise ValueError("the drill needs a feasible plan; the scenario has none")
    sc, cands, base = setup.scenario, setup.candidates, setup.base
    gone = np.array([loss_domain(c, domain) == lost for c in cands])
    after = base.replicas.copy()
    after[gone, :] = 0
    caps = np.array([c.capacity_rps for c in cands])
    rows = []
    for w in sc.workloads:
        mine = np.array([c.workload == w.name for c in cands])
        left = (caps[mine, None] * after[mine]).sum(axis=0)  # (periods,)
        unserved = np.maximum(w.demand_rps - left, 0.0)
        frac = np.divide(unserved, w.demand_rps, out=np.zeros_like(unserved),
                         where=w.demand_rps > 0)
        p = w.peak_period
        worst = int(np.argmax(frac))
        check = verify_workload(w, p, cands, after) if simulate and after[mine, p].any() \
            else None
        note = "" if check is None else check.note
        if not after[mine, p].any():
            note = "nothing left to serve it"
        rows.append(WorkloadAfterLoss(
            workload=w.name, period=p, demand_rps=float(w.demand_rps[p]),
            capacity_left_rps=float(left[p]), unserved_rps=float(unserved[p]),
            unserved_fraction=float(frac[p]), worst_period=worst,
            worst_unserved_fraction=float(frac[worst]),
            replicas_left=int(after[mine, p].sum()),
            replicas_lost=int(base.replicas[mine & gone, p].sum()),
            slo_met=None if check is None else check.slo_met,
            ttft_p99_s=None if check is None else check.ttft_p99_s,
            tpot_p99_s=None if check is None else check.tpot_p99_s, note=note))
    lost_ids = {c.offering.id for c, g in zip(cands, gone, strict=True) if g}
    lost_pu = [pu for pu in base.purchases if pu.offering.id in lost_ids]
    lost_chips = np.zeros(sc.num_periods, dtype=np.int64)
    for pu in lost_pu:
        lost_chips = lost_chips + pu.chips
    remaining = tuple(c for c in setup.pool if loss_domain(c, domain) != lost)
    policy = sc.policy.without(*(r for r in sc.policy.rules()
                                 if r.startswith("survive_loss_of_")))
    notes = []
    kept = ", ".join(policy.describe(r) for r in policy.rules()) or "no rule"
    sol = resolve(setup, candidates=remaining, policy=policy) if remaining else None
    if sol is not None and not sol.feasible and policy.rules():
        notes.append(f"no recovery meets the remaining rules ({kept}); the recovery below "
                     f"drops every rule")
        policy = policy.without(*policy.rules())
        kept = "no rule"
        sol = resolve(setup, candidates=remaining, policy=policy)
    if sol is not None and sol.status == "infeasible":
        notes.append(f"what remains without {domain} {lost} cannot serve the demand at all")
    before = {}
    for pu in base.purchases:
        before[(pu.offering.id, pu.tier)] = int(pu.chips.max())
    recovery: list[RecoveryPurchase] = []
    rec_cost = None
    if sol is not None and sol.feasible:
        rec_cost = cost_usd_per_hour(sol)
        acc = sc.catalog.accelerators
        for pu in sol.purchases:
            recovery.append(RecoveryPurchase(
                offering=pu.offering.id, vendor=acc[pu.offering.accelerator].vendor,
                tier=pu.tier, chips_peak=int(pu.chips.max()),
                chips_peak_before=before.get((pu.offering.id, pu.tier), 0)))
    plan_cost = cost_usd_per_hour(base)
    return Drill(
        scenario=sc.name, domain=domain, lost=lost, plan_cost_usd_per_hour=plan_cost,
        lost_chips_peak=int(lost_chips.max()),
        lost_spend_usd_per_hour=float(sum(pu.usd_per_hour.mean() for pu in lost_pu)),
        workloads=tuple(rows), recovery_status="no_candidates" if sol is None else sol.status,
        recovery_policy=kept, recovery_cost_usd_per_hour=rec_cost,
        recovery_extra_usd_per_hour=None if rec_cost is None else rec_cost - plan_cost,
        recovery=tuple(recovery), notes=tuple(notes))
