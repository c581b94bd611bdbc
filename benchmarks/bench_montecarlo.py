"""Benchmark (run on demand, not a test): Monte Carlo runs on local processes and on Ray.

    .venv/bin/python benchmarks/bench_montecarlo.py [--scenario PATH] [--runs N]
        [--executors local,ray] [--workers N] [--gaps 0.01,0.05] [--time-limit S]
        [--extrapolate N]

Defaults: examples/uncertain.yaml, 500 runs, both executors, one worker per CPU, the
scenario's own gap. For each executor: wall time (Ray's start timed apart), runs/s, the mean
single-thread solve per run, and whether the runs are the same as on the first executor
(they must be, same seed, unless runs stop at the time limit). With more than one gap, each
gap runs on local processes and is compared with the first: runs/s, mean cost, the largest
difference in a run's cost, and how many runs chose another set of offerings.
`--extrapolate N` prints what N runs would take at the measured rate (clearly an
extrapolation: the multi-vendor example's runs take seconds each, so 500 of them are too long
to measure on a small machine).

Measured on the 2-core development machine (shared with other work, load average about 3):
examples/uncertain.yaml, 500 runs: local × 2 about 19 runs/s,
Ray × 2 about 13 runs/s (+ 6 s to start Ray), the same runs on both. multi-vendor with
--time-limit 60, 10 runs: about 0.18 runs/s on either, so 500 runs ≈ 45 min extrapolated.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from fleetmix.analyze.executor import Executor, local_processes, ray_executor
from fleetmix.analyze.montecarlo import (
    MonteCarloResult,
    candidates_for_runs,
    monte_carlo,
    uncertainty_of,
)
from fleetmix.plan import Scenario, load_scenario, usable
from fleetmix.plan.candidates import Candidate
from fleetmix.sim import CapacityCache

EXAMPLE = Path(__file__).parents[1] / "examples" / "uncertain.yaml"


def main() -> None:
    args = _args()
    scenario = load_scenario(args.scenario)
    if args.time_limit is not None:
        scenario = replace(scenario, time_limit_s=args.time_limit)
    unc, source = uncertainty_of(scenario)
    cset = candidates_for_runs(scenario, unc, cache=CapacityCache())
    cands, _ = usable(scenario, cset)
    print(f"{scenario.name}: {args.runs} runs, {len(cands)} candidates, "
          f"{scenario.num_periods} periods, uncertainty from the {source}, gap "
          f"{scenario.mip_rel_gap:g}, time limit {scenario.time_limit_s:g} s per run")
    first: MonteCarloResult | None = None
    for kind in args.executors.split(","):
        start = time.perf_counter()
        ex: Executor = local_processes(args.workers) if kind == "local" else \
            ray_executor(workers=args.workers)
        started_s = time.perf_counter() - start
        try:
            result = monte_carlo(scenario, cands, runs=args.runs, executor=ex)
        finally:
            ex.close()
        same = "" if first is None else f"; same runs as {first.executor}: " \
            f"{'yes' if _same(first, result) else 'NO'}"
        first = first or result
        _report(f"{kind} × {ex.workers}", result, started_s, args.extrapolate, same)
    gaps = [float(g) for g in args.gaps.split(",")] if args.gaps else []
    if len(gaps) > 1:
        reuse = first if first is not None and first.executor == "local" else None
        _compare_gaps(scenario, cands, gaps, args, reuse)


def _report(label: str, r: MonteCarloResult, started_s: float, extrapolate: int | None,
            same: str) -> None:
    n = r.samples.runs
    wall_s = r.elapsed_s + started_s
    rate = n / wall_s
    cost = r.cost_stats() or {}
    start = f" (+ {started_s:.1f} s to start Ray)" if started_s > 0.5 else ""
    print(f"{label}: {n} runs (+1 at list prices) in {r.elapsed_s:.1f} s{start}: "
          f"{rate:.2f} runs/s; solve {r.runs.solve_s.mean():.3f} s per run (one thread); "
          f"cost mean ${cost.get('mean', float('nan')):,.2f}/hour, p95 "
          f"${cost.get('p95', float('nan')):,.2f}; infeasible {r.infeasible_fraction:.1%}; "
          f"statuses {r.status_counts()}{same}")
    if extrapolate:
        print(f"  extrapolated, not measured: {extrapolate} runs at this rate ≈ "
              f"{extrapolate / rate / 60:.1f} min")


def _same(a: MonteCarloResult, b: MonteCarloResult) -> bool:
    return (a.runs.status == b.runs.status
            and np.array_equal(a.runs.cost_usd_per_hour, b.runs.cost_usd_per_hour,
                               equal_nan=True)
            and np.array_equal(a.runs.chips, b.runs.chips))


def _compare_gaps(scenario: Scenario, cands: tuple[Candidate, ...], gaps: list[float],
                  args: argparse.Namespace, done: MonteCarloResult | None) -> None:
    base: MonteCarloResult | None = None
    for gap in gaps:
        if done is not None and gap == done.mip_rel_gap:
            r = done  # measured above on local processes
        else:
            r = monte_carlo(replace(scenario, mip_rel_gap=gap), cands, runs=args.runs,
                            executor=local_processes(args.workers))
        cost = r.cost_stats() or {}
        line = (f"gap {gap:g}: {r.samples.runs / r.elapsed_s:.2f} runs/s, solve "
                f"{r.runs.solve_s.mean():.3f} s per run, cost mean "
                f"${cost.get('mean', float('nan')):,.2f}/hour, p95 "
                f"${cost.get('p95', float('nan')):,.2f}")
        if base is None:
            base = r
        else:
            both = base.runs.feasible & r.runs.feasible
            diff = (r.runs.cost_usd_per_hour[both] - base.runs.cost_usd_per_hour[both]) \
                / base.runs.cost_usd_per_hour[both]
            other = ((base.runs.chips > 0) != (r.runs.chips > 0)).any(axis=1)
            line += (f"; vs gap {base.mip_rel_gap:g}: run cost {diff.mean():+.2%} on average, "
                     f"largest {diff.max():+.2%}; {int(other.sum())} of {r.samples.runs} runs "
                     f"chose another set of offerings")
        print(line)


def _args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scenario", type=Path, default=EXAMPLE)
    p.add_argument("--runs", type=int, default=500)
    p.add_argument("--executors", default="local,ray")
    p.add_argument("--workers", type=int, default=None)
    p.add_argument("--gaps", default="", help="comma-separated MILP gaps to compare")
    p.add_argument("--time-limit", type=float, default=None,
                   help="MILP time limit per run, s (default: the scenario's)")
    p.add_argument("--extrapolate", type=int, default=None,
                   help="also print what this many runs would take at the measured rate")
    return p.parse_args()


if __name__ == "__main__":
    main()
