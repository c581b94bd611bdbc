"""Rich tables for a plan: what to buy, what runs at peak, shares, baselines, verification."""

from __future__ import annotations

from collections import defaultdict

from rich.table import Table

from fleetmix.plan.result import Plan


def _money(value: float | None) -> str:
    if value is None:
        return "—"
    return f"${value:,.0f}" if abs(value) >= 100 else f"${value:,.2f}"


def summary_table(plan: Plan) -> Table:
    """Status, cost, power, and what the mix saves and the policy costs."""
    t = Table(title=f"Plan: {plan.scenario}", show_header=False)
    t.add_column("", style="bold")
    t.add_column("")
    gap = plan.model.get("mip_gap")
    if plan.status == "gap_above_target" and gap is not None:
        status = f"feasible, at most {gap:.2%} above the optimum (gap_above_target)"
    else:
        status = plan.status + (f" (gap {gap:.2%})" if gap else "")
    t.add_row("status", status)
    t.add_row("objective", plan.objective)
    t.add_row("cost", f"{_money(plan.cost_usd_per_hour)}/hour averaged over the day")
    if plan.power_kw is not None:
        t.add_row("power", f"{plan.power_kw:,.1f} kW provisioned at the busiest hour, "
                           f"{plan.energy_kwh_per_day:,.0f} kWh/day")
    shares = ", ".join(f"{v} {s:.0%}" for v, s in plan.vendor_share.items())
    t.add_row("vendor share (chips)", shares or "—")
    t.add_row("vendor share (spend)",
              ", ".join(f"{v} {s:.0%}" for v, s in plan.vendor_share_spend.items()) or "—")
    for name, base in plan.baselines.items():
        cost = base.cost_usd_per_hour
        delta = ""
        if cost is not None and plan.cost_usd_per_hour:
            diff = plan.cost_usd_per_hour - cost
            delta = (" (the same cost as the plan)" if abs(diff) < 0.005 else
                     f" (the plan costs {_money(abs(diff))}/hour "
                     f"{'more' if diff > 0 else 'less'}, {diff / cost:+.1%})")
        t.add_row(f"baseline: {name}", f"{_money(cost)}/hour, {base.detail}{delta}")
    t.add_row("solve", f"MILP {plan.solve_s:.2f} s, {plan.model.get('method', 'whole model')}; "
                       f"{plan.model.get('variables', 0):,} "
                       f"variables, {plan.model.get('rows', 0):,} rows, "
                       f"{plan.model.get('candidates', 0)} candidates")
    return t


def purchases_table(plan: Plan) -> Table:
    """What to buy: instances per offering and tier (range over the periods)."""
    t = Table(title="What to buy")
    for col in ("offering", "vendor", "accelerator", "tier", "instances", "peak chips",
                "$/chip-hour", "avg $/hour"):
        t.add_column(col, justify="right" if col[0] in "ip$a" and col != "accelerator" else
                     "left")
    for p in sorted(plan.purchases, key=lambda p: -p["usd_per_hour_avg"]):
        counts = p["instances_by_period"]
        span = f"{min(counts)}–{max(counts)}" if min(counts) != max(counts) else str(counts[0])
        t.add_row(p["offering"], p["vendor"], p["accelerator"],
                  p["tier"] + (" (all day)" if p["committed"] else ""), span,
                  str(p["chips_peak"]), f"{p['price_usd_per_chip_hour']:.2f}",
                  f"{p['usd_per_hour_avg']:,.0f}")
    return t


def peak_fleet_table(plan: Plan) -> Table:
    """Replicas serving each workload in its verified (peak) period."""
    t = Table(title="What runs at each workload's peak")
    for col in ("workload", "period", "accelerator", "offering", "tier", "replicas",
                "chips x tp", "precision", "req/s each", "share of demand"):
        t.add_column(col)
    peak = {v.workload: v.period for v in plan.verification}
    totals: dict[str, float] = defaultdict(float)
    rows = [r for r in plan.fleet if r.period == peak.get(r.workload, 0)]
    for r in rows:
        totals[r.workload] += r.replicas * r.capacity_rps
    for r in sorted(rows, key=lambda r: (r.workload, -r.replicas * r.capacity_rps)):
        t.add_row(r.workload, str(r.period), r.accelerator, r.offering, r.tier,
                  str(r.replicas), f"{r.chips} x tp{r.tp}" + (f" pp{r.pp}" if r.pp > 1 else ""),
                  r.precision, f"{r.capacity_rps:.2f}",
                  f"{r.replicas * r.capacity_rps / totals[r.workload]:.0%}")
    return t


def verification_table(plan: Plan) -> Table:
    """Each workload's planned fleet simulated at its demand."""
    t = Table(title="Verification (simulated at the planned demand)")
    for col in ("workload", "period", "req/s", "replicas", "SLO", "met", "TTFT p99 s",
                "TPOT p99 ms", "note"):
        t.add_column(col)
    for v in plan.verification:
        met = "—" if v.slo_met is None else ("[green]yes[/]" if v.slo_met else "[red]NO[/]")
        t.add_row(v.workload, str(v.period), f"{v.rate_rps:.3g}", str(v.replicas), v.slo, met,
                  "—" if v.ttft_p99_s is None else f"{v.ttft_p99_s:.2f}",
                  "—" if v.tpot_p99_s is None else f"{v.tpot_p99_s * 1e3:.0f}", v.note)
    return t
