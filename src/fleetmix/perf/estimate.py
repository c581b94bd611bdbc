"""Estimate one deployment at a request shape: fit, layout, throughput, latency, energy, cost."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from fleetmix.arch.records import Arch
from fleetmix.catalog.records import Accelerator
from fleetmix.errors import DoesNotFitError, FleetmixError, InputError, TargetUnreachableError
from fleetmix.perf.deployment import Deployment, default_kv_precision
from fleetmix.perf.engines import Efficiency, EngineTable, shipped_engine_table
from fleetmix.perf.throughput import BatchLimit, batch_limit, best_batch, operating_point


@dataclass(frozen=True, kw_only=True)
class Price:
    """What one accelerator-hour costs, and where that figure comes from."""

    usd_per_chip_hour: float
    offering: str  # offering id, or "user" for a price given on the command line
    tier: str
    confirmed: bool = True


@dataclass(frozen=True, kw_only=True)
class Estimate:
    """The estimator's answer for one deployment at one request shape (JSON-ready)."""

    arch: str
    accelerator: str
    vendor: str
    chips: int
    tp: int
    pp: int
    ep: int
    precision: str
    kv_precision: str
    engine: str
    isl: int
    osl: int
    fits: bool
    weight_gb_per_chip: float
    kv_cache_tokens: int
    max_batch: int
    batch_limited_by: str
    operating_batch: int  # running requests at the reported operating point
    throughput_output_tokens_per_s: float
    throughput_output_tokens_per_s_per_chip: float
    ttft_s: float
    tpot_s: float
    ttft_s_batch1: float
    tpot_s_batch1: float
    power_w: float | None  # chips × TDP: the draw at full load; None if TDP is not published
    tokens_per_joule: float | None
    usd_per_chip_hour: float | None
    price_offering: str | None
    price_tier: str | None
    usd_per_million_output_tokens: float | None
    efficiency_fitted: bool
    efficiency_source: str
    assumptions: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["assumptions"] = list(self.assumptions)
        return out


def candidate_layouts(arch: Arch, acc: Accelerator, chips: int, *, tp: int | None = None,
                      pp: int | None = None, ep: int | None = None) -> list[tuple[int, int, int]]:
    """(tp, pp, ep) layouts of `chips` chips that the arch and the chip's scale-up domain allow."""
    layouts = []
    for t in range(1, chips + 1):
        if chips % t or (tp is not None and t != tp):
            continue
        p = chips // t
        if (pp is not None and p != pp) or p > arch.num_layers:
            continue
        if t > acc.scaleup_domain_chips or (arch.num_heads % t and t % arch.num_heads):
            continue
        if t > 1 and acc.scaleup_bw_bytes_per_s is None:
            continue
        eps = [1]
        if arch.is_moe:
            eps = [e for e in range(1, t + 1) if t % e == 0 and arch.num_experts % e == 0]
        for e in eps:
            if ep is None or e == ep:
                layouts.append((t, p, e))
    return layouts


def make_deployment(arch: Arch, acc: Accelerator, *, tp: int, pp: int, ep: int, precision: str,
                    engine: str | None = None, kv_precision: str | None = None,
                    engines: EngineTable | None = None,
                    efficiency: Efficiency | None = None) -> Deployment:
    """A validated deployment; `engine` None picks the vendor's best-known stack."""
    table = engines or shipped_engine_table()
    profile = table.engine(engine) if engine else table.default_for(acc)
    return Deployment(
        arch=arch, accelerator=acc, tp=tp, pp=pp, ep=ep, precision=precision,
        kv_precision=kv_precision or default_kv_precision(precision, acc), engine=profile,
        efficiency=efficiency or table.efficiency(acc, profile.id),
    )


def estimate(arch: Arch, acc: Accelerator, *, chips: int, precision: str, isl: int, osl: int,
             tp: int | None = None, pp: int | None = None, ep: int | None = None,
             engine: str | None = None, kv_precision: str | None = None,
             concurrency: int | None = None, max_tpot_s: float | None = None,
             price: Price | None = None, engines: EngineTable | None = None,
             efficiency: Efficiency | None = None) -> Estimate:
    """Estimate the best layout of `chips` chips (or the one given) at ISL/OSL.

    The operating point is `concurrency` running requests if given, else the batch with the
    highest throughput whose time per output token is at most `max_tpot_s` (no limit if None).
    Raises DoesNotFitError (with bytes needed against available) when no layout fits, and
    TargetUnreachableError when layouts fit but none meets `max_tpot_s`.
    """
    if isl < 1 or osl < 1:
        raise InputError(f"isl ({isl}) and osl ({osl}) must be >= 1")
    layouts = candidate_layouts(arch, acc, chips, tp=tp, pp=pp, ep=ep)
    if not layouts:
        raise InputError(
            f"no valid layout of {chips} chips for {arch.name} on {acc.id} with tp={tp}, "
            f"pp={pp}, ep={ep} (tp must divide {arch.num_heads} heads and fit the "
            f"{acc.scaleup_domain_chips}-chip scale-up domain; pp at most {arch.num_layers})"
        )
    best: tuple[float, Deployment, BatchLimit, int] | None = None
    tightest: BatchLimit | None = None
    fastest_tpot_s = float("inf")
    for t, p, e in layouts:
        dep = make_deployment(arch, acc, tp=t, pp=p, ep=e, precision=precision, engine=engine,
                              kv_precision=kv_precision, engines=engines, efficiency=efficiency)
        limit = batch_limit(dep, isl, osl)
        if limit.max_batch < 1:
            if tightest is None or limit.memory.kv_budget_bytes > tightest.memory.kv_budget_bytes:
                tightest = limit
            continue
        if concurrency is not None:
            batch: int | None = min(concurrency, limit.max_batch)
        else:
            batch = best_batch(dep, isl, osl, limit.max_batch, max_tpot_s)
        if batch is None:
            fastest_tpot_s = min(fastest_tpot_s, operating_point(dep, isl, osl, 1).tpot_s)
            continue
        tput = operating_point(dep, isl, osl, batch).throughput_output_tokens_per_s
        if best is None or tput > best[0]:
            best = (tput, dep, limit, batch)
    if best is None and fastest_tpot_s < float("inf"):
        assert max_tpot_s is not None
        raise TargetUnreachableError(
            f"no layout of {arch.name} at {precision} on {chips}x {acc.id} reaches a time per "
            f"output token of {max_tpot_s * 1e3:.1f} ms at ISL {isl} / OSL {osl}; the fastest "
            f"is {fastest_tpot_s * 1e3:.1f} ms at batch 1"
        )
    if best is None:
        assert tightest is not None
        raise DoesNotFitError(
            f"{arch.name} at {precision} on {chips}x {acc.id} does not fit a request of "
            f"{isl + osl} tokens: {tightest.memory.explain()}"
        )
    _, dep, limit, batch = best
    return _summarize(dep, limit, batch, isl, osl, price)


