"""`fleetmix leverage`, `drill` and `frontier`: questions asked of a scenario's plan."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from fleetmix.analyze.drill import drill
from fleetmix.analyze.frontier import PARAMETERS, Parameter, frontier
from fleetmix.analyze.leverage import leverage
from fleetmix.analyze.resolve import Setup, prepare
from fleetmix.cli._common import out, progress_bar, user_errors, write_json
from fleetmix.errors import InputError, UnknownNameError
from fleetmix.plan import load_scenario
from fleetmix.plan.scenario import LossDomain
from fleetmix.report import analysis_tables
from fleetmix.sim import CapacityCache

ScenarioArg = Annotated[Path, typer.Argument(help="Scenario YAML (see examples/).")]
JsonOut = Annotated[str | None, typer.Option(
    "--json", help="Write the result as JSON to this file ('-' for stdout).")]
CapacityOpt = Annotated[Path | None, typer.Option(
    "--capacity", help="CSV of measured capacities: analyse on these instead of simulating.")]
TimeLimitOpt = Annotated[float | None, typer.Option(
    "--time-limit", min=0.1, help="Time limit of each MILP solve, s (default: the scenario's).")]


def _setup(scenario: Path, capacity: Path | None, time_limit: float | None) -> Setup:
    sc = load_scenario(scenario)
    if time_limit is not None:
        sc = replace(sc, time_limit_s=time_limit)
    with progress_bar("simulating capacities of the candidates not in the cache") as progress:
        setup = prepare(sc, capacity_csv=capacity, cache=CapacityCache(), progress=progress)
    if not setup.base.feasible:
        raise InputError(f"{scenario}: the scenario has no feasible plan "
                         f"({setup.base.status}); run `fleetmix plan {scenario}` to see why")
    return setup


@user_errors
def leverage_cmd(scenario: ScenarioArg, json_out: JsonOut = None,
                 capacity: CapacityOpt = None, time_limit: TimeLimitOpt = None) -> None:
    """Break-even prices per offering, walk-away prices per vendor, the cost of each rule."""
    setup = _setup(scenario, capacity, time_limit)
    with progress_bar("re-solving the plan at other prices") as progress:
        result = leverage(setup, progress=progress)
    if write_json(json_out, result.to_dict()):
        out.print(analysis_tables.offerings_table(result))
        out.print(analysis_tables.vendors_table(result))
        if result.policy_costs:
            out.print(analysis_tables.policy_costs_table(result))
        gap = f", each within a MILP gap of {result.mip_gap:.1%}" if result.mip_gap else ""
        out.print(f"{result.solves} re-solves in {result.solve_s:.1f} s{gap}; prices scale "
                  f"every tier of an offering together", highlight=False)


@user_errors
def drill_cmd(scenario: ScenarioArg,
              lose: Annotated[str, typer.Option(
                  "--lose", help="The vendor, cloud or region lost (e.g. nvidia, aws, "
                                 "us-east-1).")],
              domain: Annotated[str | None, typer.Option(
                  help="vendor, cloud or region (default: found from the name).")] = None,
              json_out: JsonOut = None, capacity: CapacityOpt = None,
              time_limit: TimeLimitOpt = None,
              simulate: Annotated[bool, typer.Option(
                  help="Simulate what is left at each workload's peak.")] = True) -> None:
    """An outage: what is left of the plan, what it cannot serve, the cheapest recovery."""
    setup = _setup(scenario, capacity, time_limit)
    kind = _domain_of(setup, lose, domain)
    result = drill(setup, kind, lose, simulate=simulate)
    if write_json(json_out, result.to_dict()):
        for table in analysis_tables.drill_tables(result):
            out.print(table)
        for note in result.notes:
            out.print(f"[yellow]note[/]: {escape(note)}", highlight=False)


def _domain_of(setup: Setup, name: str, domain: str | None) -> LossDomain:
    from fleetmix.analyze.drill import domain_values
    kinds: tuple[LossDomain, ...] = ("vendor", "cloud", "region")
    if domain is not None:
        if domain not in kinds:
            raise InputError(f"--domain {domain!r}: expected one of {', '.join(kinds)}")
        return domain
    for kind in kinds:
        if name in domain_values(setup, kind):
            return kind
    known = {v for k in kinds for v in domain_values(setup, k)}
    raise UnknownNameError("--lose vendor, cloud or region (of the scenario's candidates)",
                           name, known)


@user_errors
def frontier_cmd(scenario: ScenarioArg,
                 over: Annotated[str, typer.Option(
                     "--over", help=f"Policy parameter to sweep: {', '.join(PARAMETERS)}.")
                 ] = "max_vendor_share",
                 values: Annotated[str | None, typer.Option(
                     "--values", help="Comma-separated values (default: a sweep around the "
                                      "scenario's setting).")] = None,
                 json_out: JsonOut = None, capacity: CapacityOpt = None,
                 time_limit: TimeLimitOpt = None) -> None:
    """The plan's cost against one policy parameter, each point a solved plan."""
    if over not in PARAMETERS:
        raise InputError(f"--over {over!r}: expected one of {', '.join(PARAMETERS)}")
    points = _values(values)
    setup = _setup(scenario, capacity, time_limit)
    parameter: Parameter = over
    result = frontier(setup, parameter, points)
    if write_json(json_out, result.to_dict()):
        out.print(analysis_tables.frontier_table(result))
        for note in result.notes:
            out.print(f"[yellow]note[/]: {escape(note)}", highlight=False)


def _values(text: str | None) -> list[float] | None:
    if text is None:
        return None
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise InputError(f"--values {text!r}: expected comma-separated numbers, "
                         f"e.g. 0.5,0.6,0.7") from None
    if not values or any(v < 0 for v in values):
        raise InputError(f"--values {text!r}: expected one or more numbers >= 0")
    return values
