"""Benchmark (run on demand, not a test): the planner on the multi-vendor example.

    .venv/bin/python benchmarks/bench_plan.py [--cold]

The example has the whole catalog, three workloads and 24 hourly periods.
1. End to end with a warm capacity cache (candidates, MILP, baselines, verification).
2. The MILP alone (solved by period, as the planner does, and as one whole model), and the
   model's size.
3. With --cold: end to end from an empty cache (a temporary folder), capacity searches on
   local processes.
4. The MILP's rounds of period solves run on one thread, and what each round would take on k
   threads: HiGHS's measured solve times list-scheduled in the order the search submits them,
   plus the Python time around them (building each model), counted as serial since it holds
   the GIL. An estimate for machines with more cores than this one, labelled as such.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from fleetmix.plan import Problem, candidates_for, decompose, load_scenario, milp, plan, solve_for
from fleetmix.sim import CapacityCache

EXAMPLE = Path(__file__).parents[1] / "examples" / "multi-vendor.yaml"


def main() -> None:
    scenario = load_scenario(EXAMPLE)
    if "--cold" in sys.argv:
        with tempfile.TemporaryDirectory() as folder:
            start = time.perf_counter()
            result = plan(scenario, cache=CapacityCache(Path(folder)))
            print(f"cold end to end: {time.perf_counter() - start:.1f} s "
                  f"({result.model['capacity_searches_run']} capacity searches; "
                  f"stages {_stages(result.timings_s)})")
    cache = CapacityCache()
    plan(scenario, cache=cache, verify="none", baselines=False)  # make sure the cache is warm
    start = time.perf_counter()
    result = plan(scenario, cache=cache)
    print(f"warm end to end: {time.perf_counter() - start:.1f} s (stages "
          f"{_stages(result.timings_s)}); status {result.status}, "
          f"${result.cost_usd_per_hour:,.2f}/hour")
    cands = candidates_for(scenario, cache=cache).candidates
    for limit in (2.0, scenario.time_limit_s, 60.0):
        timed = solve_for(_with_limit(scenario, limit), cands)
        whole = milp.solve(Problem(scenario=_with_limit(scenario, limit), candidates=cands,
                                   policy=scenario.policy))
        print(f"whole model alone, time limit {limit:g} s: {whole.solve_s:.2f} s, "
              f"{whole.status}, gap {whole.mip_gap:.2%}, ${whole.objective:,.2f}/hour")
        found = (f"gap {timed.mip_gap:.2%}, ${timed.objective:,.2f}/hour, {timed.method}"
                 if timed.feasible else "no fleet found yet")
        print(f"MILP alone, time limit {limit:g} s: {timed.solve_s:.2f} s, {timed.status}, "
              f"{found}; {timed.num_vars:,} variables ({timed.num_int_vars:,} integer), "
              f"{timed.num_rows:,} rows, {len(cands)} candidates")
    _threads(Problem(scenario=scenario, candidates=cands, policy=scenario.policy))


def _threads(problem: Problem) -> None:
    rounds: list[list[float]] = []
    python_s = 0.0  # building models and reading solutions: serial under the GIL

    def one_thread(problems: list[Problem], mip_rel_gap: float) -> list[milp.Run]:
        nonlocal python_s
        runs = []
        for p in problems:
            started = time.perf_counter()
            runs.append(milp.run(p, mip_rel_gap=mip_rel_gap, options=decompose.PERIOD_OPTIONS))
            python_s += time.perf_counter() - started - runs[-1].solve_s
        rounds.append([r.solve_s for r in runs])
        return runs

    start = time.perf_counter()
    # the search with a recording solver (a private entry point: this is a benchmark)
    sol = decompose._solve(problem, one_thread, deadline=start + 600.0, start=start)
    print(f"MILP on one thread: {time.perf_counter() - start:.2f} s, {sol.status}, "
          f"{len(rounds)} rounds of {[len(r) for r in rounds]} period solves, "
          f"{sum(map(sum, rounds)):.2f} s in HiGHS, {python_s:.2f} s around it")
    for threads in (2, 4, 8, 16):
        print(f"  estimated on {threads} threads: "
              f"{sum(_makespan(r, threads) for r in rounds) + python_s:.2f} s")


def _makespan(seconds: list[float], threads: int) -> float:
    """Solves taken in order by the first free thread: when the last one ends."""
    ends = [0.0] * threads
    for s in seconds:
        ends[ends.index(min(ends))] += s
    return max(ends)


def _with_limit(scenario, limit):  # type: ignore[no-untyped-def]
    from dataclasses import replace
    return replace(scenario, time_limit_s=limit)


def _stages(timings: dict[str, float]) -> str:
    return ", ".join(f"{k.removesuffix('_s')} {v:.1f} s" for k, v in timings.items())


if __name__ == "__main__":
    main()
