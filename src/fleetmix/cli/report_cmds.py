"""`fleetmix report`: the plan and its analyses as one self-contained HTML file.

Runs each stage in turn (plan, break-even prices, frontier, Monte Carlo when the scenario has an
`uncertainty` section, latency against load, validation of the performance model), prints one
line per stage on stderr, and hands the results to `report.html.render_report`. The slow
stages can be left out; the page lists what was not computed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.markup import escape

from fleetmix.analyze.executor import local_processes
from fleetmix.analyze.frontier import PARAMETERS, Parameter, frontier
from fleetmix.analyze.leverage import Leverage, leverage
from fleetmix.analyze.load_curves import load_curves
from fleetmix.analyze.montecarlo import (
    MonteCarloResult,
    candidates_for_runs,
    monte_carlo,
    uncertainty_of,
)
from fleetmix.analyze.resolve import prepare
from fleetmix.atomic import write_text_atomic
from fleetmix.cli._common import err, progress_bar, user_errors
from fleetmix.errors import InputError
from fleetmix.perf.validate import validate
from fleetmix.plan import load_scenario, plan, usable
from fleetmix.plan.result import Plan
from fleetmix.plan.scenario import Scenario
from fleetmix.report.html import render_report
from fleetmix.sim import CapacityCache, validate_serving

T = TypeVar("T")


def _stage(name: str, run: Callable[[], T], summary: Callable[[T], str], *,
           spinner: bool = True) -> T:
    """Run one stage (under a transient spinner unless it draws its own progress bar) and
    print `name: summary (seconds)` on stderr."""
    start = time.perf_counter()
    if spinner:
        with err.status(f"{name}…"):
            result = run()
    else:
        result = run()
    err.print(f"[bold]{name}[/]: {escape(summary(result))} "
              f"[dim]({time.perf_counter() - start:.1f} s)[/]", highlight=False)
    return result


def _plan(sc: Scenario, capacity: Path | None, cache: CapacityCache | None) -> Plan:
    with progress_bar("simulating capacities of the candidates not in the cache") as progress:
        return plan(sc, capacity_csv=capacity, cache=cache, progress=progress)


def _montecarlo(sc: Scenario, capacity: Path | None, cache: CapacityCache | None,
                runs: int | None, workers: int | None) -> MonteCarloResult:
    unc, _ = uncertainty_of(sc)
    with closing(local_processes(workers)) as ex, progress_bar("Monte Carlo runs") as progress:
        cands, _ = usable(sc, candidates_for_runs(sc, unc, capacity, cache, mapper=ex))
        return monte_carlo(sc, cands, runs=runs, executor=ex, progress=progress)


def _mc_summary(r: MonteCarloResult) -> str:
    stats = r.cost_stats()
    spread = (f"5–95% ${stats['p5']:,.2f}–${stats['p95']:,.2f}/hour" if stats
              else "no feasible run")
    return f"{r.samples.runs} runs, {spread}, {r.infeasible_fraction:.0%} infeasible"


@user_errors
def report_cmd(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML (see examples/).")],
    out_path: Annotated[Path, typer.Option(
        "--out", help="The HTML file to write (one file, opens with no network).")
    ] = Path("report.html"),
    capacity: Annotated[Path | None, typer.Option(
        "--capacity", help="CSV of measured capacities: plan on these instead of "
                           "simulating.")] = None,
    with_leverage: Annotated[bool, typer.Option(
        "--leverage/--no-leverage", help="Break-even prices per offering and vendor, and the "
                                         "cost of each policy rule (re-solves the MILP a few "
                                         "times per offering).")] = True,
    with_frontier: Annotated[bool, typer.Option(
        "--frontier/--no-frontier", help="Cost against a policy parameter.")] = True,
    frontier_over: Annotated[str, typer.Option(
        "--frontier-over", help=f"The parameter the frontier sweeps: {', '.join(PARAMETERS)}.")
    ] = "max_vendor_share",
    with_montecarlo: Annotated[bool, typer.Option(
        "--montecarlo/--no-montecarlo", help="Monte Carlo over the scenario's uncertainty "
                                             "section (skipped without one).")] = True,
    runs: Annotated[int | None, typer.Option(
        "--runs", min=1, help="Monte Carlo runs (default: uncertainty.runs).")] = None,
    workers: Annotated[int | None, typer.Option(
        "--workers", min=1, help="Monte Carlo runs at once, local processes (default: one "
                                 "per CPU).")] = None,
    with_latency: Annotated[bool, typer.Option(
        "--latency/--no-latency", help="Latency against load of each deployment the plan "
                                       "uses (short simulations).")] = True,
    with_validation: Annotated[bool, typer.Option(
        "--validation/--no-validation", help="The performance model against published "
                                             "measurements.")] = True,
    time_limit: Annotated[float | None, typer.Option(
        "--time-limit", min=0.1, help="Time limit of each MILP solve, s (default: the "
                                      "scenario's).")] = None,
    no_cache: Annotated[bool, typer.Option(
        "--no-cache", help="Recompute capacities instead of reading the on-disk cache.")] = False,
) -> None:
    """Write the plan and its analyses as one HTML page with charts."""
    _parameter(frontier_over)  # a typo fails before the slow stages, not after
    if not out_path.parent.is_dir():
        raise InputError(f"--out {out_path}: folder {out_path.parent} does not exist")
    sc = load_scenario(scenario)
    if time_limit is not None:
        sc = replace(sc, time_limit_s=time_limit)
    cache = None if no_cache else CapacityCache()
    result = _stage("plan", lambda: _plan(sc, capacity, cache),
                    lambda p: f"{p.status}, ${p.cost_usd_per_hour or 0:,.2f}/hour"
                    if p.feasible else p.status, spinner=False)
    inputs: dict[str, Any] = {}
    if result.feasible:
        inputs |= _analyses(sc, result, capacity, cache, with_leverage=with_leverage,
                            with_frontier=with_frontier, frontier_over=frontier_over,
                            with_montecarlo=with_montecarlo, runs=runs, workers=workers,
                            with_latency=with_latency)
    if with_validation:
        inputs["validation"], inputs["serving_validation"] = _stage(
            "validation", lambda: (validate(), validate_serving()),
            lambda v: f"{v[0].included_count} step-time rows, "
                      f"{sum(not r.excluded for r in v[1].rows)} serving rows")
    write_text_atomic(out_path, render_report(result, **inputs))
    err.print(f"wrote {escape(str(out_path))}")
    if not result.feasible:
        raise typer.Exit(2)


def _analyses(sc: Scenario, result: Plan, capacity: Path | None, cache: CapacityCache | None,
              *, with_leverage: bool, with_frontier: bool, frontier_over: str,
              with_montecarlo: bool, runs: int | None, workers: int | None,
              with_latency: bool) -> dict[str, Any]:
    """The analyses of a feasible plan that were asked for, as `render_report` arguments."""
    out: dict[str, Any] = {}
    if with_leverage or with_frontier:
        # NOTE: the analyses re-solve from the base solution, which a Plan does not keep:
        # one more solve of the plan's MILP (capacities come from the cache the plan filled).
        setup = prepare(sc, capacity_csv=capacity, cache=cache)
        if not setup.base.feasible:  # a time limit can leave the re-solve without a fleet
            err.print(f"[bold]break-even prices, frontier[/]: skipped, the re-solve of the "
                      f"plan found no fleet ({setup.base.status}); raise --time-limit",
                      highlight=False)
            with_leverage = with_frontier = False
    if with_leverage:
        def run_leverage() -> Leverage:
            with progress_bar("re-solving the plan at other prices") as progress:
                return leverage(setup, progress=progress)
        out["leverage"] = _stage("break-even prices", run_leverage,
                                 lambda r: f"{len(r.offerings)} offerings, {r.solves} re-solves",
                                 spinner=False)
    if with_frontier:
        over = _parameter(frontier_over)
        out["frontier"] = _stage(
            "frontier", lambda: frontier(setup, over),
            lambda f: f"{len(f.points)} points over {f.parameter}")
    if with_montecarlo and sc.uncertainty is not None:
        out["montecarlo"] = _stage("Monte Carlo",
                                   lambda: _montecarlo(sc, capacity, cache, runs, workers),
                                   _mc_summary, spinner=False)
    elif with_montecarlo:
        err.print("[bold]Monte Carlo[/]: skipped, the scenario has no uncertainty section "
                  "(`fleetmix montecarlo` samples a default)", highlight=False)
    if with_latency:
        out["load_curves"] = _stage(
            "latency against load", lambda: load_curves(sc, result),
            lambda c: f"{len(c.curves)} deployments"
                      + (f" ({len(c.omitted)} used less not drawn)" if c.omitted else ""))
    return out


def _parameter(name: str) -> Parameter:
    for known in PARAMETERS:
        if name == known:
            return known
    raise InputError(f"--frontier-over {name!r}: expected one of {', '.join(PARAMETERS)}")