def fastest_layout(arch: Arch, acc: Accelerator, *, chips: int, precision: str, isl: int,
                   osl: int, engine: str | None = None, engines: EngineTable | None = None,
                   efficiency: Efficiency | None = None) -> Estimate:
    """The layout of `chips` chips with the lowest time per output token at batch 1 (the
    latency-first choice for interactive serving), among layouts that fit ISL + OSL."""
    best: Estimate | None = None
    last_error: FleetmixError | None = None
    for t, p, e in candidate_layouts(arch, acc, chips):
        try:
            est = estimate(arch, acc, chips=chips, precision=precision, isl=isl, osl=osl, tp=t,
                           pp=p, ep=e, engine=engine, engines=engines, efficiency=efficiency)
        except DoesNotFitError as exc:
            last_error = exc
            continue
        if best is None or est.tpot_s_batch1 < best.tpot_s_batch1:
            best = est
    if best is None:
        raise last_error or InputError(f"no valid layout of {chips} chips for {arch.name} on "
                                       f"{acc.id}")
    return best


def _summarize(dep: Deployment, limit: BatchLimit, batch: int, isl: int, osl: int,
               price: Price | None) -> Estimate:
    acc = dep.accelerator
    point = operating_point(dep, isl, osl, batch)
    single = operating_point(dep, isl, osl, 1)
    tput = point.throughput_output_tokens_per_s
    assumptions = []
    if not dep.efficiency.fitted:
        assumptions.append(f"efficiencies of {dep.engine.id} on {acc.id} are assumed, not "
                           f"fitted: {dep.efficiency.source}")
    if "bf16" not in acc.peak_flops_per_s:
        assumptions.append(f"{acc.id} publishes no bf16 peak; attention taken at half its fp8")
    power_w = None if acc.tdp_w is None else acc.tdp_w * dep.chips
    if power_w is None:
        assumptions.append(f"{acc.vendor} does not publish the TDP of {acc.id}: energy unknown")
    else:
        assumptions.append("power at full load taken as chips × TDP (an upper bound)")
    usd_per_m = None
    if price is not None:
        usd_per_m = price.usd_per_chip_hour * dep.chips / 3600.0 / tput * 1e6
        if not price.confirmed:
            assumptions.append(f"price of {price.offering} is unconfirmed")
    return Estimate(
        arch=dep.arch.name, accelerator=acc.id, vendor=acc.vendor, chips=dep.chips, tp=dep.tp,
        pp=dep.pp, ep=dep.ep, precision=dep.precision, kv_precision=dep.kv_precision,
        engine=dep.engine.id, isl=isl, osl=osl, fits=True,
        weight_gb_per_chip=limit.memory.weight_bytes / 1e9,
        kv_cache_tokens=limit.memory.kv_cache_tokens, max_batch=limit.max_batch,
        batch_limited_by=limit.limited_by, operating_batch=batch,
        throughput_output_tokens_per_s=tput,
        throughput_output_tokens_per_s_per_chip=tput / dep.chips,
        ttft_s=point.ttft_s + dep.efficiency.request_overhead_s, tpot_s=point.tpot_s,
        ttft_s_batch1=single.ttft_s + dep.efficiency.request_overhead_s,
        tpot_s_batch1=single.tpot_s,
        power_w=power_w, tokens_per_joule=None if power_w is None else tput / power_w,
        usd_per_chip_hour=None if price is None else price.usd_per_chip_hour,
        price_offering=None if price is None else price.offering,
        price_tier=None if price is None else price.tier,
        usd_per_million_output_tokens=usd_per_m,
        efficiency_fitted=dep.efficiency.fitted, efficiency_source=dep.efficiency.source,
        assumptions=tuple(assumptions),
    )
