"""`fleetmix trace info | simulate | capacity`: traces and the serving simulator.

`simulate` and `capacity` are plain functions; `fleetmix.cli` registers them on the app.
"""

from __future__ import annotations

from typing import Annotated

import typer

from fleetmix import workload
from fleetmix.cli._common import (
    AcceleratorsOpt,
    ColumnOpt,
    JsonOpt,
    ProfileOpt,
    TraceFormatOpt,
    _catalog,
    _deployment,
    _deployment_dict,
    _deployment_title,
    _print_json,
    _slo,
    _trace,
    out,
    user_errors,
)
from fleetmix.errors import InputError
from fleetmix.report import tables
from fleetmix.sim import CapacityCache, Router, find_capacity, simulate_clients, simulate_trace

trace_app = typer.Typer(no_args_is_help=True, help="Request traces.")

ArchOpt = Annotated[str, typer.Option(help="Built-in arch name or config.json path.")]
AcceleratorOpt = Annotated[str | None, typer.Option(
    help="Accelerator id; optional with --profile.")]
ChipsOpt = Annotated[int, typer.Option(min=1, help="Chips in one replica.")]
PrecisionOpt = Annotated[str, typer.Option(help="bf16, fp8 or fp4.")]
ParallelOpt = Annotated[int | None, typer.Option(min=1)]
EngineOpt = Annotated[str | None, typer.Option(help="Serving stack.")]
SloTtft50 = Annotated[float | None, typer.Option("--slo-ttft-p50", help="TTFT p50 target, s.")]
SloTtft90 = Annotated[float | None, typer.Option("--slo-ttft-p90", help="TTFT p90 target, s.")]
SloTtft99 = Annotated[float | None, typer.Option("--slo-ttft-p99", help="TTFT p99 target, s.")]
SloTpot50 = Annotated[float | None, typer.Option("--slo-tpot-p50", help="TPOT p50 target, s.")]
SloTpot90 = Annotated[float | None, typer.Option("--slo-tpot-p90", help="TPOT p90 target, s.")]
SloTpot99 = Annotated[float | None, typer.Option("--slo-tpot-p99", help="TPOT p99 target, s.")]


