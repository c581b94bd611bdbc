"""The catalog: shipped accelerators and offerings, merged with the user's own files.

Nothing is read at import. The shipped files are read once per process (`functools.lru_cache`)
through `importlib.resources`; user files are read on every `load_catalog` call.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from fleetmix.catalog.accelerators import (
    SourceEntry,
    alias_index,
    load_accelerators,
    normalize_name,
    parse_accelerators,
)
from fleetmix.catalog.offerings import parse_offerings, read_offerings
from fleetmix.catalog.records import PRICE_TIERS, VENDORS, Accelerator, Offering
from fleetmix.errors import UnknownNameError

ACCELERATORS_FILE = "accelerators.yaml"
OFFERINGS_FILE = "offerings.csv"


@dataclass(frozen=True, kw_only=True)
class Catalog:
    """Accelerators by id and the offerings that sell them."""

    accelerators: Mapping[str, Accelerator]  # id -> record
    offerings: tuple[Offering, ...]  # ids unique; each names an accelerator id above
    _names: Mapping[str, str] = field(init=False, repr=False, compare=False)  # alias -> id

    def __post_init__(self) -> None:
        object.__setattr__(self, "accelerators", MappingProxyType(dict(self.accelerators)))
        names = alias_index(self.accelerators.values())
        object.__setattr__(self, "_names", MappingProxyType(names))
        seen: set[str] = set()
        for offering in self.offerings:
            if offering.accelerator not in self.accelerators:
                raise ValueError(
                    f"offering {offering.id!r} names accelerator {offering.accelerator!r}, "
                    "which is not in the catalog"
                )
            if offering.id in seen:
                raise ValueError(f"offering id {offering.id!r} appears twice")
            seen.add(offering.id)

    def __reduce__(self) -> tuple[Any, ...]:
        # Worker processes and Ray receive scenarios by pickle, and a MappingProxyType does
        # not pickle: rebuild from plain values through __init__ (which re-derives `_names`).
        return (functools.partial(Catalog, accelerators=dict(self.accelerators),
                                  offerings=self.offerings), ())

    def accelerator(self, name: str) -> Accelerator:
        """The accelerator with this id or alias (case, spaces and hyphens ignored)."""
        acc_id = self._names.get(normalize_name(name))
        if acc_id is None:
            raise UnknownNameError("accelerator", name, self.accelerators)
        return self.accelerators[acc_id]

    def offering(self, offering_id: str) -> Offering:
        """The offering with this id, e.g. "aws/us-east-1/p5.48xlarge"."""
        for offering in self.offerings:
            if offering.id == offering_id:
                return offering
        raise UnknownNameError("offering", offering_id, (o.id for o in self.offerings))

    def offerings_for(
        self,
        accelerator_id: str,
        clouds: Collection[str] | None = None,
        regions: Collection[str] | None = None,
        tiers: Collection[str] | None = None,
    ) -> tuple[Offering, ...]:
        """Offerings of one accelerator (id or alias), optionally filtered.

        `tiers` keeps offerings with a price in at least one of the tiers given.
        """
        acc_id = self.accelerator(accelerator_id).id
        for tier in tiers or ():
            if tier not in PRICE_TIERS:
                raise UnknownNameError("price tier", tier, PRICE_TIERS)
        return tuple(
            o
            for o in self.offerings
            if o.accelerator == acc_id
            and (clouds is None or o.cloud in clouds)
            and (regions is None or o.region in regions)
            and (tiers is None or any(t in o.prices_usd_per_hour for t in tiers))
        )

    def cheapest_offering(
        self, accelerator_id: str, tier: str = "on_demand", confirmed_only: bool = False
    ) -> tuple[Offering, float] | None:
        """(offering, $ per chip-hour) of the lowest price in `tier`, or None if none sells it.

        `confirmed_only` ignores placeholder prices (`price_confirmed=False`).
        """
        best: tuple[Offering, float] | None = None
        for offering in self.offerings_for(accelerator_id, tiers=(tier,)):
            if confirmed_only and not offering.price_confirmed:
                continue
            price = offering.price_usd_per_chip_hour(tier)
            assert price is not None  # offerings_for kept only offerings priced in `tier`
            if best is None or price < best[1]:
                best = (offering, price)
        return best

    def vendors(self) -> tuple[str, ...]:
        """Vendors with at least one accelerator in the catalog, in `VENDORS` order."""
        present = {acc.vendor for acc in self.accelerators.values()}
        return tuple(v for v in VENDORS if v in present)


def _data_text(name: str) -> tuple[str, str]:
    """(text, display path) of a shipped data file."""
    resource = resources.files("fleetmix.catalog").joinpath("data", name)
    return resource.read_text(encoding="utf-8"), str(resource)


@functools.lru_cache(maxsize=1)
def _shipped() -> tuple[Catalog, Mapping[str, SourceEntry]]:
    text, origin = _data_text(ACCELERATORS_FILE)
    accelerators, sources = parse_accelerators(text, origin)
    text, origin = _data_text(OFFERINGS_FILE)
    offerings = parse_offerings(text, origin, accelerators)
    return Catalog(accelerators=accelerators, offerings=offerings), MappingProxyType(sources)


def load_catalog(
    extra_offerings: Sequence[Path | str] = (),
    extra_accelerators: Sequence[Path | str] = (),
) -> Catalog:
    """The shipped catalog, with the user's files merged in.

    `extra_accelerators` are YAML files in the shipped schema (they may cite the shipped source
    ids); a chip whose id is already known replaces it. `extra_offerings` are CSV files in the
    shipped columns; a row whose id matches an earlier one replaces it (a negotiated price, a
    private quote), other rows are added. Later files win over earlier ones.
    """
    shipped, shipped_sources = _shipped()
    if not extra_offerings and not extra_accelerators:
        return shipped
    accelerators = dict(shipped.accelerators)
    sources: Mapping[str, SourceEntry] = shipped_sources
    for path in extra_accelerators:
        user_accelerators, sources = load_accelerators(Path(path), sources)
        accelerators.update(user_accelerators)
        alias_index(accelerators.values(), str(path))  # a user alias may clash with a shipped one
    offerings = {o.id: o for o in shipped.offerings}
    for path in extra_offerings:
        for offering in read_offerings(path, accelerators):
            offerings[offering.id] = offering
    return Catalog(accelerators=accelerators, offerings=tuple(offerings.values()))
