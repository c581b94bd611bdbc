"""Command line: thin Typer commands that parse, call the library and render."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from fleetmix import arch as arch_lib
from fleetmix import catalog as catalog_lib
from fleetmix import workload
from fleetmix.catalog.records import PRICE_TIERS
from fleetmix.errors import FleetmixError, InputError
from fleetmix.perf import Deployment, Price, catalog_price, compare, estimate, make_deployment
from fleetmix.perf.estimate import fastest_layout
from fleetmix.perf.validate import ValidationRow, validate
from fleetmix.report import tables
from fleetmix.sim import (
    CapacityCache,
    Router,
    Slo,
    find_capacity,
    simulate_clients,
    simulate_trace,
    validate_serving,
)

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="Plan multi-vendor LLM inference fleets.")
catalog_app = typer.Typer(no_args_is_help=True, help="Accelerators and offerings.")
app.add_typer(catalog_app, name="catalog")

# Piped output keeps full tables (Rich would otherwise wrap them to 80 columns).
out = Console(width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True)

P = ParamSpec("P")
R = TypeVar("R")

OfferingsOpt = Annotated[list[Path] | None, typer.Option(
    "--offerings", help="Extra offerings CSV (adds rows; same id replaces a shipped row).")]
AcceleratorsOpt = Annotated[list[Path] | None, typer.Option(
    "--accelerators", help="Extra accelerators YAML (adds or replaces chips).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of a table.")]


def user_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn a FleetmixError into a one-line message and exit status 1, never a traceback."""
    @wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except FleetmixError as exc:
            err.print(f"[bold red]{type(exc).__name__}[/]: {escape(str(exc))}",
                      highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None
    return wrapper


def _print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, indent=2, default=str) + "\n")


def _catalog(offerings: list[Path] | None, accelerators: list[Path] | None
             ) -> catalog_lib.Catalog:
    return catalog_lib.load_catalog(extra_offerings=offerings or (),
                                    extra_accelerators=accelerators or ())


