"""Benchmark (run on demand, not a test): leverage, a drill and a frontier on an example.

    .venv/bin/python benchmarks/bench_leverage.py [examples/multi-vendor.yaml]

Capacities come from the on-disk cache (run `fleetmix plan` on the example first). Prints the
wall time of each analysis, the number of MILP re-solves and the time per re-solve.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from fleetmix.analyze import drill, frontier, leverage, prepare
from fleetmix.plan import load_scenario
from fleetmix.sim import CapacityCache

EXAMPLE = Path(__file__).parents[1] / "examples" / "multi-vendor.yaml"


def main() -> None:
    scenario = load_scenario(sys.argv[1] if len(sys.argv) > 1 else EXAMPLE)
    start = time.perf_counter()
    setup = prepare(scenario, cache=CapacityCache())
    print(f"{scenario.name}: candidates and base plan {time.perf_counter() - start:.1f} s, "
          f"{len(setup.candidates)} candidates, "
          f"{len({c.offering.id for c in setup.candidates})} offerings, "
          f"${setup.cost_usd_per_hour:,.2f}/hour ({setup.base.status}, gap "
          f"{setup.base.mip_gap:.2%}, {setup.base.solve_s:.2f} s)")
    start = time.perf_counter()
    lev = leverage(setup)
    wall = time.perf_counter() - start
    print(f"leverage: {wall:.1f} s, {lev.solves} re-solves, {wall / lev.solves:.2f} s each; "
          f"{sum(o.in_plan for o in lev.offerings)} offerings in the plan")
    for o in sorted(lev.offerings, key=lambda o: not o.in_plan):
        print(f"  {o.offering:42s} in={o.in_plan!s:5s} list ${o.list_usd_per_chip_hour:6.2f} "
              f"enter<{_pct(o.enter_below_pct_of_list)} leave>{_pct(o.leave_above_pct_of_list)}"
              f" ({o.solves} solves) {o.note}")
    for v in lev.vendors:
        print(f"  vendor {v.vendor:8s} walk-away {_pct(v.walk_away_pct_of_list)} "
              f"wins below {_pct(v.enter_below_pct_of_list)} {v.note}")
    for p in lev.policy_costs:
        print(f"  rule {p.description}: premium ${p.premium_usd_per_hour or 0:,.2f}/hour")
    start = time.perf_counter()
    vendor = max(setup.base.purchases, key=lambda pu: float(pu.usd_per_hour.mean()))
    lost = scenario.catalog.accelerators[vendor.offering.accelerator].vendor
    d = drill(setup, "vendor", lost)
    print(f"drill (lose {lost}): {time.perf_counter() - start:.1f} s; recovery "
          f"${d.recovery_cost_usd_per_hour or 0:,.2f}/hour ({d.recovery_status})")
    start = time.perf_counter()
    f = frontier(setup, "max_vendor_share")
    points = ", ".join(f"{p.value:g}: " + ("—" if p.cost_usd_per_hour is None
                                           else f"${p.cost_usd_per_hour:,.0f}")
                       for p in f.points)
    print(f"frontier over max_vendor_share: {time.perf_counter() - start:.1f} s, "
          f"{len(f.points)} points: {points}")


def _pct(value: float | None) -> str:
    return "  —  " if value is None else f"{value:4.0f}%"


if __name__ == "__main__":
    main()