@trace_app.command("info")
@user_errors
def trace_info(
    name: Annotated[str, typer.Argument(help="Built-in trace (azure-code, azure-conv) or a file.")],
    fmt: TraceFormatOpt = None,
    column: ColumnOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Rate, burstiness and length distributions of a trace."""
    trace = _trace(name, fmt, column)
    summary = trace.summary()
    if as_json:
        _print_json({"name": trace.name, "source": trace.source, **summary,
                     "notes": list(trace.notes)})
    else:
        out.print(tables.trace_table(trace.name, trace.source, summary, trace.notes))


def _open_loop_traffic(trace: str | None, fmt: str | None, column: list[str] | None,
                       rate: float | None, isl: int | None, osl: int | None,
                       requests: int | None) -> workload.Trace:
    """The requests of an open-loop run: a trace (maybe rescaled) or a Poisson stream."""
    if trace is not None:
        if isl is not None or osl is not None:
            raise InputError("--trace brings its own lengths; drop --isl/--osl")
        traffic = _trace(trace, fmt, column)
        if rate is not None:
            traffic = workload.rescale_rate(traffic, rate)
    elif isl is not None and osl is not None and rate is not None:
        traffic = workload.synthetic_trace(
            rate_rps=rate, lengths=workload.FixedLengths(input_tokens=isl, output_tokens=osl),
            num_requests=requests or 2000)
    else:
        raise InputError("give --trace [--rate], or --isl --osl --rate (Poisson), or "
                         "--isl --osl --concurrency (closed loop)")
    if requests is not None:
        traffic = workload.head(traffic, requests)
    return traffic


@user_errors
def simulate_cmd(
    arch: ArchOpt,
    accelerator: AcceleratorOpt = None,
    chips: ChipsOpt = 1,
    precision: PrecisionOpt = "fp8",
    tp: ParallelOpt = None,
    pp: ParallelOpt = None,
    ep: ParallelOpt = None,
    engine: EngineOpt = None,
    trace: Annotated[str | None, typer.Option(help="Trace: built-in name or file (open loop).")
                     ] = None,
    fmt: TraceFormatOpt = None,
    column: ColumnOpt = None,
    rate: Annotated[float | None, typer.Option(
        min=0.0, help="Requests/s: rescales the trace (burstiness kept), or a Poisson stream of "
                      "--isl/--osl requests.")] = None,
    isl: Annotated[int | None, typer.Option(min=1, help="Input tokens (fixed shape).")] = None,
    osl: Annotated[int | None, typer.Option(min=1, help="Output tokens (fixed shape).")] = None,
    concurrency: Annotated[int | None, typer.Option(
        min=1, help="Closed loop: this many clients, each sending when its last request ends.")
                           ] = None,
    requests: Annotated[int | None, typer.Option(
        min=1, help="Requests to simulate (default: the whole trace, or 10 per client).")
                        ] = None,
    replicas: Annotated[int, typer.Option(min=1, help="Replicas behind the router.")] = 1,
    router: Annotated[str, typer.Option(
        help="round-robin or least-outstanding-tokens.")] = "round-robin",
    slo_ttft_p50: SloTtft50 = None, slo_ttft_p90: SloTtft90 = None,
    slo_ttft_p99: SloTtft99 = None, slo_tpot_p50: SloTpot50 = None,
    slo_tpot_p90: SloTpot90 = None, slo_tpot_p99: SloTpot99 = None,
    accelerators: AcceleratorsOpt = None,
    profile: ProfileOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Serve traffic with a modelled engine: TTFT, TPOT, queueing, preemption, throughput."""
    cat = _catalog(None, accelerators)
    slo = _slo({50: slo_ttft_p50, 90: slo_ttft_p90, 99: slo_ttft_p99},
               {50: slo_tpot_p50, 90: slo_tpot_p90, 99: slo_tpot_p99})
    routers = {r.value: r for r in Router}
    if router not in routers:
        raise InputError(f"--router {router!r}: expected one of {', '.join(routers)}")
    if concurrency is not None:
        if trace is not None or rate is not None:
            raise InputError("--concurrency (closed loop) excludes --trace and --rate")
        if isl is None or osl is None:
            raise InputError("--concurrency needs --isl and --osl")
        dep = _deployment(cat, arch, accelerator, chips, precision, tp, pp, ep, engine, isl, osl,
                          profile)
        result = simulate_clients(dep, concurrency=concurrency,
                                  num_requests=requests or 10 * concurrency,
                                  input_tokens=[isl], output_tokens=[osl], replicas=replicas,
                                  slo=slo)
    else:
        traffic = _open_loop_traffic(trace, fmt, column, rate, isl, osl, requests)
        mean_isl, mean_osl = traffic.mean_shape_tokens
        dep = _deployment(cat, arch, accelerator, chips, precision, tp, pp, ep, engine,
                          mean_isl, mean_osl, profile)
        result = simulate_trace(dep, traffic, replicas=replicas, router=routers[router],
                                slo=slo)
    if as_json:
        _print_json({"deployment": _deployment_dict(dep), **result.to_dict()})
    else:
        out.print(tables.simulation_table(result, _deployment_title(dep)))


@user_errors
def capacity_cmd(
    arch: ArchOpt,
    trace: Annotated[str, typer.Option(help="Trace: built-in name or file.")],
    accelerator: AcceleratorOpt = None,
    chips: ChipsOpt = 1,
    precision: PrecisionOpt = "fp8",
    tp: ParallelOpt = None,
    pp: ParallelOpt = None,
    ep: ParallelOpt = None,
    engine: EngineOpt = None,
    fmt: TraceFormatOpt = None,
    column: ColumnOpt = None,
    requests: Annotated[int, typer.Option(min=10, help="Requests simulated per probe.")] = 2000,
    slo_ttft_p50: SloTtft50 = None, slo_ttft_p90: SloTtft90 = None,
    slo_ttft_p99: SloTtft99 = None, slo_tpot_p50: SloTpot50 = None,
    slo_tpot_p90: SloTpot90 = None, slo_tpot_p99: SloTpot99 = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Ignore the on-disk cache.")
                        ] = False,
    accelerators: AcceleratorsOpt = None,
    profile: ProfileOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The highest request rate one replica sustains on a trace while meeting the SLO."""
    cat = _catalog(None, accelerators)
    slo = _slo({50: slo_ttft_p50, 90: slo_ttft_p90, 99: slo_ttft_p99},
               {50: slo_tpot_p50, 90: slo_tpot_p90, 99: slo_tpot_p99})
    if slo.empty:
        raise InputError("capacity needs an SLO: give at least one --slo-ttft-pXX or "
                         "--slo-tpot-pXX")
    traffic = _trace(trace, fmt, column)
    dep = _deployment(cat, arch, accelerator, chips, precision, tp, pp, ep, engine,
                      *traffic.mean_shape_tokens, profile)
    result = find_capacity(dep, traffic, slo, requests=requests,
                           cache=None if no_cache else CapacityCache())
    if as_json:
        _print_json({"deployment": _deployment_dict(dep), "trace": traffic.name,
                     **result.to_dict()})
    else:
        out.print(tables.capacity_table(result, _deployment_title(dep), traffic.name))
