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
from fleetmix.catalog.records import PRICE_TIERS
from fleetmix.errors import FleetmixError, InputError
from fleetmix.perf import Price, catalog_price, compare, estimate
from fleetmix.perf.validate import ValidationRow, validate
from fleetmix.report import tables

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
def validate_cmd(as_json: JsonOpt = False) -> None:
    """Predictions against published measurements: error per row and the median."""
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


def main() -> None:
    app()


if __name__ == "__main__":
    main()
