"""Frozen records of the catalog: accelerators, offerings and where each number came from."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any

PRECISIONS = ("fp4", "fp8", "bf16")
"""Compute precisions the performance model knows, narrowest first. fp16 is treated as bf16."""

VENDORS = ("nvidia", "amd", "microsoft", "aws", "google", "intel")

PRICE_TIERS = ("on_demand", "spot", "reserved_1y", "reserved_3y", "quoted")
"""How an offering can be bought. `quoted` is a private or negotiated price."""


@dataclass(frozen=True, kw_only=True)
class FieldSource:
    """Where one catalog number came from."""

    source: str  # citation: document, URL or repository path
    as_of: dt.date  # date the figure was published or read
    confirmed: bool = True  # False: one weak source only, a placeholder until confirmed
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class Accelerator:
    """One chip, with dense peak throughput and memory as the vendor publishes them."""

    id: str  # catalog id, e.g. "h100-sxm"
    name: str  # marketing name, e.g. "NVIDIA H100 SXM5"
    vendor: str  # one of VENDORS
    peak_flops_per_s: Mapping[str, float]  # precision -> dense FLOP/s; absent = not supported
    mem_bytes: float  # usable device memory, bytes (GB and GiB converted in the loader)
    mem_bw_bytes_per_s: float  # device memory bandwidth, bytes/s
    scaleup_bw_bytes_per_s: float | None  # scale-up link bandwidth per chip, bidirectional, bytes/s
    scaleup_domain_chips: int  # chips that share one scale-up domain (NVLink, xGMI, ICI, ...)
    scaleup_link: str  # e.g. "NVLink4", "xGMI", "PCIe Gen4 x16", "ICI 2D torus"
    tdp_w: float | None  # board power, W; None when the vendor does not publish it
    year: int | None = None  # year of general availability, None if unknown
    aliases: tuple[str, ...] = ()  # other names (SkyPilot, consoles), e.g. "H100", "H100 SXM5"
    sources: Mapping[str, FieldSource] = field(default_factory=dict)  # field name -> source
    notes: str = ""

    def __post_init__(self) -> None:
        if self.vendor not in VENDORS:
            raise ValueError(f"vendor ({self.vendor!r}) must be one of {VENDORS}")
        if not self.peak_flops_per_s:
            raise ValueError(f"accelerator {self.id!r} has no peak_flops_per_s")
        for precision, flops in self.peak_flops_per_s.items():
            if precision not in PRECISIONS:
                raise ValueError(f"precision ({precision!r}) must be one of {PRECISIONS}")
            if flops <= 0:
                raise ValueError(f"peak_flops_per_s[{precision}] ({flops}) must be > 0")
        if self.mem_bytes <= 0 or self.mem_bw_bytes_per_s <= 0:
            raise ValueError(
                f"mem_bytes ({self.mem_bytes}) and mem_bw_bytes_per_s "
                f"({self.mem_bw_bytes_per_s}) must be > 0"
            )
        if self.scaleup_domain_chips < 1:
            raise ValueError(f"scaleup_domain_chips ({self.scaleup_domain_chips}) must be >= 1")

    @property
    def precisions(self) -> tuple[str, ...]:
        """Supported compute precisions, narrowest first."""
        return tuple(p for p in PRECISIONS if p in self.peak_flops_per_s)

    @property
    def scaleup_bw_uni_bytes_per_s(self) -> float | None:
        """Scale-up bandwidth per chip in one direction, bytes/s (what a ring all-reduce sees)."""
        return None if self.scaleup_bw_bytes_per_s is None else self.scaleup_bw_bytes_per_s / 2

    def supports(self, precision: str) -> bool:
        return precision in self.peak_flops_per_s


@dataclass(frozen=True, kw_only=True)
class Offering:
    """A way to buy accelerators: a cloud instance type in a region, or a private quote."""

    id: str  # unique, e.g. "aws/us-east-1/p5.48xlarge"
    cloud: str  # "aws", "gcp", "azure", "lambda", "private", ...
    region: str  # cloud region, e.g. "us-east-1"; free text for private offerings
    instance_type: str  # e.g. "p5.48xlarge"; a private quote names its own unit
    accelerator: str  # accelerator id in the catalog
    chips: int  # accelerators per instance
    vcpus: int | None = None  # host vCPUs per instance, None if not stated
    host_mem_bytes: float | None = None  # host RAM per instance, bytes
    device_mem_bytes: float | None = None  # total accelerator memory per instance, bytes, if stated
    # tier -> $ per instance-hour; a tier that is absent is not offered
    prices_usd_per_hour: Mapping[str, float] = field(default_factory=dict)
    price_confirmed: bool = True  # False: the price is from one weak source, a placeholder
    source: FieldSource  # citation and as-of date of the prices; `note` carries row caveats

    def __post_init__(self) -> None:
        if self.chips < 1:
            raise ValueError(f"offering {self.id!r}: chips ({self.chips}) must be >= 1")
        for tier, price in self.prices_usd_per_hour.items():
            if tier not in PRICE_TIERS:
                raise ValueError(
                    f"offering {self.id!r}: tier ({tier!r}) must be one of {PRICE_TIERS}"
                )
            if price <= 0:
                raise ValueError(f"offering {self.id!r}: price[{tier}] ({price}) must be > 0")

    @property
    def is_capacity_only(self) -> bool:
        """True when no tier has a price: capacity that needs a quoted price before planning."""
        return not self.prices_usd_per_hour

    def price_usd_per_chip_hour(self, tier: str = "on_demand") -> float | None:
        """Price of one accelerator-hour in `tier`, or None if the tier is not offered."""
        price = self.prices_usd_per_hour.get(tier)
        return None if price is None else price / self.chips

    @property
    def cheapest_tier(self) -> tuple[str, float] | None:
        """(tier, $ per instance-hour) of the lowest listed price, ignoring spot."""
        firm = {t: p for t, p in self.prices_usd_per_hour.items() if t != "spot"}
        if not firm:
            return None
        tier = min(firm, key=lambda t: firm[t])
        return tier, firm[tier]


def _plain(value: Any) -> Any:
    """`value` with records and mappings as dicts, dates as ISO strings: ready for json.dumps."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def accelerator_to_dict(acc: Accelerator) -> dict[str, Any]:
    """JSON-ready dict of `acc`: field names keep their units; `sources` per field."""
    plain: dict[str, Any] = _plain(acc)
    return plain


def offering_to_dict(offering: Offering) -> dict[str, Any]:
    """JSON-ready dict of `offering`, plus `usd_per_chip_hour` per tier."""
    row: dict[str, Any] = _plain(offering)
    row["usd_per_chip_hour"] = {
        tier: price / offering.chips for tier, price in offering.prices_usd_per_hour.items()
    }
    return row
