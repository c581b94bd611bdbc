"""Command line: thin Typer commands that parse, call the library and render.

`app` is the `fleetmix` command; each sub-module holds the commands of one area and this
module registers them, in the order `fleetmix --help` lists them.
"""

from __future__ import annotations

import typer

from fleetmix.cli import (
    analyze_cmds,
    calibrate_cmds,
    montecarlo_cmds,
    perf_cmds,
    plan_cmds,
    report_cmds,
    sim_cmds,
)
from fleetmix.cli.catalog_cmds import catalog_app
from fleetmix.cli.sim_cmds import trace_app

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="Plan multi-vendor LLM inference fleets.")
app.add_typer(catalog_app, name="catalog")
app.command("archs")(perf_cmds.archs)
app.command("estimate")(perf_cmds.estimate_cmd)
app.command("compare")(perf_cmds.compare_cmd)
app.command("validate")(perf_cmds.validate_cmd)
app.add_typer(trace_app, name="trace")
app.command("simulate")(sim_cmds.simulate_cmd)
app.command("capacity")(sim_cmds.capacity_cmd)
app.command("plan")(plan_cmds.plan_cmd)
app.command("leverage")(analyze_cmds.leverage_cmd)
app.command("drill")(analyze_cmds.drill_cmd)
app.command("frontier")(analyze_cmds.frontier_cmd)
app.command("montecarlo")(montecarlo_cmds.montecarlo_cmd)
app.command("report")(report_cmds.report_cmd)
app.command("calibrate")(calibrate_cmds.calibrate_cmd)
app.command("measure")(calibrate_cmds.measure_cmd)

__all__ = ["app", "main"]


def main() -> None:
    """Console entry point (`fleetmix = "fleetmix.cli:main"`)."""
    app()
