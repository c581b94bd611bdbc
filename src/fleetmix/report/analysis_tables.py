"""Rich tables for the analyses: leverage, policy costs, outage drills, frontiers."""

from __future__ import annotations

from rich.table import Table

from fleetmix.analyze.drill import Drill
from fleetmix.analyze.frontier import Frontier
from fleetmix.analyze.leverage import Leverage


def _usd(value: float | None, digits: int = 2) -> str:
    if value is None:
        return "—"
    return f"{'-' if value < 0 else ''}${abs(value):,.{digits}f}"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}%"


def offerings_table(lev: Leverage) -> Table:
    """Break-even prices per offering, $/chip-hour and % of list."""
    t = Table(title="Break-even prices per offering ($/chip-hour; in the plan below the first "
                    "price, out of it above the second)")
    for col in ("offering", "vendor", "in plan", "chips", "list", "enters below", "% list",
                "leaves above", "% list", "note"):
        t.add_column(col, justify="left" if col in ("offering", "vendor", "note") else "right")
    for o in sorted(lev.offerings, key=lambda o: (not o.in_plan, o.vendor, o.offering)):
        t.add_row(o.offering, o.vendor, "yes" if o.in_plan else "no",
                  f"{o.chips_in_plan:.0f}" if o.in_plan else "",
                  _usd(o.list_usd_per_chip_hour), _usd(o.enter_below_usd_per_chip_hour),
                  _pct(o.enter_below_pct_of_list), _usd(o.leave_above_usd_per_chip_hour),
                  _pct(o.leave_above_pct_of_list), o.note)
    return t


def vendors_table(lev: Leverage) -> Table:
    """Walk-away prices per vendor (in the plan) and the price that wins business (out)."""
    t = Table(title="Vendors: how far prices may rise before the plan drops them, or must "
                    "fall to win business")
    for col in ("vendor", "in plan", "spend $/hour", "avg $/chip-hour", "walk-away",
                "% list", "wins business below", "% list", "note"):
        t.add_column(col, justify="left" if col in ("vendor", "note") else "right")
    for v in sorted(lev.vendors, key=lambda v: -v.spend_usd_per_hour):
        t.add_row(v.vendor, "yes" if v.in_plan else "no", _usd(v.spend_usd_per_hour, 0),
                  _usd(v.list_usd_per_chip_hour), _usd(v.walk_away_usd_per_chip_hour),
                  _pct(v.walk_away_pct_of_list), _usd(v.enter_below_usd_per_chip_hour),
                  _pct(v.enter_below_pct_of_list), v.note)
    return t


def policy_costs_table(lev: Leverage) -> Table:
    """What each rule adds to the plan's cost."""
    t = Table(title=f"Cost of each policy rule (plan: {_usd(lev.cost_usd_per_hour)}/hour)")
    for col in ("rule", "plan without it $/hour", "the rule costs $/hour", "share of plan"):
        t.add_column(col, justify="left" if col == "rule" else "right")
    for p in lev.policy_costs:
        share = None if p.premium_usd_per_hour is None else \
            100 * p.premium_usd_per_hour / lev.cost_usd_per_hour
        t.add_row(p.description, _usd(p.cost_usd_per_hour), _usd(p.premium_usd_per_hour),
                  _pct(share))
    if lev.no_policy_usd_per_hour is not None:
        premium = lev.cost_usd_per_hour - lev.no_policy_usd_per_hour
        t.add_row("[bold]all rules together[/]", _usd(lev.no_policy_usd_per_hour),
                  _usd(premium), _pct(100 * premium / lev.cost_usd_per_hour))
    return t


def drill_tables(d: Drill) -> list[Table]:
    """What is left per workload, and the recovery fleet."""
    t = Table(title=f"Losing {d.domain} {d.lost}: {d.lost_chips_peak} chips at peak, "
                    f"{_usd(d.lost_spend_usd_per_hour, 0)}/hour of the plan")
    for col in ("workload", "peak req/s", "left req/s", "unserved", "worst period",
                "replicas left/lost", "SLO met (simulated)", "TTFT p99 s", "TPOT p99 ms",
                "note"):
        t.add_column(col, justify="left" if col in ("workload", "note") else "right")
    for w in d.workloads:
        met = "—" if w.slo_met is None else ("[green]yes[/]" if w.slo_met else "[red]NO[/]")
        t.add_row(w.workload, f"{w.demand_rps:.3g}", f"{w.capacity_left_rps:.3g}",
                  f"{w.unserved_fraction:.0%}",
                  f"{w.worst_period} ({w.worst_unserved_fraction:.0%})",
                  f"{w.replicas_left}/{w.replicas_lost}", met,
                  "—" if w.ttft_p99_s is None else f"{w.ttft_p99_s:.2f}",
                  "—" if w.tpot_p99_s is None else f"{w.tpot_p99_s * 1e3:.0f}", w.note)
    r = Table(title=f"Cheapest recovery without {d.lost} ({d.recovery_status}; keeps: "
                    f"{d.recovery_policy}): {_usd(d.recovery_cost_usd_per_hour)}/hour, "
                    f"{_usd(d.recovery_extra_usd_per_hour)}/hour against the plan")
    for col in ("offering", "vendor", "tier", "peak chips", "before"):
        r.add_column(col, justify="left" if col in ("offering", "vendor", "tier") else "right")
    for p in sorted(d.recovery, key=lambda p: -p.chips_peak):
        r.add_row(p.offering, p.vendor, p.tier, str(p.chips_peak), str(p.chips_peak_before))
    return [t, r]


def frontier_table(f: Frontier) -> Table:
    """Cost and vendor shares at each value of the parameter."""
    t = Table(title=f"Cost against {f.parameter}")
    for col in (f.parameter, "status", "$/hour", "power kW", "vendor share (chips)"):
        t.add_column(col, justify="left" if col.startswith(("status", "vendor")) else "right")
    for p in f.points:
        label = f"{p.value:g}" + (" (scenario)" if p.is_scenario_setting else "")
        shares = ", ".join(f"{v} {s:.0%}" for v, s in p.vendor_share.items())
        t.add_row(label, p.status + (" *" if p.from_tighter else ""), _usd(p.cost_usd_per_hour),
                  "—" if p.power_kw is None else f"{p.power_kw:,.1f}", shares or "—")
    if any(p.from_tighter for p in f.points):
        t.caption = ("* the fleet solved at a tighter setting was cheaper than the one found "
                     "here, and meets this setting too (the solver's gap at work)")
    return t
