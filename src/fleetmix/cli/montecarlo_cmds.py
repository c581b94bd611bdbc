"""`fleetmix montecarlo`: the cost of the best fleet, and the offerings in it, when prices,
demand and supply are uncertain."""

from __future__ import annotations

import math
from contextlib import closing
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from fleetmix.analyze.executor import make_executor
from fleetmix.analyze.montecarlo import (
    MonteCarloResult,
    candidates_for_runs,
    monte_carlo,
    uncertainty_of,
)
from fleetmix.cli._common import err, out, user_errors, write_json
from fleetmix.plan import load_scenario, usable
from fleetmix.sim import CapacityCache

ExecutorChoice = Literal["local", "ray"]
OFFERING_ROWS = 15
DRIVER_ROWS = 5


@user_errors
def montecarlo_cmd(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML; its `uncertainty` section "
                                             "says what to sample (examples/uncertain.yaml).")],
    runs: Annotated[int | None, typer.Option(
        "--runs", min=1, help="Runs (default: uncertainty.runs, else 200).")] = None,
    seed: Annotated[int | None, typer.Option(
        "--seed", min=0, help="Seed of the draws (default: uncertainty.seed, else 0).")] = None,
    executor: Annotated[ExecutorChoice, typer.Option(
        help="Where the runs execute: local processes, or Ray (the `ray` extra).")] = "local",
    ray_address: Annotated[str | None, typer.Option(
        "--ray-address", help="Join this Ray cluster (e.g. auto, ray://host:10001) instead "
                              "of starting Ray on this machine.")] = None,
    workers: Annotated[int | None, typer.Option(
        "--workers", min=1, help="Runs at once (default: one per CPU).")] = None,
    capacity: Annotated[Path | None, typer.Option(
        "--capacity", help="CSV of measured capacities: plan on these instead of "
                           "simulating.")] = None,
    gap: Annotated[float | None, typer.Option(
        "--gap", min=0.0, max=0.5, help="MILP relative gap of each run (default: the "
                                        "scenario's solver.mip_rel_gap).")] = None,
    time_limit: Annotated[float | None, typer.Option(
        "--time-limit", min=0.1, help="MILP time limit of each run, s (default: the "
                                      "scenario's).")] = None,
    json_out: Annotated[str | None, typer.Option(
        "--json", help="Write the result as JSON to this file ('-' for stdout).")] = None,
    no_cache: Annotated[bool, typer.Option(
        "--no-cache", help="Recompute capacities instead of reading the on-disk cache.")] = False,
) -> None:
    """Re-solve the plan with prices, demand and supply drawn from their distributions: the
    distribution of cost, and how often each offering is chosen."""
    sc = load_scenario(scenario)
    if gap is not None:
        sc = replace(sc, mip_rel_gap=gap)
    if time_limit is not None:
        sc = replace(sc, time_limit_s=time_limit)
    unc, source = uncertainty_of(sc)
    if source == "default":
        err.print(f"[yellow]note[/]: {escape(str(scenario))} has no uncertainty section: "
                  f"sampling the default (every offering's price and every workload's demand "
                  f"lognormal around list, sigma 0.1, each on its own); add one to say what is "
                  f"uncertain (see examples/uncertain.yaml)", highlight=False)
    with closing(make_executor(executor, workers=workers, address=ray_address)) as ex, \
            Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                     TimeElapsedColumn(), console=err, transient=True) as bar:
        task = bar.add_task("", total=None, visible=False)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, visible=done < total)

        bar.update(task, description="simulating capacities not in the cache")
        cset = candidates_for_runs(sc, unc, capacity, None if no_cache else CapacityCache(),
                                   mapper=ex, progress=progress)
        cands, _ = usable(sc, cset)
        bar.update(task, description=f"solving runs ({ex.name}, {ex.workers} workers)")
        result = monte_carlo(sc, cands, runs=runs, seed=seed, executor=ex, progress=progress)
    if write_json(json_out, result.to_dict()):
        _render(result)
    if not result.runs.feasible.any():
        raise typer.Exit(2)


def _money(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "—"
    return f"${value:,.0f}" if abs(value) >= 100 else f"${value:,.2f}"


def _render(r: MonteCarloResult) -> None:
    n = r.samples.runs
    cost = r.cost_stats()
    t = Table(title=f"Monte Carlo: {r.scenario}, {n} runs (seed {r.seed}, {r.executor} × "
                    f"{r.workers}, {r.elapsed_s:.1f} s)")
    unsolved = ("no fleet in time",) if r.unsolved_fraction > 0 else ()
    for col in ("$/hour", "list prices", "mean", "sd", "p5", "p50", "p95", "infeasible",
                *unsolved):
        t.add_column(col, justify="left" if col == "$/hour" else "right")
    stats = cost or {}
    t.add_row("cost", _money(r.nominal.cost_usd_per_hour[0]),
              *(_money(stats.get(k)) for k in ("mean", "sd", "p5", "p50", "p95")),
              f"{r.infeasible_fraction:.1%}",
              *(f"{r.unsolved_fraction:.1%}" for _ in unsolved))
    out.print(t)
    gaps = r.runs.mip_gap[r.runs.feasible]
    worst = f"; certified gap at most {np.nanmax(gaps):.2%}" if np.isfinite(gaps).any() else ""
    out.print("runs by solver status: " + ", ".join(f"{s} {c}" for s, c in
                                                    r.status_counts().items()) + worst,
              highlight=False)
    offerings = Table(title="Offerings chosen (over the feasible runs)")
    for col in ("offering", "vendor", "accelerator", "chosen in", "chip share", "chips",
                "chips at list"):
        offerings.add_column(col, justify="right" if col[0] in "cm" else "left")
    rows = r.offering_use()
    for u in rows[:OFFERING_ROWS]:
        offerings.add_row(u.offering, u.vendor, u.accelerator, f"{u.chosen_fraction:.0%}",
                          f"{u.mean_chip_share:.1%}", f"{u.mean_chips:,.1f}",
                          f"{u.nominal_chips:,.1f}")
    if len(rows) > OFFERING_ROWS:
        offerings.caption = f"and {len(rows) - OFFERING_ROWS} more (see --json)"
    out.print(offerings)
    vendors = Table(title="Vendors (over the feasible runs)")
    for col in ("vendor", "chosen in", "chip share", "spend share"):
        vendors.add_column(col, justify="left" if col == "vendor" else "right")
    for v in r.vendor_use():
        vendors.add_row(v.vendor, f"{v.chosen_fraction:.0%}", f"{v.mean_chip_share:.1%}",
                        f"{v.mean_spend_share:.1%}")
    out.print(vendors)
    drivers = [d for d in r.drivers() if d.significant][:DRIVER_ROWS]
    if drivers:
        d = Table(title="What moves the cost (Spearman ρ of cost with each draw, beyond "
                        "chance)")
        d.add_column("draw")
        d.add_column("ρ", justify="right")
        for driver in drivers:
            d.add_row(escape(driver.draw), f"{driver.spearman:+.2f}")
        out.print(d)
    if r.uncertainty_source == "default":
        out.print("[yellow]note[/]: no uncertainty section in the scenario: the default "
                  "distributions were sampled", highlight=False)
    for note in r.notes:
        out.print(f"[yellow]note[/]: {escape(note)}", highlight=False)
