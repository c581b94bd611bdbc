"""`fleetmix plan`: the cheapest fleet for a scenario file."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.markup import escape

from fleetmix.cli._common import out, progress_bar, user_errors, write_json
from fleetmix.plan import load_scenario, plan
from fleetmix.plan.result import Plan
from fleetmix.report import plan_tables
from fleetmix.sim import CapacityCache

VerifyChoice = Literal["peak", "all", "none"]


@user_errors
def plan_cmd(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML (see examples/).")],
    json_out: Annotated[str | None, typer.Option(
        "--json", help="Write the plan as JSON to this file ('-' for stdout).")] = None,
    capacity: Annotated[Path | None, typer.Option(
        "--capacity", help="CSV of measured capacities (offering, workload, max_rps, ...): "
                           "plan on these instead of simulating.")] = None,
    verify: Annotated[VerifyChoice, typer.Option(
        help="Simulate the fleet at each workload's peak period, every period, or not.")
    ] = "peak",
    baselines: Annotated[bool, typer.Option(
        help="Also solve the single-accelerator and no-policy baselines.")] = True,
    time_limit: Annotated[float | None, typer.Option(
        "--time-limit", min=0.1, help="MILP time limit, s (default: the scenario's).")] = None,
    write_lp: Annotated[Path | None, typer.Option(
        "--write-lp", help="Write the MILP to this file (.lp or .mps) for debugging.")] = None,
    no_cache: Annotated[bool, typer.Option(
        "--no-cache", help="Recompute capacities instead of reading the on-disk cache.")] = False,
) -> None:
    """Solve for the cheapest fleet that meets every workload's SLO and the buying policy."""
    sc = load_scenario(scenario)
    if time_limit is not None:
        sc = replace(sc, time_limit_s=time_limit)
    with progress_bar("simulating capacities of the candidates not in the cache") as progress:
        result = plan(sc, capacity_csv=capacity, cache=None if no_cache else CapacityCache(),
                      verify=verify, baselines=baselines, write_lp=write_lp,
                      progress=progress)
    if write_json(json_out, result.to_dict()):
        _render(result)
    if not result.feasible:
        raise typer.Exit(2)


def _render(result: Plan) -> None:
    out.print(plan_tables.summary_table(result))
    if not result.feasible:
        out.print(f"[bold red]No plan ({result.status}).[/] Why:")
        for line in result.explanation:
            out.print(f"  - {escape(line)}", highlight=False)
    else:
        out.print(plan_tables.purchases_table(result))
        out.print(plan_tables.peak_fleet_table(result))
        if result.verification:
            out.print(plan_tables.verification_table(result))
    for note in result.notes:
        out.print(f"[yellow]note[/]: {escape(note)}", highlight=False)
