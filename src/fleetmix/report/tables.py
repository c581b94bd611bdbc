"""Rich tables for the terminal. Rendering only: every number comes from the library."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich.table import Table

from fleetmix.arch.records import Arch
from fleetmix.catalog.records import Accelerator, Offering
from fleetmix.perf.compare import Comparison
from fleetmix.perf.estimate import Estimate
from fleetmix.perf.validate import ValidationSummary
from fleetmix.sim.capacity import CapacityResult
from fleetmix.sim.metrics import LatencyStats, SimResult
from fleetmix.sim.validate import ServingSummary


def _num(value: float | None, fmt: str = ",.0f", unknown: str = "unknown") -> str:
    return unknown if value is None else format(value, fmt)


def accelerators_table(accs: Iterable[Accelerator]) -> Table:
    table = Table(title="Accelerators (dense peaks; sources: `catalog accelerators --json`)")
    for col in ("id", "vendor", "bf16 TF/s", "fp8 TF/s", "fp4 TF/s", "memory GB", "mem TB/s",
                "scale-up GB/s", "domain", "TDP W", "year"):
        table.add_column(col, justify="left" if col in ("id", "vendor") else "right")
    for acc in accs:
        peaks = acc.peak_flops_per_s
        unconfirmed = [k for k, s in acc.sources.items() if not s.confirmed]
        table.add_row(
            acc.id + (" *" if unconfirmed else ""), acc.vendor,
            *(_num(peaks[p] / 1e12 if p in peaks else None, ",.0f", "-")
              for p in ("bf16", "fp8", "fp4")),
            f"{acc.mem_bytes / 1e9:,.0f}", f"{acc.mem_bw_bytes_per_s / 1e12:.2f}",
            _num(None if acc.scaleup_bw_bytes_per_s is None
                 else acc.scaleup_bw_bytes_per_s / 1e9),
            str(acc.scaleup_domain_chips), _num(acc.tdp_w), _num(acc.year, "d", "-"),
        )
    table.caption = "* some values unconfirmed (one weak source); '-' = not supported"
    return table


def offerings_table(offerings: Iterable[Offering], tiers: Sequence[str]) -> Table:
    table = Table(title="Offerings ($ per accelerator-hour)")
    for col in ("offering", "accelerator", "chips", *tiers, "as of"):
        table.add_column(col, justify="right" if col in tiers or col == "chips" else "left")
    for off in offerings:
        prices = [_num(off.price_usd_per_chip_hour(t), ".2f", "-") for t in tiers]
        mark = "" if off.price_confirmed else " *"
        table.add_row(off.id + mark, off.accelerator, str(off.chips), *prices,
                      off.source.as_of.isoformat())
    table.caption = "* price unconfirmed (single weak source); '-' = tier not offered"
    return table


def archs_table(archs: Iterable[Arch]) -> Table:
    table = Table(title="Architectures")
    cols = ("name", "family", "attention", "layers", "hidden", "heads/kv", "params B",
            "active B", "experts", "KV KB/token bf16", "max context")
    for col in cols:
        table.add_column(col, justify="left" if col in ("name", "family", "attention") else "right")
    for a in archs:
        attention = "MLA" if a.is_mla else ("MHA" if a.num_kv_heads == a.num_heads else "GQA")
        experts = f"{a.num_experts} (top-{a.num_experts_per_token})" if a.is_moe else "-"
        table.add_row(
            a.name, a.family, attention, str(a.num_layers), str(a.hidden_size),
            f"{a.num_heads}/{a.num_kv_heads}", f"{a.total_params / 1e9:.1f}",
            f"{a.active_params_per_token / 1e9:.1f}", experts,
            f"{a.kv_cache_bytes_per_token(2.0) / 1e3:.1f}", f"{a.max_context_tokens:,}",
        )
    return table


def estimate_table(est: Estimate) -> Table:
    table = Table(title=f"{est.arch} on {est.chips}x {est.accelerator} ({est.engine}, "
                        f"{est.precision}, ISL {est.isl} / OSL {est.osl})", show_header=False)
    table.add_column("what")
    table.add_column("value", justify="right")
    rows = [
        ("layout", f"TP {est.tp} × PP {est.pp} × EP {est.ep}, KV cache {est.kv_precision}"),
        ("weights per chip", f"{est.weight_gb_per_chip:.1f} GB"),
        ("KV cache", f"{est.kv_cache_tokens:,} tokens"),
        ("max batch", f"{est.max_batch:,} (limited by {est.batch_limited_by})"),
        ("operating batch", f"{est.operating_batch:,}"),
        ("output tokens/s", f"{est.throughput_output_tokens_per_s:,.0f}"),
        ("output tokens/s per chip", f"{est.throughput_output_tokens_per_s_per_chip:,.0f}"),
        ("TTFT / TPOT at operating batch",
         f"{est.ttft_s * 1e3:,.0f} ms / {est.tpot_s * 1e3:.1f} ms"),
        ("TTFT / TPOT at batch 1", f"{est.ttft_s_batch1 * 1e3:,.0f} ms / "
                                   f"{est.tpot_s_batch1 * 1e3:.1f} ms"),
        ("power (chips × TDP)", _num(est.power_w, ",.0f") + (" W" if est.power_w else "")),
        ("tokens per joule", _num(est.tokens_per_joule, ".2f")),
        ("price", "unknown" if est.usd_per_chip_hour is None else
         f"${est.usd_per_chip_hour:.2f}/chip-h ({est.price_tier}, {est.price_offering})"),
        ("$ per million output tokens", _num(est.usd_per_million_output_tokens, ".3f")),
    ]
    for what, value in rows:
        table.add_row(what, value)
    if est.assumptions:
        table.caption = "assumptions: " + "; ".join(est.assumptions)
    return table


def comparison_table(result: Comparison, title: str) -> Table:
    table = Table(title=title)
    cols = ("#", "accelerator", "vendor", "chips", "layout", "prec", "engine", "$/M out tok",
            "$/chip-h", "out tok/s", "tok/s/chip", "tok/J", "TPOT ms", "note")
    for col in cols:
        table.add_column(col, justify="left" if col in ("accelerator", "vendor", "layout",
                                                         "prec", "engine", "note") else "right")
    for i, est in enumerate(result.rows, start=1):
        notes = []
        if not est.efficiency_fitted:
            notes.append("eff. assumed")
        if any("unconfirmed" in a for a in est.assumptions):
            notes.append("price unconfirmed")
        table.add_row(
            str(i), est.accelerator, est.vendor, str(est.chips),
            f"tp{est.tp} pp{est.pp}" + (f" ep{est.ep}" if est.ep > 1 else ""), est.precision,
            est.engine, _num(est.usd_per_million_output_tokens, ".3f", "no price"),
            _num(est.usd_per_chip_hour, ".2f", "-"),
            f"{est.throughput_output_tokens_per_s:,.0f}",
            f"{est.throughput_output_tokens_per_s_per_chip:,.0f}",
            _num(est.tokens_per_joule, ".2f"), f"{est.tpot_s * 1e3:.1f}", ", ".join(notes),
        )
    if result.skipped:
        table.caption = "left out: " + "; ".join(f"{a}: {why}" for a, why in result.skipped)
    return table


def validation_table(summary: ValidationSummary) -> Table:
    table = Table(title="Estimator against published measurements")
    for col in ("arch", "accelerator", "chips", "prec", "engine", "ISL/OSL", "conc", "metric",
                "measured", "predicted", "error", "source"):
        table.add_column(col, justify="right" if col in ("chips", "measured", "predicted",
                                                         "error", "conc") else "left")
    for row in summary.rows:
        m = row.measurement
        err = row.rel_error
        err_text = "-" if err is None else f"{err:+.1%}"
        if m.exclude_reason:
            err_text += " (excl.)"
        table.add_row(
            m.arch, m.accelerator, str(m.chips), m.precision, m.engine, f"{m.isl}/{m.osl}",
            "max" if m.concurrency is None else str(m.concurrency), m.metric, f"{m.value:,.1f}",
            "error: " + row.error if row.predicted is None else f"{row.predicted:,.1f}",
            err_text, m.source.split(" (")[0],
        )
    return table


def trace_table(name: str, source: str, summary: dict[str, float],
                notes: Sequence[str]) -> Table:
    table = Table(title=f"Trace {name}", show_header=False)
    table.add_column("what")
    table.add_column("value", justify="right")
    table.add_row("source", source)
    table.add_row("requests", f"{summary['requests']:,.0f}")
    table.add_row("duration", f"{summary['duration_s']:,.1f} s")
    table.add_row("mean rate", f"{summary['mean_rate_rps']:.2f} req/s")
    table.add_row("peak rate (60 s window)", f"{summary['peak_rate_rps_60s']:.2f} req/s")
    table.add_row("burstiness (CV of gaps)", f"{summary['interarrival_cv']:.2f}")
    for kind in ("input", "output"):
        table.add_row(
            f"{kind} tokens mean / p50 / p90 / p99 / max",
            " / ".join(f"{summary[f'{kind}_tokens_{s}']:,.0f}"
                       for s in ("mean", "p50", "p90", "p99", "max")))
    if notes:
        table.caption = "; ".join(notes)
    return table


def _latency_row(name: str, stats: LatencyStats, scale: float, unit: str) -> tuple[str, ...]:
    return (name, *(f"{getattr(stats, s) * scale:,.1f} {unit}"
                    for s in ("mean", "p50", "p90", "p99")))


def simulation_table(result: SimResult, title: str) -> Table:
    table = Table(title=title)
    for col in ("latency", "mean", "p50", "p90", "p99"):
        table.add_column(col, justify="left" if col == "latency" else "right")
    table.add_row(*_latency_row("TTFT", result.ttft_s, 1e3, "ms"))
    table.add_row(*_latency_row("TPOT", result.tpot_s, 1e3, "ms"))
    table.add_row(*_latency_row("end to end", result.e2e_s, 1.0, "s"))
    table.add_row(*_latency_row("queueing", result.queue_s, 1e3, "ms"))
    energy = ("unknown (no TDP)" if result.energy_j is None
              else f"{result.energy_j / 3.6e6:,.2f} kWh")
    goodput = ("-" if result.goodput_requests_per_s is None
               else f"{result.goodput_requests_per_s:,.2f} req/s")
    table.caption = (
        f"{result.completed:,}/{result.requests:,} requests completed ({result.rejected} too "
        f"large) on {result.replicas} replica(s); output "
        f"{result.throughput_output_tokens_per_s:,.0f} tok/s, "
        f"{result.throughput_requests_per_s:,.2f} req/s; SLO {result.slo}: "
        f"{'met' if result.slo_met else 'missed' if result.slo_met is False else '-'}, goodput "
        f"{goodput}; preemptions {result.preemptions:,}; utilisation {result.utilisation:.0%}; "
        f"energy {energy}; {result.simulated_s:,.0f} s simulated in {result.wall_s:.2f} s "
        f"({result.simulated_s / max(result.wall_s, 1e-9):,.0f}x real time)"
    )
    return table


def capacity_table(result: CapacityResult, title: str, trace: str) -> Table:
    table = Table(title=f"Capacity of one replica: {title}, trace {trace}", show_header=False)
    table.add_column("what")
    table.add_column("value", justify="right")
    table.add_row("max rate meeting the SLO", f"{result.max_rate_rps:,.3f} req/s")
    table.add_row("SLO", result.slo)
    data = result.to_dict()
    for name, scale, unit in (("ttft_s", 1e3, "ms"), ("tpot_s", 1e3, "ms")):
        if name in data:
            stats = data[name]
            table.add_row(f"{name[:4].upper()} p50 / p90 / p99 at that rate",
                          " / ".join(f"{stats[p] * scale:,.1f}" for p in ("p50", "p90", "p99"))
                          + f" {unit}")
    table.caption = (f"{result.probes} simulations of at least {result.requests_per_probe:,} "
                     "requests and 120 s of arrivals"
                     + (" (from the cache)" if result.cached else ""))
    return table


def serving_validation_table(summary: ServingSummary) -> Table:
    table = Table(title="Simulated serving latency against published benchmarks")
    for col in ("arch", "accelerator", "chips", "prec", "engine", "ISL/OSL", "conc", "metric",
                "measured ms", "simulated ms", "error", "source"):
        table.add_column(col, justify="right" if col in ("chips", "conc", "measured ms",
                                                         "simulated ms", "error") else "left")
    for row in summary.rows:
        m = row.measurement
        err = row.rel_error
        table.add_row(
            m.arch, m.accelerator, str(m.chips), m.precision, m.engine,
            "-" if m.isl is None else f"{m.isl}/{m.osl}",
            str(m.concurrency) if m.concurrency else f"{m.request_rate} rps",
            f"{m.metric} {m.statistic}", f"{m.value_ms:,.1f}",
            "-" if row.predicted_ms is None else f"{row.predicted_ms:,.1f}",
            "excluded" if row.excluded else ("-" if err is None else f"{err:+.1%}"),
            m.source.split("/")[2] if m.source.startswith("http") else m.source.split("@")[0],
        )
    return table