@catalog_app.command("accelerators")
@user_errors
def catalog_accelerators(
    vendor: Annotated[str | None, typer.Option(help="Only this vendor.")] = None,
    accelerators: AcceleratorsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Every chip of every vendor: dense peaks, memory, scale-up, power, with sources."""
    cat = _catalog(None, accelerators)
    accs = [a for a in cat.accelerators.values() if vendor is None or a.vendor == vendor]
    if vendor is not None and not accs:
        raise InputError(f"--vendor {vendor!r}: expected one of {', '.join(cat.vendors())}")
    if as_json:
        _print_json([catalog_lib.accelerator_to_dict(a) for a in accs])
    else:
        out.print(tables.accelerators_table(accs))


@catalog_app.command("offerings")
@user_errors
def catalog_offerings(
    vendor: Annotated[str | None, typer.Option(help="Only this accelerator vendor.")] = None,
    cloud: Annotated[str | None, typer.Option(help="Only this cloud.")] = None,
    accelerator: Annotated[str | None, typer.Option(help="Only this accelerator.")] = None,
    offerings: OfferingsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """How to buy each chip: cloud, region, instance, price tiers, as-of date and source."""
    cat = _catalog(offerings, None)
    if vendor is not None and vendor not in cat.vendors():
        raise InputError(f"--vendor {vendor!r}: expected one of {', '.join(cat.vendors())}")
    acc_id = cat.accelerator(accelerator).id if accelerator else None
    rows = [o for o in cat.offerings
            if (vendor is None or cat.accelerators[o.accelerator].vendor == vendor)
            and (cloud is None or o.cloud == cloud)
            and (acc_id is None or o.accelerator == acc_id)]
    if as_json:
        _print_json([catalog_lib.offering_to_dict(o) for o in rows])
    else:
        out.print(tables.offerings_table(rows, PRICE_TIERS))


@catalog_app.command("import-skypilot")
@user_errors
def catalog_import_skypilot(
    vms_csv: Annotated[Path, typer.Argument(help="A SkyPilot catalog vms.csv.")],
    out_path: Annotated[Path, typer.Option("--out", help="Offerings CSV to write.")] = Path(
        "offerings.csv"),
    cloud: Annotated[str | None, typer.Option(help="Cloud name, if not in the path.")] = None,
) -> None:
    """Convert a SkyPilot-format catalog into a fleetmix offerings file (written atomically)."""
    offerings, skipped = catalog_lib.read_skypilot_vms(vms_csv, cloud=cloud)
    catalog_lib.write_offerings_csv(offerings, out_path)
    out.print(f"wrote {len(offerings)} offerings to {out_path}; skipped {len(skipped)} rows")
    for reason in skipped[:20]:
        out.print(f"  skipped: {reason}", highlight=False)
    if len(skipped) > 20:
        out.print(f"  ... and {len(skipped) - 20} more")


@app.command("archs")
@user_errors
def archs(
    name: Annotated[str | None, typer.Argument(help="A built-in name or a config.json path.")
                    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Built-in LLM architectures (or one, from a name or a Hugging Face config.json)."""
    found = [arch_lib.load_arch(name)] if name else list(arch_lib.builtin_archs())
    if as_json:
        _print_json([a.summary() for a in found])
    else:
        out.print(tables.archs_table(found))


def _price(cat: catalog_lib.Catalog, acc_id: str, offering: str | None, tier: str,
           usd_per_chip_hour: float | None) -> Price | None:
    if usd_per_chip_hour is not None:
        if usd_per_chip_hour <= 0:
            raise InputError(f"--price-usd-per-chip-hour ({usd_per_chip_hour}) must be > 0")
        return Price(usd_per_chip_hour=usd_per_chip_hour, offering="user", tier="quoted")
    if tier not in PRICE_TIERS:
        raise InputError(f"--tier {tier!r}: expected one of {', '.join(PRICE_TIERS)}")
    if offering is None:
        return catalog_price(cat, acc_id, tier)
    match = [o for o in cat.offerings if o.id == offering]
    if not match:
        raise catalog_lib.UnknownNameError("offering", offering, [o.id for o in cat.offerings])
    off = match[0]
    if off.accelerator != acc_id:
        raise InputError(f"--offering {offering} sells {off.accelerator}, not {acc_id}")
    per_chip = off.price_usd_per_chip_hour(tier)
    if per_chip is None:
        raise InputError(f"--offering {offering} has no {tier} price; it lists: "
                         f"{', '.join(off.prices_usd_per_hour) or 'none'}")
    return Price(usd_per_chip_hour=per_chip, offering=off.id, tier=tier,
                 confirmed=off.price_confirmed)


@app.command("estimate")
@user_errors
def estimate_cmd(
    arch: Annotated[str, typer.Option(help="Built-in arch name or config.json path.")],
    accelerator: Annotated[str, typer.Option(help="Accelerator id (see `catalog accelerators`).")],
    chips: Annotated[int, typer.Option(min=1, help="Chips in one replica.")] = 1,
    precision: Annotated[str, typer.Option(help="bf16, fp8 or fp4.")] = "fp8",
    isl: Annotated[int, typer.Option(min=1, help="Input tokens per request.")] = 1000,
    osl: Annotated[int, typer.Option(min=1, help="Output tokens per request.")] = 1000,
    tp: Annotated[int | None, typer.Option(min=1, help="Tensor parallel (default: best).")] = None,
    pp: Annotated[int | None, typer.Option(min=1, help="Pipeline stages (default: best).")] = None,
    ep: Annotated[int | None, typer.Option(min=1, help="Expert parallel (default: best).")] = None,
    engine: Annotated[str | None, typer.Option(help="Serving stack (default: vendor's best).")
                      ] = None,
    kv_precision: Annotated[str | None, typer.Option(help="KV cache: bf16 or fp8.")] = None,
    concurrency: Annotated[int | None, typer.Option(
        min=1, help="Running requests (default: the max-throughput batch).")] = None,
    max_tpot_ms: Annotated[float | None, typer.Option(
        min=0.001, help="Only operating points with time per output token at most this.")
                           ] = None,
    offering: Annotated[str | None, typer.Option(help="Price from this offering id.")] = None,
    tier: Annotated[str, typer.Option(help="Price tier.")] = "on_demand",
    price_usd_per_chip_hour: Annotated[float | None, typer.Option(
        help="Your own price per chip-hour.")] = None,
    offerings: OfferingsOpt = None,
    accelerators: AcceleratorsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Predict one deployment: fit, layout, throughput, TTFT/TPOT, tokens/J, $/M tokens."""
    cat = _catalog(offerings, accelerators)
    acc = cat.accelerator(accelerator)
    arch_rec = arch_lib.load_arch(arch)
    price = _price(cat, acc.id, offering, tier, price_usd_per_chip_hour)
    est = estimate(arch_rec, acc, chips=chips, precision=precision, isl=isl, osl=osl, tp=tp,
                   pp=pp, ep=ep, engine=engine, kv_precision=kv_precision,
                   concurrency=concurrency, price=price,
                   max_tpot_s=None if max_tpot_ms is None else max_tpot_ms / 1e3)
    if as_json:
        _print_json(est.to_dict())
    else:
        out.print(tables.estimate_table(est))


@app.command("compare")
@user_errors
def compare_cmd(
    arch: Annotated[str, typer.Option(help="Built-in arch name or config.json path.")],
    isl: Annotated[int, typer.Option(min=1, help="Input tokens per request.")] = 1000,
    osl: Annotated[int, typer.Option(min=1, help="Output tokens per request.")] = 1000,
    precision: Annotated[str | None, typer.Option(
        help="bf16, fp8 or fp4 (default: fp8 where supported, else bf16).")] = None,
    vendor: Annotated[list[str] | None, typer.Option(help="Only these vendors.")] = None,
    tier: Annotated[str, typer.Option(help="Price tier.")] = "on_demand",
    max_tpot_ms: Annotated[float | None, typer.Option(
        min=0.001, help="Only operating points with time per output token at most this.")
                           ] = None,
    offerings: OfferingsOpt = None,
    accelerators: AcceleratorsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Every accelerator ranked by $ per million output tokens, tokens/s/chip and tokens/J."""
    cat = _catalog(offerings, accelerators)
    if tier not in PRICE_TIERS:
        raise InputError(f"--tier {tier!r}: expected one of {', '.join(PRICE_TIERS)}")
    for v in vendor or ():
        if v not in cat.vendors():
            raise InputError(f"--vendor {v!r}: expected one of {', '.join(cat.vendors())}")
    arch_rec = arch_lib.load_arch(arch)
    result = compare(arch_rec, cat, isl=isl, osl=osl, precision=precision, vendors=vendor,
                     tier=tier, max_tpot_s=None if max_tpot_ms is None else max_tpot_ms / 1e3)
    if as_json:
        _print_json({"arch": arch_rec.name, "isl": isl, "osl": osl, "tier": tier,
                     "max_tpot_ms": max_tpot_ms,
                     "rows": [r.to_dict() for r in result.rows],
                     "skipped": [{"accelerator": a, "reason": r} for a, r in result.skipped]})
    else:
        slo = "" if max_tpot_ms is None else f", TPOT <= {max_tpot_ms:g} ms"
        out.print(tables.comparison_table(
            result, f"{arch_rec.name}, ISL {isl} / OSL {osl}{slo}: best replica per "
                    f"accelerator, {tier} prices"))


@app.command("validate")
@user_errors
def validate_cmd(
    serving: Annotated[bool, typer.Option(
        "--serving", help="Simulated TTFT/TPOT against published serving benchmarks.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Predictions against published measurements: error per row and the median."""
    if serving:
        _validate_serving(as_json)
        return
    summary = validate()
    excluded: dict[str, list[ValidationRow]] = {}
    for row in summary.rows:
        if row.measurement.exclude_reason:
            excluded.setdefault(row.measurement.exclude_reason, []).append(row)
    if as_json:
        _print_json({
            "median_abs_error": summary.median_abs_error,
            "median_abs_error_throughput": summary.median_abs_error_throughput,
            "max_abs_error": summary.max_abs_error,
            "included_rows": summary.included_count,
            "rows": [{**vars(r.measurement), "predicted": r.predicted,
                      "rel_error": r.rel_error, "included": r.included, "error": r.error}
                     for r in summary.rows],
        })
        return
    out.print(tables.validation_table(summary))
    for reason, rows in excluded.items():
        source = rows[0].measurement.source.split(" (")[0]
        out.print(f"[yellow]excluded[/] {len(rows)} rows ({source}): {reason}", highlight=False)
    out.print(
        f"included rows: {summary.included_count}; median |error| "
        f"{summary.median_abs_error:.1%} (throughput rows "
        f"{summary.median_abs_error_throughput:.1%}); max |error| {summary.max_abs_error:.1%}"
    )


trace_app = typer.Typer(no_args_is_help=True, help="Request traces.")
app.add_typer(trace_app, name="trace")

TraceFormatOpt = Annotated[str | None, typer.Option(
    "--format", help="azure, burstgpt, csv or parquet (default: detected).")]
ColumnOpt = Annotated[list[str] | None, typer.Option(
    "--column", help="Column mapping for csv/parquet, e.g. arrival_s=ts (repeatable).")]


def _columns(pairs: list[str] | None) -> dict[str, str] | None:
    if not pairs:
        return None
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or key not in ("arrival_s", "input_tokens", "output_tokens"):
            raise InputError(f"--column {pair!r}: expected arrival_s=NAME, input_tokens=NAME "
                             f"or output_tokens=NAME")
        out[key] = value
    return out


def _trace(name: str, fmt: str | None, columns: list[str] | None) -> workload.Trace:
    if fmt is not None and fmt not in ("azure", "burstgpt", "csv", "parquet"):
        raise InputError(f"--format {fmt!r}: expected azure, burstgpt, csv or parquet")
    return workload.load_trace(name, format=fmt, columns=_columns(columns))  # type: ignore[arg-type]


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


def _slo(ttft: dict[int, float | None], tpot_ms: dict[int, float | None]) -> Slo:
    try:
        return Slo(ttft_s={p: v for p, v in ttft.items() if v is not None},
                   tpot_s={p: v for p, v in tpot_ms.items() if v is not None})
    except ValueError as exc:
        raise InputError(f"SLO: {exc}") from None


def _deployment(cat: catalog_lib.Catalog, arch: str, accelerator: str, chips: int,
                precision: str, tp: int | None, pp: int | None, ep: int | None,
                engine: str | None, isl: int, osl: int) -> Deployment:
    """The deployment to simulate: the layout given, else the one with the lowest TPOT."""
    acc = cat.accelerator(accelerator)
    arch_rec = arch_lib.load_arch(arch)
    if tp is None and pp is None and ep is None:
        est = fastest_layout(arch_rec, acc, chips=chips, precision=precision, isl=isl,
                             osl=osl, engine=engine)
    else:
        est = estimate(arch_rec, acc, chips=chips, precision=precision, isl=isl, osl=osl,
                       tp=tp, pp=pp, ep=ep, engine=engine)
    return make_deployment(arch_rec, acc, tp=est.tp, pp=est.pp, ep=est.ep,
                           precision=precision, engine=engine)


SloTtft50 = Annotated[float | None, typer.Option("--slo-ttft-p50", help="TTFT p50 target, s.")]
SloTtft90 = Annotated[float | None, typer.Option("--slo-ttft-p90", help="TTFT p90 target, s.")]
SloTtft99 = Annotated[float | None, typer.Option("--slo-ttft-p99", help="TTFT p99 target, s.")]
SloTpot50 = Annotated[float | None, typer.Option("--slo-tpot-p50", help="TPOT p50 target, s.")]
SloTpot90 = Annotated[float | None, typer.Option("--slo-tpot-p90", help="TPOT p90 target, s.")]
SloTpot99 = Annotated[float | None, typer.Option("--slo-tpot-p99", help="TPOT p99 target, s.")]


@app.command("simulate")
@user_errors
def simulate_cmd(
    arch: Annotated[str, typer.Option(help="Built-in arch name or config.json path.")],
    accelerator: Annotated[str, typer.Option(help="Accelerator id.")],
    chips: Annotated[int, typer.Option(min=1, help="Chips in one replica.")] = 1,
    precision: Annotated[str, typer.Option(help="bf16, fp8 or fp4.")] = "fp8",
    tp: Annotated[int | None, typer.Option(min=1)] = None,
    pp: Annotated[int | None, typer.Option(min=1)] = None,
    ep: Annotated[int | None, typer.Option(min=1)] = None,
    engine: Annotated[str | None, typer.Option(help="Serving stack.")] = None,
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
        dep = _deployment(cat, arch, accelerator, chips, precision, tp, pp, ep, engine, isl, osl)
        result = simulate_clients(dep, concurrency=concurrency,
                                  num_requests=requests or 10 * concurrency,
                                  input_tokens=[isl], output_tokens=[osl], replicas=replicas,
                                  slo=slo)
    else:
        if trace is not None:
            if isl is not None or osl is not None:
                raise InputError("--trace brings its own lengths; drop --isl/--osl")
            traffic = _trace(trace, fmt, column)
            if rate is not None:
                traffic = workload.rescale_rate(traffic, rate)
        elif isl is not None and osl is not None and rate is not None:
            traffic = workload.synthetic_trace(
                rate_rps=rate, lengths=workload.FixedLengths(input_tokens=isl,
                                                             output_tokens=osl),
                num_requests=requests or 2000)
        else:
            raise InputError("give --trace [--rate], or --isl --osl --rate (Poisson), or "
                             "--isl --osl --concurrency (closed loop)")
        if requests is not None:
            traffic = workload.head(traffic, requests)
        mean_isl = max(1, int(traffic.input_tokens.mean())) if traffic.num_requests else 1
        mean_osl = max(1, int(traffic.output_tokens.mean())) if traffic.num_requests else 1
        dep = _deployment(cat, arch, accelerator, chips, precision, tp, pp, ep, engine,
                          mean_isl, mean_osl)
        result = simulate_trace(dep, traffic, replicas=replicas, router=routers[router],
                                slo=slo)
    if as_json:
        _print_json({"deployment": _deployment_dict(dep), **result.to_dict()})
    else:
        out.print(tables.simulation_table(result, _deployment_title(dep)))


def _validate_serving(as_json: bool) -> None:
    summary = validate_serving()
    medians = {m: summary.median_abs_error(m) for m in ("ttft", "tpot")}
    if as_json:
        _print_json({
            "median_abs_error_ttft": medians["ttft"], "median_abs_error_tpot": medians["tpot"],
            "rows": [{**vars(r.measurement), "predicted_ms": r.predicted_ms,
                      "rel_error": r.rel_error, "excluded": r.excluded} for r in summary.rows],
        })
        return
    out.print(tables.serving_validation_table(summary))
    reasons = sorted({r.excluded for r in summary.rows if r.excluded})
    for reason in reasons:
        count = sum(r.excluded == reason for r in summary.rows)
        out.print(f"[yellow]excluded[/] {count} rows: {escape(reason)}", highlight=False)
    counted = [r for r in summary.rows if not r.excluded]
    out.print(f"included rows: {len(counted)}; median |error| TTFT {medians['ttft']:.1%}, "
              f"TPOT {medians['tpot']:.1%}")


def _deployment_dict(dep: Deployment) -> dict[str, Any]:
    return {"arch": dep.arch.name, "accelerator": dep.accelerator.id, "chips": dep.chips,
            "tp": dep.tp, "pp": dep.pp, "ep": dep.ep, "precision": dep.precision,
            "engine": dep.engine.id}


def _deployment_title(dep: Deployment) -> str:
    return (f"{dep.arch.name} on {dep.chips}x {dep.accelerator.id} (tp{dep.tp} pp{dep.pp}"
            f"{f' ep{dep.ep}' if dep.ep > 1 else ''}, {dep.precision}, {dep.engine.id})")


@app.command("capacity")
@user_errors
def capacity_cmd(
    arch: Annotated[str, typer.Option(help="Built-in arch name or config.json path.")],
    accelerator: Annotated[str, typer.Option(help="Accelerator id.")],
    trace: Annotated[str, typer.Option(help="Trace: built-in name or file.")],
    chips: Annotated[int, typer.Option(min=1, help="Chips in one replica.")] = 1,
    precision: Annotated[str, typer.Option(help="bf16, fp8 or fp4.")] = "fp8",
    tp: Annotated[int | None, typer.Option(min=1)] = None,
    pp: Annotated[int | None, typer.Option(min=1)] = None,
    ep: Annotated[int | None, typer.Option(min=1)] = None,
    engine: Annotated[str | None, typer.Option(help="Serving stack.")] = None,
    fmt: TraceFormatOpt = None,
    column: ColumnOpt = None,
    requests: Annotated[int, typer.Option(min=10, help="Requests simulated per probe.")] = 2000,
    slo_ttft_p50: SloTtft50 = None, slo_ttft_p90: SloTtft90 = None,
    slo_ttft_p99: SloTtft99 = None, slo_tpot_p50: SloTpot50 = None,
    slo_tpot_p90: SloTpot90 = None, slo_tpot_p99: SloTpot99 = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Ignore the on-disk cache.")
                        ] = False,
    accelerators: AcceleratorsOpt = None,
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
                      max(1, int(traffic.input_tokens.mean())),
                      max(1, int(traffic.output_tokens.mean())))
    result = find_capacity(dep, traffic, slo, requests=requests,
                           cache=None if no_cache else CapacityCache())
    if as_json:
        _print_json({"deployment": _deployment_dict(dep), "trace": traffic.name,
                     **result.to_dict()})
    else:
        out.print(tables.capacity_table(result, _deployment_title(dep), traffic.name))


def main() -> None:
    app()


if __name__ == "__main__":
    main()
