"""Accelerator specs and the offerings that sell them, shipped in the package and user-extendable.

>>> from fleetmix.catalog import load_catalog
>>> catalog = load_catalog()
>>> catalog.accelerator("H100").mem_bytes
80000000000.0
"""

from fleetmix.catalog.accelerators import load_accelerators, parse_accelerators
from fleetmix.catalog.catalog import Catalog, load_catalog
from fleetmix.catalog.offerings import OFFERING_COLUMNS, read_offerings, write_offerings_csv
from fleetmix.catalog.records import (
    PRECISIONS,
    PRICE_TIERS,
    VENDORS,
    Accelerator,
    FieldSource,
    Offering,
    accelerator_to_dict,
    offering_to_dict,
)
from fleetmix.catalog.skypilot import import_skypilot, read_skypilot_vms
from fleetmix.errors import CatalogError, UnknownNameError

__all__ = [
    "OFFERING_COLUMNS",
    "PRECISIONS",
    "PRICE_TIERS",
    "VENDORS",
    "Accelerator",
    "Catalog",
    "CatalogError",
    "FieldSource",
    "Offering",
    "UnknownNameError",
    "accelerator_to_dict",
    "import_skypilot",
    "load_accelerators",
    "load_catalog",
    "offering_to_dict",
    "parse_accelerators",
    "read_offerings",
    "read_skypilot_vms",
    "write_offerings_csv",
]
