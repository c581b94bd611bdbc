"""`fleetmix archs | estimate | compare | validate`: the static performance model.

The commands are plain functions; `fleetmix.cli` registers them on the app.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from fleetmix import arch as arch_lib
from fleetmix import catalog as catalog_lib
from fleetmix.catalog.records import PRICE_TIERS
from fleetmix.cli._common import (
    AcceleratorsOpt,
    JsonOpt,
    OfferingsOpt,
    ProfileOpt,
    _catalog,
    _hardware,
    _print_json,
    out,
    user_errors,
)
from fleetmix.errors import InputError
from fleetmix.perf import Price, catalog_price, compare, estimate, shipped_engine_table
from fleetmix.perf.validate import ValidationRow, validate
from fleetmix.report import tables
from fleetmix.sim import validate_serving

MaxTpotOpt = Annotated[float | None, typer.Option(
    min=0.001, help="Only operating points with time per output token at most this.")]


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
    off = cat.offering(offering)
    if off.accelerator != acc_id:
        raise InputError(f"--offering {offering} sells {off.accelerator}, not {acc_id}")
    per_chip = off.price_usd_per_chip_hour(tier)
    if per_chip is None:
        raise InputError(f"--offering {offering} has no {tier} price; it lists: "
                         f"{', '.join(off.prices_usd_per_hour) or 'none'}")
    return Price(usd_per_chip_hour=per_chip, offering=off.id, tier=tier,
                 confirmed=off.price_confirmed)


@user_errors
def estimate_cmd(
    arch: Annotated[str, typer.Option(help="Built-in arch name or config.json path.")],
    accelerator: Annotated[str | None, typer.Option(
        help="Accelerator id (see `catalog accelerators`); optional with --profile.")] = None,
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
    max_tpot_ms: MaxTpotOpt = None,
    offering: Annotated[str | None, typer.Option(help="Price from this offering id.")] = None,
    tier: Annotated[str, typer.Option(help="Price tier.")] = "on_demand",
    price_usd_per_chip_hour: Annotated[float | None, typer.Option(
        help="Your own price per chip-hour.")] = None,
    offerings: OfferingsOpt = None,
    accelerators: AcceleratorsOpt = None,
    profile: ProfileOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Predict one deployment: fit, layout, throughput, TTFT/TPOT, tokens/J, $/M tokens."""
    cat = _catalog(offerings, accelerators)
    acc, engine, efficiency = _hardware(cat, accelerator, profile, precision, engine)
    arch_rec = arch_lib.load_arch(arch)
    in_catalog = acc.id in cat.accelerators
    price = (_price(cat, acc.id, offering, tier, price_usd_per_chip_hour)
             if in_catalog or offering or price_usd_per_chip_hour else None)
    est = estimate(arch_rec, acc, chips=chips, precision=precision, isl=isl, osl=osl, tp=tp,
                   pp=pp, ep=ep, engine=engine, kv_precision=kv_precision,
                   concurrency=concurrency, price=price, efficiency=efficiency,
                   max_tpot_s=None if max_tpot_ms is None else max_tpot_ms / 1e3)
    if as_json:
        _print_json(est.to_dict())
    else:
        out.print(tables.estimate_table(est))


@user_errors
def compare_cmd(
    arch: Annotated[str, typer.Option(help="Built-in arch name or config.json path.")],
    isl: Annotated[int, typer.Option(min=1, help="Input tokens per request.")] = 1000,
    osl: Annotated[int, typer.Option(min=1, help="Output tokens per request.")] = 1000,
    precision: Annotated[str | None, typer.Option(
        help="bf16, fp8 or fp4 (default: fp8 where supported, else bf16).")] = None,
    vendor: Annotated[list[str] | None, typer.Option(help="Only these vendors.")] = None,
    tier: Annotated[str, typer.Option(help="Price tier.")] = "on_demand",
    max_tpot_ms: MaxTpotOpt = None,
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


def _validate_serving(as_json: bool) -> None:
    summary = validate_serving()
    medians = {m: summary.median_abs_error(m) for m in ("ttft", "tpot")}
    table = shipped_engine_table()
    moe = {"value": table.moe_matmul_ratio, "source": table.moe_matmul_ratio_source}
    if as_json:
        _print_json({
            "median_abs_error_ttft": medians["ttft"], "median_abs_error_tpot": medians["tpot"],
            "moe_matmul_ratio": moe,
            "by_source": {src: {"rows": sum(not r.excluded and r.measurement.source == src
                                            for r in summary.rows),
                                **{f"median_abs_error_{m}": summary.median_abs_error(m, src)
                                   for m in ("ttft", "tpot")}}
                          for src in summary.sources},
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
    for src in summary.sources:
        rows = sum(r.measurement.source == src for r in counted)
        out.print(f"{escape(_short_source(src))}: {rows} rows; median |error| TTFT "
                  f"{summary.median_abs_error('ttft', src):.1%}, TPOT "
                  f"{summary.median_abs_error('tpot', src):.1%}", highlight=False)
    out.print(f"included rows: {len(counted)}; median |error| TTFT {medians['ttft']:.1%}, "
              f"TPOT {medians['tpot']:.1%}")
    if any(arch_lib.load_arch(r.measurement.arch).is_moe for r in counted):
        out.print(f"MoE rows: expert GEMMs at {moe['value']:g} x matmul_eff, "
                  f"{escape(str(moe['source']))}", highlight=False)


def _short_source(source: str) -> str:
    """'github:owner/repo@commit:path' -> 'github:owner/repo'; URLs unchanged."""
    return source.split("@", 1)[0] if source.startswith("github:") else source
