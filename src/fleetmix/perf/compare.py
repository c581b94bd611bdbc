"""Rank every accelerator in the catalog for one arch and request shape."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fleetmix.arch.records import Arch
from fleetmix.catalog import Catalog
from fleetmix.catalog.records import Accelerator
from fleetmix.errors import FleetmixError
from fleetmix.perf.engines import EngineTable, shipped_engine_table
from fleetmix.perf.estimate import Estimate, Price, estimate

MAX_COMPARE_CHIPS = 16


def catalog_price(catalog: Catalog, accelerator_id: str, tier: str = "on_demand") -> Price | None:
    """The cheapest listed price of one chip-hour of `accelerator_id` in `tier`."""
    found = catalog.cheapest_offering(accelerator_id, tier=tier)
    if found is None:
        return None
    offering, usd_per_chip_hour = found
    return Price(usd_per_chip_hour=usd_per_chip_hour, offering=offering.id, tier=tier,
                 confirmed=offering.price_confirmed)


def default_precision(acc: Accelerator) -> str:
    """fp8 where the chip has it (what production serving uses), else bf16."""
    return "fp8" if acc.supports("fp8") else "bf16" if acc.supports("bf16") else acc.precisions[0]


def chip_counts(acc: Accelerator) -> list[int]:
    """Replica sizes tried: powers of two up to MAX_COMPARE_CHIPS, and 12 for 12-chip hosts.

    Sizes beyond the scale-up domain are reached by pipeline stages across domains.
    """
    counts = [n for n in (1, 2, 4, 8, 16) if n <= MAX_COMPARE_CHIPS]
    if acc.scaleup_domain_chips == 12:
        counts.append(12)
    return sorted(counts)


@dataclass(frozen=True, kw_only=True)
class Comparison:
    """Ranked estimates (best first) and the accelerators left out, with why."""

    rows: tuple[Estimate, ...]
    skipped: tuple[tuple[str, str], ...]  # (accelerator id, reason)
    sort_key: str


def _score(est: Estimate) -> tuple[int, float]:
    if est.usd_per_million_output_tokens is not None:
        return (0, est.usd_per_million_output_tokens)
    return (1, -est.throughput_output_tokens_per_s_per_chip)


def compare(arch: Arch, catalog: Catalog, *, isl: int, osl: int, precision: str | None = None,
            vendors: Sequence[str] | None = None, tier: str = "on_demand",
            max_tpot_s: float | None = None, engines: EngineTable | None = None) -> Comparison:
    """Best replica size and layout per accelerator, ranked by $ per million output tokens.

    Accelerators without a price in `tier` rank after priced ones, by output tokens/s per chip.
    """
    engines = engines or shipped_engine_table()
    rows: list[Estimate] = []
    skipped: list[tuple[str, str]] = []
    for acc in catalog.accelerators.values():
        if vendors and acc.vendor not in vendors:
            continue
        chosen = precision or default_precision(acc)
        if not acc.supports(chosen):
            skipped.append((acc.id, f"no {chosen} support (has {', '.join(acc.precisions)})"))
            continue
        price = catalog_price(catalog, acc.id, tier)
        best: Estimate | None = None
        last_error = ""
        for chips in chip_counts(acc):
            try:
                est = estimate(arch, acc, chips=chips, precision=chosen, isl=isl, osl=osl,
                               max_tpot_s=max_tpot_s, price=price, engines=engines)
            except FleetmixError as exc:
                last_error = str(exc)
                continue
            if best is None or _score(est) < _score(best):
                best = est
        if best is None:
            skipped.append((acc.id, last_error or "no layout fits"))
        else:
            rows.append(best)
    rows.sort(key=_score)
    return Comparison(rows=tuple(rows), skipped=tuple(skipped),
                      sort_key="usd_per_million_output_tokens")
